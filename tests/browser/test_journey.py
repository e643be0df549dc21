"""The smoke journey in a real browser.

A supplier signs up with its enterprise and verifies its email, an operator
verifies the enterprise, the supplier posts a product, a buyer uploads a list and
publishes it, and anyone finds it. Each step is a function taking ``(page, shot,
people)`` and takes screenshots under test-artifacts/screenshots/<test>/, so the
matching, email (swap ``verification_link`` for the SMTP sink) and deal steps can
be added between them.
"""

from __future__ import annotations

import re
from decimal import Decimal

from django.core import mail

from accounts.models import Organization, User
from catalog.models import Product
from procurement.models import ProcurementList
from tests.factories import MembershipFactory, OrganizationFactory, make_uscc

from .conftest import BROWSER_DB, sign_in, sign_out

pytestmark = BROWSER_DB

LIST_CSV = (
    "采购清单\n\n序号,物资名称,规格型号,数量,单位,预算金额（万元）,交货地点\n"
    "1,交联聚乙烯绝缘电力电缆,YJV22 3×240,1200,米,35.5,德阳市\n"
    "2,消防水带,DN65,480,盘,9.763,成都市金牛区\n"
)


SUPPLIER_EMAIL = "sales@chuanneng-cable.example.cn"
SUPPLIER_PASSWORD = "蜀缆-2026-secure"


def _people() -> dict[str, object]:
    """The buyer and the operator exist already; the supplier signs up in the journey."""
    buyer_org = OrganizationFactory(roles=["buyer"], name="四川能投物资有限公司")
    operator_org = OrganizationFactory(roles=["operator"], name="成都都市圈供需对接办公室")
    return {
        "buyer_org": buyer_org,
        "buyer": MembershipFactory(organization=buyer_org).user,
        "operator": MembershipFactory(organization=operator_org).user,
    }


def verification_link(to: str) -> str:
    """The path of the verification link emailed to ``to`` (the local mail outbox)."""
    message = next(m for m in reversed(mail.outbox) if to in m.to)
    match = re.search(r"/accounts/verify/[^/\s\"<>]+/", message.body)
    assert match, message.body
    return match.group(0)


def supplier_signs_up_and_verifies_the_email(page, shot, people) -> None:
    page.goto("/")
    page.locator("header").get_by_role("link", name="注册").click()
    page.get_by_label("电子邮箱").fill(SUPPLIER_EMAIL)
    page.get_by_label("您的姓名").fill("李经理")
    page.get_by_label("密码", exact=True).fill(SUPPLIER_PASSWORD)
    page.get_by_label("企业名称").fill("德阳川能线缆有限公司")
    page.get_by_label("统一社会信用代码").fill(make_uscc(6001))
    page.get_by_label("地区", exact=True).select_option("510600")
    page.get_by_label("供应商").check()
    page.get_by_label("产业链", exact=True).fill("清洁能源装备")
    shot("supplier-sign-up-form")
    page.get_by_role("button", name="注册").click()
    page.wait_for_load_state()
    assert page.get_by_role("heading", name="请查收邮件").is_visible()
    shot("supplier-asked-to-check-email")
    page.goto(verification_link(SUPPLIER_EMAIL))
    assert page.locator(".messages").is_visible()
    shot("supplier-email-verified")
    people["supplier"] = User.objects.get(email=SUPPLIER_EMAIL)
    people["supplier_org"] = Organization.objects.get(name="德阳川能线缆有限公司")
    assert people["supplier_org"].verification_status == "pending"


def operator_verifies_the_supplier(page, shot, people) -> None:
    sign_in(page, people["operator"].email)
    page.get_by_role("link", name="企业认证").click()
    card = page.locator("article", has_text="德阳川能线缆有限公司")
    shot("operator-verification-queue")
    card.get_by_role("button", name="通过认证").click()
    page.wait_for_load_state()
    people["supplier_org"].refresh_from_db()
    assert people["supplier_org"].verification_status == "verified"
    shot("operator-verified-the-supplier")
    sign_out(page)


