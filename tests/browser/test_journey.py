"""The smoke journey in a real browser: a supplier posts a product, a buyer publishes a list.

Each step takes a screenshot under test-artifacts/screenshots/<test>/. The journey
is written as steps so that the matching, email and deal steps can be added.
"""

from __future__ import annotations

from decimal import Decimal

from accounts.models import Organization
from catalog.models import Product
from procurement.models import ProcurementList
from tests.factories import MembershipFactory, OrganizationFactory

from .conftest import BROWSER_DB, sign_in, sign_out

pytestmark = BROWSER_DB

LIST_CSV = (
    "采购清单\n\n序号,物资名称,规格型号,数量,单位,预算金额（万元）,交货地点\n"
    "1,交联聚乙烯绝缘电力电缆,YJV22 3×240,1200,米,35.5,德阳市\n"
    "2,消防水带,DN65,480,盘,9.763,成都市金牛区\n"
)


def _people() -> dict[str, object]:
    supplier_org = OrganizationFactory(roles=["supplier"], name="德阳川能线缆有限公司")
    buyer_org = OrganizationFactory(roles=["buyer"], name="四川能投物资有限公司")
    return {
        "supplier_org": supplier_org,
        "supplier": MembershipFactory(organization=supplier_org).user,
        "buyer_org": buyer_org,
        "buyer": MembershipFactory(organization=buyer_org).user,
    }


def supplier_creates_and_publishes_a_product(page, shot, people) -> Product:
    sign_in(page, people["supplier"].email)
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
    assert page.get_by_text("35.5 万元").first.is_visible()
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


def test_supplier_posts_a_product_and_buyer_publishes_a_list(page, shot, tmp_path):
    people = _people()
    assert Organization.objects.filter(verification_status="verified").count() == 2
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
