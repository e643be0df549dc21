from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.db import connection
from rest_framework.test import APIClient

from accounts.models import Organization, User
from devstack import free_port
from notifications.devmail import Mailbox, start_sink

from .factories import MembershipFactory, OrganizationFactory, UserFactory

BASE_DIR = Path(settings.BASE_DIR)


@pytest.fixture(autouse=True)
def _fresh_offer_index() -> None:
    """Each test starts without this process's offer index: the rows it held were rolled back."""
    from matching import postings

    postings.reset()


@pytest.fixture
def user(db: None) -> User:
    return UserFactory()


@pytest.fixture
def api() -> APIClient:
    return APIClient()


@pytest.fixture
def member_client(db: None) -> tuple[APIClient, User, Organization]:
    """An API client signed in as the administrator of a verified supplier."""
    membership = MembershipFactory()
    client = APIClient()
    client.force_authenticate(membership.user)
    return client, membership.user, membership.organization


@pytest.fixture
def operator(db: None) -> User:
    ops = OrganizationFactory(roles=["operator"], name="成都都市圈供需对接办公室")
    return MembershipFactory(organization=ops).user


# --- Integration: the real SMTP sink and a real Celery worker ---------------------------


class SinkControl:
    """The test SMTP server: stop it and start it again on the same port, or make it fail."""

    def __init__(self, port: int, directory: Path) -> None:
        self.port = port
        self.directory = directory
        self.controller: Any = start_sink("127.0.0.1", port, directory)

    @property
    def handler(self) -> Any:
        return self.controller.handler

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    def start(self) -> None:
        if self.controller is None:
            self.controller = start_sink("127.0.0.1", self.port, self.directory)


@pytest.fixture(scope="session")
def sink_control(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SinkControl]:
    control = SinkControl(free_port(), tmp_path_factory.mktemp("mail"))
    try:
        yield control
    finally:
        control.stop()


@pytest.fixture(scope="session")
def smtp_sink(sink_control: SinkControl) -> tuple[int, Mailbox]:
    return sink_control.port, Mailbox(sink_control.directory)


@pytest.fixture
def sink(sink_control: SinkControl, mailbox: Mailbox) -> Iterator[SinkControl]:
    """The running sink of this test, with no faults left over from another."""
    sink_control.start()
    sink_control.handler.faults.clear()
    sink_control.handler.attempts = 0
    try:
        yield sink_control
    finally:
        sink_control.start()
        sink_control.handler.faults.clear()


@pytest.fixture
def mailbox(smtp_sink: tuple[int, Mailbox], settings: Any) -> Mailbox:
    """Real SMTP for this test (in-process sends too), into an emptied sink."""
    port, box = smtp_sink
    box.clear()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = port
    return box


def _test_database_url() -> str:
    db = connection.settings_dict
    host = db["HOST"] or "localhost"
    url = f"postgresql://{db['USER']}:{db['PASSWORD'] or ''}@/{db['NAME']}?host={host}"
    if db.get("PORT"):
        url += f"&port={db['PORT']}"
    return url


@pytest.fixture(scope="session")
def celery_worker_process(
    django_db_setup: None,
    django_db_blocker: Any,
    smtp_sink: tuple[int, Mailbox],
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[subprocess.Popen[bytes]]:
    """A real `celery worker` against the test database, the test broker and the SMTP sink."""
    with django_db_blocker.unblock():
        database_url = _test_database_url()
    port, _box = smtp_sink
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings_test",
        "DATABASE_URL": database_url,
        "CELERY_TASK_ALWAYS_EAGER": "false",
        "EMAIL_URL": f"smtp://127.0.0.1:{port}",
        "DJANGO_CONN_MAX_AGE": "0",
        # Retries within seconds, not minutes, so that a test can watch them happen.
        "NOTIFICATIONS_RETRY_BASE_SECONDS": "0.3",
        "NOTIFICATIONS_RETRY_MAX_SECONDS": "2",
    }
    log_path = tmp_path_factory.mktemp("celery") / "worker.log"
    log = log_path.open("wb")
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "config",
            "worker",
            "--pool",
            "solo",
            "--loglevel",
            "INFO",
            "--hostname",
            f"test-{os.getpid()}@%h",
            "--without-heartbeat",
            "--without-gossip",
            "--without-mingle",
        ],
        cwd=BASE_DIR,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        _wait_for_worker(process, log_path)
        yield process
    finally:
        process.terminate()
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


def _wait_for_worker(process: subprocess.Popen[bytes], log_path: Path) -> None:
    from config.celery import app

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the Celery worker exited:\n{log_path.read_text()[-3000:]}")
        if app.control.ping(timeout=0.5):
            return
    raise RuntimeError(f"the Celery worker did not answer in 60 s:\n{log_path.read_text()[-3000:]}")


@pytest.fixture
def real_worker(
    celery_worker_process: subprocess.Popen[bytes], transactional_db: None, mailbox: Mailbox
) -> Iterator[Mailbox]:
    """Tasks queued by this test go to the real worker; its mail lands in the returned mailbox."""
    from config.celery import app

    app.conf.task_always_eager = False
    try:
        yield mailbox
    finally:
        # Let the worker finish what this test started (matching queues emails), so that the
        # database flush does not race it and the next test's mailbox starts empty.
        _drain(app)
        app.conf.task_always_eager = True


def _drain(app: Any, timeout: float = 120) -> None:
    queues = [q.name for q in app.amqp.queues.values()] or ["celery"]
    deadline = time.monotonic() + timeout
    idle_rounds = 0
    with app.connection_for_write() as connection:
        client = connection.default_channel.client
        while time.monotonic() < deadline:
            inspect = app.control.inspect(timeout=0.5)
            busy = any((inspect.active() or {}).values()) or any(
                (inspect.reserved() or {}).values()
            )
            queued = sum(client.llen(name) for name in queues)
            idle_rounds = 0 if busy or queued else idle_rounds + 1
            if idle_rounds >= 2:
                return
            time.sleep(0.2)
    raise AssertionError(f"the Celery worker was still busy {timeout} s after the test")


def wait_for_mail(box: Mailbox, *, to: str, timeout: float = 30) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for message in box.messages():
            if to in message.to:
                return message
        time.sleep(0.2)
    raise AssertionError(f"no email to {to} within {timeout} s")
