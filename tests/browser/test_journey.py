"""The journeys in a real browser.

The smoke journey: a supplier signs up with its enterprise and verifies its email, an
operator verifies the enterprise, the supplier posts a product, a buyer uploads a list and
publishes it, and anyone finds it.

The whole journey adds the real Celery worker and SMTP sink: the worker matches the list,
the supplier finds the email in the sink and the match on its page, expresses interest, the
buyer shortlists it and records a deal, and the operator dashboard's figures change.

Each step is a function taking ``(page, shot, people)``; screenshots go under
test-artifacts/screenshots/<test>/.
"""

from __future__ import annotations

import re
import time
from decimal import Decimal
from urllib.parse import urlsplit

from django.core import mail
from django.utils import timezone

from accounts.models import Organization, User
from catalog.models import Product
from deals.models import Deal, Interest
from matching.models import Match
from procurement.models import ProcurementItem, ProcurementList
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


def mail_in_sink(box, *, to: str, subject: str, timeout: float = 90):
    """The first message in the SMTP sink to ``to`` whose subject contains ``subject``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for message in box.messages():
            if to in message.to and subject in message.subject:
                return message
        time.sleep(0.3)
    seen = [(m.to, m.subject) for m in box.messages()]
    raise AssertionError(f"no email to {to} about {subject!r} within {timeout} s: {seen}")


def supplier_signs_up_and_verifies_the_email(page, shot, people, link=verification_link) -> None:
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
    page.goto(link(SUPPLIER_EMAIL))
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


def dashboard_figures(page, shot, people, step: str) -> dict[str, str]:
    """The operator's headline figures, as the dashboard shows them."""
    sign_in(page, people["operator"].email)
    page.locator("header").get_by_role("link", name="成效看板").click()
    page.wait_for_load_state()
    figures = {
        label: page.locator(".figures div", has_text=label).locator("strong").inner_text()
        for label in ("签约成交", "签约金额")
    }
    shot(step)
    sign_out(page)
    return figures


def supplier_finds_the_email_and_expresses_interest(page, shot, people, box) -> Match:
    email = mail_in_sink(box, to=SUPPLIER_EMAIL, subject="交联聚乙烯绝缘电力电缆")
    assert "新的采购需求" in email.subject and "匹配理由" in (email.text or "")
    assert email.message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    link = re.search(r"https?://\S+/matches/\d+/", email.text or "")
    assert link, email.text
    sign_in(page, SUPPLIER_EMAIL, SUPPLIER_PASSWORD)
    page.get_by_role("link", name="我的匹配").click()
    page.wait_for_load_state()
    assert page.get_by_role("link", name="交联聚乙烯绝缘电力电缆").first.is_visible()
    shot("supplier-sees-the-match")
    page.goto(urlsplit(link.group(0)).path)  # the email's link, on this server
    assert page.get_by_role("heading", name="交联聚乙烯绝缘电力电缆").is_visible()
    page.get_by_label("给采购方的留言").fill("我司现货充足，可按期交付德阳。")
    page.get_by_label("总价（元）").fill("300000")
    page.get_by_label("交货周期（天）").fill("15")
    shot("supplier-interest-form")
    page.locator("main").get_by_role("button", name="表达意向").click()
    page.wait_for_load_state()
    interest = Interest.objects.get(supplier=people["supplier_org"])
    assert interest.status == Interest.Status.INTERESTED
    assert people["buyer_org"].contact_email in page.content()  # disclosed after interest
    shot("supplier-expressed-interest")
    sign_out(page)
    return interest.match


def buyer_shortlists_and_records_a_deal(page, shot, people, plist) -> Deal:
    line = ProcurementItem.objects.get(plist=plist, name="交联聚乙烯绝缘电力电缆")
    sign_in(page, people["buyer"].email)
    page.get_by_role("link", name="我的清单").click()
    page.get_by_role("link", name=plist.title).click()
    page.get_by_role("link", name="交联聚乙烯绝缘电力电缆").click()
    page.wait_for_load_state()
    assert page.get_by_text("德阳川能线缆有限公司").first.is_visible()
    shot("buyer-sees-ranked-suppliers-and-quotes")
    page.locator("main").get_by_role("button", name="入围").click()
    page.wait_for_load_state()
    assert Interest.objects.get(item=line).status == Interest.Status.SHORTLISTED
    shot("buyer-shortlisted")
    page.get_by_label("合同编号").fill("SCNT-2026-0042")
    page.get_by_label("金额（元）").fill("298000")
    page.get_by_label("签约日期").fill(timezone.localdate().isoformat())
    shot("buyer-deal-form")
    page.get_by_role("button", name="登记成交").click()
    page.wait_for_load_state()
    deal = Deal.objects.get(contract_number="SCNT-2026-0042")
    assert deal.supplier == people["supplier_org"] and deal.amount == Decimal("298000")
    line.refresh_from_db()
    assert line.status == ProcurementItem.Status.AWARDED
    shot("buyer-recorded-the-deal")
    sign_out(page)
    return deal


def test_the_whole_journey_from_sign_up_to_a_signed_deal(page, shot, tmp_path, real_worker):
    """Sign-up to signed deal with the real worker matching and the real SMTP sink."""
    box = real_worker
    people = _people()
    before = dashboard_figures(page, shot, people, "dashboard-before")

    def link_from_the_sink(to: str) -> str:
        message = mail_in_sink(box, to=to, subject="")
        found = re.search(r"/accounts/verify/[^/\s\"<>]+/", message.text or "")
        assert found, message.text
        return found.group(0)

    supplier_signs_up_and_verifies_the_email(page, shot, people, link=link_from_the_sink)
    operator_verifies_the_supplier(page, shot, people)
    supplier_creates_and_publishes_a_product(page, shot, people)
    plist = buyer_uploads_and_publishes_a_list(page, shot, people, tmp_path)
    supplier_finds_the_email_and_expresses_interest(page, shot, people, box)
    buyer_shortlists_and_records_a_deal(page, shot, people, plist)
    after = dashboard_figures(page, shot, people, "dashboard-after")
    assert before["签约成交"] == "0"
    assert after["签约成交"] == "1"
    assert after["签约金额"] == "29.8万元"


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
