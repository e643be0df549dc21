"""Who may open which page: anonymous → sign in, wrong role → 403, others' drafts → 404."""

from __future__ import annotations

import pytest

from tests.factories import (
    OpportunityBatchFactory,
    OpportunityFactory,
    ProcurementItemFactory,
    ProcurementListFactory,
    ProductFactory,
)

pytestmark = pytest.mark.django_db

SIGNED_IN_PAGES = [
    "/catalog/products/",
    "/catalog/products/new/",
    "/catalog/products/upload/",
    "/procurement/lists/mine/",
    "/procurement/lists/new/",
    "/procurement/lists/upload/",
    "/accounts/organization/",
    "/accounts/organizations/new/",
    "/accounts/operator/verification/",
    "/accounts/operator/badges/",
    "/procurement/batches/",
]

PUBLIC_PAGES = ["/", "/procurement/lists/", "/procurement/opportunities/", "/accounts/register/"]


@pytest.mark.parametrize("url", SIGNED_IN_PAGES)
def test_anonymous_visitors_are_sent_to_sign_in(client, url):
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=")


@pytest.mark.parametrize("url", PUBLIC_PAGES)
def test_public_pages_open_for_anyone(client, url):
    assert client.get(url).status_code == 200


@pytest.mark.parametrize(
    "url",
    ["/catalog/products/", "/catalog/products/new/", "/catalog/products/upload/"],
)
def test_a_buyer_cannot_open_the_supplier_pages(client, buyer, url):
    client.force_login(buyer[0])
    response = client.get(url)
    assert response.status_code == 403
    assert "供应商" in response.content.decode()


@pytest.mark.parametrize(
    "url", ["/procurement/lists/mine/", "/procurement/lists/new/", "/procurement/lists/upload/"]
)
def test_a_supplier_cannot_open_the_buyer_pages(client, supplier, url):
    client.force_login(supplier[0])
    assert client.get(url).status_code == 403


@pytest.mark.parametrize(
    "url",
    ["/accounts/operator/verification/", "/accounts/operator/badges/", "/procurement/batches/"],
)
def test_only_operators_open_the_operator_pages(client, supplier, operator_user, url):
    client.force_login(supplier[0])
    assert client.get(url).status_code == 403
    client.force_login(operator_user)
    assert client.get(url).status_code == 200


def test_operator_actions_refuse_other_users(client, supplier):
    client.force_login(supplier[0])
    batch = OpportunityBatchFactory()
    OpportunityFactory(batch=batch)
    assert client.post(f"/procurement/batches/{batch.pk}/publish/").status_code == 403
    assert client.post(f"/accounts/operator/verification/{supplier[1].pk}/").status_code == 403
    batch.refresh_from_db()
    assert batch.status == "draft"


def test_another_organizations_draft_list_is_a_404(client, buyer):
    draft = ProcurementListFactory()
    ProcurementItemFactory(plist=draft)
    client.force_login(buyer[0])
    assert client.get(f"/procurement/lists/{draft.pk}/").status_code == 404
    assert client.post(f"/procurement/lists/{draft.pk}/publish/").status_code == 404
    client.logout()
    assert client.get(f"/procurement/lists/{draft.pk}/").status_code == 404


def test_a_draft_list_opens_for_its_buyer_with_the_publish_button(client, buyer):
    user, org = buyer
    draft = ProcurementListFactory(buyer=org)
    ProcurementItemFactory(plist=draft, name="交联电力电缆")
    client.force_login(user)
    page = client.get(f"/procurement/lists/{draft.pk}/").content.decode()
    assert "交联电力电缆" in page and "发布此清单" in page


def test_a_published_list_is_public_without_the_buyers_contact_or_publish_button(client):
    plist = ProcurementListFactory(published=True, created_by=None)
    ProcurementItemFactory(plist=plist, name="消防水带")
    page = client.get(f"/procurement/lists/{plist.pk}/").content.decode()
    assert "消防水带" in page
    assert plist.buyer.contact_email not in page
    assert "发布此清单" not in page


def test_another_suppliers_product_is_a_404(client, supplier):
    other = ProductFactory()
    client.force_login(supplier[0])
    assert client.get(f"/catalog/products/{other.pk}/").status_code == 404
    assert client.post(f"/catalog/products/{other.pk}/publish/").status_code == 404
    assert client.post(f"/catalog/products/{other.pk}/archive/").status_code == 404
    other.refresh_from_db()
    assert other.status == "draft"


def test_draft_opportunity_batches_are_hidden_from_the_public(client):
    draft = OpportunityFactory()
    published = OpportunityFactory(batch=OpportunityBatchFactory(published=True))
    assert client.get(f"/procurement/opportunities/{draft.pk}/").status_code == 404
    assert client.get(f"/procurement/batches/{draft.batch_id}/").status_code == 404
    assert client.get(f"/procurement/opportunities/{published.pk}/").status_code == 200
    assert client.get(f"/procurement/batches/{published.batch_id}/").status_code == 200


def test_an_organization_page_is_for_its_members_and_operators(client, supplier, buyer):
    client.force_login(buyer[0])
    assert client.get(f"/accounts/organizations/{supplier[1].pk}/").status_code == 403
    client.force_login(supplier[0])
    assert client.get(f"/accounts/organizations/{supplier[1].pk}/").status_code == 200


def test_a_plain_member_cannot_edit_the_organization_or_invite(client, supplier):
    from tests.factories import MembershipFactory

    member = MembershipFactory(organization=supplier[1], role="member").user
    client.force_login(member)
    url = f"/accounts/organizations/{supplier[1].pk}/"
    response = client.post(url, {"name": "改名", "region": "510100"})
    assert response.status_code == 403
    response = client.post(url + "invite/", {"email": "x@example.com", "role": "member"})
    assert response.status_code == 403
    supplier[1].refresh_from_db()
    assert supplier[1].name != "改名"
    assert not supplier[1].invitations.exists()


def _nav(client) -> str:
    page = client.get("/").content.decode()
    return page[page.index("<header") : page.index("</header>")]


def test_the_navigation_follows_the_role(client, supplier, buyer, operator_user):
    nav = _nav(client)
    assert "/accounts/login/" in nav and "/catalog/products/" not in nav
    client.force_login(supplier[0])
    nav = _nav(client)
    assert "/catalog/products/" in nav and "/procurement/lists/mine/" not in nav
    assert "/accounts/operator/" not in nav
    client.force_login(buyer[0])
    nav = _nav(client)
    assert "/procurement/lists/mine/" in nav and "/catalog/products/" not in nav
    client.force_login(operator_user)
    nav = _nav(client)
    assert "/accounts/operator/verification/" in nav and "/procurement/batches/" in nav
