"""The programme's figures on a small world whose totals are known by hand."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone
from django.utils.translation import gettext

from accounts.models import Badge, BadgeKind
from catalog.models import Category, Region
from deals import services
from deals.stats import notified_match_ids, programme_stats
from matching.models import Match
from notifications.models import Kind, Notification
from procurement.models import Opportunity, ProcurementItem
from tests.factories import (
    CategoryFactory,
    MatchFactory,
    MembershipFactory,
    OpportunityBatchFactory,
    OpportunityFactory,
    OrganizationFactory,
    ProcurementItemFactory,
    ProcurementListFactory,
    ProductFactory,
)

from .conftest import chain_category

pytestmark = pytest.mark.django_db


def rows(report, key):
    return {row["label"]: row for row in report.table(key).rows}


@pytest.fixture
def known_world():
    today = timezone.localdate()
    cab = chain_category()
    chain2 = CategoryFactory(
        code="TSTE.CH2",
        parent=CategoryFactory(code="TSTE", level=Category.Level.INDUSTRY, name_zh="第二产业"),
        level=Category.Level.CHAIN,
        name_zh="第二产业链",
    )
    pipe = CategoryFactory(
        code="TSTE.CH2.PIPE", parent=chain2, level=Category.Level.CATEGORY, name_zh="测试管材"
    )
    region = Region.objects.get
    b1 = OrganizationFactory(roles=["buyer"], name="甲集团", region=region(code="510100"))
    b2 = OrganizationFactory(roles=["buyer"], name="乙集团", region=region(code="511400"))
    b1_user = MembershipFactory(organization=b1).user
    b2_user = MembershipFactory(organization=b2).user
    deadline = today + datetime.timedelta(days=20)
    l1 = ProcurementListFactory(buyer=b1, published=True, deadline=deadline)
    l2 = ProcurementListFactory(buyer=b2, published=True, deadline=deadline)
    draft = ProcurementListFactory(buyer=b1)
    item = ProcurementItemFactory
    i1 = item(
        plist=l1, category=cab, budget=Decimal("500000"), delivery_region=region(code="510600")
    )
    i2 = item(plist=l1, category=pipe, budget=Decimal("300000"))
    item(plist=l1, budget=Decimal("200000"), status=ProcurementItem.Status.CANCELLED)
    item(plist=l1, budget=Decimal("50000"))  # uncategorised, never matched
    i4 = item(
        plist=l2, category=cab, budget=Decimal("1000000"), delivery_region=region(code="510114")
    )
    item(plist=draft, category=cab, budget=Decimal("9999"))

    s1 = OrganizationFactory(name="成都精品企业", region=region(code="510100"))
    s2 = OrganizationFactory(name="德阳配套企业", region=region(code="510600"))
    Badge.objects.create(
        organization=s1, kind=BadgeKind.CHENGDU_INDUSTRIAL_FINE, awarded_on=today.replace(day=1)
    )
    Badge.objects.create(  # expired: does not count
        organization=s2,
        kind=BadgeKind.LITTLE_GIANT,
        awarded_on=today - datetime.timedelta(days=800),
        expires_on=today - datetime.timedelta(days=30),
    )
    s1_user = MembershipFactory(organization=s1).user
    s2_user = MembershipFactory(organization=s2).user
    p1 = ProductFactory(supplier=s1, published=True)
    p2 = ProductFactory(supplier=s2, published=True)

    m1 = MatchFactory(need_item=i1, offer_product=p1, score=0.8, notify=True)
    m2 = MatchFactory(need_item=i1, offer_product=p2, score=0.3, notify=False, rank=2)
    m3 = MatchFactory(need_item=i4, offer_product=p1, score=0.9, notify=True)
    MatchFactory(need_item=i2, offer_product=p2, score=0.2, notify=False)
    MatchFactory(
        need_item=i2, offer_product=p1, score=0.5, notify=True, status=Match.Status.RETIRED
    )

    # The suppliers of the three matches worth notifying were emailed (the outbox says so).
    for match in Match.objects.filter(notify=True):
        Notification.objects.create(
            recipient_key=f"user:{match.pk}",
            email=f"told{match.pk}@example.com",
            kind=Kind.NEW_MATCH,
            subject_key=f"match:{match.pk}",
            match=match,
            status=Notification.Status.SENT,
            message_id=f"<told-{match.pk}@duijie.test>",
            next_attempt_at=timezone.now(),
        )

    for match, user in ((m1, s1_user), (m3, s1_user), (m2, s2_user)):
        services.match_mark_viewed(match=match, by=user)
        services.interest_express(match=match, by=user, message="有意", total_price=Decimal("1"))
    services.match_mark_viewed(match=m1, by=s1_user)  # a second view counts once
    services.interest_shortlist(interest=m1.interest, by=b1_user)
    services.interest_shortlist(interest=m3.interest, by=b2_user)
    services.interest_decline(interest=m2.interest, by=b1_user, reason="资质不符")
    services.deal_record(
        by=b1_user,
        supplier=s1,
        items=[i1],
        amount=Decimal("480000"),
        signed_on=today,
        contract_number="A-1",
    )
    services.deal_record(
        by=b2_user,
        supplier=s1,
        items=[i4],
        amount=Decimal("950000"),
        signed_on=today,
        contract_number="B-1",
    )

    batch = OpportunityBatchFactory(published=True, title="第一批", batch_no=1)
    financing = {"type": Opportunity.Type.FINANCING, "direction": Opportunity.Direction.DEMAND}
    OpportunityFactory(batch=batch, amount=Decimal("5000000"), **financing)
    OpportunityFactory(batch=batch, amount=Decimal("3000000"), **financing)
    OpportunityFactory(
        batch=batch, type=Opportunity.Type.PRODUCT, direction=Opportunity.Direction.SUPPLY
    )
    OpportunityFactory(batch=OpportunityBatchFactory(), amount=Decimal("1000000"), **financing)
    return {"today": today}


def test_published_procurement_by_buyer_chain_and_city(known_world):
    report = programme_stats()
    by_buyer = rows(report, "procurement_by_buyer")
    assert {k: (v["lines"], v["value"]) for k, v in by_buyer.items()} == {
        "乙集团": (1, Decimal("1000000")),
        "甲集团": (3, Decimal("850000")),
    }
    assert [r["label"] for r in report.table("procurement_by_buyer").rows] == ["乙集团", "甲集团"]
    by_chain = rows(report, "procurement_by_chain")
    assert {k: (v["lines"], v["value"]) for k, v in by_chain.items()} == {
        "测试产业链": (2, Decimal("1500000")),
        "第二产业链": (1, Decimal("300000")),
        gettext("Uncategorised"): (1, Decimal("50000")),
    }
    by_city = rows(report, "procurement_by_city")
    assert {k: (v["lines"], v["value"]) for k, v in by_city.items()} == {
        "成都市": (3, Decimal("1350000")),
        "德阳市": (1, Decimal("500000")),
    }


def test_opportunities_by_batch_and_type(known_world):
    report = programme_stats()
    (batch,) = report.table("opportunities_by_batch").rows
    assert batch["label"] == "第一批"
    assert (batch["count"], batch["demand"], batch["supply"], batch["financing_count"]) == (
        3,
        2,
        1,
        2,
    )
    assert batch["financing_amount"] == Decimal("8000000")
    by_type = {(r["type"], r["direction"]): r for r in report.table("opportunities_by_type").rows}
    assert by_type[("financing", "demand")]["count"] == 2
    assert by_type[("financing", "demand")]["amount"] == Decimal("8000000")


def test_the_funnel_overall_and_by_chain_city_badge_and_week(known_world):
    report = programme_stats()
    funnel = [(r["count"], r["amount"]) for r in report.table("funnel").rows]
    assert funnel == [
        (4, None),  # matches: the four active ones (the retired one had no interest)
        (2, None),  # notified
        (3, None),  # viewed
        (3, None),  # interested
        (2, None),  # shortlisted
        (2, Decimal("1430000")),  # deals
    ]
    assert Match.objects.filter(id__in=notified_match_ids()).count() == 3  # incl. the retired

    stages = ("matches", "notified", "viewed", "interested", "shortlisted", "deals")

    def figures(key):
        return {
            label: (tuple(row[s] for s in stages), row["signed_amount"])
            for label, row in rows(report, key).items()
        }

    assert figures("funnel_by_chain") == {
        "测试产业链": ((3, 2, 3, 3, 2, 2), Decimal("1430000")),
        "第二产业链": ((1, 0, 0, 0, 0, 0), Decimal("0")),
    }
    assert figures("funnel_by_city") == {
        "成都市": ((2, 2, 2, 2, 2, 2), Decimal("1430000")),
        "德阳市": ((2, 0, 1, 1, 0, 0), Decimal("0")),
    }
    by_badge = figures("funnel_by_badge")
    assert len(by_badge) == 2
    assert by_badge[str(BadgeKind.CHENGDU_INDUSTRIAL_FINE.label)] == (
        (2, 2, 2, 2, 2, 2),
        Decimal("1430000"),
    )
    assert by_badge[gettext("No badge")] == ((2, 0, 1, 1, 0, 0), Decimal("0"))
    year, week, _ = known_world["today"].isocalendar()
    assert figures("funnel_by_week") == {
        f"{year}-W{week:02d}": ((4, 2, 3, 3, 2, 2), Decimal("1430000"))
    }


def test_unmet_demand_by_category(known_world):
    report = programme_stats()
    unmet = report.table("unmet_demand").rows
    assert [(r["label"], r["chain"], r["lines"], r["value"]) for r in unmet] == [
        ("测试管材", "第二产业链", 1, Decimal("300000")),
        (gettext("Uncategorised"), "", 1, Decimal("50000")),
    ]


def test_the_stats_api_is_for_operators_only(known_world, operator, member_client):
    client, _user, _org = member_client
    assert client.get("/api/v1/stats/").status_code == 403
    from rest_framework.test import APIClient

    api = APIClient()
    assert api.get("/api/v1/stats/").status_code in (401, 403)
    api.force_authenticate(operator)
    data = api.get("/api/v1/stats/").json()
    tables = {t["key"]: t for t in data["tables"]}
    assert set(tables) == {
        "procurement_by_buyer",
        "procurement_by_chain",
        "procurement_by_city",
        "opportunities_by_batch",
        "opportunities_by_type",
        "funnel",
        "funnel_by_chain",
        "funnel_by_city",
        "funnel_by_badge",
        "funnel_by_week",
        "unmet_demand",
    }
    assert tables["funnel"]["rows"][-1] == {
        "label": gettext("Deals"),
        "count": 2,
        "amount": "1430000.00",
    }
    assert tables["procurement_by_buyer"]["rows"][0]["value"] == "1000000.00"
