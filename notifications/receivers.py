"""Steps of the deal workflow that someone must hear about, written into the outbox.

Connected to ``deals.signals.transition``, which is sent inside each step's transaction: the
notification commits or rolls back with the step.
"""

from __future__ import annotations

from typing import Any

from django.dispatch import receiver
from django.urls import reverse

from deals.models import AuditEvent
from deals.signals import transition

from . import services
from .models import Kind


def _line_name(event: AuditEvent) -> str:
    interest = event.interest
    if interest is not None and interest.item is not None:
        return str(interest.item.name)
    return ""


@receiver(transition, dispatch_uid="notifications.workflow")
def workflow_step(sender: Any, event: AuditEvent, **kwargs: Any) -> None:
    verb = event.verb
    interest = event.interest
    Verb = AuditEvent.Verb
    if verb == Verb.INTEREST_EXPRESSED and interest is not None and interest.buyer is not None:
        services.enqueue(
            services.recipients_for(interest.buyer),
            kind=Kind.INTEREST,
            subject_key=f"{verb}:{event.pk}",  # each step once, even after a withdrawal
            match_id=interest.match_id,
            context={
                "verb": verb,
                "supplier": interest.supplier.name,
                "line": _line_name(event),
                "message": interest.message[:2000],
                "path": reverse("deals:line-interests", args=[interest.item_id])
                if interest.item_id
                else "",
            },
        )
    elif verb in (Verb.SHORTLISTED, Verb.DECLINED) and interest is not None:
        services.enqueue(
            services.recipients_for(interest.supplier),
            kind=Kind.WORKFLOW,
            subject_key=f"{verb}:{event.pk}",
            match_id=interest.match_id,
            context={
                "verb": verb,
                "buyer": interest.buyer.name if interest.buyer else "",
                "line": _line_name(event),
                "message": interest.decline_reason[:2000] if verb == Verb.DECLINED else "",
                "path": reverse("deals:match-detail", args=[interest.match_id]),
            },
        )
    elif verb == Verb.DEAL_RECORDED and event.deal is not None:
        deal = event.deal
        for organization in (deal.supplier, deal.buyer):
            services.enqueue(
                services.recipients_for(organization),
                kind=Kind.WORKFLOW,
                subject_key=f"deal:{deal.pk}",
                context={
                    "verb": verb,
                    "buyer": deal.buyer.name,
                    "supplier": deal.supplier.name,
                    "contract": deal.contract_number,
                    "amount": str(deal.amount),
                    "path": "",
                },
            )
