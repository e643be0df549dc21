"""Registration → verification email → sign-in, through the real worker and SMTP sink."""

import re

import pytest
from rest_framework.test import APIClient

from tests.conftest import wait_for_mail

pytestmark = [
    pytest.mark.integration,
    # A transactional test's flush without serialized rollback runs post_migrate, which makes
    # the content types again under new ids; a later test restoring the serialized ones then
    # collides with them. Every transactional test here restores and leaves the tables empty.
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_it_registers_verifies_by_emailed_link_and_signs_in(real_worker, client):
    api = APIClient()
    response = api.post(
        "/api/v1/auth/register/",
        {"email": "chen.jing@example.com", "password": "川能-2026-secure", "name": "陈静"},
        format="json",
    )
    assert response.status_code == 201, response.content

    # The worker, not this process, rendered and sent it over SMTP.
    message = wait_for_mail(real_worker, to="chen.jing@example.com")
    assert message.subject == "确认您在对接平台的邮箱"
    assert message.html is not None
    link = re.search(r"https?://\S+/accounts/verify/\S+/", message.text).group(0)
    path = link.split("://", 1)[1].split("/", 1)[1]

    before = client.post(
        "/accounts/login/", {"username": "chen.jing@example.com", "password": "川能-2026-secure"}
    )
    assert before.status_code == 200  # refused until verified

    assert client.get("/" + path).status_code == 302
    after = client.post(
        "/accounts/login/", {"username": "chen.jing@example.com", "password": "川能-2026-secure"}
    )
    assert after.status_code == 302
    assert client.get("/").context["user"].email == "chen.jing@example.com"


def test_the_dev_inbox_shows_what_the_sink_received(real_worker, client, settings):
    settings.DEBUG = True
    settings.DEV_MAILBOX_DIR = real_worker.directory
    APIClient().post(
        "/api/v1/auth/register/",
        {"email": "inbox@example.com", "password": "川能-2026-secure"},
        format="json",
    )
    message = wait_for_mail(real_worker, to="inbox@example.com")
    listing = client.get("/dev/inbox/").content.decode()
    assert "inbox@example.com" in listing
    assert message.subject in listing
    detail = client.get(f"/dev/inbox/{message.id}/").content.decode()
    assert "Message-ID" in detail
    assert "/accounts/verify/" in detail  # the text part
    html = client.get(f"/dev/inbox/{message.id}/html/")
    assert html.status_code == 200
    assert "sandbox" in html["Content-Security-Policy"]
