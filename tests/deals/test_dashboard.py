"""The operator dashboard: for the programme office only, in a bounded number of queries."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.test import Client
from django.utils import timezone

from config.formatting import yuan
from deals import services

pytestmark = pytest.mark.django_db


def test_non_operators_get_403_and_anonymous_users_the_login(world):
    client = Client()
    response = client.get("/dashboard/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    client.force_login(world.buyer_user)
    assert client.get("/dashboard/").status_code == 403
    assert client.get("/dashboard/figures.xlsx").status_code == 403
    assert client.get("/dashboard/ocds.json").status_code == 403


def test_operators_see_tables_charts_and_downloads(world, operator, django_assert_max_num_queries):
    services.interest_express(match=world.match, by=world.supplier_user, message="有意")
    services.deal_record(
        by=world.buyer_user,
        supplier=world.supplier,
        items=[world.item],
        amount=Decimal("108400000"),
        signed_on=timezone.localdate(),
        contract_number="HT-1",
    )
    client = Client()
    client.force_login(operator)
    with django_assert_max_num_queries(45):
        response = client.get("/dashboard/")
    assert response.status_code == 200
    page = response.content.decode()
    assert page.count("<svg") >= 5
    assert "<script" not in page
    assert yuan(Decimal("108400000")) in page
    assert "/dashboard/figures.xlsx" in page and "/dashboard/ocds.json" in page
    assert "四川测试建设集团" in page
    xlsx = client.get("/dashboard/figures.xlsx")
    assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"
    ocds = client.get("/dashboard/ocds.json")
    assert ocds.status_code == 200 and ocds.json()["version"] == "1.1"


def test_the_query_count_does_not_grow_with_the_data(
    world, operator, django_assert_max_num_queries
):
    from tests.factories import MatchFactory, ProcurementItemFactory, ProductFactory

    for _ in range(15):
        item = ProcurementItemFactory(plist=world.plist, category=world.category)
        MatchFactory(need_item=item, offer_product=ProductFactory(published=True))
    client = Client()
    client.force_login(operator)
    with django_assert_max_num_queries(45):
        assert client.get("/dashboard/").status_code == 200


def test_amounts_in_wan_and_yi():
    from django.utils import translation

    with translation.override("zh-hans"):
        assert yuan(Decimal("1084000000")) == "10.84亿元"
        assert yuan(Decimal("536000")) == "53.6万元"
        assert yuan(Decimal("800")) == "800元"
        assert yuan(None) == "—"


def test_the_admin_screens_list_and_show_the_new_models(world, admin_client):
    services.interest_express(match=world.match, by=world.supplier_user, message="有意")
    deal = services.deal_record(
        by=world.buyer_user,
        supplier=world.supplier,
        items=[world.item],
        amount=Decimal("1000"),
        signed_on=timezone.localdate(),
        contract_number="HT-ADMIN",
    )
    from deals.models import AuditEvent, Interest

    interest = Interest.objects.get()
    event = AuditEvent.objects.first()
    for url in (
        "/admin/deals/interest/",
        f"/admin/deals/interest/{interest.pk}/change/",
        "/admin/deals/deal/",
        f"/admin/deals/deal/{deal.pk}/change/",
        "/admin/deals/auditevent/",
        f"/admin/deals/auditevent/{event.pk}/change/",
    ):
        assert admin_client.get(url).status_code == 200, url
    # The trail cannot be added to or deleted from the admin.
    assert admin_client.get("/admin/deals/auditevent/add/").status_code == 403
    assert admin_client.get(f"/admin/deals/auditevent/{event.pk}/delete/").status_code == 403
