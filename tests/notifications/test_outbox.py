"""Who is told about what, once: the outbox rows written with the matches."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
import time_machine
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from matching.services import match_objects
from notifications import delivery, services
from notifications.models import Frequency, Kind, Notification, Preference, Suppression, Watch
from procurement import services as procurement_services
from procurement.models import ProcurementItem
from tests.factories import MembershipFactory, ProcurementItemFactory, UserFactory

from .conftest import World, cable_world

pytestmark = pytest.mark.django_db


def test_a_good_match_writes_one_notification_per_supplier_member(world: World) -> None:
    match = world.match()
    assert match.notify
    rows = Notification.objects.filter(kind=Kind.NEW_MATCH)
    assert [(n.user, n.match, n.status) for n in rows] == [
        (world.seller, match, Notification.Status.PENDING)
    ]
    assert rows[0].message_id.startswith("<") and rows[0].message_id.endswith(">")


def test_matching_again_writes_nothing_new(world: World) -> None:
    world.match()
    before = list(Notification.objects.values_list("pk", "message_id", "status"))
    world.match()
    match_objects(kind="procurement_item", ids=[world.item.pk])
    assert list(Notification.objects.values_list("pk", "message_id", "status")) == before


def test_an_organization_without_members_is_written_to_at_its_contact_email(db: None) -> None:
    world = cable_world(with_members=False)
    world.match()
    row = Notification.objects.get(kind=Kind.NEW_MATCH)
    assert row.user is None
    assert row.email == world.supplier.contact_email
    assert row.recipient_key == f"email:{world.supplier.contact_email}"


def test_the_buyer_gets_one_summary_per_list_when_every_line_is_matched(world: World) -> None:
    second = ProcurementItemFactory(plist=world.plist, name="不锈钢阀门 DN100")
    match_objects(kind="product", ids=[world.product.pk])
    match_objects(kind="procurement_item", ids=[world.item.pk])
    assert not Notification.objects.filter(kind=Kind.LIST_SUMMARY).exists()  # a line is left
    match_objects(kind="procurement_item", ids=[second.pk])
    summary = Notification.objects.get(kind=Kind.LIST_SUMMARY)
    assert summary.user == world.purchaser
    assert summary.context["lines"] == 2
    assert summary.context["suitable"] == 1
    assert "2 条明细中有 1 条" in delivery.headline(summary)
    with CaptureQueriesContext(connection) as queries:
        match_objects(kind="procurement_item", ids=[world.item.pk, second.pk])
    assert Notification.objects.filter(kind=Kind.LIST_SUMMARY).count() == 1
    # Told already: the list's lines are not walked again (a 100,000-line list took 0.85 s).
    assert not [q for q in queries.captured_queries if "ORDER BY i.id DESC" in q["sql"]]
    # The buyer's members are read with the suppliers', in the chunk's one read of them.
    members = [q for q in queries.captured_queries if 'FROM "accounts_membership"' in q["sql"]]
    assert len(members) == 1, [q["sql"] for q in members]


def test_a_buyer_never_gets_one_email_per_line(world: World) -> None:
    for n in range(5):
        ProcurementItemFactory(plist=world.plist, name=f"交联聚乙烯绝缘电力电缆 {n}")
    ids = list(world.plist.items.values_list("pk", flat=True))
    match_objects(kind="product", ids=[world.product.pk])
    match_objects(kind="procurement_item", ids=ids)
    assert Notification.objects.filter(user=world.purchaser).count() == 1


def test_daily_preference_holds_and_off_skips(world: World) -> None:
    Preference.objects.create(user=world.seller, kind=Kind.NEW_MATCH, frequency=Frequency.DAILY)
    world.match()
    assert Notification.objects.get(kind=Kind.NEW_MATCH).status == Notification.Status.HELD

    other = cable_world(supplier_name="眉山电缆厂")
    Preference.objects.create(user=other.seller, kind=Kind.NEW_MATCH, frequency=Frequency.OFF)
    other.match()
    rows = Notification.objects.filter(kind=Kind.NEW_MATCH, user=other.seller)
    assert rows and {r.status for r in rows} == {"skipped"}  # in the inbox, never emailed


def test_the_daily_cap_rolls_the_rest_into_the_digest(world: World, settings) -> None:
    settings.NOTIFICATIONS = {**settings.NOTIFICATIONS, "DAILY_CAP": 2}
    recipient = services.recipients_for(world.supplier)
    statuses = []
    for n in range(3):
        services.enqueue(recipient, kind=Kind.NEW_MATCH, subject_key=f"match:x{n}")
        statuses.append(Notification.objects.get(subject_key=f"match:x{n}").status)
    assert statuses == ["pending", "pending", "held"]


def _status_recipients(extra: int) -> list[services.Recipient]:
    """A recipient of each kind of status, and ``extra`` plain addresses."""
    daily, off, plain = UserFactory(), UserFactory(), UserFactory()
    Preference.objects.create(user=daily, kind=Kind.NEW_MATCH, frequency=Frequency.DAILY)
    Preference.objects.create(user=off, kind=Kind.NEW_MATCH, frequency=Frequency.OFF)
    Suppression.objects.create(email="Stop@Example.com", kind="", reason="unsubscribed")

    def user(u: object) -> services.Recipient:
        return services.Recipient(f"user:{u.pk}", u.email, "zh-hans", None, u.pk, ("supplier",))

    def address(email: str) -> services.Recipient:
        return services.Recipient(f"email:{email.lower()}", email, "zh-hans", None)

    capped = address("capped@example.com")
    services.enqueue([capped], kind=Kind.NEW_MATCH, subject_key="match:earlier")  # at the cap
    return [
        user(daily),
        user(off),
        user(plain),
        address("stop@EXAMPLE.com"),
        capped,
        *(address(f"plain{n}@example.com") for n in range(extra)),
    ]


@pytest.mark.parametrize("batched", [False, True])
def test_a_batch_decides_each_status_as_one_recipient_at_a_time(settings, batched: bool) -> None:
    settings.NOTIFICATIONS = {**settings.NOTIFICATIONS, "DAILY_CAP": 1}
    recipients = _status_recipients(extra=2)
    if batched:
        with services.batch():
            services.enqueue(recipients, kind=Kind.NEW_MATCH, subject_key="match:new")
    else:
        services.enqueue(recipients, kind=Kind.NEW_MATCH, subject_key="match:new")
    statuses = dict(
        Notification.objects.filter(subject_key="match:new").values_list("recipient_key", "status")
    )
    daily, off, plain = (r.key for r in recipients[:3])
    assert statuses == {
        daily: "held",  # a daily digest
        off: "skipped",  # in the inbox, never emailed
        plain: "pending",
        # stop@example.com: unsubscribed from everything, no account: no row at all
        "email:capped@example.com": "held",  # over the daily cap
        "email:plain0@example.com": "pending",
        "email:plain1@example.com": "pending",
    }


def test_a_batch_reads_the_recipients_statuses_in_a_few_statements(settings) -> None:
    settings.NOTIFICATIONS = {**settings.NOTIFICATIONS, "DAILY_CAP": 1}
    counts = []
    for n, extra in enumerate([2, 12]):
        recipients = _status_recipients(extra)
        with services.batch(), CaptureQueriesContext(connection) as queries:
            services.enqueue(recipients, kind=Kind.NEW_MATCH, subject_key=f"match:n{n}")
        counts.append(len(queries))
        Suppression.objects.all().delete()
    assert counts[0] == counts[1] <= 5  # three lookups and the insert, however many recipients


def test_an_add_watch_brings_in_a_match_the_matcher_would_not_alert(world: World) -> None:
    match = world.match()
    Notification.objects.all().delete()
    match.notify = False
    match.save()
    Watch.objects.create(
        organization=world.supplier, name="大单", mode=Watch.Mode.ADD, min_budget=Decimal("500000")
    )
    need = match_need_document(world)
    assert services.notify_matches(need, [match]) == 1


def test_an_only_watch_narrows_alerts_to_what_fits_it(world: World) -> None:
    match = world.match()
    Notification.objects.all().delete()
    Watch.objects.create(
        organization=world.supplier, name="雅安", mode=Watch.Mode.ONLY, regions=["511800"]
    )
    need = match_need_document(world)
    assert services.notify_matches(need, [match]) == 0
    Watch.objects.create(
        organization=world.supplier, name="成都", mode=Watch.Mode.ONLY, regions=["510100"]
    )
    assert services.notify_matches(need, [match]) == 1


def match_need_document(world: World):
    from matching.models import Document

    return Document.objects.get(key=f"procurement_item:{world.item.pk}")


def test_not_relevant_stops_the_pair_for_good(world: World) -> None:
    match = world.match()
    services.dismiss_match(match=match, organization=world.supplier, user=world.seller)
    services.dismiss_match(match=match, organization=world.supplier, user=world.seller)
    assert Notification.objects.get(kind=Kind.NEW_MATCH).status == Notification.Status.SKIPPED
    Notification.objects.all().delete()
    world.match()
    assert not Notification.objects.filter(kind=Kind.NEW_MATCH).exists()
    assert match.feedback.count() == 1


def _sent(world: World) -> None:
    world.match()
    Notification.objects.filter(kind=Kind.NEW_MATCH).update(status=Notification.Status.SENT)


def test_a_material_edit_tells_the_supplier_once(world: World) -> None:
    _sent(world)
    procurement_services.procurement_item_update(
        item=world.item, by=world.purchaser, quantity=Decimal("3000")
    )
    update = Notification.objects.get(kind=Kind.UPDATE)
    assert update.user == world.seller
    assert list(update.context["changes"]) == ["quantity"]
    procurement_services.procurement_item_update(item=world.item, by=world.purchaser, line_no=7)
    assert Notification.objects.filter(kind=Kind.UPDATE).count() == 1  # not material


def test_cancelling_a_line_or_moving_the_deadline_tells_the_supplier(world: World) -> None:
    _sent(world)
    procurement_services.procurement_list_update(
        plist=world.plist, by=world.purchaser, deadline=timezone.localdate() + datetime.timedelta(9)
    )
    procurement_services.procurement_item_cancel(item=world.item, by=world.purchaser)
    changes = sorted(
        Notification.objects.filter(kind=Kind.UPDATE).values_list("context__change", flat=True)
    )
    assert changes == ["cancelled", "deadline"]


def test_a_supplier_never_told_gets_no_update(world: World) -> None:
    world.match()  # pending, not yet sent
    procurement_services.procurement_item_cancel(item=world.item, by=world.purchaser)
    assert not Notification.objects.filter(kind=Kind.UPDATE).exists()
    assert world.item.status == ProcurementItem.Status.CANCELLED


@time_machine.travel(datetime.datetime(2026, 11, 27, 8, 0, tzinfo=datetime.UTC), tick=False)
def test_the_digest_collects_what_is_held_and_nothing_means_no_email(world: World) -> None:
    assert services.digests_build() == 0
    Preference.objects.create(user=world.seller, kind=Kind.NEW_MATCH, frequency=Frequency.DAILY)
    world.match()
    assert services.digests_build() == 1
    digest = Notification.objects.get(kind=Kind.DIGEST)
    assert digest.items.count() == 1
    assert digest.status == Notification.Status.PENDING
    assert services.digests_build() == 0  # nothing new since


@time_machine.travel(datetime.datetime(2026, 11, 26, 0, 0, tzinfo=datetime.UTC), tick=False)
def test_weekly_kinds_wait_for_monday(world: World) -> None:
    Preference.objects.create(user=world.seller, kind=Kind.NEW_MATCH, frequency=Frequency.WEEKLY)
    world.match()
    assert services.digests_build() == 0  # a Thursday in Asia/Shanghai
    with time_machine.travel(datetime.datetime(2026, 11, 30, 0, 0, tzinfo=datetime.UTC)):
        assert services.digests_build() == 1


def test_a_digest_renders_its_items(world: World) -> None:
    Preference.objects.create(user=world.seller, kind=Kind.NEW_MATCH, frequency=Frequency.DAILY)
    world.match()
    services.digests_build()
    digest = Notification.objects.get(kind=Kind.DIGEST)
    message = delivery.render(digest)
    assert "交联聚乙烯绝缘电力电缆" in message.body
    assert message.extra_headers["Message-ID"] == digest.message_id


def test_rendering_follows_the_recipients_language(world: World) -> None:
    world.seller.language = "en"
    world.seller.save()
    world.match()
    row = Notification.objects.get(kind=Kind.NEW_MATCH)
    message = delivery.render(row)
    assert message.subject.startswith("New buyer need fits your product")
    assert "90 ten thousand yuan" in message.body
    world.seller.language = "zh-hans"
    row.language = "zh-hans"
    assert "新的采购需求" in delivery.render(row).subject


def test_headers_carry_one_click_unsubscribe(world: World) -> None:
    world.match()
    message = delivery.render(Notification.objects.get(kind=Kind.NEW_MATCH))
    headers = message.extra_headers
    assert headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    https, mailto = headers["List-Unsubscribe"].split(", ")
    assert https.startswith("<http") and "/notifications/unsubscribe/" in https
    assert mailto.startswith("<mailto:")


def test_user_data_cannot_add_headers(db: None) -> None:
    world = cable_world(supplier_name="x")
    world.buyer.name = "恶意公司\r\nBcc: attacker@example.net"
    world.buyer.save()
    world.match()
    message = delivery.render(Notification.objects.get(kind=Kind.NEW_MATCH))
    assert "\n" not in message.subject and "\r" not in message.subject
    parsed = message.message()
    assert parsed["Bcc"] is None
    assert "attacker" not in "".join(f"{k}: {v}" for k, v in parsed.items() if k != "Subject")
    assert message.recipients() == [world.seller.email]


def test_sending_records_sent_and_uses_the_stored_message_id(world: World, settings) -> None:
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    world.match()
    outcome = delivery.send_due()
    assert outcome.sent == 2  # the supplier's match and the buyer's list summary
    row = Notification.objects.get(kind=Kind.NEW_MATCH)
    assert row.status == Notification.Status.SENT and row.attempts == 1
    ids = {m.extra_headers["Message-ID"] for m in mail.outbox}
    assert row.message_id in ids
    assert delivery.send_due().sent == 0


def test_a_retired_match_is_not_announced(world: World, settings) -> None:
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    match = world.match()
    match.status = "retired"
    match.save()
    delivery.send_due()
    assert Notification.objects.get(kind=Kind.NEW_MATCH).status == Notification.Status.SKIPPED
    assert [m.to for m in mail.outbox] == [[world.purchaser.email]]  # only the list summary


def test_a_second_member_is_told_too(world: World) -> None:
    colleague = MembershipFactory(organization=world.supplier).user
    world.match()
    assert set(Notification.objects.values_list("user", flat=True)) >= {
        world.seller.pk,
        colleague.pk,
    }


def test_an_opportunity_without_an_enterprise_is_announced_in_its_publishers_name(
    world: World,
) -> None:
    from tests.factories import OpportunityFactory

    opportunity = OpportunityFactory(
        batch__published=True, title="德阳市电网改造电力电缆需求", amount=Decimal("2000000")
    )
    match = world.match()
    match.need_item = None
    match.need_opportunity = opportunity
    match.need_key = f"opportunity:{opportunity.pk}"
    match.save()
    message = delivery.render(Notification.objects.get(kind=Kind.NEW_MATCH))
    assert opportunity.batch.publisher.name in message.subject
    assert "200万元" in message.body


def test_the_sweeper_sends_what_a_dead_worker_or_a_lost_message_left(
    world: World, settings
) -> None:
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    world.match()
    long_ago = timezone.now() - datetime.timedelta(hours=1)
    # One row claimed by a worker that died mid-send; the other never woken (lost message).
    stuck, lost = Notification.objects.order_by("pk")
    Notification.objects.filter(pk=stuck.pk).update(
        status=Notification.Status.SENDING, claimed_at=long_ago, attempts=1
    )
    Notification.objects.filter(pk=lost.pk).update(next_attempt_at=long_ago)
    assert delivery.sweep() == 2  # both due again; the sender ran (eagerly, in this test)
    stuck.refresh_from_db()
    assert stuck.status == Notification.Status.SENT and stuck.attempts == 2
    assert {m.extra_headers["Message-ID"] for m in mail.outbox} == {
        stuck.message_id,
        lost.message_id,
    }  # a resend carries the Message-ID it was given when it was written


def test_a_row_claimed_recently_is_left_to_its_worker(world: World) -> None:
    world.match()
    row = Notification.objects.order_by("pk").first()
    Notification.objects.filter(pk=row.pk).update(
        status=Notification.Status.SENDING, claimed_at=timezone.now()
    )
    delivery.sweep()
    row.refresh_from_db()
    assert row.status == Notification.Status.SENDING


def test_temporary_and_permanent_smtp_failures_are_told_apart() -> None:
    import smtplib

    assert delivery.classify(ConnectionRefusedError())[0] is False
    assert delivery.classify(smtplib.SMTPDataError(451, b"busy"))[0] is False
    assert delivery.classify(smtplib.SMTPDataError(550, b"no such user"))[0] is True
    refused = smtplib.SMTPRecipientsRefused({"a@example.com": (550, b"unknown")})
    assert delivery.classify(refused)[0] is True
    assert delivery.classify(smtplib.SMTPServerDisconnected())[0] is False


def test_backoff_grows_with_jitter_and_is_capped(settings) -> None:
    settings.NOTIFICATIONS = {
        **settings.NOTIFICATIONS,
        "RETRY_BASE_SECONDS": 30,
        "RETRY_MAX_SECONDS": 3600,
    }
    first = [delivery.backoff(1) for _ in range(50)]
    assert all(15 <= d <= 30 for d in first) and len(set(first)) > 1
    assert all(60 <= delivery.backoff(3) <= 120 for _ in range(20))
    assert all(delivery.backoff(20) <= 3600 for _ in range(20))
