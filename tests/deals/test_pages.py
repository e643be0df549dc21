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


def test_my_matches_show_reasons_and_sort_by_score_budget_and_deadline(world):
    from datetime import timedelta

    world.item.budget = Decimal("100")
    world.item.save()
    world.item2.budget = Decimal("900000")
    world.item2.save()
    world.match.reasons = [{"factor": "category", "weight": 0.2, "detail": "品类一致：电力电缆"}]
    world.match.save()
    supplier = signed_in(world.supplier_user)

    def order(sort):
        page = supplier.get(f"/matches/?sort={sort}").content.decode()
        return page.index(f"/matches/{world.match.pk}/") < page.index(
            f"/matches/{world.match2.pk}/"
        )

    assert "品类一致：电力电缆" in supplier.get("/matches/").content.decode()
    assert order("score") is True  # 0.8 before 0.5
    assert order("budget") is False  # 90万元 before 100元
    world.item2.plist.deadline = timezone.localdate() + timedelta(days=400)
    world.item2.plist.save()
    assert order("deadline") is (world.item.plist.deadline is not None)
    assert supplier.get("/matches/?sort=nonsense").status_code == 200


def test_the_buyer_sees_each_lines_matched_suppliers_ranked_with_reasons(world):
    world.match.reasons = [{"factor": "region", "weight": 0.1, "detail": "服务区域覆盖德阳市"}]
    world.match.save()
    buyer = signed_in(world.buyer_user)
    page = buyer.get(f"/lines/{world.item.pk}/interests/").content.decode()
    assert "服务区域覆盖德阳市" in page and world.match.supplier.name in page
    supplier = signed_in(world.supplier_user)
    assert supplier.get(f"/lines/{world.item.pk}/interests/").status_code == 404
