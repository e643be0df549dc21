"""Sending the outbox: claim due rows atomically, send over SMTP, record what happened.

Temporary failures (refused connection, timeout, a dropped connection, SMTP 4xx) are
retried with exponential backoff and jitter; permanent ones (5xx) are not, and the
address is marked undeliverable. Each row carries its Message-ID from the moment it is
written, so a resend after a crash is recognisable as the same message.
"""

from __future__ import annotations

import contextlib
import datetime
import logging
import random
import smtplib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core import signing
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from config.formatting import yuan

from .emails import absolute_url, build_message
from .models import Kind, Notification, Suppression

log = logging.getLogger(__name__)

UNSUBSCRIBE_SALT = "notifications.unsubscribe"
NOT_RELEVANT_SALT = "notifications.not-relevant"


def config() -> dict[str, Any]:
    return settings.NOTIFICATIONS


# --- Signed links --------------------------------------------------------------------------------


def unsubscribe_token(notification: Notification) -> str:
    return signing.dumps(
        {"r": notification.recipient_key, "e": notification.email, "k": notification.kind},
        salt=UNSUBSCRIBE_SALT,
        compress=True,
    )


def read_unsubscribe_token(token: str) -> dict[str, str]:
    value = signing.loads(token, salt=UNSUBSCRIBE_SALT)
    if not isinstance(value, dict) or not {"r", "e", "k"} <= set(value):
        raise signing.BadSignature("incomplete token")
    return value


def not_relevant_token(notification: Notification) -> str:
    return signing.dumps(
        {"m": notification.match_id, "o": notification.organization_id, "n": notification.pk},
        salt=NOT_RELEVANT_SALT,
        compress=True,
    )


def read_not_relevant_token(token: str) -> dict[str, int]:
    value = signing.loads(token, salt=NOT_RELEVANT_SALT)
    if not isinstance(value, dict) or not {"m", "o"} <= set(value):
        raise signing.BadSignature("incomplete token")
    return value


# --- What each kind says -------------------------------------------------------------------------


def need_context(match: Any) -> dict[str, Any]:
    if match.need_item_id:
        item = match.need_item
        plist = item.plist
        return {
            "need_name": item.name,
            "need_specs": item.specs,
            "buyer": plist.buyer.name,
            "list_title": plist.title,
            "quantity": f"{item.quantity.normalize():f} {item.unit}".strip()
            if item.quantity is not None
            else "",
            "budget": yuan(item.budget) if item.budget is not None else "",
            "deadline": plist.deadline,
            "delivery_date": item.delivery_date,
            "region": item.delivery_region.name if item.delivery_region_id else "",
        }
    opportunity = match.need_opportunity
    return {
        "need_name": opportunity.title,
        "need_specs": opportunity.description[:200],
        # A city's opportunity may name no enterprise: then the batch's publisher speaks for it.
        "buyer": opportunity.organization.name
        if opportunity.organization is not None
        else opportunity.batch.publisher.name,
        "list_title": opportunity.batch.title,
        "quantity": "",
        "budget": yuan(opportunity.amount) if opportunity.amount is not None else "",
        "deadline": opportunity.deadline,
        "delivery_date": None,
        "region": opportunity.region.name if opportunity.region_id else "",
    }


def offer_name(match: Any) -> str:
    if match.offer_product_id:
        return str(match.offer_product.name)
    return str(match.offer_opportunity.title)


def headline(notification: Notification) -> str:
    """One line that says what a notification is about (the inbox and the digest use it)."""
    ctx = notification.context
    if notification.kind == Kind.NEW_MATCH and notification.match_id:
        need = need_context(notification.match)
        return _("%(buyer)s needs %(need)s — fits your %(offer)s") % {
            "buyer": need["buyer"],
            "need": need["need_name"],
            "offer": offer_name(notification.match),
        }
    if notification.kind == Kind.LIST_SUMMARY:
        return _("%(suitable)s of your %(lines)s lines have suitable suppliers: %(title)s") % {
            "suitable": ctx.get("suitable", 0),
            "lines": ctx.get("lines", 0),
            "title": ctx.get("title", ""),
        }
    if notification.kind == Kind.UPDATE:
        names = "、".join(i["name"] for i in ctx.get("items", []))
        change = ctx.get("change")
        if change == "cancelled":
            return _("Cancelled by the buyer: %(names)s") % {"names": names}
        if change == "deadline":
            return _("The deadline moved: %(names)s") % {"names": names}
        return _("Changed by the buyer: %(names)s") % {"names": names}
    if notification.kind in (Kind.INTEREST, Kind.WORKFLOW):
        verb = ctx.get("verb")
        parties: dict[str, str] = {
            "supplier": ctx.get("supplier", ""),
            "buyer": ctx.get("buyer", ""),
            "line": ctx.get("line", ""),
        }
        if verb == "interest_expressed":
            return _("%(supplier)s is interested in your line %(line)s") % parties
        if verb == "shortlisted":
            return _("%(buyer)s shortlisted you for %(line)s") % parties
        if verb == "declined":
            return _("%(buyer)s declined your offer for %(line)s") % parties
        if verb == "deal_recorded":
            amounts = {"amount": yuan(ctx.get("amount"))}
            return _("Deal recorded: %(buyer)s and %(supplier)s, %(amount)s") % (parties | amounts)
        return str(notification.get_kind_display())
    if notification.kind == Kind.DIGEST:
        return _("Your Duijie digest: %(count)s new") % {"count": ctx.get("count", 0)}
    return str(notification.get_kind_display())


