"""From a match to a signed deal through the API: who may do what, and in which state."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.utils import timezone

from deals.models import AuditEvent, Deal, Interest
from deals.signals import transition
from procurement.models import ProcurementItem

pytestmark = pytest.mark.django_db


def url(match, action=None):
    base = f"/api/v1/matches/{match.pk}/"
    return f"{base}{action}/" if action else base


def test_the_full_path_from_match_to_deal(world, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    received = []

    def receiver(sender, event, **kwargs):
        received.append((event.verb, transaction.get_connection().in_atomic_block))

    transition.connect(receiver)
    try:
        supplier = world.client(world.supplier_user)
        buyer = world.client(world.buyer_user)

        # The supplier sees its match; the buyer's contact is not disclosed yet.
        listing = supplier.get("/api/v1/matches/").json()
        assert [m["id"] for m in listing["results"]] == [world.match.pk, world.match2.pk]
        first = listing["results"][0]
        assert first["buyer_contact"] is None
        assert first["interest"] is None
        assert first["list_title"] == world.plist.title

        # Opening it records "viewed" once.
        assert supplier.get(url(world.match)).status_code == 200
        assert supplier.get(url(world.match)).status_code == 200
        assert AuditEvent.objects.filter(match=world.match, verb="viewed").count() == 1

        # Interest with a quote and an attachment (multipart).
        response = supplier.post(
            url(world.match, "interest"),
            {
                "message": "我司可按期供货",
                "unit_price": "268.00",
                "total_price": "480000.00",
                "lead_time_days": "30",
                "valid_until": (timezone.localdate() + datetime.timedelta(days=60)).isoformat(),
                "attachment": SimpleUploadedFile(
                    "报价单.pdf", b"%PDF-1.4 quote", "application/pdf"
                ),
            },
            format="multipart",
        )
        assert response.status_code == 201, response.json()
        body = response.json()
        assert body["interest"]["status"] == "interested"
        assert body["interest"]["total_price"] == "480000.00"
        download = body["interest"]["attachment"]
        assert download.endswith(f"/interests/{world.match.interest.pk}/attachment/")
        # Staged disclosure: now the supplier sees the buyer's contact.
        assert body["buyer_contact"] == {"name": "四川测试建设集团", "contact_email": "cg@buyer.cn"}
        # ...on the other line of the same list too, but not before.
        other_line = supplier.get(url(world.match2)).json()
        assert other_line["buyer_contact"]["contact_email"] == "cg@buyer.cn"

        # The buyer ranks the interested suppliers of its line and shortlists.
        ranked = buyer.get(
            "/api/v1/matches/", {"need_item": world.item.pk, "has_interest": "true"}
        ).json()
        assert [m["supplier_name"] for m in ranked["results"]] == ["成都测试线缆有限公司"]
        response = buyer.post(url(world.match, "shortlist"))
        assert response.status_code == 200, response.json()
        assert response.json()["interest"]["status"] == "shortlisted"

        # The buyer records the deal; the line becomes awarded.
        response = buyer.post(
            "/api/v1/deals/",
            {
                "supplier": world.supplier.pk,
                "items": [world.item.pk],
                "amount": "470000.00",
                "signed_on": timezone.localdate().isoformat(),
                "contract_number": "CDJT-2027-0042",
            },
            format="json",
        )
        assert response.status_code == 201, response.json()
        deal = Deal.objects.get()
        assert response.json()["interests"] == [world.match.interest.pk]
        assert deal.amount == Decimal("470000.00")
        world.item.refresh_from_db()
        assert world.item.status == ProcurementItem.Status.AWARDED
        assert Interest.objects.get().status == Interest.Status.AWARDED

        # The attachment is for the two parties only.
        from django.test import Client

        for user, expected in (
            (world.buyer_user, 200),
            (world.supplier_user, 200),
            (world.other_user, 404),
        ):
            browser = Client()
            browser.force_login(user)
            response = browser.get(download)
            assert response.status_code == expected
            if expected == 200:
                assert b"".join(response.streaming_content) == b"%PDF-1.4 quote"

        # Both parties read the deal, another organization does not.
        assert supplier.get(f"/api/v1/deals/{deal.pk}/").status_code == 200
        assert buyer.get("/api/v1/deals/").json()["count"] == 1
        other = world.client(world.other_user)
        assert other.get(f"/api/v1/deals/{deal.pk}/").status_code == 404
        assert other.get("/api/v1/deals/").json()["count"] == 0
    finally:
        transition.disconnect(receiver)

    verbs = list(AuditEvent.objects.order_by("pk").values_list("verb", flat=True))
    assert verbs == [
        "viewed",
        "interest_expressed",
        "viewed",  # the other line's match
        "shortlisted",
        "deal_recorded",
        "awarded",
    ]
    # Every step told the receivers, inside its transaction.
    assert [v for v, _ in received] == verbs
    assert all(atomic for _, atomic in received)
    event = AuditEvent.objects.get(verb="shortlisted")
    assert event.actor == world.buyer_user and event.organization == world.buyer


def test_illegal_transitions_are_conflicts_with_a_reason(world):
    supplier = world.client(world.supplier_user)
    buyer = world.client(world.buyer_user)
    assert supplier.post(url(world.match, "interest"), {"message": "有意"}).status_code == 201
    # A second interest in the same match.
    response = supplier.post(url(world.match, "interest"), {"message": "again"})
    assert response.status_code == 409
    assert response.json()["code"] == "interest_exists"
    # Withdrawn, then shortlisted: refused.
    assert supplier.post(url(world.match, "withdraw")).status_code == 200
    response = buyer.post(url(world.match, "shortlist"))
    assert response.status_code == 409
    assert response.json()["detail"]
    # Withdrawing twice is refused too.
    assert supplier.post(url(world.match, "withdraw")).status_code == 409
    # Declining needs a reason (400 with the field), then works on a renewed interest.
    assert supplier.post(url(world.match, "interest"), {"message": "再次"}).status_code == 201
    response = buyer.post(url(world.match, "decline"), {})
    assert response.status_code == 400 and "reason" in response.json()
    response = buyer.post(url(world.match, "decline"), {"reason": "价格偏高"})
    assert response.status_code == 200
    assert response.json()["interest"]["decline_reason"] == "价格偏高"
    assert buyer.post(url(world.match, "shortlist")).status_code == 409
    assert AuditEvent.objects.get(verb="declined").data["reason"] == "价格偏高"


def test_no_interest_after_the_deadline_or_on_a_closed_line(world):
    supplier = world.client(world.supplier_user)
    world.plist.deadline = timezone.localdate() - datetime.timedelta(days=1)
    world.plist.save()
    response = supplier.post(url(world.match, "interest"), {"message": "迟到"})
    assert response.status_code == 409
    assert response.json()["code"] == "deadline_passed"

    world.plist.deadline = None
    world.plist.save()
    world.item.status = ProcurementItem.Status.CANCELLED
    world.item.save()
    response = supplier.post(url(world.match, "interest"), {"message": "有意"})
    assert response.status_code == 409 and response.json()["code"] == "line_not_open"

    world.plist.status = "closed"
    world.plist.save()
    response = supplier.post(url(world.match2, "interest"), {"message": "有意"})
    assert response.status_code == 409 and response.json()["code"] == "list_not_open"
    assert not Interest.objects.exists()


def test_a_second_deal_on_an_awarded_line_is_refused(world):
    buyer = world.client(world.buyer_user)
    payload = {
        "supplier": world.supplier.pk,
        "items": [world.item.pk],
        "amount": "100.00",
        "signed_on": timezone.localdate().isoformat(),
        "contract_number": "HT-1",
    }
    assert buyer.post("/api/v1/deals/", payload, format="json").status_code == 201
    response = buyer.post("/api/v1/deals/", {**payload, "contract_number": "HT-2"}, format="json")
    assert response.status_code == 409
    assert response.json()["code"] == "line_awarded"
    # Bad input is a 400 with the fields, never a 500.
    response = buyer.post(
        "/api/v1/deals/",
        {**payload, "items": [world.item2.pk], "amount": "0", "contract_number": ""},
        format="json",
    )
    assert response.status_code == 400
    assert {"contract_number"} <= set(response.json())
    response = buyer.post(
        "/api/v1/deals/", {**payload, "items": [world.item2.pk], "amount": "0"}, format="json"
    )
    assert response.status_code == 400 and "amount" in response.json()
    future = (timezone.localdate() + datetime.timedelta(days=3)).isoformat()
    response = buyer.post(
        "/api/v1/deals/",
        {**payload, "items": [world.item2.pk], "contract_number": "HT-3", "signed_on": future},
        format="json",
    )
    assert response.status_code == 400 and "signed_on" in response.json()
    response = buyer.post(
        "/api/v1/deals/",
        {
            **payload,
            "items": [world.item2.pk],
            "contract_number": "HT-4",
            "supplier": world.buyer.pk,
        },
        format="json",
    )
    assert response.status_code == 400 and "supplier" in response.json()
    assert Deal.objects.count() == 1


def test_each_side_does_only_its_own_steps(world):
    supplier = world.client(world.supplier_user)
    buyer = world.client(world.buyer_user)
    # A buyer cannot express interest or quote on the supplier's behalf.
    assert buyer.post(url(world.match, "interest"), {"message": "代报"}).status_code == 403
    assert supplier.post(url(world.match, "interest"), {"message": "有意"}).status_code == 201
    response = buyer.post(url(world.match, "quote"), {"total_price": "1.00"}, format="json")
    assert response.status_code == 403
    assert buyer.post(url(world.match, "withdraw")).status_code == 403
    # A supplier cannot shortlist, decline or record a deal.
    assert supplier.post(url(world.match, "shortlist")).status_code == 403
    assert supplier.post(url(world.match, "decline"), {"reason": "x"}).status_code == 403
    response = supplier.post(
        "/api/v1/deals/",
        {
            "supplier": world.supplier.pk,
            "items": [world.item.pk],
            "amount": "100.00",
            "signed_on": timezone.localdate().isoformat(),
            "contract_number": "HT-9",
        },
        format="json",
    )
    assert response.status_code == 400 and "items" in response.json()  # not its lines
    # The supplier changes its quote.
    response = supplier.post(
        url(world.match, "quote"), {"total_price": "450000.00", "lead_time_days": 20}
    )
    assert response.status_code == 200, response.json()
    assert response.json()["interest"]["total_price"] == "450000.00"
    assert response.json()["interest"]["message"] == "有意"
    assert Interest.objects.get().status == "interested"
    assert AuditEvent.objects.filter(verb="quote_updated").count() == 1


def test_another_organization_gets_404_on_a_match_it_does_not_own(world):
    other = world.client(world.other_user)
    assert other.get("/api/v1/matches/").json()["count"] == 0
    assert other.get(url(world.match)).status_code == 404
    for action in ("interest", "withdraw", "shortlist", "decline", "quote"):
        assert other.post(url(world.match, action), {"reason": "x"}).status_code == 404, action
    assert not AuditEvent.objects.exists()


def test_operators_see_every_match_and_the_contact(world, operator):
    client = world.client(operator)
    data = client.get("/api/v1/matches/").json()
    assert data["count"] == 2
    assert data["results"][0]["buyer_contact"]["contact_email"] == "cg@buyer.cn"
    # Operators read but do not act for a party.
    assert client.post(url(world.match, "interest"), {}).status_code == 403


def test_the_match_list_takes_a_bounded_number_of_queries(world, django_assert_max_num_queries):
    from deals import services
    from tests.factories import MatchFactory, ProcurementItemFactory, ProductFactory

    for n in range(12):
        item = ProcurementItemFactory(plist=world.plist)
        match = MatchFactory(
            need_item=item, offer_product=ProductFactory(supplier=world.supplier, published=True)
        )
        if n % 2:
            services.interest_express(match=match, by=world.supplier_user, message=f"第{n}")
    client = world.client(world.supplier_user)
    with django_assert_max_num_queries(12):
        data = client.get("/api/v1/matches/").json()
    assert data["count"] == 14
    assert sum(1 for m in data["results"] if m["interest"]) == 6


def test_filters_by_need_offer_status_and_score(world):
    supplier = world.client(world.supplier_user)

    def ids(params):
        return [m["id"] for m in supplier.get("/api/v1/matches/", params).json()["results"]]

    assert ids({"min_score": "0.6"}) == [world.match.pk]
    assert ids({"need": f"procurement_item:{world.item2.pk}"}) == [world.match2.pk]
    assert ids({"offer_product": world.product.pk}) == [world.match.pk, world.match2.pk]
    assert ids({"status": "retired"}) == []
    assert ids({"ordering": "score"}) == [world.match2.pk, world.match.pk]
    assert supplier.get("/api/v1/matches/", {"min_score": "abc"}).status_code == 400


def test_an_attachment_over_10_mb_is_refused(world, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    supplier = world.client(world.supplier_user)
    big = SimpleUploadedFile("big.pdf", b"0" * (10 * 1024 * 1024 + 1), "application/pdf")
    response = supplier.post(
        url(world.match, "interest"), {"message": "附件", "attachment": big}, format="multipart"
    )
    assert response.status_code == 400
    assert "attachment" in response.json()
    exe = SimpleUploadedFile("quote.exe", b"MZ", "application/octet-stream")
    response = supplier.post(url(world.match, "interest"), {"attachment": exe}, format="multipart")
    assert response.status_code == 400 and "attachment" in response.json()
    assert not Interest.objects.exists()


def test_the_buyer_contact_is_hidden_from_the_organizations_api_until_interest(world):
    supplier = world.client(world.supplier_user)
    org = supplier.get(f"/api/v1/organizations/{world.buyer.pk}/").json()
    assert org["contact_email"] == ""
    supplier.post(url(world.match, "interest"), {"message": "有意"})
    org = supplier.get(f"/api/v1/organizations/{world.buyer.pk}/").json()
    assert org["contact_email"] == "cg@buyer.cn"
    # Its own organization's contact stays visible to a member.
    own = supplier.get(f"/api/v1/organizations/{world.supplier.pk}/").json()
    assert own["contact_email"] == world.supplier.contact_email
    # The buyer now sees the supplier's contact, to answer; a stranger sees neither.
    buyer = world.client(world.buyer_user)
    assert (
        buyer.get(f"/api/v1/organizations/{world.supplier.pk}/").json()["contact_email"]
        == world.supplier.contact_email
    )
    other = world.client(world.other_user)
    assert other.get(f"/api/v1/organizations/{world.buyer.pk}/").json()["contact_email"] == ""
