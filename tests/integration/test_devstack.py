"""The zero-set-up path end to end: `make demo`'s own command with embedded services.

No DATABASE_URL or REDIS_URL: the stack starts an embedded PostgreSQL and Redis
in a fresh state folder, migrates, loads the demo world, runs a real Celery
worker, beat, the SMTP sink and the web server; a registration's email goes
through the worker into the development inbox; Ctrl-C leaves nothing running.
"""

import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import psutil
import pytest

from devstack import free_port

pytestmark = pytest.mark.integration

BASE_DIR = Path(__file__).resolve().parents[2]


def _get(url: str, *, data: dict | None = None) -> tuple[int, str]:
    body = json.dumps(data).encode() if data is not None else None
    request = urllib.request.Request(  # noqa: S310 - loopback only
        url, data=body, headers={"Content-Type": "application/json"} if body else {}
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
            return response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


def _wait(predicate, timeout: float, what: str, log: Path) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if predicate():
                return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.5)
    raise AssertionError(f"{what} within {timeout} s; demo output:\n{log.read_text()[-4000:]}")


def _processes_using(path: Path) -> list[psutil.Process]:
    found = []
    for process in psutil.process_iter(["cmdline"]):
        try:
            if any(str(path) in part for part in process.info["cmdline"] or []):
                found.append(process)
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue
    return found


def test_the_demo_runs_on_embedded_services_and_ctrl_c_stops_everything(tmp_path):
    state = tmp_path / "state"
    web, smtp = free_port(), free_port()
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DATABASE_URL", "REDIS_URL", "EMAIL_URL", "DJANGO_SETTINGS_MODULE"}
        and not key.startswith(("CELERY_", "DJANGO_", "PYTEST_"))
    }
    env["DUIJIE_STATE_DIR"] = str(state)
    log = tmp_path / "demo.log"
    with log.open("wb") as output:
        demo = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "devstack",
                "demo",
                "--port",
                str(web),
                "--smtp-port",
                str(smtp),
            ],
            cwd=BASE_DIR,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            base = f"http://127.0.0.1:{web}"
            _wait(
                lambda: _get(f"{base}/")[0] == 200, 180, "the demo did not serve its home page", log
            )
            assert (
                state / "pgdata" / "PG_VERSION"
            ).exists()  # embedded PostgreSQL, not the machine's
            services_env = (state / "run" / "services.env").read_text()
            assert "DATABASE_URL=postgresql://" in services_env
            assert f"host={state / 'pgdata'}" in services_env
            assert _get(f"{base}/healthz") == (200, '{"database": "ok", "redis": "ok"}')
            assert _get(f"{base}/api/docs/")[0] == 200
            status, body = _get(f"{base}/api/v1/regions/510600/")
            assert (status, json.loads(body)["name"]) == (200, "德阳市")

            status, _ = _get(
                f"{base}/api/v1/auth/register/",
                data={"email": "embedded@example.com", "password": "蜀缆-2026-secure"},
            )
            assert status == 201
            _wait(
                lambda: "embedded@example.com" in _get(f"{base}/dev/inbox/")[1],
                60,
                "the worker did not deliver the verification email to the sink",
                log,
            )
            status, body = _get(f"{base}/api/v1/organizations/")
            assert status in (401, 403)
        finally:
            os.killpg(demo.pid, signal.SIGINT)  # what Ctrl-C in the terminal sends
            code = demo.wait(60)
    output = log.read_text()
    assert code == 0, output[-4000:]
    assert "stopped: no process left running" in output
    leftovers = [p for p in _processes_using(state) if p.is_running()]
    redis_state = json.loads((state / "redis" / "redis.json").read_text())
    assert (
        not psutil.pid_exists(redis_state["pid"])
        or psutil.Process(redis_state["pid"]).status() == "zombie"
    )
    assert leftovers == [], [p.info["cmdline"] for p in leftovers]
    assert not (state / "run" / "services.env").exists()