def link(notification: Notification) -> str:
    """Where an email takes its reader: the match, the line's answers, or the notification."""
    if notification.context.get("path"):
        return absolute_url(str(notification.context["path"]))
    if notification.kind == Kind.NEW_MATCH and notification.match_id:
        return absolute_url(reverse("deals:match-detail", args=[notification.match_id]))
    if notification.kind == Kind.LIST_SUMMARY and notification.context.get("list_id"):
        return absolute_url(
            reverse("procurement:list-preview", args=[notification.context["list_id"]])
        )
    return absolute_url(reverse("notifications:detail", args=[notification.pk]))


def _context(notification: Notification) -> dict[str, Any]:
    ctx: dict[str, Any] = {
        "notification": notification,
        "headline": headline(notification),
        "link": link(notification),
        "preferences_link": absolute_url(reverse("notifications:preferences")),
        "unsubscribe_link": absolute_url(
            reverse("notifications:unsubscribe", args=[unsubscribe_token(notification)])
        ),
        **notification.context,
    }
    match = notification.match
    if notification.kind == Kind.NEW_MATCH and match is not None:
        ctx.update(need_context(match))
        ctx["offer"] = offer_name(match)
        ctx["reasons"] = match.reasons_text
        ctx["score"] = round(match.score * 100)
        ctx["not_relevant_link"] = absolute_url(
            reverse("notifications:not-relevant", args=[not_relevant_token(notification)])
        )
    if notification.kind == Kind.DIGEST:
        ctx["items"] = [
            {"headline": headline(item), "link": link(item)}
            for item in notification.items.select_related(*RELATED).order_by("created_at", "pk")
        ]
    return ctx


RELATED = (
    "match__need_item__plist__buyer",
    "match__need_item__delivery_region",
    "match__need_opportunity__batch__publisher",
    "match__need_opportunity__organization",
    "match__need_opportunity__region",
    "match__offer_product",
    "match__offer_opportunity",
)


def render(notification: Notification) -> EmailMultiAlternatives:
    mailto = f"mailto:{config()['UNSUBSCRIBE_MAILTO']}?subject=unsubscribe"
    with translation.override(notification.language):
        context = _context(notification)
    unsubscribe = context["unsubscribe_link"]  # the signed link the footer shows, signed once
    return build_message(
        f"notification-{notification.kind.replace('_', '-')}",
        to=notification.email,
        context=context,
        language=notification.language,
        headers={
            "Message-ID": notification.message_id,
            "List-Unsubscribe": f"<{unsubscribe}>, <{mailto}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
            "Auto-Submitted": "auto-generated",
        },
    )


# --- Sending -------------------------------------------------------------------------------------


@dataclass
class Outcome:
    sent: int = 0
    retried: int = 0
    failed: int = 0


def backoff(attempt: int) -> float:
    """Seconds before attempt ``attempt + 1``: exponential, capped, with full jitter above half."""
    base = float(config()["RETRY_BASE_SECONDS"])
    ceiling = float(config()["RETRY_MAX_SECONDS"])
    delay = min(ceiling, base * (2 ** max(0, attempt - 1)))
    return delay / 2 + random.uniform(0, delay / 2)  # noqa: S311 - jitter, not security


