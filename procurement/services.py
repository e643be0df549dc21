"""Writes of procurement lists, their lines, and opportunity batches."""

from __future__ import annotations

import datetime
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Organization, Role, User
from accounts.selectors import user_is_operator
from catalog.selectors import CategoryIndex
from catalog.services import ensure_can_publish, ensure_member

from .models import (
    Opportunity,
    OpportunityBatch,
    ProcurementEvent,
    ProcurementItem,
    ProcurementList,
)

LIST_FIELDS = ("title", "description", "deadline")
ITEM_FIELDS = (
    "ref",
    "line_no",
    "name",
    "category",
    "specs",
    "quantity",
    "unit",
    "budget",
    "delivery_region",
    "delivery_date",
    "requirements",
    "required_certifications",
)


def _event(
    plist: ProcurementList,
    kind: str,
    by: User | None,
    item: ProcurementItem | None = None,
    changes: dict[str, Any] | None = None,
) -> ProcurementEvent:
    return ProcurementEvent.objects.create(
        plist=plist, item=item, kind=kind, actor=by, changes=changes or {}
    )


# Edits that change what a supplier was told (all but the reference and line number): they
# get one update.
MATERIAL_ITEM_FIELDS = set(ITEM_FIELDS) - {"ref", "line_no"}


def _tell_suppliers(items: list[ProcurementItem], event: ProcurementEvent, change: str) -> None:
    from notifications.services import need_changed

    need_changed(items=items, event=event, change=change)


def _rematch_items(ids: list[int]) -> None:
    from matching.queue import queue_matching

    queue_matching(kind="procurement_item", ids=ids)


def _rematch_opportunities(ids: list[int]) -> None:
    from matching.queue import queue_matching

    queue_matching(kind="opportunity", ids=ids)


def _item_ids(plist: ProcurementList) -> list[int]:
    return list(plist.items.values_list("pk", flat=True))


def _diff(obj: Any, fields: dict[str, Any]) -> dict[str, list[str]]:
    """What an edit changes, as [old, new] strings: the audit trail's record."""
    changes = {}
    for name, value in fields.items():
        old = getattr(obj, name)
        if old != value:
            changes[name] = [
                str(old) if old is not None else "",
                str(value) if value is not None else "",
            ]
    return changes


def _ensure_editable(plist: ProcurementList) -> None:
    if plist.status in (ProcurementList.Status.CLOSED, ProcurementList.Status.CANCELLED):
        raise ValidationError(
            _("This list is %(status)s and can no longer be changed.")
            % {"status": plist.get_status_display()},
            code="not_editable",
        )


# --- Lists ---------------------------------------------------------------------------------


def procurement_list_create(
    *,
    buyer: Organization,
    by: User,
    title: str,
    description: str = "",
    deadline: datetime.date | None = None,
) -> ProcurementList:
    ensure_member(user=by, organization=buyer)
    if Role.BUYER not in buyer.roles:
        raise ValidationError(
            _("%(org)s is not registered as a buyer.") % {"org": buyer.name}, code="not_buyer"
        )
    if not title.strip():
        raise ValidationError({"title": _("The list needs a title.")})
    if deadline is not None and deadline < timezone.localdate():
        raise ValidationError({"deadline": _("The deadline is in the past.")})
    with transaction.atomic():
        plist = ProcurementList.objects.create(
            buyer=buyer,
            title=title.strip(),
            description=description,
            deadline=deadline,
            created_by=by,
        )
        _event(plist, ProcurementEvent.Kind.CREATED, by)
    return plist


def procurement_list_update(*, plist: ProcurementList, by: User, **fields: Any) -> ProcurementList:
    ensure_member(user=by, organization=plist.buyer)
    _ensure_editable(plist)
    unknown = set(fields) - set(LIST_FIELDS)
    if unknown:
        raise ValidationError({name: _("This field cannot be set.") for name in unknown})
    if "title" in fields and not str(fields["title"]).strip():
        raise ValidationError({"title": _("The list needs a title.")})
    deadline = fields.get("deadline")
    if deadline is not None and deadline != plist.deadline and deadline < timezone.localdate():
        raise ValidationError({"deadline": _("The deadline is in the past.")})
    changes = _diff(plist, fields)
    if not changes:
        return plist
    with transaction.atomic():
        for name, value in fields.items():
            setattr(plist, name, value)
        plist.save()
        if plist.status == ProcurementList.Status.PUBLISHED:
            event = _event(plist, ProcurementEvent.Kind.EDITED, by, changes=changes)
            _rematch_items(_item_ids(plist))
            if "deadline" in changes:
                open_items = list(plist.items.filter(status=ProcurementItem.Status.OPEN))
                _tell_suppliers(open_items, event, "deadline")
    return plist