def supplier_creates_and_publishes_a_product(page, shot, people) -> Product:
    sign_in(page, SUPPLIER_EMAIL, SUPPLIER_PASSWORD)
    shot("supplier-signed-in")
    page.get_by_role("link", name="我的产品").click()
    page.get_by_role("link", name="添加产品").click()
    page.get_by_label("名称", exact=True).fill("YJV22 交联聚乙烯绝缘电力电缆")
    page.get_by_label("规格", exact=True).fill("3×240 mm² 0.6/1kV")
    page.get_by_label("资质认证").fill("CCC, ISO9001")
    page.get_by_label("最低价（元）").fill("180")
    page.get_by_label("最高价（元）").fill("260")
    page.get_by_label("单位").fill("米")
    page.get_by_label("德阳市").check()
    shot("product-form-filled")
    page.get_by_role("button", name="保存为草稿").click()
    page.wait_for_load_state()
    assert page.locator(".messages").is_visible()
    shot("product-saved-as-draft")
    page.locator("main").get_by_role("button", name="发布", exact=True).click()
    page.wait_for_load_state()
    product = Product.objects.get(supplier=people["supplier_org"])
    assert product.status == Product.Status.PUBLISHED
    assert page.locator("main .status-published").is_visible()
    shot("product-published")
    page.goto("/catalog/products/")
    assert page.get_by_role("link", name="YJV22 交联聚乙烯绝缘电力电缆").is_visible()
    shot("my-products")
    sign_out(page)
    return product


def buyer_uploads_and_publishes_a_list(page, shot, people, tmp_path) -> ProcurementList:
    sheet = tmp_path / "二季度物资采购清单.csv"
    sheet.write_text(LIST_CSV, encoding="utf-8")
    sign_in(page, people["buyer"].email)
    shot("buyer-signed-in")
    page.get_by_role("link", name="我的清单").click()
    page.locator("main").get_by_role("link", name="上传清单").click()
    page.get_by_label("清单标题").fill("二季度电气物资采购")
    page.get_by_label("截止日期").fill("2099-06-30")
    page.get_by_label("表格（.xlsx 或 .csv）").set_input_files(str(sheet))
    shot("list-upload-form")
    page.get_by_role("button", name="上传并预览").click()
    page.wait_for_load_state()
    assert page.get_by_role("cell", name="消防水带").is_visible()
    assert page.get_by_text("35.5万元").first.is_visible()
    shot("list-preview")
    page.get_by_role("button", name="发布此清单").click()
    page.wait_for_load_state()
    plist = ProcurementList.objects.get(buyer=people["buyer_org"])
    assert plist.status == ProcurementList.Status.PUBLISHED
    assert plist.items.count() == 2
    assert sum(i.budget for i in plist.items.all()) == Decimal("452630")
    shot("list-published")
    sign_out(page)
    return plist


def anyone_finds_the_list(page, shot, plist: ProcurementList) -> None:
    page.goto("/")
    assert page.get_by_role("link", name=plist.title).is_visible()
    shot("home-shows-the-list")
    page.goto("/procurement/lists/")
    page.get_by_label("关键词").fill("电缆 德阳")
    page.get_by_role("button", name="搜索").click()
    page.wait_for_load_state()
    page.get_by_role("link", name=plist.title).click()
    page.wait_for_load_state()
    assert page.get_by_role("cell", name="交联聚乙烯绝缘电力电缆").is_visible()
    # The buyer's contact stays private on the public page.
    assert plist.buyer.contact_email not in page.content()
    shot("public-list-detail")


def test_supplier_signs_up_posts_a_product_and_buyer_publishes_a_list(page, shot, tmp_path):
    people = _people()
    supplier_signs_up_and_verifies_the_email(page, shot, people)
    operator_verifies_the_supplier(page, shot, people)
    supplier_creates_and_publishes_a_product(page, shot, people)
    plist = buyer_uploads_and_publishes_a_list(page, shot, people, tmp_path)
    anyone_finds_the_list(page, shot, plist)


def test_pages_fit_a_phone_screen(page, shot):
    """At 375 px wide nothing scrolls sideways: the header wraps, tables stack."""
    from tests.factories import ProcurementItemFactory, ProcurementListFactory

    plist = ProcurementListFactory(published=True, title="手机宽度测试清单")
    ProcurementItemFactory.create_batch(3, plist=plist, specs="YJV22 3×240 " * 5)
    page.set_viewport_size({"width": 375, "height": 800})
    for name, url in (
        ("home", "/"),
        ("lists", "/procurement/lists/"),
        ("list-detail", f"/procurement/lists/{plist.pk}/"),
        ("opportunities", "/procurement/opportunities/"),
        ("register", "/accounts/register/"),
    ):
        page.goto(url)
        overflow = page.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 0, (url, overflow)
        shot(f"phone-{name}")
