import csv
import datetime
import io
from decimal import Decimal

import pytest
from django.utils import timezone
from openpyxl import load_workbook

from accounts.models import Organization
from catalog.models import Category, Region
from procurement.models import (
    Opportunity,
    OpportunityBatch,
    ProcurementEvent,
    ProcurementItem,
    ProcurementList,
)
from tests.factories import (
    CategoryFactory,
    MembershipFactory,
    OpportunityBatchFactory,
    OpportunityFactory,
    OrganizationFactory,
    ProcurementItemFactory,
    ProcurementListFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

LISTS = "/api/v1/procurement-lists/"
ITEMS = "/api/v1/procurement-items/"
BATCHES = "/api/v1/opportunity-batches/"
OPPORTUNITIES = "/api/v1/opportunities/"
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
S = ProcurementList.Status


def in_days(days):
    return timezone.localdate() + datetime.timedelta(days=days)


@pytest.fixture
def tree():
    industry = CategoryFactory(code="TST", level=Category.Level.INDUSTRY, name_zh="测试装备")
    chain = CategoryFactory(
        code="TST.CAB", level=Category.Level.CHAIN, parent=industry, name_zh="测试线缆链"
    )
    power = CategoryFactory(
        code="TST.CAB.POWER",
        level=Category.Level.CATEGORY,
        parent=chain,
        name_zh="测试电力电缆",
        synonyms=["蜀测缆"],
    )
    hose = CategoryFactory(
        code="TST.HOSE",
        level=Category.Level.CHAIN,
        parent=industry,
        name_zh="测试水带",
        synonyms=["蜀测水带"],
    )
    return {"industry": industry, "chain": chain, "power": power, "hose": hose}


@pytest.fixture
def buyer_client(api):
    """An API client signed in as a member of a verified buyer."""
    membership = MembershipFactory(organization=OrganizationFactory(roles=["buyer", "supplier"]))
    api.force_authenticate(membership.user)
    return api, membership.user, membership.organization


def new_list(client, buyer, items, **extra):
    response = client.post(
        LISTS,
        {"buyer": buyer.pk, "title": "2027年物资集中采购清单", "items": items, **extra},
        format="json",
    )
    assert response.status_code == 201, response.content
    return response.json()


# --- Create ---------------------------------------------------------------------------------


def test_a_buyer_creates_a_list_with_lines_in_one_request(buyer_client, tree):
    client, user, buyer = buyer_client
    body = new_list(
        client,
        buyer,
        [
            {
                "name": "蜀测缆 3×240",
                "quantity": "500",
                "unit": "米",
                "budget": "150000",
                "delivery_region": "德阳市",
                "required_certifications": ["CCC"],
            },
            {
                "name": "水带",
                "category": "TST.HOSE",
                "quantity": "40",
                "unit": "盘",
                "budget": "9630.50",
                "delivery_region": "成都市新都区",
            },
            {"name": "qqq无从归类qqq", "quantity": "1"},
        ],
        deadline=in_days(30).isoformat(),
        description="房建项目",
    )
    assert body["status"] == "draft"
    assert body["buyer"] == buyer.pk
    assert body["buyer_name"] == buyer.name
    assert body["line_count"] == 3
    assert Decimal(body["total_budget"]) == Decimal("159630.50")
    cable, hose, odd = body["items"]
    assert [cable["line_no"], hose["line_no"], odd["line_no"]] == [1, 2, 3]
    assert cable["delivery_region"] == "510600"
    assert cable["delivery_region_name"] == "德阳市"
    assert cable["category"] == "TST.CAB.POWER"
    assert cable["category_inferred"] is True
    assert hose["delivery_region"] == "510114"
    assert hose["category"] == "TST.HOSE"
    assert hose["category_inferred"] is False
    assert odd["category"] is None
    assert odd["category_inferred"] is False

    plist = ProcurementList.objects.get(pk=body["id"])
    assert plist.created_by == user
    assert plist.items.count() == 3
    assert plist.items.get(line_no=1).delivery_region == Region.objects.get(code="510600")
    assert list(plist.events.values_list("kind", flat=True)) == [ProcurementEvent.Kind.CREATED]


def test_a_list_for_an_organization_you_do_not_belong_to_is_forbidden(buyer_client):
    client, _user, _buyer = buyer_client
    stranger = OrganizationFactory(roles=["buyer"])
    response = client.post(
        LISTS, {"buyer": stranger.pk, "title": "冒名清单", "items": []}, format="json"
    )
    assert response.status_code == 403, response.content
    assert not ProcurementList.objects.exists()


def test_an_organization_that_is_not_a_buyer_cannot_create_lists(member_client):
    client, _user, supplier = member_client
    response = client.post(
        LISTS, {"buyer": supplier.pk, "title": "供应商清单"}, format="json", **EN
    )
    assert response.status_code == 400, response.content
    assert "not registered as a buyer" in str(response.json())
    assert not ProcurementList.objects.exists()


@pytest.mark.parametrize(
    ("line", "field"),
    [
        ({"quantity": "0"}, "quantity"),
        ({"quantity": "-5"}, "quantity"),
        ({"budget": "-1"}, "budget"),
        ({"delivery_region": "火星市"}, "delivery_region"),
        ({"category": "qqq绝无此类目qqq"}, "category"),
        ({"name": ""}, "name"),
    ],
)
def test_a_bad_line_is_a_400_and_creates_nothing(buyer_client, tree, line, field):
    client, _user, buyer = buyer_client
    response = client.post(
        LISTS,
        {
            "buyer": buyer.pk,
            "title": "清单",
            "items": [{"name": "好的一行", "quantity": "1"}, {"name": "坏的一行", **line}],
        },
        format="json",
    )
    assert response.status_code == 400, response.content
    errors = response.json()["items"]
    if isinstance(errors, list):  # DRF < 3.16 lists every line, the good ones empty
        errors = {str(n): e for n, e in enumerate(errors) if e}
    assert list(errors) == ["1"]
    assert field in errors["1"]
    assert not ProcurementList.objects.exists()
    assert not ProcurementItem.objects.exists()


@pytest.mark.parametrize("quantity", ["0", "-1", "-0.001"])
def test_a_line_quantity_must_be_positive_when_added_or_edited(buyer_client, quantity):
    client, _user, buyer = buyer_client
    plist = ProcurementListFactory(buyer=buyer)
    item = ProcurementItemFactory(plist=plist, quantity=Decimal("10"))
    response = client.post(
        f"{LISTS}{plist.pk}/items/", {"name": "新行", "quantity": quantity}, format="json"
    )
    assert response.status_code == 400, response.content
    assert "quantity" in response.json()
    response = client.patch(f"{ITEMS}{item.pk}/", {"quantity": quantity}, format="json")
    assert response.status_code == 400, response.content
    assert "quantity" in response.json()
    item.refresh_from_db()
    assert item.quantity == Decimal("10.000")
    assert plist.items.count() == 1


def test_a_past_deadline_is_refused_on_create_and_on_edit(buyer_client):
    client, _user, buyer = buyer_client
    yesterday = in_days(-1).isoformat()
    response = client.post(
        LISTS, {"buyer": buyer.pk, "title": "过期", "deadline": yesterday}, format="json"
    )
    assert response.status_code == 400, response.content
    assert "deadline" in response.json()
    assert not ProcurementList.objects.exists()

    for status in (S.DRAFT, S.PUBLISHED):
        plist = ProcurementListFactory(buyer=buyer, status=status, deadline=in_days(10))
        response = client.patch(f"{LISTS}{plist.pk}/", {"deadline": yesterday}, format="json")
        assert response.status_code == 400, (status, response.content)
        assert "deadline" in response.json()
        plist.refresh_from_db()
        assert plist.deadline == in_days(10)


# --- Total budget ---------------------------------------------------------------------------


def test_the_total_budget_leaves_out_cancelled_lines(buyer_client):
    client, _user, buyer = buyer_client
    body = new_list(
        client,
        buyer,
        [
            {"name": "甲", "quantity": "1", "budget": "100"},
            {"name": "乙", "quantity": "1", "budget": "200.25"},
            {"name": "丙", "quantity": "1", "budget": "300"},
            {"name": "丁", "quantity": "1"},
        ],
    )
    assert Decimal(body["total_budget"]) == Decimal("600.25")
    third = body["items"][2]
    response = client.post(f"{ITEMS}{third['id']}/cancel/")
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "cancelled"

    detail = client.get(f"{LISTS}{body['id']}/").json()
    assert Decimal(detail["total_budget"]) == Decimal("300.25")
    assert detail["line_count"] == 3
    summary = next(p for p in client.get(LISTS).json()["results"] if p["id"] == body["id"])
    assert Decimal(summary["total_budget"]) == Decimal("300.25")
    assert "items" not in summary
    # The budget filters use the same figure.
    ids = {p["id"] for p in client.get(LISTS, {"budget_min": "500"}).json()["results"]}
    assert body["id"] not in ids
    ids = {p["id"] for p in client.get(LISTS, {"budget_max": "400"}).json()["results"]}
    assert body["id"] in ids


# --- Transitions ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "action", "code", "end", "reason"),
    [
        (S.DRAFT, "publish", 200, S.PUBLISHED, None),
        (S.DRAFT, "close", 400, S.DRAFT, "Only a published list can be closed"),
        (S.DRAFT, "cancel", 200, S.CANCELLED, None),
        (S.PUBLISHED, "publish", 400, S.PUBLISHED, "Only a draft can be published"),
        (S.PUBLISHED, "close", 200, S.CLOSED, None),
        (S.PUBLISHED, "cancel", 200, S.CANCELLED, None),
        (S.CLOSED, "publish", 400, S.CLOSED, "Only a draft can be published"),
        (S.CLOSED, "close", 400, S.CLOSED, "Only a published list can be closed"),
        (S.CLOSED, "cancel", 400, S.CLOSED, "already"),
        (S.CANCELLED, "publish", 400, S.CANCELLED, "Only a draft can be published"),
        (S.CANCELLED, "close", 400, S.CANCELLED, "Only a published list can be closed"),
        (S.CANCELLED, "cancel", 400, S.CANCELLED, "already"),
    ],
)
def test_list_transitions(buyer_client, start, action, code, end, reason):
    client, user, buyer = buyer_client
    plist = ProcurementListFactory(buyer=buyer, status=start)
    ProcurementItemFactory(plist=plist)
    response = client.post(f"{LISTS}{plist.pk}/{action}/", **EN)
    assert response.status_code == code, response.content
    plist.refresh_from_db()
    assert plist.status == end
    if reason:
        assert reason in str(response.json())
        assert not plist.events.exists()
    else:
        assert response.json()["status"] == end
        assert plist.events.get().actor == user
    if end == S.PUBLISHED and start == S.DRAFT:
        assert plist.published_at is not None
    if end in (S.CLOSED, S.CANCELLED) and start != end:
        assert plist.closed_at is not None


