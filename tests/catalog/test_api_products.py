import csv
import datetime
import io
from decimal import Decimal

import pytest
from django.utils import timezone
from openpyxl import load_workbook

from accounts.models import Badge, BadgeKind, Organization
from catalog.models import Category, Product, Region
from tests.factories import (
    CategoryFactory,
    MembershipFactory,
    OrganizationFactory,
    ProductFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

URL = "/api/v1/products/"
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}

# Cells that Excel would evaluate as formulas, as product names.
FORMULAS = ['=HYPERLINK("http://x")', "+1+1", "-2", "@SUM(A1)"]


@pytest.fixture
def tree():
    """A small taxonomy of our own: TST → TST.CAB → TST.CAB.POWER, and a look-alike TSTX."""
    industry = CategoryFactory(
        code="TST", level=Category.Level.INDUSTRY, name_zh="测试装备", name_en="Test kit"
    )
    chain = CategoryFactory(
        code="TST.CAB",
        level=Category.Level.CHAIN,
        parent=industry,
        name_zh="测试线缆链",
        name_en="Test cable chain",
    )
    power = CategoryFactory(
        code="TST.CAB.POWER",
        level=Category.Level.CATEGORY,
        parent=chain,
        name_zh="测试电力电缆",
        name_en="Test power cable",
        synonyms=["蜀测缆"],
    )
    lookalike = CategoryFactory(
        code="TSTX", level=Category.Level.INDUSTRY, name_zh="测试其他", name_en="Test other"
    )
    return {"industry": industry, "chain": chain, "power": power, "lookalike": lookalike}


def names(response):
    assert response.status_code == 200, response.content
    return {p["name"] for p in response.json()["results"]}


def published(**kwargs):
    return ProductFactory(published=True, **kwargs)


# --- Create -------------------------------------------------------------------------------


def test_a_member_creates_a_draft_product_for_their_supplier(member_client, tree):
    client, _user, org = member_client
    response = client.post(
        URL,
        {
            "supplier": org.pk,
            "name": "YJV22 交联电力电缆",
            "category": "TST.CAB.POWER",
            "price_min": "120.50",
            "price_max": "380",
            "unit": "米",
            "certifications": ["CCC"],
            "service_regions": ["510100", "510600"],
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "draft"
    assert body["published_at"] is None
    assert body["supplier"] == org.pk
    assert body["category"] == "TST.CAB.POWER"
    assert sorted(body["service_regions"]) == ["510100", "510600"]
    assert body["ref"].startswith("W-")
    product = Product.objects.get(pk=body["id"])
    assert product.supplier == org
    assert product.price_min == Decimal("120.50")
    assert product.price_max == Decimal("380.00")
    assert product.category == tree["power"]


def test_a_category_is_accepted_by_its_chinese_name_or_synonym(member_client, tree):
    client, _user, org = member_client
    for text in ("测试电力电缆", "蜀测缆"):
        response = client.post(
            URL, {"supplier": org.pk, "name": f"产品 {text}", "category": text}, format="json"
        )
        assert response.status_code == 201, response.content
        assert response.json()["category"] == "TST.CAB.POWER"


def test_creating_a_product_for_someone_elses_organization_is_forbidden(member_client):
    client, _user, _org = member_client
    stranger = OrganizationFactory()
    response = client.post(URL, {"supplier": stranger.pk, "name": "冒名产品"}, format="json")
    assert response.status_code == 403, response.content
    assert not Product.objects.exists()


def test_an_organization_that_is_not_a_supplier_cannot_offer_products(api):
    buyer = MembershipFactory(organization=OrganizationFactory(roles=["buyer"]))
    api.force_authenticate(buyer.user)
    response = api.post(
        URL, {"supplier": buyer.organization.pk, "name": "不该有的产品"}, format="json", **EN
    )
    assert response.status_code == 400, response.content
    assert "not registered as a supplier" in str(response.json())
    assert not Product.objects.exists()


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"price_min": "-1"}, "price_min"),
        ({"price_max": "-0.01"}, "price_max"),
        ({"monthly_capacity": "-3"}, "monthly_capacity"),
        ({"price_min": "200", "price_max": "100"}, "price_max"),
        ({"category": "qqq绝无此类目qqq"}, "category"),
        ({"service_regions": ["999999"]}, "service_regions"),
        ({"service_regions": ["510100", "123456"]}, "service_regions"),
        ({"name": ""}, "name"),
        ({"name": "   "}, "name"),
        ({"price_min": "abc"}, "price_min"),
    ],
)
def test_bad_product_data_gets_a_400_with_the_field(member_client, tree, payload, field):
    client, _user, org = member_client
    data = {"supplier": org.pk, "name": "合格产品", **payload}
    response = client.post(URL, data, format="json", **EN)
    assert response.status_code == 400, response.content
    assert field in response.json(), response.json()
    assert not Product.objects.exists()


