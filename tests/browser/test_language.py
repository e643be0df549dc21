from __future__ import annotations

from .conftest import BROWSER_DB

pytestmark = BROWSER_DB


def test_the_language_switcher_goes_to_english_and_back(page, shot):
    page.goto("/")
    assert page.locator("html").get_attribute("lang") == "zh-hans"
    assert "成都都市圈供需对接平台" in page.locator("h1").inner_text()
    shot("home-chinese")

    page.locator("#lang-select").select_option("en")
    page.get_by_role("button", name="切换").click()
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == "en"
    assert "Chengdu metropolitan area supply–demand platform" in page.locator("h1").inner_text()
    assert page.get_by_role("link", name="Sign in", exact=True).is_visible()
    shot("home-english")

    page.locator("#lang-select").select_option("zh-hans")
    page.get_by_role("button", name="Switch").click()
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == "zh-hans"
    assert page.get_by_role("link", name="登录", exact=True).is_visible()
    shot("home-chinese-again")
