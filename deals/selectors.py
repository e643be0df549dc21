"""Reads of the deal workflow: who sees which match and deal, and whose contact."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from accounts.models import User
from accounts.selectors import user_is_operator
from matching.models import Match

from .models import AuditEvent, Deal, Interest


def member_org_ids(user: User) -> list[int]:
    return list(user.memberships.values_list("organization_id", flat=True))


def match_visible_to(*, user: User) -> QuerySet[Match]:
    """A supplier sees the matches of its offers, a buyer those of its needs; operators all."""
    qs = Match.objects.select_related(
        "need_item",
        "need_item__plist",
        "need_item__category",
        "need_opportunity",
        "need_opportunity__batch",
        "offer_product",
        "offer_opportunity",
        "buyer",
        "supplier",
        "interest",
        "interest__supplier",
    )
    if user_is_operator(user=user):
        return qs
    orgs = member_org_ids(user)
    return qs.filter(Q(supplier_id__in=orgs) | Q(buyer_id__in=orgs))


def deal_visible_to(*, user: User) -> QuerySet[Deal]:
    qs = Deal.objects.select_related("buyer", "supplier").prefetch_related("items", "interests")
    if user_is_operator(user=user):
        return qs
    orgs = member_org_ids(user)
    return qs.filter(Q(supplier_id__in=orgs) | Q(buyer_id__in=orgs))


def interest_events(*, interest: Interest) -> QuerySet[AuditEvent]:
    return interest.events.select_related("actor", "organization").order_by("created_at", "pk")


def contact_disclosed_list_ids(*, user: User) -> set[int]:
    """Procurement lists whose buyer contact this user's organizations may see.

    Staged disclosure: a supplier sees a buyer's contact only after it expressed interest in a
    line of that list (an interest later withdrawn or declined keeps it disclosed).
    """
    orgs = member_org_ids(user)
    return set(
        Interest.objects.filter(supplier_id__in=orgs, item__isnull=False)
        .values_list("item__plist_id", flat=True)
        .distinct()
    )


def contact_visible_org_ids(*, user: User) -> set[int] | None:
    """Organizations whose contact details the user may read; ``None`` means all (operators).

    Their own organizations; the buyers of lists they expressed interest in; and the suppliers
    that expressed interest in their lines (the buyer must be able to answer).
    """
    if user_is_operator(user=user):
        return None
    orgs = member_org_ids(user)
    visible = set(orgs)
    visible |= set(
        Interest.objects.filter(supplier_id__in=orgs, buyer__isnull=False).values_list(
            "buyer_id", flat=True
        )
    )
    visible |= set(Interest.objects.filter(buyer_id__in=orgs).values_list("supplier_id", flat=True))
    return visible
