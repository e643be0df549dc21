"""The workflow's pages work with plain HTML forms (no JavaScript)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.test import Client
from django.utils import timezone

from deals.models import Deal, Interest
from procurement.models import ProcurementItem

pytestmark = pytest.mark.django_db


def signed_in(user):
    client = Client()
    client.force_login(user)
    return client


def test_supplier_expresses_interest_and_buyer_shortlists_and_records_a_deal(world):
    supplier = signed_in(world.supplier_user)
    page = supplier.get("/matches/").content.decode()
    assert world.item.name in page and f"/matches/{world.match.pk}/" in page

    page = supplier.get(f"/matches/{world.match.pk}/").content.decode()
    assert "cg@buyer.cn" not in page  # not disclosed yet
    response = supplier.post(
        f"/matches/{world.match.pk}/",
        {"message": "可供货", "total_price": "450000", "lead_time_days": "20"},
    )
    assert response.status_code == 302
    page = supplier.get(f"/matches/{world.match.pk}/").content.decode()
    assert "cg@buyer.cn" in page
    assert Interest.objects.get().total_price == Decimal("450000")

    buyer = signed_in(world.buyer_user)
    page = buyer.get("/interests/").content.decode()
    assert f"/lines/{world.item.pk}/interests/" in page and "45万元" in page
    assert "交联电力电缆" not in signed_in(world.other_user).get("/interests/").content.decode()
    page = buyer.get(f"/lines/{world.item.pk}/interests/").content.decode()
    assert "成都测试线缆有限公司" in page and "45万元" in page  # the quote, in 万元
    interest = Interest.objects.get()
    assert buyer.post(f"/interests/{interest.pk}/shortlist/").status_code == 302
    interest.refresh_from_db()
    assert interest.status == "shortlisted"

    response = buyer.post(
        f"/lines/{world.item.pk}/deal/",
        {
            "supplier": world.supplier.pk,
            "items": [world.item.pk],
            "contract_number": "HT-100",
            "amount": "440000",
            "signed_on": timezone.localdate().isoformat(),
        },
    )
    assert response.status_code == 302
    assert Deal.objects.get().contract_number == "HT-100"
    world.item.refresh_from_db()
    assert world.item.status == ProcurementItem.Status.AWARDED


def test_the_pages_refuse_bad_input_and_strangers(world):
    supplier = signed_in(world.supplier_user)
    response = supplier.post(f"/matches/{world.match.pk}/", {"total_price": "-5"})
    assert response.status_code == 400
    supplier.post(f"/matches/{world.match.pk}/", {"message": "有意"})
    interest = Interest.objects.get()
    # A supplier cannot shortlist, a stranger cannot see.
    assert supplier.post(f"/interests/{interest.pk}/shortlist/").status_code == 404
    assert supplier.get(f"/lines/{world.item.pk}/interests/").status_code == 404
    other = signed_in(world.other_user)
    assert other.get(f"/matches/{world.match.pk}/").status_code == 404
    buyer = signed_in(world.buyer_user)
    assert buyer.post(f"/matches/{world.match.pk}/", {"message": "代报"}).status_code == 403
    # Declining without a reason changes nothing.
    buyer.post(f"/interests/{interest.pk}/decline/", {"reason": ""})
    interest.refresh_from_db()
    assert interest.status == "interested"
    buyer.post(f"/interests/{interest.pk}/decline/", {"reason": "价格偏高"})
    interest.refresh_from_db()
    assert interest.status == "declined" and interest.decline_reason == "价格偏高"
    # A deal form with a missing contract number is a 400 with the page.
    response = buyer.post(f"/lines/{world.item.pk}/deal/", {"amount": "1"})
    assert response.status_code == 400
