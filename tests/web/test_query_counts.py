"""Every list page costs a fixed number of queries, however many rows it shows (no N+1)."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest

from accounts.models import Badge, Organization
from catalog.models import Category, Region
from tests.factories import (
    MembershipFactory,
    OpportunityBatchFactory,
    OpportunityFactory,
    OrganizationFactory,
    ProcurementItemFactory,
    ProcurementListFactory,
    ProductFactory,
)

pytestmark = pytest.mark.django_db

ROWS = 25  # more than a page (20), so pagination runs too
MAX = 12  # measured: 5–10; an N+1 over 20 rows would add 20 or more


def _lists(buyer_org=None, n=ROWS):
    category = Category.objects.filter(level="category").first()
    region = Region.objects.get(code="510600")
    lists = []
    for i in range(n):
        plist = ProcurementListFactory(
            published=True, buyer=buyer_org or OrganizationFactory(roles=["buyer"])
        )
        for _ in range(2):
            ProcurementItemFactory(
                plist=plist, category=category, delivery_region=region, budget=Decimal(i * 1000)
            )
        lists.append(plist)
    return lists


def test_the_home_page(client, django_assert_max_num_queries):
    _lists(n=8)
    batch = OpportunityBatchFactory(published=True)
    OpportunityFactory.create_batch(3, batch=batch)
    with django_assert_max_num_queries(MAX):
        response = client.get("/")
    assert response.status_code == 200
    figures = response.context["figures"]
    assert figures["list_count"] == 8 and figures["line_count"] == 16
    assert figures["batch_count"] == 1


def test_browsing_lists(client, django_assert_max_num_queries):
    _lists()
    with django_assert_max_num_queries(MAX):
        response = client.get("/procurement/lists/?page=2")
    assert response.status_code == 200
    assert response.context["page_obj"].paginator.count == ROWS


def test_browsing_lists_with_every_filter(client, django_assert_max_num_queries):
    _lists()
    chain = Category.objects.filter(level="chain").first()
    query = (
        f"?q=测试&chain={chain.pk}&city=510600&amount_min=0&amount_max=1000"
        "&deadline_after=2000-01-01"
    )
    with django_assert_max_num_queries(MAX):
        response = client.get("/procurement/lists/" + query)
    assert response.status_code == 200


def test_a_lists_lines(client, django_assert_max_num_queries):
    plist = ProcurementListFactory(published=True)
    category = Category.objects.filter(level="category").first()
    region = Region.objects.get(code="510114")
    ProcurementItemFactory.create_batch(60, plist=plist, category=category, delivery_region=region)
    with django_assert_max_num_queries(MAX):
        response = client.get(f"/procurement/lists/{plist.pk}/")
    assert response.status_code == 200
    assert len(response.context["page_obj"]) == 50


def test_browsing_opportunities_and_a_batch(client, django_assert_max_num_queries):
    batch = OpportunityBatchFactory(published=True)
    region = Region.objects.get(code="510100")
    category = Category.objects.filter(level="category").first()
    for _ in range(ROWS):
        OpportunityFactory(
            batch=batch,
            region=region,
            category=category,
            organization=OrganizationFactory(),
            amount=Decimal("1000000"),
        )
    with django_assert_max_num_queries(MAX):
        assert client.get("/procurement/opportunities/?type=other").status_code == 200
    with django_assert_max_num_queries(MAX):
        assert client.get(f"/procurement/batches/{batch.pk}/").status_code == 200


def test_my_lists(client, buyer, django_assert_max_num_queries):
    user, org = buyer
    _lists(buyer_org=org)
    client.force_login(user)
    with django_assert_max_num_queries(MAX):
        response = client.get("/procurement/lists/mine/")
    assert len(response.context["page_obj"]) == 20


def test_my_products(client, supplier, django_assert_max_num_queries):
    user, org = supplier
    category = Category.objects.filter(level="category").first()
    ProductFactory.create_batch(ROWS, supplier=org, category=category)
    client.force_login(user)
    with django_assert_max_num_queries(MAX):
        response = client.get("/catalog/products/?status=draft")
    assert len(response.context["page_obj"]) == 20


def test_the_operator_pages(client, operator_user, django_assert_max_num_queries):
    for _ in range(ROWS):
        org = OrganizationFactory(verification_status=Organization.Verification.PENDING)
        MembershipFactory(organization=org)
        Badge.objects.create(
            organization=org, kind="little_giant", awarded_on=datetime.date(2025, 1, 1)
        )
        OpportunityBatchFactory()
    client.force_login(operator_user)
    for url in (
        "/accounts/operator/verification/",
        "/accounts/operator/badges/",
        "/procurement/batches/",
    ):
        with django_assert_max_num_queries(MAX):
            response = client.get(url)
        assert response.status_code == 200, url
        assert len(response.context["page_obj"]) == 20, url


def test_an_organizations_members(client, supplier, django_assert_max_num_queries):
    user, org = supplier
    for _ in range(ROWS):
        MembershipFactory(organization=org, role="member")
    client.force_login(user)
    with django_assert_max_num_queries(MAX):
        response = client.get(f"/accounts/organizations/{org.pk}/")
    assert response.status_code == 200
    assert len(response.context["page_obj"]) == ROWS + 1
