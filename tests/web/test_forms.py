"""The pages' forms: they write through the services, show errors inline, never answer 500."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.core import mail

from accounts.models import Badge, Invitation, Organization, User
from catalog.models import Category, Product
from procurement.models import OpportunityBatch, ProcurementList
from tests.factories import (
    OpportunityBatchFactory,
    OrganizationFactory,
    ProcurementItemFactory,
    ProcurementListFactory,
    ProductFactory,
    make_uscc,
)

pytestmark = pytest.mark.django_db


# --- Supplier: products ---------------------------------------------------------------


def test_a_supplier_creates_edits_publishes_and_archives_a_product(client, supplier):
    user, org = supplier
    client.force_login(user)
    category = Category.objects.filter(level="category").first()
    response = client.post(
        "/catalog/products/new/",
        {
            "supplier": org.pk,
            "name": "交联聚乙烯绝缘电力电缆",
            "category": category.pk,
            "certifications": "CCC，ISO9001",
            "price_min": "100",
            "price_max": "250",
            "unit": "米",
            "service_regions": ["510100", "510600"],
        },
    )
    product = Product.objects.get(supplier=org)
    assert response.status_code == 302
    assert response["Location"] == f"/catalog/products/{product.pk}/"
    assert product.status == Product.Status.DRAFT
    assert product.certifications == ["CCC", "ISO9001"]
    assert sorted(r.code for r in product.service_regions.all()) == ["510100", "510600"]

    response = client.post(
        f"/catalog/products/{product.pk}/", {"name": "YJV 电力电缆", "price_min": "120"}
    )
    assert response.status_code == 302
    product.refresh_from_db()
    assert product.name == "YJV 电力电缆" and product.price_min == Decimal("120")

    client.post(f"/catalog/products/{product.pk}/publish/")
    product.refresh_from_db()
    assert product.status == Product.Status.PUBLISHED
    page = client.get("/catalog/products/?status=published").content.decode()
    assert "YJV 电力电缆" in page

    client.post(f"/catalog/products/{product.pk}/archive/")
    product.refresh_from_db()
    assert product.status == Product.Status.ARCHIVED
    response = client.get("/catalog/products/?status=published")
    assert list(response.context["page_obj"]) == []


def test_product_form_errors_are_shown_next_to_their_fields(client, supplier):
    user, org = supplier
    client.force_login(user)
    response = client.post(
        "/catalog/products/new/",
        {
            "supplier": org.pk,
            "name": "",
            "price_min": "500",
            "price_max": "100",
            "lead_time_days": "x",
        },
    )
    assert response.status_code == 400
    form = response.context["form"]
    assert set(form.errors) >= {"name", "price_max", "lead_time_days"}
    page = response.content.decode()
    assert page.count('class="error" role="alert"') >= 3
    assert not Product.objects.exists()


def test_an_unverified_supplier_is_told_why_it_cannot_publish(client, supplier):
    user, org = supplier
    org.verification_status = Organization.Verification.PENDING
    org.save()
    product = ProductFactory(supplier=org)
    client.force_login(user)
    response = client.post(f"/catalog/products/{product.pk}/publish/", follow=True)
    assert (
        "尚未通过认证" in response.content.decode() or "not verified" in response.content.decode()
    )
    product.refresh_from_db()
    assert product.status == Product.Status.DRAFT


def test_the_product_upload_shows_the_row_errors_inline(client, supplier):
    from django.core.files.uploadedfile import SimpleUploadedFile

    user, org = supplier
    client.force_login(user)
    sheet = "产品名称,最低价（元）,最高价（元）\n电缆,100,50\n,10,20\n".encode()
    response = client.post(
        "/catalog/products/upload/",
        {"organization": org.pk, "file": SimpleUploadedFile("产品.csv", sheet)},
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert 'role="alert"' in page and "report-title" in page
    assert not Product.objects.exists()


# --- Buyer: lists ---------------------------------------------------------------------


def test_a_buyer_fills_in_a_list_and_publishes_it(client, buyer):
    user, org = buyer
    client.force_login(user)
    data = {
        "organization": org.pk,
        "title": "三季度电气物资",
        "deadline": (datetime.date.today() + datetime.timedelta(days=30)).isoformat(),
        "lines-TOTAL_FORMS": "5",
        "lines-INITIAL_FORMS": "0",
        "lines-0-name": "交联聚乙烯绝缘电力电缆",
        "lines-0-specs": "YJV22 3×240",
        "lines-0-quantity": "1200",
        "lines-0-unit": "米",
        "lines-0-budget_wan": "35.5",
        "lines-0-delivery_region": "510600",
        "lines-1-name": "消防水带",
        "lines-1-quantity": "480",
    }
    response = client.post("/procurement/lists/new/", data)
    plist = ProcurementList.objects.get(buyer=org)
    assert response.status_code == 302
    assert response["Location"] == f"/procurement/lists/{plist.pk}/"
    lines = list(plist.items.order_by("line_no"))
    assert [line.name for line in lines] == ["交联聚乙烯绝缘电力电缆", "消防水带"]
    assert lines[0].budget == Decimal("355000")
    assert lines[0].category is not None  # inferred from the name
    page = client.get(response["Location"]).content.decode()
    assert "35.5万元" in page
    client.post(f"/procurement/lists/{plist.pk}/publish/")
    plist.refresh_from_db()
    assert plist.status == ProcurementList.Status.PUBLISHED
    assert (
        "三季度电气物资" in client.get("/procurement/lists/mine/?status=published").content.decode()
    )


def test_a_list_form_without_lines_or_with_bad_lines_is_a_400(client, buyer):
    user, org = buyer
    client.force_login(user)
    base = {
        "organization": org.pk,
        "title": "空清单",
        "lines-TOTAL_FORMS": "5",
        "lines-INITIAL_FORMS": "0",
    }
    response = client.post("/procurement/lists/new/", base)
    assert response.status_code == 400
    assert "至少" in response.content.decode() or "at least one line" in response.content.decode()
    response = client.post(
        "/procurement/lists/new/",
        {**base, "lines-0-name": "电缆", "lines-0-quantity": "-3", "deadline": "2001-01-01"},
    )
    assert response.status_code == 400
    assert "quantity" in response.context["formset"].forms[0].errors
    response = client.post(
        "/procurement/lists/new/",
        {**base, "lines-0-name": "电缆", "deadline": "2001-01-01"},
    )
    assert response.status_code == 400
    assert "deadline" in response.context["form"].errors
    assert not ProcurementList.objects.exists()
    # A broken management form is a 400 too, not a 500.
    assert client.post("/procurement/lists/new/", {"organization": org.pk}).status_code == 400


# --- Browsing ---------------------------------------------------------------------------


def test_browsing_lists_filters_by_chinese_keywords_city_and_budget(client):
    cable = ProcurementListFactory(published=True, title="二季度物资采购")
    power_cable = Category.objects.filter(level="category", name_zh__contains="电缆").first()
    ProcurementItemFactory(
        plist=cable, name="交联聚乙烯绝缘电力电缆", budget=Decimal("355000"), category=power_cable
    )
    other = ProcurementListFactory(published=True, title="办公用品")
    ProcurementItemFactory(plist=other, name="打印纸", budget=Decimal("5000"))
    ProcurementItemFactory(plist=ProcurementListFactory(title="电缆草稿"), name="电缆")

    def titles(query):
        response = client.get("/procurement/lists/" + query)
        assert response.status_code == 200
        return {p.title for p in response.context["page_obj"]}

    assert titles("") == {"二季度物资采购", "办公用品"}
    assert titles("?q=电缆") == {"二季度物资采购"}  # a line's name, inside a longer word
    assert titles("?q=电力 二季度") == {"二季度物资采购"}
    assert titles("?q=打印纸") == {"办公用品"}
    assert titles("?amount_min=10") == {"二季度物资采购"}  # 万元
    assert titles("?amount_max=1") == {"办公用品"}
    assert titles("?city=510100") == {"二季度物资采购", "办公用品"}  # the buyers are in 成都
    assert titles("?city=510600") == set()
    cable_category = Category.objects.get(level="category", code=cable.items.get().category.code)
    chain = cable_category.parent
    assert titles(f"?category={cable_category.pk}") == {"二季度物资采购"}
    assert titles(f"?chain={chain.pk}") == {"二季度物资采购"}


@pytest.mark.parametrize(
    "query",
    [
        "?amount_min=abc",
        "?amount_min=10&amount_max=1",
        "?deadline_after=2025-13-45",
        "?city=999999",
        "?chain=nope",
        "?page=abc",
        "?page=9999",
        "?q=" + "电" * 500,
        "?type=martian",
    ],
)
def test_bad_filters_never_break_the_browse_pages(client, query):
    ProcurementItemFactory(plist=ProcurementListFactory(published=True))
    for url in ("/procurement/lists/", "/procurement/opportunities/"):
        response = client.get(url + query)
        assert response.status_code in (200, 400), (url, query)


def test_browsing_opportunities_by_type_and_keyword(client):
    from tests.factories import OpportunityFactory

    batch = OpportunityBatchFactory(published=True)
    OpportunityFactory(batch=batch, title="智能制造应用场景", type="application_scenario")
    OpportunityFactory(batch=batch, title="新能源汽车零部件融资", type="financing")
    response = client.get("/procurement/opportunities/?type=financing")
    assert [o.title for o in response.context["page_obj"]] == ["新能源汽车零部件融资"]
    response = client.get("/procurement/opportunities/?q=智能")
    assert [o.title for o in response.context["page_obj"]] == ["智能制造应用场景"]


def test_empty_states_say_what_to_do_next(client):
    page = client.get("/procurement/lists/").content.decode()
    assert 'class="empty"' in page
    page = client.get("/procurement/lists/?q=不存在的东西").content.decode()
    assert 'class="empty"' in page


# --- Accounts ---------------------------------------------------------------------------


def test_registration_with_an_organization_and_its_uscc(client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/accounts/register/",
            {
                "email": "wang@example.com",
                "password": "a-long-passphrase-42",
                "language": "zh-hans",
                "org_name": "德阳川能线缆有限公司",
                "uscc": make_uscc(4242),
                "region": "510600",
                "roles": ["supplier"],
            },
        )
    assert response.status_code == 200
    user = User.objects.get(email="wang@example.com")
    org = Organization.objects.get(memberships__user=user)
    assert org.name == "德阳川能线缆有限公司" and org.roles == ["supplier"]
    assert org.verification_status == Organization.Verification.PENDING
    assert len(mail.outbox) == 1  # the verification email


def test_registration_with_a_bad_uscc_saves_nothing_and_says_why(client):
    response = client.post(
        "/accounts/register/",
        {
            "email": "li@example.com",
            "password": "a-long-passphrase-42",
            "language": "zh-hans",
            "org_name": "某公司",
            "uscc": "91510100MA0000000X",
            "region": "510100",
            "roles": ["buyer"],
        },
    )
    assert response.status_code == 400
    assert "uscc" in response.context["form"].errors
    assert not User.objects.filter(email="li@example.com").exists()
    response = client.post(
        "/accounts/register/",
        {
            "email": "li@example.com",
            "password": "a-long-passphrase-42",
            "language": "zh-hans",
            "org_name": "某公司",
        },
    )
    assert response.status_code == 400
    assert {"uscc", "region", "roles"} <= set(response.context["form"].errors)


def test_an_administrator_edits_the_profile_and_invites_a_colleague(client, supplier):
    user, org = supplier
    client.force_login(user)
    assert client.get("/accounts/organization/")["Location"] == f"/accounts/organizations/{org.pk}/"
    url = f"/accounts/organizations/{org.pk}/"
    response = client.post(
        url, {"name": "成都新名字有限公司", "region": "510114", "contact_email": "bad"}
    )
    assert response.status_code == 400 and "contact_email" in response.context["edit_form"].errors
    response = client.post(url, {"name": "成都新名字有限公司", "region": "510114"})
    assert response.status_code == 302
    org.refresh_from_db()
    assert org.name == "成都新名字有限公司" and org.region_id == "510114"
    response = client.post(url + "invite/", {"email": "colleague@example.com", "role": "member"})
    assert response.status_code == 302
    assert Invitation.objects.filter(organization=org, email="colleague@example.com").exists()
    response = client.post(url + "invite/", {"email": "colleague@example.com", "role": "member"})
    assert response.status_code == 400  # already invited, said inline
    assert "email" in response.context["invite_form"].errors


def test_the_last_administrator_cannot_leave(client, supplier):
    user, org = supplier
    client.force_login(user)
    membership = org.memberships.get(user=user)
    response = client.post(f"/accounts/memberships/{membership.pk}/remove/", follow=True)
    assert response.status_code == 200
    assert org.memberships.filter(user=user).exists()


# --- Operators --------------------------------------------------------------------------


def test_an_operator_verifies_and_rejects_with_a_reason(client, operator_user):
    pending = OrganizationFactory(verification_status="pending", name="待审企业甲")
    other = OrganizationFactory(verification_status="pending", name="待审企业乙")
    client.force_login(operator_user)
    page = client.get("/accounts/operator/verification/").content.decode()
    assert "待审企业甲" in page and "待审企业乙" in page
    client.post(f"/accounts/operator/verification/{pending.pk}/", {"decision": "verified"})
    pending.refresh_from_db()
    assert pending.verification_status == "verified"
    response = client.post(
        f"/accounts/operator/verification/{other.pk}/", {"decision": "rejected"}, follow=True
    )
    other.refresh_from_db()
    assert other.verification_status == "pending"  # a rejection needs a reason
    assert 'class="error"' in response.content.decode()
    client.post(
        f"/accounts/operator/verification/{other.pk}/",
        {"decision": "rejected", "reason": "营业执照与名称不符"},
    )
    other.refresh_from_db()
    assert other.verification_status == "rejected"
    assert other.verification_reason == "营业执照与名称不符"
    assert (
        client.post(
            f"/accounts/operator/verification/{other.pk}/", {"decision": "martian"}
        ).status_code
        == 302
    )


def test_an_operator_awards_and_revokes_a_badge(client, operator_user, supplier):
    _user, org = supplier
    client.force_login(operator_user)
    response = client.post(
        "/accounts/operator/badges/",
        {"uscc": org.uscc.lower(), "kind": "chengdu_industrial_fine", "awarded_on": "2025-03-01"},
    )
    assert response.status_code == 302
    badge = Badge.objects.get(organization=org)
    assert badge.expires_on == datetime.date(2027, 3, 1)
    response = client.post(
        "/accounts/operator/badges/",
        {"uscc": "91510100MA0000000X", "kind": "little_giant", "awarded_on": "2025-03-01"},
    )
    assert response.status_code == 400 and "uscc" in response.context["form"].errors
    client.post(f"/accounts/operator/badges/{badge.pk}/revoke/")
    badge.refresh_from_db()
    assert not badge.is_active_on(datetime.date.today())


def test_an_operator_creates_fills_and_publishes_a_batch(client, operator_user):
    publisher = operator_user.memberships.get().organization
    client.force_login(operator_user)
    response = client.post(
        "/procurement/batches/", {"publisher": publisher.pk, "title": "成都市2026年第一批机会清单"}
    )
    batch = OpportunityBatch.objects.get()
    assert response.status_code == 302
    response = client.post(f"/procurement/batches/{batch.pk}/publish/", follow=True)
    batch.refresh_from_db()
    assert batch.status == "draft"  # empty: refused with a message
    response = client.post(
        f"/procurement/batches/{batch.pk}/opportunities/",
        {"direction": "demand", "type": "application_scenario", "title": "", "amount_wan": "-1"},
    )
    assert response.status_code == 400
    assert {"title", "amount_wan"} <= set(response.context["form"].errors)
    response = client.post(
        f"/procurement/batches/{batch.pk}/opportunities/",
        {
            "direction": "demand",
            "type": "application_scenario",
            "title": "智慧工厂应用场景",
            "amount_wan": "500",
            "region": "510100",
        },
    )
    assert response.status_code == 302
    assert batch.opportunities.get().amount == Decimal("5000000")
    client.post(f"/procurement/batches/{batch.pk}/publish/")
    batch.refresh_from_db()
    assert batch.status == "published"
    client.logout()
    assert "智慧工厂应用场景" in client.get("/procurement/opportunities/").content.decode()


# --- The 万元 filter --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (None, "—"),
        (Decimal("0"), "0元"),
        (Decimal("9999.5"), "9999.5元"),
        (Decimal("355000"), "35.5万元"),
        (Decimal("120000000"), "1.2亿元"),
        (Decimal("1234567890.12"), "12.35亿元"),
        ("not a number", "not a number"),
    ],
)
def test_amounts_are_shown_in_wan_and_yi(value, shown):
    from django.utils import translation

    from catalog.templatetags.duijie import money

    with translation.override("zh-hans"):
        assert money(value) == shown


def test_a_buyer_closes_a_published_list_and_cancels_a_draft(client, buyer):
    user, org = buyer
    published = ProcurementListFactory(buyer=org, published=True)
    ProcurementItemFactory(plist=published)
    draft = ProcurementListFactory(buyer=org)
    client.force_login(user)
    client.post(f"/procurement/lists/{published.pk}/close/")
    client.post(f"/procurement/lists/{draft.pk}/close/", {"action": "cancel"})
    published.refresh_from_db()
    draft.refresh_from_db()
    assert (published.status, draft.status) == ("closed", "cancelled")
    response = client.post(f"/procurement/lists/{draft.pk}/close/", follow=True)
    assert response.status_code == 200  # already cancelled: a message, not an error page
    other = ProcurementListFactory(published=True)
    assert client.post(f"/procurement/lists/{other.pk}/close/").status_code == 404


def test_dates_are_shown_in_shanghai_time(client):
    from django.utils import timezone as tz

    plist = ProcurementListFactory(
        published=True,
        published_at=datetime.datetime(2026, 3, 1, 18, 30, tzinfo=datetime.UTC),
    )
    page = client.get(f"/procurement/lists/{plist.pk}/").content.decode()
    assert "2026-03-02 02:30" in page  # 18:30 UTC is 02:30 the next day in 成都
    assert tz.get_current_timezone_name() == "Asia/Shanghai"


def test_roles_are_named_in_the_users_language(client, supplier):
    user, org = supplier
    org.roles = ["supplier", "buyer"]
    org.save()
    client.force_login(user)
    page = client.get(f"/accounts/organizations/{org.pk}/").content.decode()
    assert "供应商、采购方" in page


def test_a_buyer_adds_a_line_on_the_lists_page(client, buyer):
    user, org = buyer
    plist = ProcurementListFactory(buyer=org)
    ProcurementItemFactory(plist=plist, line_no=1)
    client.force_login(user)
    url = f"/procurement/lists/{plist.pk}/lines/"
    response = client.post(url, {"line-name": "", "line-quantity": "0"})
    assert response.status_code == 400
    assert {"name", "quantity"} <= set(response.context["line_form"].errors)
    response = client.post(
        url, {"line-name": "镀锌钢管", "line-quantity": "20", "line-budget_wan": "1.5"}
    )
    assert response.status_code == 302
    line = plist.items.get(name="镀锌钢管")
    assert line.budget == Decimal("15000") and line.line_no == 2
    other = ProcurementListFactory()
    assert (
        client.post(f"/procurement/lists/{other.pk}/lines/", {"line-name": "x"}).status_code == 404
    )


def test_resending_the_verification_link_and_the_profile(
    client, django_capture_on_commit_callbacks
):
    from tests.factories import UserFactory

    UserFactory(email="new@example.com", email_verified_at=None)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/accounts/verify/resend/", {"email": "new@example.com"})
        client.post("/accounts/verify/resend/", {"email": "nobody@example.com"})
    assert response.status_code == 302
    assert [m.to for m in mail.outbox] == [["new@example.com"]]
    assert client.post("/accounts/verify/resend/", {"email": "not an email"}).status_code == 400

    user = UserFactory()
    client.force_login(user)
    response = client.post("/accounts/profile/", {"name": "王工", "language": "en"})
    assert response.status_code == 302
    user.refresh_from_db()
    assert (user.name, user.language) == ("王工", "en")
    assert "My account" in client.get("/accounts/profile/").content.decode()
    assert client.post("/accounts/profile/", {"language": "fr"}).status_code == 400