def test_an_empty_draft_cannot_be_published(buyer_client):
    client, _user, buyer = buyer_client
    plist = ProcurementListFactory(buyer=buyer)
    ProcurementItemFactory(plist=plist, status=ProcurementItem.Status.CANCELLED)
    response = client.post(f"{LISTS}{plist.pk}/publish/", **EN)
    assert response.status_code == 400, response.content
    assert "at least one line" in str(response.json())
    plist.refresh_from_db()
    assert plist.status == S.DRAFT


def test_an_unverified_buyer_cannot_publish(api):
    pending = OrganizationFactory(
        roles=["buyer"], verification_status=Organization.Verification.PENDING
    )
    api.force_authenticate(MembershipFactory(organization=pending).user)
    plist = ProcurementListFactory(buyer=pending)
    ProcurementItemFactory(plist=plist)
    response = api.post(f"{LISTS}{plist.pk}/publish/", **EN)
    assert response.status_code == 400, response.content
    assert "not verified" in str(response.json())
    plist.refresh_from_db()
    assert plist.status == S.DRAFT
    assert plist.published_at is None


def test_a_finished_list_cannot_be_edited_or_extended(buyer_client):
    client, _user, buyer = buyer_client
    plist = ProcurementListFactory(buyer=buyer, status=S.CANCELLED, title="已取消")
    item = ProcurementItemFactory(plist=plist, name="旧行")
    response = client.patch(f"{LISTS}{plist.pk}/", {"title": "复活"}, format="json")
    assert response.status_code == 400, response.content
    response = client.post(f"{LISTS}{plist.pk}/items/", {"name": "新行"}, format="json")
    assert response.status_code == 400, response.content
    response = client.patch(f"{ITEMS}{item.pk}/", {"name": "改行"}, format="json")
    assert response.status_code == 400, response.content
    assert client.post(f"{ITEMS}{item.pk}/cancel/").status_code == 400
    plist.refresh_from_db()
    item.refresh_from_db()
    assert (plist.title, item.name, item.status) == ("已取消", "旧行", ProcurementItem.Status.OPEN)
    assert plist.items.count() == 1


