"""Reads of procurement lists, their lines, opportunity batches, and the shared search."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

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
    if not user.is_authenticated:  # an anonymous visitor sees what is public
        return []
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


# --- Browsing: the filters of the public pages -------------------------------------------

WAN = Decimal(10_000)


def _code_prefix_q(field: str, code: str) -> Q:
    """A taxonomy node and everything under it (codes are dotted paths: EI.AI.COMPUTE)."""
    return Q(**{field: code}) | Q(**{f"{field}__startswith": code + "."})


def _city_prefix(code: str) -> str:
    return code[:4]


def procurement_list_browse(*, user: User, filters: dict[str, Any]) -> QuerySet[ProcurementList]:
    """Visible lists narrowed by the browse form's cleaned data, newest first.

    Keywords match the title, description, buyer, and the lines' names, specs
    and delivery places (every word
    must occur somewhere: Chinese needs no spaces, ``电缆`` finds ``交联电力电缆``).
    """
    qs = procurement_list_visible_to(user=user)
    items = ProcurementItem.objects.exclude(status=ProcurementItem.Status.CANCELLED)
    text = (filters.get("q") or "").strip()
    for word in re.split(r"\s+", text) if text else []:
        qs = qs.filter(
            Q(title__icontains=word)
            | Q(description__icontains=word)
            | Q(buyer__name__icontains=word)
            | Q(
                pk__in=items.filter(
                    Q(name__icontains=word)
                    | Q(specs__icontains=word)
                    | Q(delivery_region__name__icontains=word)
                ).values("plist_id")
            )
        )
    for key in ("chain", "category"):
        node = filters.get(key)
        if node is not None:
            qs = qs.filter(
                pk__in=items.filter(_code_prefix_q("category__code", node.code)).values("plist_id")
            )
    city = filters.get("city")
    if city is not None:
        prefix = _city_prefix(city.code)
        qs = qs.filter(
            Q(buyer__region__code__startswith=prefix)
            | Q(pk__in=items.filter(delivery_region__code__startswith=prefix).values("plist_id"))
        )
    if filters.get("amount_min") is not None:
        qs = qs.filter(**{"total_budget__gte": filters["amount_min"] * WAN})
    if filters.get("amount_max") is not None:
        qs = qs.filter(**{"total_budget__lte": filters["amount_max"] * WAN})
    if filters.get("deadline_after") is not None:
        qs = qs.filter(deadline__gte=filters["deadline_after"])
    return qs.order_by("-published_at", "-created_at", "pk")


def opportunity_browse(*, user: User, filters: dict[str, Any]) -> QuerySet[Opportunity]:
    """Visible opportunities narrowed by the browse form's cleaned data."""
    qs = opportunity_visible_to(user=user)
    text = (filters.get("q") or "").strip()
    if text:
        qs = qs.filter(
            keyword_filter(
                ["title", "description", "industry_chain", "organization__name", "type_label"],
                text,
            )
        )
    chain = filters.get("chain")
    if chain is not None:
        qs = qs.filter(
            _code_prefix_q("category__code", chain.code)
            | Q(industry_chain__icontains=chain.name_zh)
        )
    category = filters.get("category")
    if category is not None:
        qs = qs.filter(_code_prefix_q("category__code", category.code))
    city = filters.get("city")
    if city is not None:
        qs = qs.filter(region__code__startswith=_city_prefix(city.code))
    if filters.get("amount_min") is not None:
        qs = qs.filter(amount__gte=filters["amount_min"] * WAN)
    if filters.get("amount_max") is not None:
        qs = qs.filter(amount__lte=filters["amount_max"] * WAN)
    if filters.get("deadline_after") is not None:
        qs = qs.filter(deadline__gte=filters["deadline_after"])
    if filters.get("type"):
        qs = qs.filter(type=filters["type"])
    if filters.get("direction"):
        qs = qs.filter(direction=filters["direction"])
    return qs.order_by("-batch__published_at", "batch_id", "pk")


def programme_figures() -> dict[str, Any]:
    """The headline figures of the home page: what is public, in four queries."""
    from accounts.models import Badge
    from catalog.models import Product

    published = ProcurementList.objects.filter(published_at__isnull=False).exclude(
        status=ProcurementList.Status.CANCELLED
    )
    lines = ProcurementItem.objects.filter(plist__in=published).exclude(
        status=ProcurementItem.Status.CANCELLED
    )
    totals = lines.aggregate(count=Count("pk"), value=Sum("budget"))
    from django.utils import timezone

    today = timezone.localdate()
    badged = Badge.objects.filter(awarded_on__lte=today).filter(
        Q(expires_on__isnull=True) | Q(expires_on__gt=today)
    )
    return {
        "list_count": published.count(),
        "line_count": totals["count"] or 0,
        "total_value": totals["value"] or Decimal("0"),
        "batch_count": OpportunityBatch.objects.exclude(
            status=OpportunityBatch.Status.DRAFT
        ).count(),
        # Certified: a published product of a supplier holding a current badge
        # (成都工业精品 and the others are awarded to the enterprise).
        "certified_product_count": Product.objects.filter(
            status=Product.Status.PUBLISHED,
            supplier__in=badged.values("organization_id"),
        ).count(),
    }