def classify(error: BaseException) -> tuple[bool, str]:
    """(permanent?, a line for operators): 5xx is permanent; trouble reaching the server is not."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _msg in error.recipients.values()]
        permanent = bool(codes) and all(code >= 500 for code in codes)
        return permanent, f"recipients refused: {error.recipients}"
    if isinstance(error, smtplib.SMTPResponseException):
        return error.smtp_code >= 500, f"{error.smtp_code} {error.smtp_error!r}"
    if isinstance(error, smtplib.SMTPServerDisconnected | ConnectionError | TimeoutError | OSError):
        return False, f"{type(error).__name__}: {error}"
    return True, f"{type(error).__name__}: {error}"


def claim(limit: int, now: datetime.datetime | None = None) -> list[int]:
    """Take up to ``limit`` due rows for this worker; two senders never take the same row."""
    now = now or timezone.now()
    with transaction.atomic():
        ids = list(
            Notification.objects.select_for_update(skip_locked=True)
            .filter(status=Notification.Status.PENDING, next_attempt_at__lte=now)
            .order_by("next_attempt_at", "pk")
            .values_list("pk", flat=True)[:limit]
        )
        if ids:
            Notification.objects.filter(pk__in=ids).update(
                status=Notification.Status.SENDING,
                claimed_at=now,
                attempts=F("attempts") + 1,
            )
    return ids


def _record_failure(notification: Notification, error: BaseException, outcome: Outcome) -> None:
    permanent, detail = classify(error)
    now = timezone.now()
    if permanent or notification.attempts >= int(config()["MAX_ATTEMPTS"]):
        Notification.objects.filter(pk=notification.pk).update(
            status=Notification.Status.FAILED, last_error=detail[:2000], claimed_at=None
        )
        if permanent and isinstance(
            error, smtplib.SMTPRecipientsRefused | smtplib.SMTPResponseException
        ):
            Suppression.objects.get_or_create(
                email=notification.email.lower(),
                kind="",
                defaults={"reason": Suppression.Reason.UNDELIVERABLE, "detail": detail[:2000]},
            )
        outcome.failed += 1
        log.warning("notification %s failed for good: %s", notification.pk, detail)
        return
    delay = backoff(notification.attempts)
    Notification.objects.filter(pk=notification.pk).update(
        status=Notification.Status.PENDING,
        next_attempt_at=now + datetime.timedelta(seconds=delay),
        last_error=detail[:2000],
        claimed_at=None,
    )
    outcome.retried += 1
    from .tasks import send_due

    send_due.apply_async(countdown=delay)


def send_claimed(ids: list[int]) -> Outcome:
    """Send these claimed rows over one SMTP connection, reopened after a failure."""
    outcome = Outcome()
    rows = Notification.objects.filter(pk__in=ids, status=Notification.Status.SENDING)
    rows = rows.select_related(*RELATED).order_by("pk")
    connection = None
    for notification in rows:
        match = notification.match
        if notification.kind == Kind.NEW_MATCH and (match is None or match.status != "active"):
            # The need closed or the offer was archived before the email went out.
            Notification.objects.filter(pk=notification.pk).update(
                status=Notification.Status.SKIPPED, last_error="match retired", claimed_at=None
            )
            continue
        try:
            message = render(notification)
        except Exception as error:  # a template or data problem: retrying will not help
            log.exception("notification %s could not be rendered", notification.pk)
            _record_failure(notification, error, outcome)
            continue
        try:
            if connection is None:
                connection = get_connection(fail_silently=False)
                connection.open()
            message.connection = connection
            message.send()
        except Exception as error:
            _record_failure(notification, error, outcome)
            try:
                if connection is not None:
                    connection.close()
            except Exception:  # noqa: S110 - the connection is already broken
                pass
            connection = None
            continue
        Notification.objects.filter(pk=notification.pk).update(
            status=Notification.Status.SENT, sent_at=timezone.now(), last_error="", claimed_at=None
        )
        outcome.sent += 1
    if connection is not None:
        with contextlib.suppress(Exception):
            connection.close()
    return outcome


def send_due(
    *, limit: int | None = None, on_backlog: Callable[[], object] | None = None
) -> Outcome:
    """Send everything due now, a batch at a time.

    ``on_backlog`` is called once if a full batch was claimed: more is waiting, and another
    worker process can take a share of it (rows are claimed with SKIP LOCKED).
    """
    total = Outcome()
    batch = int(config()["BATCH"])
    budget = limit
    while budget is None or budget > 0:
        ids = claim(batch if budget is None else min(batch, budget))
        if not ids:
            break
        if on_backlog is not None and len(ids) == batch:
            on_backlog()
            on_backlog = None
        outcome = send_claimed(ids)
        total.sent += outcome.sent
        total.retried += outcome.retried
        total.failed += outcome.failed
        if budget is not None:
            budget -= len(ids)
    return total


def sweep(now: datetime.datetime | None = None) -> int:
    """Re-queue what was left behind: rows claimed by a worker that died, rows never woken.

    Returns how many rows are due; wakes the sender when any are.
    """
    now = now or timezone.now()
    stuck = now - datetime.timedelta(seconds=int(config()["STUCK_AFTER_SECONDS"]))
    Notification.objects.filter(status=Notification.Status.SENDING, claimed_at__lt=stuck).update(
        status=Notification.Status.PENDING, claimed_at=None, next_attempt_at=now
    )
    due = Notification.objects.filter(
        status=Notification.Status.PENDING, next_attempt_at__lte=now
    ).count()
    if due:
        from .tasks import send_due as send_due_task

        send_due_task.delay()
    return due