def test_the_status_cannot_be_patched_directly(buyer_client):
    client, _user, buyer = buyer_client
    plist = ProcurementListFactory(buyer=buyer)
    response = client.patch(
        f"{LISTS}{plist.pk}/", {"status": "published", "buyer": 999999}, format="json"
    )
    assert response.status_code in (200, 400), response.content
    plist.refresh_from_db()
    assert plist.status == S.DRAFT
    assert plist.buyer == buyer


# --- Audit trail ------------------------------------------------------------------------------


def test_edits_of_a_published_list_and_its_lines_are_audited(buyer_client, operator):
    client, user, buyer = buyer_client
    body = new_list(
        client, buyer, [{"name": "电缆", "quantity": "10", "budget": "1000", "unit": "米"}]
    )
    list_url = f"{LISTS}{body['id']}/"
    line = body["items"][0]
    # Editing a draft is not audited: nobody outside has seen it yet.
    assert client.patch(list_url, {"description": "草稿说明"}, format="json").status_code == 200
    assert client.post(f"{list_url}publish/").status_code == 200

    colleague = MembershipFactory(organization=buyer).user
    client.force_authenticate(colleague)
    response = client.patch(
        list_url, {"title": "2027年物资采购清单（修订）", "deadline": "2030-01-31"}, format="json"
    )
    assert response.status_code == 200, response.content
    assert response.json()["title"] == "2027年物资采购清单（修订）"
    client.force_authenticate(user)
    response = client.patch(
        f"{ITEMS}{line['id']}/", {"quantity": "20", "budget": "1800.5"}, format="json"
    )
    assert response.status_code == 200, response.content
    # An edit that changes nothing leaves no trace.
    assert (
        client.patch(f"{ITEMS}{line['id']}/", {"quantity": "20"}, format="json").status_code == 200
    )
    added = client.post(f"{list_url}items/", {"name": "水带", "quantity": "3"}, format="json")
    assert added.status_code == 201, added.content
    assert client.post(f"{ITEMS}{added.json()['id']}/cancel/").status_code == 200

    response = client.get(f"{list_url}events/")
    assert response.status_code == 200, response.content
    events = response.json()
    assert [e["kind"] for e in events] == [
        "created",
        "published",
        "edited",
        "item_edited",
        "item_added",
        "item_cancelled",
    ]
    by_kind = {e["kind"]: e for e in events}
    assert by_kind["created"]["actor"] == user.email
    assert by_kind["edited"]["actor"] == colleague.email
    assert by_kind["edited"]["changes"] == {
        "title": ["2027年物资集中采购清单", "2027年物资采购清单（修订）"],
        "deadline": ["", "2030-01-31"],
    }
    assert by_kind["item_edited"]["actor"] == user.email
    assert by_kind["item_edited"]["item_ref"] == line["ref"]
    assert by_kind["item_edited"]["changes"] == {
        "quantity": ["10.000", "20.000"],
        "budget": ["1000.00", "1800.50"],
    }
    assert by_kind["item_added"]["item_ref"] == added.json()["ref"]
    assert by_kind["item_cancelled"]["item_ref"] == added.json()["ref"]

    # Operators read the trail; outsiders do not, even of a published list.
    client.force_authenticate(operator)
    assert len(client.get(f"{list_url}events/").json()) == 6
    client.force_authenticate(UserFactory())
    assert client.get(list_url).status_code == 200
    assert client.get(f"{list_url}events/").status_code in (403, 404)


