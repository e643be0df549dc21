"""Reads of procurement lists, their lines, opportunity batches, and the shared search."""

from __future__ import annotations

import re
from decimal import Decimal

from django.db.models import Count, DecimalField, Q, QuerySet, Sum, Value
from django.db.models.functions import Coalesce

from accounts.models import User
from accounts.selectors import user_is_operator

from .models import Opportunity, OpportunityBatch, ProcurementItem, ProcurementList


def keyword_filter(fields: list[str], text: str) -> Q:
    """Every whitespace-separated keyword must occur in one of the fields.

    Substring matching works for Chinese, where words are not separated by spaces:
    ``电缆 德阳`` finds ``德阳川能线缆…交联电力电缆``.
    """
    condition = Q()
    for word in re.split(r"\s+", text.strip()):
        if not word:
            continue
        any_field = Q()
        for name in fields:
            any_field |= Q(**{f"{name}__icontains": word})
        condition &= any_field
    return condition


def _member_org_ids(user: User) -> list[int]:
    return list(user.memberships.values_list("organization_id", flat=True))


def procurement_list_visible_to(*, user: User) -> QuerySet[ProcurementList]:
    """Lists that were ever published are public; drafts (cancelled ones too) only to members."""
    qs = ProcurementList.objects.select_related("buyer", "buyer__region").annotate(
        total_budget=Coalesce(
            Sum("items__budget", filter=~Q(items__status=ProcurementItem.Status.CANCELLED)),
            Value(Decimal("0")),
            output_field=DecimalField(max_digits=20, decimal_places=2),
        ),
        line_count=Count("items", filter=~Q(items__status=ProcurementItem.Status.CANCELLED)),
    )
    if user_is_operator(user=user):
        return qs
    return qs.filter(Q(published_at__isnull=False) | Q(buyer_id__in=_member_org_ids(user)))


def procurement_item_visible_to(*, user: User) -> QuerySet[ProcurementItem]:
    qs = ProcurementItem.objects.select_related(
        "plist", "plist__buyer", "category", "delivery_region", "delivery_region__parent"
    )
    if user_is_operator(user=user):
        return qs
    return qs.filter(
        Q(plist__published_at__isnull=False) | Q(plist__buyer_id__in=_member_org_ids(user))
    )


def opportunity_batch_visible_to(*, user: User) -> QuerySet[OpportunityBatch]:
    qs = OpportunityBatch.objects.select_related("publisher").annotate(
        opportunity_count=Count("opportunities"),
        total_amount=Coalesce(
            Sum("opportunities__amount"),
            Value(Decimal("0")),
            output_field=DecimalField(max_digits=20, decimal_places=2),
        ),
    )
    if user_is_operator(user=user):
        return qs
    return qs.exclude(status=OpportunityBatch.Status.DRAFT)


def opportunity_visible_to(*, user: User) -> QuerySet[Opportunity]:
    qs = Opportunity.objects.select_related(
        "batch", "region", "region__parent", "organization", "category"
    )
    if user_is_operator(user=user):
        return qs
    return qs.exclude(batch__status=OpportunityBatch.Status.DRAFT)