def procurement_list_publish(*, plist: ProcurementList, by: User) -> ProcurementList:
    ensure_member(user=by, organization=plist.buyer)
    ensure_can_publish(organization=plist.buyer)
    if plist.status != ProcurementList.Status.DRAFT:
        raise ValidationError(
            _("Only a draft can be published; this list is %(status)s.")
            % {"status": plist.get_status_display()},
            code="invalid_transition",
        )
    if not plist.items.exclude(status=ProcurementItem.Status.CANCELLED).exists():
        raise ValidationError(
            _("A list needs at least one line before it is published."), code="empty"
        )
    if plist.deadline is not None and plist.deadline < timezone.localdate():
        raise ValidationError({"deadline": _("The deadline is in the past.")})
    with transaction.atomic():
        plist.status = ProcurementList.Status.PUBLISHED
        plist.published_at = timezone.now()
        plist.save(update_fields=["status", "published_at", "updated_at"])
        _event(plist, ProcurementEvent.Kind.PUBLISHED, by)
        _rematch_items(_item_ids(plist))  # a 500-line list is a handful of tasks
    return plist


def _finish(plist: ProcurementList, by: User | None, status: str, kind: str) -> ProcurementList:
    if plist.status not in (ProcurementList.Status.DRAFT, ProcurementList.Status.PUBLISHED):
        raise ValidationError(
            _("This list is already %(status)s.") % {"status": plist.get_status_display()},
            code="invalid_transition",
        )
    with transaction.atomic():
        plist.status = status
        plist.closed_at = timezone.now()
        plist.save(update_fields=["status", "closed_at", "updated_at"])
        event = _event(plist, kind, by)
        _rematch_items(_item_ids(plist))  # closed or cancelled lines retire their matches
        if status == ProcurementList.Status.CANCELLED:
            open_items = list(plist.items.filter(status=ProcurementItem.Status.OPEN))
            _tell_suppliers(open_items, event, "cancelled")
    return plist


def procurement_list_close(*, plist: ProcurementList, by: User) -> ProcurementList:
    ensure_member(user=by, organization=plist.buyer)
    if plist.status != ProcurementList.Status.PUBLISHED:
        raise ValidationError(_("Only a published list can be closed."), code="invalid_transition")
    return _finish(plist, by, ProcurementList.Status.CLOSED, ProcurementEvent.Kind.CLOSED)


def procurement_list_cancel(*, plist: ProcurementList, by: User) -> ProcurementList:
    ensure_member(user=by, organization=plist.buyer)
    return _finish(plist, by, ProcurementList.Status.CANCELLED, ProcurementEvent.Kind.CANCELLED)


def procurement_lists_close_expired(*, today: datetime.date | None = None) -> int:
    """Close every published list whose deadline has passed (the periodic task)."""
    day = today or timezone.localdate()
    closed = 0
    for plist in ProcurementList.objects.filter(
        status=ProcurementList.Status.PUBLISHED, deadline__lt=day
    ):
        _finish(plist, None, ProcurementList.Status.CLOSED, ProcurementEvent.Kind.CLOSED)
        closed += 1
    return closed


# --- Lines ---------------------------------------------------------------------------------


def _clean_item(fields: dict[str, Any]) -> dict[str, Any]:
    unknown = set(fields) - set(ITEM_FIELDS)
    if unknown:
        raise ValidationError({name: _("This field cannot be set.") for name in unknown})
    if "name" in fields and not str(fields["name"]).strip():
        raise ValidationError({"name": _("The line needs a name.")})
    if fields.get("quantity") is not None and fields["quantity"] <= 0:
        raise ValidationError({"quantity": _("The quantity must be greater than 0.")})
    if fields.get("budget") is not None and fields["budget"] < 0:
        raise ValidationError({"budget": _("The budget must not be negative.")})
    return fields


def procurement_item_add(*, plist: ProcurementList, by: User, **fields: Any) -> ProcurementItem:
    ensure_member(user=by, organization=plist.buyer)
    _ensure_editable(plist)
    fields = _clean_item(fields)
    if fields.get("ref") and plist.items.filter(ref=fields["ref"]).exists():
        raise ValidationError({"ref": _("Another line of this list already uses this reference.")})
    if not fields.get("ref"):
        fields.pop("ref", None)
    if fields.get("category") is None:
        category = CategoryIndex.load().classify(
            fields.get("name", ""), fields.get("specs", ""), fields.get("requirements", "")
        )
        fields["category"] = category
        fields["category_inferred"] = category is not None
    if not fields.get("line_no"):
        fields["line_no"] = plist.items.count() + 1
    with transaction.atomic():
        item = ProcurementItem.objects.create(plist=plist, **fields)
        if plist.status == ProcurementList.Status.PUBLISHED:
            _event(plist, ProcurementEvent.Kind.ITEM_ADDED, by, item=item)
            _rematch_items([item.pk])
    return item