# --- Procurement items ------------------------------------------------------------------------


def test_procurement_items_are_filtered_by_category_region_budget_and_keywords(buyer_client, tree):
    client, _user, _buyer = buyer_client
    chengdu = ProcurementListFactory(published=True, title="成都轨道交通物资采购")
    deyang = ProcurementListFactory(published=True, title="德阳装备采购")
    draft = ProcurementListFactory(title="别家草稿")
    regions = {code: Region.objects.get(code=code) for code in ("510100", "510114", "510600")}
    ProcurementItemFactory(
        plist=chengdu,
        name="交联电力电缆",
        category=tree["power"],
        delivery_region=regions["510114"],
        budget=Decimal("150000"),
    )
    ProcurementItemFactory(
        plist=chengdu,
        name="消防水带",
        category=tree["hose"],
        delivery_region=regions["510100"],
        budget=Decimal("9000"),
        specs="DN65 25米",
    )
    ProcurementItemFactory(
        plist=deyang,
        name="控制线缆",
        category=tree["chain"],
        delivery_region=regions["510600"],
        budget=Decimal("50000"),
    )
    ProcurementItemFactory(
        plist=draft,
        name="草稿里的电缆",
        category=tree["power"],
        delivery_region=regions["510114"],
        budget=Decimal("70000"),
    )

    def found(**params):
        response = client.get(ITEMS, params)
        assert response.status_code == 200, response.content
        return {i["name"] for i in response.json()["results"]}

    assert found() == {"交联电力电缆", "消防水带", "控制线缆"}
    assert found(category="TST.CAB") == {"交联电力电缆", "控制线缆"}
    assert found(category="TST.CAB.POWER") == {"交联电力电缆"}
    assert found(category="TST") == {"交联电力电缆", "消防水带", "控制线缆"}
    assert found(region="510100") == {"交联电力电缆", "消防水带"}
    assert found(region="510114") == {"交联电力电缆"}
    assert found(region="510000") == {"交联电力电缆", "消防水带", "控制线缆"}
    assert found(region="510600") == {"控制线缆"}
    assert found(budget_min="40000") == {"交联电力电缆", "控制线缆"}
    assert found(budget_max="50000") == {"消防水带", "控制线缆"}
    assert found(budget_min="10000", budget_max="100000") == {"控制线缆"}
    assert found(q="电缆") == {"交联电力电缆"}
    assert found(q="DN65") == {"消防水带"}
    assert found(q="轨道交通") == {"交联电力电缆", "消防水带"}  # the list's title counts
    assert found(q="线缆 德阳") == {"控制线缆"}
    assert found(list=chengdu.pk) == {"交联电力电缆", "消防水带"}
    assert found(list=draft.pk) == set()
    assert client.get(ITEMS, {"region": "德阳"}).status_code == 400