def test_an_edit_that_inverts_the_price_range_is_a_400(member_client):
    client, _user, org = member_client
    product = ProductFactory(supplier=org, price_min=Decimal("100"), price_max=Decimal("200"))
    response = client.patch(f"{URL}{product.pk}/", {"price_max": "50"}, format="json")
    assert response.status_code == 400, response.content
    assert "price_max" in response.json()
    product.refresh_from_db()
    assert product.price_max == Decimal("200.00")


def test_a_member_edits_a_draft_but_cannot_move_it_to_another_supplier(member_client):
    client, _user, org = member_client
    other = OrganizationFactory()
    product = ProductFactory(supplier=org, name="旧名")
    response = client.patch(
        f"{URL}{product.pk}/", {"name": "新名", "service_regions": ["510114"]}, format="json"
    )
    assert response.status_code == 200, response.content
    product.refresh_from_db()
    assert product.name == "新名"
    assert list(product.service_regions.values_list("code", flat=True)) == ["510114"]

    response = client.patch(f"{URL}{product.pk}/", {"supplier": other.pk}, format="json")
    assert response.status_code in (200, 400), response.content
    product.refresh_from_db()
    assert product.supplier == org
    assert not other.products.exists()


# --- Publish and archive --------------------------------------------------------------------


def test_publishing_needs_a_verified_organization(api):
    pending = OrganizationFactory(verification_status=Organization.Verification.PENDING)
    member = MembershipFactory(organization=pending)
    api.force_authenticate(member.user)
    product = ProductFactory(supplier=pending)

    response = api.post(f"{URL}{product.pk}/publish/", **EN)
    assert response.status_code == 400, response.content
    message = str(response.json())
    assert "not verified" in message
    assert pending.name in message
    product.refresh_from_db()
    assert product.status == Product.Status.DRAFT
    assert product.published_at is None

    pending.verification_status = Organization.Verification.VERIFIED
    pending.save()
    response = api.post(f"{URL}{product.pk}/publish/")
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "published"
    product.refresh_from_db()
    assert product.status == Product.Status.PUBLISHED
    assert product.published_at is not None


def test_a_rejected_organization_cannot_publish_either(api):
    rejected = OrganizationFactory(verification_status=Organization.Verification.REJECTED)
    member = MembershipFactory(organization=rejected)
    api.force_authenticate(member.user)
    product = ProductFactory(supplier=rejected)
    assert api.post(f"{URL}{product.pk}/publish/").status_code == 400
    product.refresh_from_db()
    assert product.status == Product.Status.DRAFT


def test_published_products_are_public_and_drafts_stay_with_the_supplier(member_client):
    client, _user, org = member_client
    product = ProductFactory(supplier=org, name="我的新品")
    outsider = UserFactory()
    client.force_authenticate(outsider)
    assert "我的新品" not in names(client.get(URL))
    assert client.get(f"{URL}{product.pk}/").status_code == 404

    client.force_authenticate(MembershipFactory(organization=org).user)
    assert client.post(f"{URL}{product.pk}/publish/").status_code == 200
    client.force_authenticate(outsider)
    assert "我的新品" in names(client.get(URL))
    assert client.get(f"{URL}{product.pk}/").json()["status"] == "published"


def test_archiving_hides_a_product_and_freezes_it(member_client):
    client, _user, org = member_client
    product = published(supplier=org, name="停产型号")
    response = client.post(f"{URL}{product.pk}/archive/")
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "archived"
    product.refresh_from_db()
    assert product.status == Product.Status.ARCHIVED

    response = client.patch(f"{URL}{product.pk}/", {"name": "复活"}, format="json")
    assert response.status_code == 400, response.content
    product.refresh_from_db()
    assert product.name == "停产型号"
    # Still visible to its supplier, gone for everybody else.
    assert "停产型号" in names(client.get(URL))
    client.force_authenticate(UserFactory())
    assert "停产型号" not in names(client.get(URL))
    assert client.get(f"{URL}{product.pk}/").status_code == 404


def test_the_api_needs_authentication(api):
    published(name="公开产品")
    assert api.get(URL).status_code in (401, 403)
    assert api.get(f"{URL}export/").status_code in (401, 403)


# --- Filters, ordering, pagination -----------------------------------------------------------


