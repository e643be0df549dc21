"""Writes of the deal workflow: interest, quote, withdrawal, shortlist, decline, deal.

Every step checks who may take it (members of the match's supplier for the supplier's steps,
members of its buyer for the buyer's), checks that the current state allows it (else
``TransitionNotAllowed``, a 409 in the API), writes an ``AuditEvent`` and sends
``deals.signals.transition`` in the same transaction.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Organization, Role, User
from accounts.selectors import membership_get
from matching.models import Match
from procurement.models import (
    OpportunityBatch,
    ProcurementEvent,
    ProcurementItem,
    ProcurementList,
)

from .exceptions import TransitionNotAllowed
from .models import ATTACHMENT_MAX_BYTES, AuditEvent, Deal, Interest
from .signals import transition

QUOTE_FIELDS = ("message", "unit_price", "total_price", "lead_time_days", "valid_until")


def _is_member(user: User, organization: Organization | None) -> bool:
    return (
        organization is not None
        and membership_get(user=user, organization=organization) is not None
    )


def _ensure_supplier(user: User, match: Match) -> None:
    if not _is_member(user, match.supplier):
        raise PermissionDenied(_("Only members of the supplier of this match can do this."))


def _ensure_buyer(user: User, organization: Organization | None) -> None:
    if not _is_member(user, organization):
        raise PermissionDenied(_("Only members of the buyer can do this."))


def _record(
    verb: str,
    *,
    by: User | None,
    organization: Organization | None,
    match: Match | None = None,
    interest: Interest | None = None,
    deal: Deal | None = None,
    data: dict[str, Any] | None = None,
) -> AuditEvent:
    """Write the audit event and tell the receivers of ``transition`` (same transaction)."""
    event = AuditEvent.objects.create(
        verb=verb,
        actor=by,
        organization=organization,
        match=match,
        interest=interest,
        deal=deal,
        data=data or {},
    )
    transition.send(sender=AuditEvent, event=event)
    return event


def _check_need_open(match: Match) -> None:
    """New interest only while the need takes offers: published, open, before its deadline."""
    today = timezone.localdate()
    if match.need_item_id is not None:
        item = match.need_item
        assert item is not None  # noqa: S101 - the check constraint guarantees one need
        plist = item.plist
        if plist.status != ProcurementList.Status.PUBLISHED:
            raise TransitionNotAllowed(
                _("The procurement list is %(status)s: it takes no new interest.")
                % {"status": plist.get_status_display()},
                code="list_not_open",
            )
        if item.status != ProcurementItem.Status.OPEN:
            raise TransitionNotAllowed(
                _("This line is %(status)s: it takes no new interest.")
                % {"status": item.get_status_display()},
                code="line_not_open",
            )
        if plist.deadline is not None and plist.deadline < today:
            raise TransitionNotAllowed(
                _("The deadline of this list (%(deadline)s) has passed.")
                % {"deadline": plist.deadline.isoformat()},
                code="deadline_passed",
            )
    else:
        opportunity = match.need_opportunity
        assert opportunity is not None  # noqa: S101
        if opportunity.batch.status != OpportunityBatch.Status.PUBLISHED:
            raise TransitionNotAllowed(
                _("This opportunity is closed: it takes no new interest."), code="list_not_open"
            )
        if opportunity.deadline is not None and opportunity.deadline < today:
            raise TransitionNotAllowed(
                _("The deadline of this opportunity (%(deadline)s) has passed.")
                % {"deadline": opportunity.deadline.isoformat()},
                code="deadline_passed",
            )


def _clean_quote(fields: dict[str, Any]) -> dict[str, Any]:
    errors: dict[str, str] = {}
    for name in ("unit_price", "total_price"):
        value = fields.get(name)
        if value is not None and Decimal(value) < 0:
            errors[name] = _("A price cannot be negative.")
    valid_until = fields.get("valid_until")
    if valid_until is not None and valid_until < timezone.localdate():
        errors["valid_until"] = _("The quote's validity date has already passed.")
    if errors:
        raise ValidationError(errors)
    return {name: fields[name] for name in QUOTE_FIELDS if name in fields}


def _check_attachment(attachment: UploadedFile | None) -> None:
    if attachment is not None and attachment.size and attachment.size > ATTACHMENT_MAX_BYTES:
        raise ValidationError(
            {
                "attachment": _("The attachment is larger than %(mb)s MB.")
                % {"mb": ATTACHMENT_MAX_BYTES // (1024 * 1024)}
            }
        )


def _quote_data(interest: Interest) -> dict[str, Any]:
    return {
        "unit_price": str(interest.unit_price) if interest.unit_price is not None else None,
        "total_price": str(interest.total_price) if interest.total_price is not None else None,
        "lead_time_days": interest.lead_time_days,
        "valid_until": interest.valid_until.isoformat() if interest.valid_until else None,
        "attachment": bool(interest.attachment),
    }


# --- The supplier's steps ------------------------------------------------------------------


def match_mark_viewed(*, match: Match, by: User) -> AuditEvent | None:
    """Record the first time a member of the supplier opens a match (once per match)."""
    if match.supplier_id is None or not _is_member(by, match.supplier):
        return None
    if AuditEvent.objects.filter(match=match, verb=AuditEvent.Verb.VIEWED).exists():
        return None
    try:
        with transaction.atomic():
            return _record(AuditEvent.Verb.VIEWED, by=by, organization=match.supplier, match=match)
    except IntegrityError:  # another request recorded it first
        return None


def interest_express(
    *,
    match: Match,
    by: User,
    message: str = "",
    unit_price: Decimal | None = None,
    total_price: Decimal | None = None,
    lead_time_days: int | None = None,
    valid_until: datetime.date | None = None,
    attachment: UploadedFile | None = None,
) -> Interest:
    """The supplier is interested in a match, optionally with a quote. Again after a withdrawal."""
    _ensure_supplier(by, match)
    fields = _clean_quote(
        {
            "message": message,
            "unit_price": unit_price,
            "total_price": total_price,
            "lead_time_days": lead_time_days,
            "valid_until": valid_until,
        }
    )
    _check_attachment(attachment)
    with transaction.atomic():
        match = (
            Match.objects.select_for_update(of=("self",))
            .select_related("need_item__plist", "need_opportunity__batch", "supplier", "buyer")
            .get(pk=match.pk)
        )
        existing = Interest.objects.filter(match=match).first()
        if existing is not None and existing.status != Interest.Status.WITHDRAWN:
            raise TransitionNotAllowed(
                _("An interest in this match already exists (%(status)s).")
                % {"status": existing.get_status_display()},
                code="interest_exists",
            )
        _check_need_open(match)
        interest = existing or Interest(
            match=match, supplier=match.supplier, buyer=match.buyer, item=match.need_item
        )
        for name, value in fields.items():
            setattr(interest, name, value)
        interest.status = Interest.Status.INTERESTED
        interest.decline_reason = ""
        interest.created_by = by
        if attachment is not None:
            interest.attachment = attachment
        interest.full_clean(exclude=["match", "supplier", "buyer", "item", "created_by"])
        interest.save()
        _record(
            AuditEvent.Verb.INTEREST_EXPRESSED,
            by=by,
            organization=match.supplier,
            match=match,
            interest=interest,
            data={"message": interest.message, **_quote_data(interest)},
        )
    return interest


def interest_quote(
    *, interest: Interest, by: User, attachment: UploadedFile | None = None, **fields: Any
) -> Interest:
    """The supplier changes its message or quote while the interest is still open."""
    _ensure_supplier(by, interest.match)
    cleaned = _clean_quote(fields)
    _check_attachment(attachment)
    with transaction.atomic():
        interest = Interest.objects.select_for_update().get(pk=interest.pk)
        if interest.status not in (Interest.Status.INTERESTED, Interest.Status.SHORTLISTED):
            raise TransitionNotAllowed(
                _("The quote of an interest that is %(status)s cannot be changed.")
                % {"status": interest.get_status_display()},
            )
        _check_need_open(interest.match)
        for name, value in cleaned.items():
            setattr(interest, name, value)
        if attachment is not None:
            interest.attachment = attachment
        interest.full_clean(exclude=["match", "supplier", "buyer", "item", "created_by"])
        interest.save()
        _record(
            AuditEvent.Verb.QUOTE_UPDATED,
            by=by,
            organization=interest.supplier,
            match=interest.match,
            interest=interest,
            data={"message": interest.message, **_quote_data(interest)},
        )
    return interest


def interest_withdraw(*, interest: Interest, by: User) -> Interest:
    _ensure_supplier(by, interest.match)
    return _move(
        interest,
        by=by,
        organization=interest.supplier,
        allowed=(Interest.Status.INTERESTED, Interest.Status.SHORTLISTED),
        to=Interest.Status.WITHDRAWN,
        verb=AuditEvent.Verb.WITHDRAWN,
    )


# --- The buyer's steps ---------------------------------------------------------------------


def interest_shortlist(*, interest: Interest, by: User) -> Interest:
    _ensure_buyer(by, interest.buyer)
    return _move(
        interest,
        by=by,
        organization=interest.buyer,
        allowed=(Interest.Status.INTERESTED,),
        to=Interest.Status.SHORTLISTED,
        verb=AuditEvent.Verb.SHORTLISTED,
    )


def interest_decline(*, interest: Interest, by: User, reason: str) -> Interest:
    _ensure_buyer(by, interest.buyer)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Say why the supplier is declined.")})
    return _move(
        interest,
        by=by,
        organization=interest.buyer,
        allowed=(Interest.Status.INTERESTED, Interest.Status.SHORTLISTED),
        to=Interest.Status.DECLINED,
        verb=AuditEvent.Verb.DECLINED,
        reason=reason,
    )


def _move(
    interest: Interest,
    *,
    by: User,
    organization: Organization | None,
    allowed: tuple[str, ...],
    to: str,
    verb: str,
    reason: str = "",
) -> Interest:
    with transaction.atomic():
        interest = Interest.objects.select_for_update().get(pk=interest.pk)
        if interest.status not in allowed:
            raise TransitionNotAllowed(
                _("An interest that is %(status)s cannot be %(to)s.")
                % {
                    "status": interest.get_status_display(),
                    "to": Interest.Status(to).label,
                },
            )
        before = interest.status
        interest.status = to
        update = ["status", "updated_at"]
        if reason:
            interest.decline_reason = reason
            update.append("decline_reason")
        interest.save(update_fields=update)
        data: dict[str, Any] = {"from": before, "to": to}
        if reason:
            data["reason"] = reason
        _record(
            verb,
            by=by,
            organization=organization,
            match=interest.match,
            interest=interest,
            data=data,
        )
    return interest


def deal_record(
    *,
    by: User,
    supplier: Organization,
    items: Iterable[ProcurementItem],
    amount: Decimal,
    signed_on: datetime.date,
    contract_number: str,
    interests: Iterable[Interest] | None = None,
) -> Deal:
    """The buyer records a signed deal; its lines become awarded (no second deal on them).

    The lines belong to one list of one buyer. Without ``interests``, the supplier's open
    interests in those lines are linked.
    """
    items = list(items)
    contract_number = (contract_number or "").strip()
    errors: dict[str, str] = {}
    if not items:
        errors["items"] = _("Choose the lines the deal covers.")
    if amount is None or Decimal(amount) <= 0:
        errors["amount"] = _("The amount must be greater than 0.")
    if not contract_number:
        errors["contract_number"] = _("Give the contract number.")
    if signed_on is not None and signed_on > timezone.localdate():
        errors["signed_on"] = _("The signing date cannot be in the future.")
    if errors:
        raise ValidationError(errors)
    if len({item.plist_id for item in items}) > 1:
        raise ValidationError({"items": _("A deal covers lines of one procurement list.")})
    plist = items[0].plist
    buyer = plist.buyer
    _ensure_buyer(by, buyer)
    if Role.SUPPLIER not in supplier.roles:
        raise ValidationError({"supplier": _("%(org)s is not a supplier.") % {"org": supplier}})
    if supplier.pk == buyer.pk:
        raise ValidationError({"supplier": _("The supplier cannot be the buyer itself.")})
    with transaction.atomic():
        locked = list(
            ProcurementItem.objects.select_for_update()
            .filter(pk__in=[i.pk for i in items])
            .order_by("pk")
        )
        for item in locked:
            if item.status == ProcurementItem.Status.AWARDED:
                raise TransitionNotAllowed(
                    _("Line %(line)s already has a deal.") % {"line": item.name},
                    code="line_awarded",
                )
            if item.status != ProcurementItem.Status.OPEN:
                raise TransitionNotAllowed(
                    _("Line %(line)s is %(status)s.")
                    % {"line": item.name, "status": item.get_status_display()},
                    code="line_not_open",
                )
        if plist.status in (ProcurementList.Status.DRAFT, ProcurementList.Status.CANCELLED):
            raise TransitionNotAllowed(
                _("The procurement list is %(status)s.") % {"status": plist.get_status_display()},
                code="list_not_open",
            )
        # Two members recording deals on other lines with one contract number: the buyer's row
        # serialises them, so the second sees the first and gets a field error, not a 500.
        Organization.objects.select_for_update().filter(pk=buyer.pk).first()
        if Deal.objects.filter(buyer=buyer, contract_number=contract_number).exists():
            raise ValidationError(
                {"contract_number": _("A deal with this contract number is already recorded.")}
            )
        if interests is None:
            linked = list(
                Interest.objects.filter(
                    item__in=locked,
                    supplier=supplier,
                    status__in=[Interest.Status.INTERESTED, Interest.Status.SHORTLISTED],
                )
            )
        else:
            linked = list(interests)
            for interest in linked:
                if interest.supplier_id != supplier.pk or interest.item_id not in {
                    i.pk for i in locked
                }:
                    raise ValidationError(
                        {"interests": _("An interest must be the supplier's, on one of the lines.")}
                    )
        deal = Deal.objects.create(
            buyer=buyer,
            supplier=supplier,
            amount=amount,
            signed_on=signed_on,
            contract_number=contract_number,
            created_by=by,
        )
        deal.items.set(locked)
        deal.interests.set(linked)
        ProcurementItem.objects.filter(pk__in=[i.pk for i in locked]).update(
            status=ProcurementItem.Status.AWARDED, updated_at=timezone.now()
        )
        for item in locked:
            ProcurementEvent.objects.create(
                plist=plist,
                item=item,
                kind=ProcurementEvent.Kind.ITEM_EDITED,
                actor=by,
                changes={"status": ["open", "awarded"], "deal": deal.pk},
            )
        _record(
            AuditEvent.Verb.DEAL_RECORDED,
            by=by,
            organization=buyer,
            deal=deal,
            data={
                "amount": str(deal.amount),
                "contract_number": deal.contract_number,
                "signed_on": deal.signed_on.isoformat(),
                "items": [i.pk for i in locked],
                "supplier": supplier.pk,
            },
        )
        for interest in linked:
            before = interest.status
            interest.status = Interest.Status.AWARDED
            interest.save(update_fields=["status", "updated_at"])
            _record(
                AuditEvent.Verb.AWARDED,
                by=by,
                organization=buyer,
                match=interest.match,
                interest=interest,
                deal=deal,
                data={"from": before, "to": Interest.Status.AWARDED},
            )
        from matching.queue import queue_matching

        # An awarded line leaves the index: its remaining matches retire.
        queue_matching(kind="procurement_item", ids=[i.pk for i in locked])
    return deal
