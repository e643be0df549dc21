"""Playwright against pytest-django's live server, in Debian's Chromium.

One browser per test session; one fresh context (cookies, language) per test.
Screenshots go to ``test-artifacts/screenshots/<test name>/NN-<step>.png``
(gitignored): ``shot("supplier-signed-in")`` numbers them in the order taken.
The live server uses the real test database, so browser tests use
``transactional_db`` (the live_server fixture asks for it); mark them
``BROWSER_DB`` so that the seeded regions and taxonomy, flushed by earlier
transactional tests, are restored.

To extend a journey: ``sign_in(page, email)``, ``sign_out(page)``, then
``shot("what-the-user-sees")`` after each step.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings

CHROMIUM = os.environ.get("DUIJIE_CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = Path(settings.BASE_DIR) / "test-artifacts" / "screenshots"
PASSWORD = "correct-horse-battery"  # the factories' password
BROWSER_DB = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="package")
def browser(django_db_setup: None) -> Iterator[Any]:
    """One Chromium for all the browser tests (they are this package), closed after them.

    While Playwright's sync API runs, an event loop runs in this thread: Django
    then refuses ORM calls (async-unsafe guard; allowed here) and hands this
    thread other connection objects, which need the serialized seed data that
    ``serialized_rollback`` restores. Both are undone when the browser closes,
    so the tests after this package run as before.
    """
    from django.db import connections
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: run .ci/browser (apt-get install chromium)")
    seeds = {
        alias: getattr(connections[alias], "_test_serialized_contents", None)
        for alias in connections
    }
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            for alias, seed in seeds.items():
                if seed is not None:
                    connections[alias]._test_serialized_contents = seed
            browser = playwright.chromium.launch(
                executable_path=CHROMIUM,
                args=["--no-sandbox", "--disable-dev-shm-usage", "--lang=zh-CN"],
            )
            try:
                yield browser
            finally:
                browser.close()
                connections.close_all()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture
def page(browser: Any, live_server: Any) -> Iterator[Any]:
    """A page of a fresh browser context whose relative URLs go to the live server."""
    context = browser.new_context(
        base_url=live_server.url, locale="zh-CN", viewport={"width": 1280, "height": 900}
    )
    context.set_default_timeout(15_000)
    page = context.new_page()
    try:
        yield page
    finally:
        context.close()


@pytest.fixture
def shot(page: Any, request: pytest.FixtureRequest) -> Callable[[str], Path]:
    """``shot("step-name")`` saves a full-page screenshot, numbered in order, and returns it."""
    folder = ARTIFACTS / re.sub(r"[^\w.-]+", "_", request.node.name)
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True, exist_ok=True)
    counter = {"n": 0}

    def take(step: str) -> Path:
        counter["n"] += 1
        name = re.sub(r"[^\w.-]+", "-", step)
        path = folder / f"{counter['n']:02d}-{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take


def sign_in(page: Any, email: str, password: str = PASSWORD) -> None:
    """Sign in through the login form, as a person would, and check it worked."""
    page.goto("/accounts/login/")
    page.locator("#id_username").fill(email)
    page.locator("#id_password").fill(password)
    page.locator("main form.card button[type=submit]").click()
    page.wait_for_load_state()
    assert page.locator("header form[action$='/logout/']").count() == 1, page.content()[:2000]


def sign_out(page: Any) -> None:
    page.locator("header form[action$='/logout/'] button").click()
    page.wait_for_load_state()