def test_the_category_filter_takes_the_whole_subtree_by_code(member_client, tree):
    client, _user, _org = member_client
    published(name="电力电缆", category=tree["power"])
    published(name="线缆链条目", category=tree["chain"])
    published(name="行业条目", category=tree["industry"])
    published(name="形似代码", category=tree["lookalike"])
    published(name="未分类")

    assert names(client.get(URL, {"category": "TST"})) == {"电力电缆", "线缆链条目", "行业条目"}
    assert names(client.get(URL, {"category": "TST.CAB"})) == {"电力电缆", "线缆链条目"}
    assert names(client.get(URL, {"category": "TST.CAB.POWER"})) == {"电力电缆"}
    assert names(client.get(URL, {"category": "TSTX"})) == {"形似代码"}


def test_the_region_filter_includes_covering_and_nationwide_products(member_client):
    client, _user, _org = member_client
    chengdu, xindu, deyang = (Region.objects.get(code=c) for c in ("510100", "510114", "510600"))
    published(name="全国").service_regions.set([])
    published(name="成都全市").service_regions.set([chengdu])
    published(name="新都专供").service_regions.set([xindu])
    published(name="德阳专供").service_regions.set([deyang])
    published(name="成德两地").service_regions.set([xindu, deyang])

    assert names(client.get(URL, {"region": "510114"})) == {
        "全国",
        "成都全市",
        "新都专供",
        "成德两地",
    }
    assert names(client.get(URL, {"region": "510100"})) == {
        "全国",
        "成都全市",
        "新都专供",
        "成德两地",
    }
    assert names(client.get(URL, {"region": "510600"})) == {"全国", "德阳专供", "成德两地"}
    # A product serving two regions matching both appears once, not twice.
    response = client.get(URL, {"region": "510100"})
    assert response.json()["count"] == 4
    assert client.get(URL, {"region": "成都"}).status_code == 400


def test_the_badge_filter_ignores_expired_awards(member_client):
    client, _user, _org = member_client
    today = timezone.localdate()
    active = OrganizationFactory(name="精品在期公司")
    Badge.objects.create(
        organization=active,
        kind=BadgeKind.CHENGDU_INDUSTRIAL_FINE,
        awarded_on=today - datetime.timedelta(days=100),
        expires_on=today + datetime.timedelta(days=600),
    )
    lapsed = OrganizationFactory(name="精品过期公司")
    Badge.objects.create(
        organization=lapsed,
        kind=BadgeKind.CHENGDU_INDUSTRIAL_FINE,
        awarded_on=today - datetime.timedelta(days=800),
        expires_on=today - datetime.timedelta(days=70),
    )
    # An expired 成都工业精品 plus another, active badge: still no 成都工业精品 today.
    Badge.objects.create(
        organization=lapsed,
        kind=BadgeKind.LITTLE_GIANT,
        awarded_on=today - datetime.timedelta(days=10),
    )
    future = OrganizationFactory(name="尚未授予公司")
    Badge.objects.create(
        organization=future,
        kind=BadgeKind.CHENGDU_INDUSTRIAL_FINE,
        awarded_on=today + datetime.timedelta(days=5),
        expires_on=today + datetime.timedelta(days=735),
    )
    published(name="在期精品", supplier=active)
    published(name="过期精品", supplier=lapsed)
    published(name="未来精品", supplier=future)
    published(name="无称号")

    assert names(client.get(URL, {"badge": "chengdu_industrial_fine"})) == {"在期精品"}
    assert names(client.get(URL, {"badge": "little_giant"})) == {"过期精品"}
    assert client.get(URL, {"badge": "nonsense"}).status_code == 400


def test_the_keyword_search_works_in_chinese(member_client, tree):
    client, _user, _org = member_client
    deyang = OrganizationFactory(name="德阳川能线缆科技有限公司")
    published(name="YJV22 交联电力电缆", supplier=deyang)
    published(name="铜芯导线", description="可替代部分电缆使用")
    published(name="型号A", category=tree["power"])  # 测试电力电缆
    published(name="矿用电缆")
    published(name="消防水带 DN65")
    ProductFactory(name="草稿电缆")  # someone else's draft

    assert names(client.get(URL, {"q": "电缆"})) == {
        "YJV22 交联电力电缆",
        "铜芯导线",
        "型号A",
        "矿用电缆",
    }
    # Every keyword must occur somewhere: the supplier's name counts.
    assert names(client.get(URL, {"q": "电缆 德阳"})) == {"YJV22 交联电力电缆"}
    assert names(client.get(URL, {"q": "yjv22"})) == {"YJV22 交联电力电缆"}
    assert names(client.get(URL, {"q": "不存在的东西"})) == set()


