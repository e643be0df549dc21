"""Notifications end to end: a real Celery worker sends the outbox to a real SMTP server."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.db import transaction
from django.test import Client

from matching.services import match_objects
from matching.tasks import match_object_ids
from notifications import services
from notifications.models import Kind, Notification, Suppression
from notifications.tasks import send_due
from procurement import services as procurement_services
from procurement.models import ProcurementList
from tests.notifications.conftest import World, cable_world

pytestmark = [
    pytest.mark.integration,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def _wait_for(predicate: Callable[[], object], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.2)
    raise AssertionError(f"not done within {timeout} s")


def _draft_world(**kwargs) -> World:
    world = cable_world(**kwargs)
    ProcurementList.objects.filter(pk=world.plist.pk).update(status="draft", published_at=None)
    world.plist.refresh_from_db()
    match_objects(kind="product", ids=[world.product.pk])  # the catalogue is indexed already
    return world


def _publish(world: World) -> None:
    procurement_services.procurement_list_publish(plist=world.plist, by=world.purchaser)


def _all_sent() -> bool:
    rows = Notification.objects.exclude(status__in=["skipped", "held", "digested"])
    return rows.exists() and not rows.exclude(status="sent").exists()


def test_publishing_a_list_emails_supplier_and_buyer_once(real_worker, sink) -> None:
    world = _draft_world()
    _publish(world)
    _wait_for(lambda: len(real_worker.messages()) >= 2 and _all_sent())
    by_recipient = {m.to: m for m in real_worker.messages()}
    assert set(by_recipient) == {world.seller.email, world.purchaser.email}
    alert = by_recipient[world.seller.email]
    assert "交联聚乙烯绝缘电力电缆" in alert.subject
    assert "90万元" in (alert.text or "")
    assert alert.message_id == Notification.objects.get(kind=Kind.NEW_MATCH).message_id
    summary = by_recipient[world.purchaser.email]
    assert "1" in summary.subject and world.plist.title in summary.subject

    # Matching again sends nothing new.
    match_object_ids.delay("procurement_item", [world.item.pk]).get(timeout=60)
    send_due.delay().get(timeout=60)
    assert len(real_worker.messages()) == 2

    # One-click unsubscribe, as a mail client does it: a POST to the header's URL, no cookies.
    https = alert.message["List-Unsubscribe"].split(",")[0].strip().strip("<>")
    assert https.startswith(settings.SITE_URL)
    response = Client(enforce_csrf_checks=True).post(
        urlsplit(https).path,
        data="List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 200
    assert services.preferences_for(world.seller)["new_match"] == "off"


def test_smtp_down_then_up_delivers_every_email_once(real_worker, sink) -> None:
    sink.stop()
    world = _draft_world()
    _publish(world)
    _wait_for(lambda: Notification.objects.filter(attempts__gte=2, status="pending").count() >= 2)
    assert real_worker.messages() == []
    sink.start()
    _wait_for(_all_sent, timeout=60)
    ids = Counter(m.message_id for m in real_worker.messages())
    expected = set(Notification.objects.filter(status="sent").values_list("message_id", flat=True))
    assert set(ids) == expected and len(expected) == 2
    assert set(ids.values()) == {1}


def _one_notification(email: str) -> Notification:
    world = cable_world(with_members=False)
    recipient = services.Recipient(
        key=f"email:{email}", email=email, language="zh-hans", organization_id=world.supplier.pk
    )
    with transaction.atomic():
        services.enqueue(
            [recipient],
            kind=Kind.LIST_SUMMARY,
            subject_key="list:test",
            context={"lines": 3, "suitable": 2, "title": "测试清单"},
        )
    return Notification.objects.get(email=email)


def test_a_4xx_twice_then_accepted_is_one_message(real_worker, sink) -> None:
    sink.handler.fail_next("451 4.3.0 Mailbox busy, try again later", times=2)
    row = _one_notification("busy@example.com")
    _wait_for(lambda: Notification.objects.get(pk=row.pk).status == "sent")
    row.refresh_from_db()
    assert row.attempts == 3 and sink.handler.attempts == 3
    messages = real_worker.messages()
    assert [m.message_id for m in messages] == [row.message_id]


def test_a_5xx_is_not_retried_and_marks_the_address(real_worker, sink) -> None:
    sink.handler.fail_next("550 5.1.1 No such user here", times=1)
    row = _one_notification("nobody@example.com")
    _wait_for(lambda: Notification.objects.get(pk=row.pk).status == "failed")
    time.sleep(3)  # longer than every retry delay the worker uses in these tests
    row.refresh_from_db()
    assert row.attempts == 1 and sink.handler.attempts == 1
    assert "550" in row.last_error
    assert Suppression.objects.filter(email="nobody@example.com", reason="undeliverable").exists()
    assert real_worker.messages() == []


def test_a_header_injection_attempt_adds_no_recipient(real_worker, sink) -> None:
    world = _draft_world()
    world.buyer.name = "恶意公司\r\nBcc: attacker@example.net"
    world.buyer.save()
    _publish(world)
    _wait_for(lambda: _all_sent() and len(real_worker.messages()) >= 2)
    for message in real_worker.messages():
        assert message.envelope_to == [message.to]
        assert message.message["Bcc"] is None
    assert all("attacker" not in m.to for m in real_worker.messages())


def test_the_morning_digest_is_sent_once_and_nothing_new_sends_nothing(real_worker, sink) -> None:
    import datetime

    import time_machine

    from notifications.models import Frequency, Preference

    world = _draft_world()
    Preference.objects.create(user=world.seller, kind=Kind.NEW_MATCH, frequency=Frequency.DAILY)
    _publish(world)
    _wait_for(lambda: Notification.objects.filter(kind=Kind.NEW_MATCH, status="held").exists())
    _wait_for(lambda: len(real_worker.messages()) == 1)  # the buyer's summary only
    # The last 08:00 in Chengdu: the worker only sends rows that are due by its own clock.
    from django.utils import timezone

    morning = timezone.localtime().replace(hour=8, minute=0, second=0, microsecond=0)
    if morning > timezone.now():
        morning -= datetime.timedelta(days=1)
    with time_machine.travel(morning, tick=False):
        assert services.digests_build() == 1
    _wait_for(lambda: len(real_worker.messages()) == 2)
    digest = next(m for m in real_worker.messages() if m.to == world.seller.email)
    assert "交联聚乙烯绝缘电力电缆" in (digest.text or "")
    assert digest.message_id == Notification.objects.get(kind=Kind.DIGEST).message_id
    with time_machine.travel(morning + datetime.timedelta(days=1), tick=False):
        assert services.digests_build() == 0  # nothing new: no digest row, no email
    send_due.delay().get(timeout=60)
    assert len(real_worker.messages()) == 2
