"""The workflow and notification list pages cost a fixed number of queries (no N+1)."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.test import Client
from django.utils import timezone

from deals import services
from notifications.models import Watch
from tests.factories import (
    MatchFactory,
    MembershipFactory,
    OrganizationFactory,
    ProcurementItemFactory,
    ProcurementListFactory,
    ProductFactory,
)

pytestmark = pytest.mark.django_db

ROWS = 25
MAX = 14  # an N+1 over 25 rows would add 25 or more


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def busy_line():
    """One buyer's line with 25 matched suppliers, each interested, each with a quote."""
    buyer = OrganizationFactory(roles=["buyer"])
    buyer_user = MembershipFactory(organization=buyer).user
    plist = ProcurementListFactory(
        buyer=buyer, published=True, deadline=timezone.localdate() + datetime.timedelta(days=9)
    )
    item = ProcurementItemFactory(plist=plist, budget=Decimal("500000"))
    suppliers = []
    for rank in range(1, ROWS + 1):
        supplier = OrganizationFactory(roles=["supplier"])
        user = MembershipFactory(organization=supplier).user
        match = MatchFactory(
            need_item=item,
            offer_product=ProductFactory(supplier=supplier, published=True),
            rank=rank,
            reasons=[{"factor": "category", "weight": 0.2, "detail": "品类一致"}],
        )
        services.interest_express(match=match, by=user, message="可供货", total_price=rank)
        suppliers.append(user)
    return buyer_user, item, suppliers


def test_a_lines_ranked_suppliers_and_quotes(busy_line, django_assert_max_num_queries):
    buyer_user, item, _ = busy_line
    client = _client(buyer_user)
    with django_assert_max_num_queries(MAX):
        response = client.get(f"/lines/{item.pk}/interests/")
    assert response.status_code == 200
    assert response.content.decode().count("品类一致") == ROWS


def test_the_buyers_answered_lines(busy_line, django_assert_max_num_queries):
    buyer_user, item, _ = busy_line
    for _ in range(ROWS):  # more lines, each with one interest
        line = ProcurementItemFactory(plist=item.plist)
        supplier = OrganizationFactory(roles=["supplier"])
        match = MatchFactory(
            need_item=line, offer_product=ProductFactory(supplier=supplier, published=True)
        )
        services.interest_express(
            match=match, by=MembershipFactory(organization=supplier).user, message="有货"
        )
    client = _client(buyer_user)
    with django_assert_max_num_queries(MAX):
        assert client.get("/interests/").status_code == 200


def test_a_suppliers_matches(django_assert_max_num_queries):
    supplier = OrganizationFactory(roles=["supplier"])
    user = MembershipFactory(organization=supplier).user
    product = ProductFactory(supplier=supplier, published=True)
    for _ in range(ROWS):
        MatchFactory(
            need_item=ProcurementItemFactory(plist=ProcurementListFactory(published=True)),
            offer_product=product,
        )
    client = _client(user)
    for sort in ("score", "budget", "deadline"):
        with django_assert_max_num_queries(MAX):
            assert client.get(f"/matches/?sort={sort}").status_code == 200


def test_the_watches_page(django_assert_max_num_queries):
    organization = OrganizationFactory(roles=["supplier"])
    user = MembershipFactory(organization=organization).user
    for n in range(ROWS):
        Watch.objects.create(organization=organization, name=f"关注{n}", keywords=["电缆"])
    client = _client(user)
    with django_assert_max_num_queries(MAX):
        assert client.get("/notifications/watches/").status_code == 200