def test_products_are_ordered_on_request(member_client):
    client, _user, _org = member_client
    published(name="B 乙", price_min=Decimal("30"))
    published(name="A 甲", price_min=Decimal("10"))
    published(name="C 丙", price_min=Decimal("20"))

    def order(ordering):
        response = client.get(URL, {"ordering": ordering})
        assert response.status_code == 200
        return [p["name"] for p in response.json()["results"]]

    assert order("price_min") == ["A 甲", "C 丙", "B 乙"]
    assert order("-price_min") == ["B 乙", "C 丙", "A 甲"]
    assert order("name") == ["A 甲", "B 乙", "C 丙"]
    assert order("-name") == ["C 丙", "B 乙", "A 甲"]


def test_the_list_is_paginated_in_a_count_next_previous_results_envelope(member_client):
    client, _user, _org = member_client
    ProductFactory.create_batch(51, published=True)
    first = client.get(URL).json()
    assert set(first) == {"count", "next", "previous", "results"}
    assert first["count"] == 51
    assert len(first["results"]) == 50
    assert first["previous"] is None
    assert first["next"] is not None
    second = client.get(URL, {"page": 2}).json()
    assert len(second["results"]) == 1
    assert second["next"] is None
    assert {p["id"] for p in first["results"]}.isdisjoint({p["id"] for p in second["results"]})
    assert client.get(URL, {"page": 3}).status_code == 404


# --- Export --------------------------------------------------------------------------------


def _export_world(org):
    for name in FORMULAS:
        published(name=name, supplier=org)
    published(
        name="普通电缆",
        supplier=org,
        certifications=["CCC", "ISO9001"],
        price_min=Decimal("12.50"),
        price_max=Decimal("99"),
    )
    ProductFactory(name="别家草稿")  # another supplier's draft: not visible, not exported
    ProductFactory(name="别家归档", status=Product.Status.ARCHIVED)


def _csv_rows(response):
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("text/csv")
    text = response.content.decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))


def _xlsx_rows(response):
    assert response.status_code == 200, response.content
    assert "spreadsheetml" in response["Content-Type"]
    sheet = load_workbook(io.BytesIO(response.content)).active
    for row in sheet.iter_rows():
        for cell in row:
            assert cell.data_type != "f", cell.value  # never a formula
    return [[cell.value for cell in row] for row in sheet.iter_rows()]


def test_the_csv_export_neutralises_formulas_and_lists_only_visible_products(member_client):
    client, _user, org = member_client
    _export_world(org)
    response = client.get(f"{URL}export/", {"format": "csv"})
    rows = _csv_rows(response)
    assert 'filename="products.csv"' in response["Content-Disposition"]
    assert rows[0][:3] == ["编号", "供应商", "产品名称"]
    exported = {row[2] for row in rows[1:]}
    assert exported == {"'" + name for name in FORMULAS} | {"普通电缆"}
    plain = next(row for row in rows[1:] if row[2] == "普通电缆")
    assert plain[1] == org.name
    assert plain[5] == "CCC;ISO9001"
    assert plain[6:8] == ["12.50", "99.00"]


def test_the_xlsx_export_neutralises_formulas_and_lists_only_visible_products(member_client):
    client, _user, org = member_client
    _export_world(org)
    response = client.get(f"{URL}export/", {"format": "xlsx"})
    rows = _xlsx_rows(response)
    assert 'filename="products.xlsx"' in response["Content-Disposition"]
    exported = {row[2] for row in rows[1:]}
    assert exported == {"'" + name for name in FORMULAS} | {"普通电缆"}


def test_the_export_defaults_to_xlsx_and_is_neutralised(member_client):
    client, _user, org = member_client
    _export_world(org)
    rows = _xlsx_rows(client.get(f"{URL}export/"))
    assert rows[0][2] == "产品名称"
    assert {row[2] for row in rows[1:]} == {"'" + name for name in FORMULAS} | {"普通电缆"}


def test_the_export_follows_the_filters(member_client, tree):
    client, _user, org = member_client
    published(name="电力电缆", supplier=org, category=tree["power"])
    published(name="别的东西", supplier=org)
    rows = _csv_rows(client.get(f"{URL}export/", {"format": "csv", "category": "TST.CAB"}))
    assert [row[2] for row in rows[1:]] == ["电力电缆"]
    assert rows[1][3] == "测试电力电缆"


def test_an_unknown_export_format_is_a_400(member_client):
    client, _user, _org = member_client
    response = client.get(f"{URL}export/", {"format": "pdf"})
    assert response.status_code == 400, response.content
    assert "format" in response.json()
