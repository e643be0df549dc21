"""Steps from match to deal tell the other side, through the outbox, in the step's transaction."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from deals import services as deals
from notifications import delivery
from notifications.models import Kind, Notification

from .conftest import World

pytestmark = pytest.mark.django_db


def _for(user, kind):
    return list(Notification.objects.filter(user=user, kind=kind))


def test_interest_tells_the_buyer_and_decisions_tell_the_supplier(world: World) -> None:
    world.plist.deadline = timezone.localdate() + datetime.timedelta(days=10)
    world.plist.save()
    match = world.match()
    interest = deals.interest_express(match=match, by=world.seller, message="现货，15天交付")
    (told,) = _for(world.purchaser, Kind.INTEREST)
    assert told.status == Notification.Status.HELD  # buyers hear of interest in the digest
    assert "德阳东方电缆有限公司" in delivery.headline(told)
    assert told.context["message"] == "现货，15天交付"

    deals.interest_shortlist(interest=interest, by=world.purchaser)
    (shortlisted,) = _for(world.seller, Kind.WORKFLOW)
    assert shortlisted.status == Notification.Status.PENDING
    assert "四川能投集团" in delivery.headline(shortlisted)
    assert delivery.link(shortlisted).endswith(f"/matches/{match.pk}/")

    deals.deal_record(
        by=world.purchaser,
        supplier=world.supplier,
        items=[world.item],
        amount=Decimal("880000"),
        signed_on=timezone.localdate(),
        contract_number="NT-1",
    )
    assert len(_for(world.seller, Kind.WORKFLOW)) == 2
    (deal_notice,) = _for(world.purchaser, Kind.WORKFLOW)
    assert "88万元" in delivery.headline(deal_notice)


def test_a_decline_carries_the_reason(world: World) -> None:
    match = world.match()
    interest = deals.interest_express(match=match, by=world.seller)
    deals.interest_decline(interest=interest, by=world.purchaser, reason="资质不符")
    (declined,) = _for(world.seller, Kind.WORKFLOW)
    assert declined.context["message"] == "资质不符"
    assert "资质不符" in delivery.render(declined).body


def test_interest_expressed_again_after_a_withdrawal_is_told_again(world: World) -> None:
    match = world.match()
    interest = deals.interest_express(match=match, by=world.seller, message="第一次")
    deals.interest_withdraw(interest=interest, by=world.seller)
    deals.interest_express(match=match, by=world.seller, message="再次报价")
    messages = [n.context["message"] for n in _for(world.purchaser, Kind.INTEREST)]
    assert sorted(messages) == ["再次报价", "第一次"]
