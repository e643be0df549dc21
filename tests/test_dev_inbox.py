from email.message import EmailMessage

import pytest

from notifications.devmail import Mailbox, MailboxHandler

pytestmark = pytest.mark.django_db


def _store(directory, subject: str) -> str:
    message = EmailMessage()
    message["Subject"] = subject
    message["From"] = "noreply@duijie.local"
    message["To"] = "a@example.com"
    message.set_content("纯文本")
    message.add_alternative("<p>HTML 部分</p>", subtype="html")

    class Envelope:
        original_content = message.as_bytes()
        content = original_content

    import asyncio

    asyncio.run(MailboxHandler(directory).handle_DATA(None, None, Envelope()))
    return Mailbox(directory).messages()[0].id


def test_the_dev_inbox_is_a_404_when_debug_is_off(client, settings, tmp_path):
    settings.DEBUG = False
    settings.DEV_MAILBOX_DIR = tmp_path
    message_id = _store(tmp_path, "hello")
    assert client.get("/dev/inbox/").status_code == 404
    assert client.get(f"/dev/inbox/{message_id}/").status_code == 404


def test_the_dev_inbox_lists_and_shows_both_parts(client, settings, tmp_path):
    settings.DEBUG = True
    settings.DEV_MAILBOX_DIR = tmp_path
    message_id = _store(tmp_path, "新的采购需求")
    assert "新的采购需求" in client.get("/dev/inbox/").content.decode()
    page = client.get(f"/dev/inbox/{message_id}/").content.decode()
    assert "纯文本" in page
    assert client.get(f"/dev/inbox/{message_id}/html/").content.decode() == "<p>HTML 部分</p>\n"


def test_the_dev_inbox_has_an_empty_state_and_rejects_path_tricks(client, settings, tmp_path):
    settings.DEBUG = True
    settings.DEV_MAILBOX_DIR = tmp_path
    assert "暂无邮件" in client.get("/dev/inbox/").content.decode()
    assert client.get("/dev/inbox/..%2F..%2Fetc%2Fpasswd/").status_code == 404
    assert client.get("/dev/inbox/.hidden/").status_code == 404