def test_the_lists_endpoint_filters_and_hides_other_buyers_drafts(buyer_client, tree):
    client, _user, buyer = buyer_client
    mine = ProcurementListFactory(buyer=buyer, title="我的草稿")
    theirs = ProcurementListFactory(title="别家草稿")
    public = ProcurementListFactory(published=True, title="公开清单")
    ProcurementItemFactory(plist=public, name="蜀测缆", category=tree["power"])
    ProcurementItemFactory(plist=theirs, name="蜀测缆", category=tree["power"])

    def titles(**params):
        response = client.get(LISTS, params)
        assert response.status_code == 200, response.content
        return {p["title"] for p in response.json()["results"]}

    assert titles() == {mine.title, public.title}
    assert titles(status="draft") == {mine.title}
    assert titles(category="TST.CAB") == {public.title}
    assert titles(q="蜀测缆") == {public.title}
    assert client.get(f"{LISTS}{theirs.pk}/").status_code == 404


# --- Opportunity batches ------------------------------------------------------------------------


def test_only_operators_create_and_publish_opportunity_batches(member_client, operator):
    client, user, own = member_client
    ops_org = operator.memberships.get().organization

    response = client.post(BATCHES, {"publisher": ops_org.pk, "title": "冒名批次"}, format="json")
    assert response.status_code == 403, response.content
    response = client.post(BATCHES, {"publisher": own.pk, "title": "自家批次"}, format="json")
    assert response.status_code == 403, response.content
    assert not OpportunityBatch.objects.exists()

    client.force_authenticate(operator)
    response = client.post(BATCHES, {"publisher": own.pk, "title": "供应商当发布方"}, format="json")
    assert response.status_code == 400, response.content
    assert "publisher" in response.json()
    response = client.post(
        BATCHES, {"publisher": ops_org.pk, "title": "成都市2027年第一批机会清单"}, format="json"
    )
    assert response.status_code == 201, response.content
    batch_id = response.json()["id"]
    assert response.json()["status"] == "draft"
    again = client.post(
        BATCHES, {"publisher": ops_org.pk, "title": "成都市2027年第一批机会清单"}, format="json"
    )
    assert again.status_code == 400
    assert client.post(f"{BATCHES}{batch_id}/publish/").status_code == 400  # empty
    response = client.post(
        OPPORTUNITIES,
        {
            "batch": batch_id,
            "direction": "demand",
            "type": "application_scenario",
            "title": "智慧园区应用场景",
            "region": "成都市",
            "amount": "5000000",
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    assert response.json()["region"] == "510100"

    # A draft batch does not exist for anybody but operators.
    client.force_authenticate(user)
    assert client.get(f"{BATCHES}{batch_id}/").status_code == 404
    assert batch_id not in {b["id"] for b in client.get(BATCHES).json()["results"]}
    assert client.get(OPPORTUNITIES).json()["count"] == 0
    assert client.post(f"{BATCHES}{batch_id}/publish/").status_code in (403, 404)
    assert OpportunityBatch.objects.get(pk=batch_id).status == OpportunityBatch.Status.DRAFT

    client.force_authenticate(operator)
    response = client.post(f"{BATCHES}{batch_id}/publish/")
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "published"
    assert response.json()["opportunity_count"] == 1
    assert Decimal(response.json()["total_amount"]) == Decimal("5000000")
    assert client.post(f"{BATCHES}{batch_id}/publish/").status_code == 400

    client.force_authenticate(user)
    assert client.get(f"{BATCHES}{batch_id}/").status_code == 200
    assert client.get(OPPORTUNITIES).json()["count"] == 1
    assert client.post(f"{BATCHES}{batch_id}/publish/").status_code == 403
    response = client.post(
        OPPORTUNITIES,
        {"batch": batch_id, "direction": "supply", "title": "非运营方添加"},
        format="json",
    )
    assert response.status_code == 403, response.content
    assert Opportunity.objects.count() == 1


def test_opportunities_are_filtered_by_direction_type_and_amount(member_client):
    client, _user, _org = member_client
    batch = OpportunityBatchFactory(published=True)
    draft = OpportunityBatchFactory()
    OpportunityFactory(
        batch=batch, title="场景需求", direction="demand", type="application_scenario", amount=100
    )
    OpportunityFactory(
        batch=batch, title="产品供给", direction="supply", type="product", amount=Decimal("5000")
    )
    OpportunityFactory(batch=batch, title="融资需求", direction="demand", type="financing")
    OpportunityFactory(
        batch=batch, title="技术需求", direction="demand", type="technology", amount=20000
    )
    OpportunityFactory(batch=draft, title="草稿机会", direction="demand", amount=300)

    def titles(**params):
        response = client.get(OPPORTUNITIES, params)
        assert response.status_code == 200, response.content
        return {o["title"] for o in response.json()["results"]}

    assert titles() == {"场景需求", "产品供给", "融资需求", "技术需求"}
    assert titles(direction="demand") == {"场景需求", "融资需求", "技术需求"}
    assert titles(direction="supply") == {"产品供给"}
    assert titles(type="financing") == {"融资需求"}
    assert titles(direction="demand", type="product") == set()
    assert titles(amount_min="1000") == {"产品供给", "技术需求"}
    assert titles(amount_max="5000") == {"场景需求", "产品供给"}
    assert titles(amount_min="1000", amount_max="10000") == {"产品供给"}
    assert client.get(OPPORTUNITIES, {"direction": "sideways"}).status_code == 400


# --- Export ---------------------------------------------------------------------------------

FORMULAS = ["=cmd|' /C calc'!A0", "+SUM(1,2)", "-1+1", "@A1"]


def _formula_list(buyer):
    plist = ProcurementListFactory(buyer=buyer, title="导出清单")
    for n, name in enumerate(FORMULAS, start=1):
        ProcurementItemFactory(plist=plist, line_no=n, ref=f"R{n}", name=name)
    ProcurementItemFactory(
        plist=plist,
        line_no=9,
        ref="=R9",
        name="普通物资",
        specs="=1+1",
        required_certifications=["CCC", "ISO9001"],
        delivery_region=Region.objects.get(code="510114"),
        delivery_date=datetime.date(2027, 3, 1),
        quantity=Decimal("12.5"),
        budget=Decimal("98765.43"),
    )
    return plist


def test_a_list_exports_as_csv_with_formulas_neutralised(buyer_client):
    client, _user, buyer = buyer_client
    plist = _formula_list(buyer)
    response = client.get(f"{LISTS}{plist.pk}/export/", {"format": "csv"})
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("text/csv")
    assert f'filename="procurement-list-{plist.pk}.csv"' in response["Content-Disposition"]
    text = response.content.decode("utf-8")
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    assert rows[0][:2] == ["序号", "物资名称"]
    assert [row[1] for row in rows[1:]] == ["'" + name for name in FORMULAS] + ["普通物资"]
    plain = rows[-1]
    assert plain[0] == "'=R9"
    assert plain[3] == "'=1+1"
    assert plain[4] == "12.500"
    assert plain[6] == "98765.43"
    assert plain[7] == "成都市新都区"
    assert plain[8] == "2027-03-01"
    assert plain[10] == "CCC;ISO9001"
    for row in rows:
        for cell in row:
            assert not cell.startswith(("=", "+", "-", "@")), cell


def test_a_list_exports_as_xlsx_with_formulas_neutralised(buyer_client):
    client, _user, buyer = buyer_client
    plist = _formula_list(buyer)
    for params in ({"format": "xlsx"}, {}):
        response = client.get(f"{LISTS}{plist.pk}/export/", params)
        assert response.status_code == 200, (params, response.content)
        sheet = load_workbook(io.BytesIO(response.content)).active
        rows = [[cell for cell in row] for row in sheet.iter_rows()]
        assert all(cell.data_type != "f" for row in rows for cell in row)
        assert [row[1].value for row in rows[1:]] == ["'" + n for n in FORMULAS] + ["普通物资"]
        assert rows[-1][3].value == "'=1+1"
        assert rows[-1][6].value == pytest.approx(98765.43)


def test_opportunities_export_only_published_batches(member_client):
    client, _user, _org = member_client
    OpportunityFactory(batch=OpportunityBatchFactory(published=True), title="=公开机会")
    OpportunityFactory(batch=OpportunityBatchFactory(), title="草稿机会")
    response = client.get(f"{OPPORTUNITIES}export/")
    assert response.status_code == 200, response.content
    sheet = load_workbook(io.BytesIO(response.content)).active
    titles = [row[4] for row in sheet.iter_rows(values_only=True)][1:]
    assert titles == ["'=公开机会"]
    response = client.get(f"{OPPORTUNITIES}export/", {"format": "csv"})
    assert response.status_code == 200, response.content
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8").lstrip("\ufeff"))))
    assert [row[4] for row in rows[1:]] == ["'=公开机会"]