def procurement_item_update(*, item: ProcurementItem, by: User, **fields: Any) -> ProcurementItem:
    plist = item.plist
    ensure_member(user=by, organization=plist.buyer)
    _ensure_editable(plist)
    if item.status != ProcurementItem.Status.OPEN:
        raise ValidationError(_("Only an open line can be edited."), code="not_editable")
    fields = _clean_item(fields)
    if "ref" in fields and plist.items.filter(ref=fields["ref"]).exclude(pk=item.pk).exists():
        raise ValidationError({"ref": _("Another line of this list already uses this reference.")})
    changes = _diff(item, fields)
    if not changes:
        return item
    with transaction.atomic():
        for name, value in fields.items():
            setattr(item, name, value)
        if "category" in fields:
            item.category_inferred = False
        item.save()
        if plist.status == ProcurementList.Status.PUBLISHED:
            event = _event(plist, ProcurementEvent.Kind.ITEM_EDITED, by, item=item, changes=changes)
            _rematch_items([item.pk])
            if MATERIAL_ITEM_FIELDS & set(changes):
                _tell_suppliers([item], event, "edited")
    return item


def procurement_item_cancel(*, item: ProcurementItem, by: User) -> ProcurementItem:
    ensure_member(user=by, organization=item.plist.buyer)
    _ensure_editable(item.plist)
    if item.status != ProcurementItem.Status.OPEN:
        raise ValidationError(_("Only an open line can be cancelled."), code="invalid_transition")
    with transaction.atomic():
        item.status = ProcurementItem.Status.CANCELLED
        item.save(update_fields=["status", "updated_at"])
        event = _event(item.plist, ProcurementEvent.Kind.ITEM_CANCELLED, by, item=item)
        _rematch_items([item.pk])
        if item.plist.status == ProcurementList.Status.PUBLISHED:
            _tell_suppliers([item], event, "cancelled")
    return item


# --- Opportunity batches ---------------------------------------------------------------------


def _ensure_operator(by: User) -> None:
    if not user_is_operator(user=by):
        raise PermissionDenied(_("Only programme operators manage opportunity batches."))


def opportunity_batch_create(
    *, publisher: Organization, by: User, title: str, batch_no: int | None = None
) -> OpportunityBatch:
    _ensure_operator(by)
    if Role.OPERATOR not in publisher.roles:
        raise ValidationError({"publisher": _("The publisher must be an operator organization.")})
    if not title.strip():
        raise ValidationError({"title": _("The batch needs a title.")})
    if OpportunityBatch.objects.filter(publisher=publisher, title=title.strip()).exists():
        raise ValidationError({"title": _("A batch with this title already exists.")})
    return OpportunityBatch.objects.create(
        publisher=publisher, title=title.strip(), batch_no=batch_no
    )


def opportunity_batch_publish(*, batch: OpportunityBatch, by: User) -> OpportunityBatch:
    _ensure_operator(by)
    if batch.status != OpportunityBatch.Status.DRAFT:
        raise ValidationError(_("Only a draft batch can be published."), code="invalid_transition")
    if not batch.opportunities.exists():
        raise ValidationError(_("A batch needs at least one opportunity."), code="empty")
    with transaction.atomic():
        batch.status = OpportunityBatch.Status.PUBLISHED
        batch.published_at = timezone.now()
        batch.save(update_fields=["status", "published_at", "updated_at"])
        _rematch_opportunities(list(batch.opportunities.values_list("pk", flat=True)))
    return batch


OPPORTUNITY_FIELDS = (
    "ref",
    "direction",
    "type",
    "type_label",
    "title",
    "description",
    "industry_chain",
    "category",
    "region",
    "amount",
    "organization",
    "deadline",
    "contact_email",
)


def opportunity_create(*, batch: OpportunityBatch, by: User, **fields: Any) -> Opportunity:
    _ensure_operator(by)
    if batch.status == OpportunityBatch.Status.CLOSED:
        raise ValidationError(_("This batch is closed."), code="not_editable")
    unknown = set(fields) - set(OPPORTUNITY_FIELDS)
    if unknown:
        raise ValidationError({name: _("This field cannot be set.") for name in unknown})
    if fields.get("amount") is not None and fields["amount"] < 0:
        raise ValidationError({"amount": _("The amount must not be negative.")})
    if fields.get("ref") and batch.opportunities.filter(ref=fields["ref"]).exists():
        raise ValidationError(
            {"ref": _("Another opportunity of this batch already uses this reference.")}
        )
    if not fields.get("ref"):
        fields.pop("ref", None)
    with transaction.atomic():
        opportunity = Opportunity.objects.create(batch=batch, **fields)
        if batch.status == OpportunityBatch.Status.PUBLISHED:
            _rematch_opportunities([opportunity.pk])
    return opportunity


def opportunity_update(*, opportunity: Opportunity, by: User, **fields: Any) -> Opportunity:
    _ensure_operator(by)
    unknown = set(fields) - set(OPPORTUNITY_FIELDS)
    if unknown:
        raise ValidationError({name: _("This field cannot be set.") for name in unknown})
    if fields.get("amount") is not None and fields["amount"] < 0:
        raise ValidationError({"amount": _("The amount must not be negative.")})
    with transaction.atomic():
        for name, value in fields.items():
            setattr(opportunity, name, value)
        opportunity.save()
        if opportunity.batch.status == OpportunityBatch.Status.PUBLISHED:
            _rematch_opportunities([opportunity.pk])
    return opportunity
