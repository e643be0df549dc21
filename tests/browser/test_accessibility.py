"""Accessible basics measured in the browser: every control has a label, text has contrast."""

from __future__ import annotations

from tests.factories import (
    MembershipFactory,
    OpportunityBatchFactory,
    OpportunityFactory,
    OrganizationFactory,
    ProcurementItemFactory,
    ProcurementListFactory,
    ProductFactory,
)

from .conftest import BROWSER_DB, sign_in

pytestmark = BROWSER_DB

# Controls (not hidden) whose accessible name is empty: no <label for>, wrapping label,
# aria-label or aria-labelledby. Buttons count their text.
UNLABELLED_JS = """
() => [...document.querySelectorAll('input, select, textarea, button')]
  .filter(el => el.type !== 'hidden' && el.offsetParent !== null)
  .filter(el => {
    if (el.getAttribute('aria-label') || el.getAttribute('aria-labelledby')) return false;
    if (el.tagName === 'BUTTON') return !el.textContent.trim();
    if (el.labels && [...el.labels].some(l => l.textContent.trim())) return false;
    return true;
  })
  .map(el => el.outerHTML.slice(0, 120))
"""

# WCAG 2 contrast of every visible text against its nearest opaque background:
# 4.5:1, or 3:1 for large text (24 px, or 18.66 px bold).
LOW_CONTRAST_JS = """
() => {
  const rgb = s => (s.match(/[\\d.]+/g) || []).map(Number);
  const lum = ([r, g, b]) => {
    const c = [r, g, b].map(v => {
      v /= 255;
      return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
    });
    return 0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2];
  };
  const background = el => {
    for (let n = el; n; n = n.parentElement) {
      const c = rgb(getComputedStyle(n).backgroundColor);
      if (c.length >= 3 && (c.length < 4 || c[3] > 0.5)) return c;
    }
    return [255, 255, 255];
  };
  const bad = [];
  for (const el of document.querySelectorAll('body *')) {
    const own = [...el.childNodes].some(n => n.nodeType === 3 && n.textContent.trim());
    if (!own || el.offsetParent === null) continue;
    const style = getComputedStyle(el);
    if (style.visibility === 'hidden' || style.clip === 'rect(0px, 0px, 0px, 0px)') continue;
    const a = lum(rgb(style.color)), b = lum(background(el));
    const ratio = (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
    const size = parseFloat(style.fontSize), bold = parseInt(style.fontWeight) >= 700;
    const need = size >= 24 || (bold && size >= 18.66) ? 3 : 4.5;
    const text = el.innerText.trim().slice(0, 30);
    if (ratio < need) bad.push(`${el.tagName} "${text}" ${ratio.toFixed(2)}`);
  }
  return bad;
}
"""


def _check(page, url: str) -> None:
    page.goto(url)
    assert page.evaluate(UNLABELLED_JS) == [], url
    assert page.evaluate(LOW_CONTRAST_JS) == [], url


def test_controls_are_labelled_and_text_has_contrast(page, shot):
    supplier_org = OrganizationFactory(roles=["supplier", "buyer"])
    user = MembershipFactory(organization=supplier_org).user
    ProductFactory.create_batch(2, supplier=supplier_org)
    ProductFactory(supplier=supplier_org, published=True)
    plist = ProcurementListFactory(buyer=supplier_org, published=True)
    ProcurementItemFactory.create_batch(3, plist=plist)
    batch = OpportunityBatchFactory(published=True)
    opportunity = OpportunityFactory(batch=batch)
    ops = OrganizationFactory(roles=["operator"])
    operator = MembershipFactory(organization=ops).user
    OrganizationFactory(verification_status="pending")

    for url in (
        "/",
        "/procurement/lists/",
        f"/procurement/lists/{plist.pk}/",
        "/procurement/opportunities/",
        f"/procurement/opportunities/{opportunity.pk}/",
        "/accounts/login/",
        "/accounts/register/",
    ):
        _check(page, url)
    sign_in(page, user.email)
    for url in (
        "/catalog/products/",
        "/catalog/products/new/",
        "/catalog/products/upload/",
        "/procurement/lists/mine/",
        "/procurement/lists/new/",
        "/procurement/lists/upload/",
        f"/accounts/organizations/{supplier_org.pk}/",
    ):
        _check(page, url)
    shot("supplier-pages-checked")
    page.context.clear_cookies()
    sign_in(page, operator.email)
    for url in (
        "/accounts/operator/verification/",
        "/accounts/operator/badges/",
        "/procurement/batches/",
        f"/procurement/batches/{batch.pk}/",
    ):
        _check(page, url)
    shot("operator-pages-checked")


def test_the_checks_catch_an_unlabelled_field_and_pale_text(page):
    page.goto("/")
    page.evaluate(
        """() => document.querySelector('main').insertAdjacentHTML('beforeend',
        '<p style="color:#bbb">浅灰色文字</p><input id="nameless">')"""
    )
    assert any("nameless" in html for html in page.evaluate(UNLABELLED_JS))
    assert any("浅灰色文字" in text for text in page.evaluate(LOW_CONTRAST_JS))
