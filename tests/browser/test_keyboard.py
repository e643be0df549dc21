"""A keyboard-only pass through the product upload form: no mouse anywhere."""

from __future__ import annotations

from tests.factories import MembershipFactory, OrganizationFactory

from .conftest import BROWSER_DB, sign_in

pytestmark = BROWSER_DB

BAD_SHEET = "产品名称,最低价（元）,最高价（元）\n交联电力电缆,300,100\n,10,20\n".encode()


def _tab_to(page, selector: str, limit: int = 60) -> int:
    """Press Tab until the element matching ``selector`` has the focus; the number of presses."""
    for presses in range(1, limit + 1):
        page.keyboard.press("Tab")
        if page.evaluate(f"document.activeElement.matches({selector!r})"):
            return presses
    raise AssertionError(f"{selector} is not reachable with Tab in {limit} presses")


def test_the_product_upload_form_works_with_the_keyboard_alone(page, shot, tmp_path):
    # Playwright turns on the interception of file choosers when the first listener is added,
    # without waiting for the browser to confirm; added only around the key press, it lost the
    # race now and then (the dialog opened unseen and the wait timed out). On from the start:
    page.on("filechooser", lambda chooser: None)
    org = OrganizationFactory(roles=["supplier"], name="德阳川能线缆有限公司")
    user = MembershipFactory(organization=org).user
    sign_in(page, user.email)
    page.goto("/catalog/products/upload/")
    sheet = tmp_path / "产品目录.csv"
    sheet.write_bytes(BAD_SHEET)

    # The first Tab stop is the skip link, and it is visible when focused.
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip"
    assert page.locator("a.skip").bounding_box()["x"] >= 0

    _tab_to(page, "#id_file")
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline != "none"  # a visible focus ring
    shot("file-input-focused")
    with page.expect_file_chooser() as chooser:
        page.keyboard.press("Space")
    chooser.value.set_files(str(sheet))

    _tab_to(page, "main form button[type=submit]")
    with page.expect_navigation():
        page.keyboard.press("Enter")

    report = page.locator("section.report")
    assert report.is_visible()
    errors = page.locator("section.report .errors")
    assert errors.get_attribute("role") == "alert"
    text = errors.inner_text()
    assert "发现 2 个问题" in text  # prices reversed on row 2, a name missing on row 3
    assert "最高价低于最低价" in text and "为必填项" in text
    shot("row-errors-shown")
