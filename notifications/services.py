"""Writing notifications: who hears about what, when, and how.

Every function here runs inside the caller's transaction, so a notification exists if
and only if the event that caused it was committed. The sender is woken on commit.
"""

from __future__ import annotations

import contextlib
import contextvars
import datetime
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from email.utils import make_msgid
from typing import TYPE_CHECKING, Any, Protocol

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import connection, transaction
from django.db.models import Count, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Membership, Organization, Role, User
from config import lookups  # noqa: F401 - registers __any_of
from config.api import region_prefix

from .models import (
    PREFERENCE_KINDS,
    Frequency,
    Kind,
    MatchFeedback,
    Notification,
    Preference,
    Suppression,
    Watch,
)

if TYPE_CHECKING:
    from matching.models import Document, Match
    from procurement.models import ProcurementEvent, ProcurementItem


def config() -> dict[str, Any]:
    return settings.NOTIFICATIONS


# --- Recipients and their preferences ------------------------------------------------------------


@dataclass(frozen=True)
class Recipient:
    key: str
    email: str
    language: str
    organization_id: int | None
    user_id: int | None = None
    roles: tuple[str, ...] = ()


def _valid(address: str) -> bool:
    try:
        validate_email(address)
    except ValidationError:
        return False
    return True


def _memberships(organization_ids: Iterable[int]) -> QuerySet[Membership]:
    return (
        Membership.objects.filter(organization_id__any_of=organization_ids, user__is_active=True)
        .select_related("user")
        .order_by("pk")
    )


def recipients_for(organization: Organization) -> list[Recipient]:
    """The organization's active members; with none, its contact address (bundles carry one)."""
    return _recipients(
        organization.pk,
        tuple(organization.roles),
        organization.contact_email,
        _memberships([organization.pk]),
    )


def _recipients(
    organization_id: int,
    roles: tuple[str, ...],
    contact_email: str,
    memberships: Iterable[Membership],
) -> list[Recipient]:
    members = [
        Recipient(
            key=f"user:{m.user_id}",
            email=m.user.email,
            language=m.user.language,
            organization_id=organization_id,
            user_id=m.user_id,
            roles=roles,
        )
        for m in memberships
        if _valid(m.user.email)
    ]
    if members:
        return members
    address = contact_email.strip()
    if address and _valid(address):
        return [
            Recipient(
                key=f"email:{address.lower()}",
                email=address,
                language=settings.LANGUAGE_CODE,
                organization_id=organization_id,
                roles=roles,
            )
        ]
    return []


def default_frequency(kind: str, roles: Sequence[str]) -> str:
    """Suppliers hear at once (with a daily cap); what only buyers receive comes daily.

    A list summary is itself the one message per published list, so it goes at once.
    """
    if kind == Kind.INTEREST:
        return Frequency.DAILY
    return Frequency.INSTANT


def preferences_for(user: User) -> dict[str, str]:
    roles: set[str] = set()
    for organization in Organization.objects.filter(memberships__user=user):
        roles.update(organization.roles)
    chosen = dict(Preference.objects.filter(user=user).values_list("kind", "frequency"))
    return {k: chosen.get(k, default_frequency(k, tuple(roles))) for k in PREFERENCE_KINDS}


def preferences_set(*, user: User, changes: dict[str, str]) -> dict[str, str]:
    errors = {
        kind: _("Unknown kind.") if kind not in PREFERENCE_KINDS else _("Unknown frequency.")
        for kind, value in changes.items()
        if kind not in PREFERENCE_KINDS or value not in Frequency.values
    }
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        for kind, value in changes.items():
            Preference.objects.update_or_create(user=user, kind=kind, defaults={"frequency": value})
    return preferences_for(user)


# --- Per-task caches -----------------------------------------------------------------------------


@dataclass
class _Cache:
    recipients: dict[int, list[Recipient]] = field(default_factory=dict)
    watches: dict[int, list[Watch]] = field(default_factory=dict)
    frequencies: dict[tuple[str, str], str] = field(default_factory=dict)
    suppressed: dict[str, set[str]] = field(default_factory=dict)
    sent_today: dict[str, int] = field(default_factory=dict)
    feedback_orgs: set[int] | None = None
    # New-match notifications of the task's matches, written together by ``flush``.
    pending: list[Item] = field(default_factory=list)


_cache: contextvars.ContextVar[_Cache | None] = contextvars.ContextVar(
    "notification_cache", default=None
)


@contextlib.contextmanager
def batch() -> Iterator[None]:
    """Within one matching task, look up recipients, watches and preferences once.

    Within a batch already open, the same one (a task's parts share its lookups)."""
    if _cache.get() is not None:
        yield
        return
    token = _cache.set(_Cache())
    try:
        yield
    finally:
        _cache.reset(token)


def prefetch(organization_ids: Iterable[int]) -> None:
    """Within a batch: read the recipients and watches of these organizations in a few
    statements rather than one per organization (a matching chunk names hundreds)."""
    cache_ = _cache.get()
    if cache_ is None:
        return
    ids = set(organization_ids)
    missing = ids - cache_.recipients.keys()
    if missing:
        members: dict[int, list[Membership]] = defaultdict(list)
        for membership in _memberships(missing):
            members[membership.organization_id].append(membership)
        organizations = Organization.objects.filter(pk__any_of=missing).order_by()  # any order
        for pk, roles, contact_email in organizations.values_list("pk", "roles", "contact_email"):
            cache_.recipients[pk] = _recipients(pk, tuple(roles), contact_email, members[pk])
    missing = ids - cache_.watches.keys()
    if missing:
        watches: dict[int, list[Watch]] = {pk: [] for pk in missing}
        # Any order (``wants`` asks whether any fits): no join for the default ordering.
        for watch in Watch.objects.filter(organization_id__any_of=missing).order_by():
            watches[watch.organization_id].append(watch)
        cache_.watches.update(watches)


def _cached_recipients(organization_id: int) -> list[Recipient]:
    cache_ = _cache.get()
    if cache_ is not None and organization_id in cache_.recipients:
        return cache_.recipients[organization_id]
    organization = Organization.objects.get(pk=organization_id)
    found = recipients_for(organization)
    if cache_ is not None:
        cache_.recipients[organization_id] = found
    return found


def _cached_watches(organization_id: int) -> list[Watch]:
    cache_ = _cache.get()
    if cache_ is not None and organization_id in cache_.watches:
        return cache_.watches[organization_id]
    found = list(Watch.objects.filter(organization_id=organization_id))
    if cache_ is not None:
        cache_.watches[organization_id] = found
    return found


def _frequency(recipient: Recipient, kind: str) -> str:
    cache_ = _cache.get()
    key = (recipient.key, kind)
    if cache_ is not None and key in cache_.frequencies:
        return cache_.frequencies[key]
    value = default_frequency(kind, recipient.roles)
    if recipient.user_id is not None:
        chosen = (
            Preference.objects.filter(user_id=recipient.user_id, kind=kind)
            .values_list("frequency", flat=True)
            .first()
        )
        value = chosen or value
    if cache_ is not None:
        cache_.frequencies[key] = value
    return value


def _suppressed(email: str) -> set[str]:
    """The kinds this address must not receive by email ('' meaning every kind)."""
    cache_ = _cache.get()
    address = email.lower()
    if cache_ is not None and address in cache_.suppressed:
        return cache_.suppressed[address]
    found = set(Suppression.objects.filter(email__iexact=address).values_list("kind", flat=True))
    if cache_ is not None:
        cache_.suppressed[address] = found
    return found


# --- Writing notifications -----------------------------------------------------------------------


def message_id() -> str:
    return make_msgid(idstring="duijie", domain=config()["MESSAGE_ID_DOMAIN"])


def _start_of_day(now: datetime.datetime) -> datetime.datetime:
    local = timezone.localtime(now)
    return local.replace(hour=0, minute=0, second=0, microsecond=0)


def _sent_today_rows(kind: str, now: datetime.datetime) -> QuerySet[Notification]:
    """The emails of this kind gone out (or going out) today: what the daily cap counts."""
    return Notification.objects.filter(
        kind=kind,
        created_at__gte=_start_of_day(now),
        status__in=[
            Notification.Status.PENDING,
            Notification.Status.SENDING,
            Notification.Status.SENT,
            Notification.Status.FAILED,
        ],
    ).order_by()


def _sent_today(recipient: Recipient, kind: str, now: datetime.datetime) -> int:
    return _sent_today_rows(kind, now).filter(recipient_key=recipient.key).count()


def _over_daily_cap(recipient: Recipient, kind: str, now: datetime.datetime) -> bool:
    """Whether one more instant new-match email would pass the recipient's daily cap.

    Within a matching task the count is read once per recipient and kept up to date here.
    """
    if kind != Kind.NEW_MATCH:
        return False
    cap = int(config()["DAILY_CAP"])
    cache_ = _cache.get()
    if cache_ is None:
        return _sent_today(recipient, kind, now) >= cap
    if recipient.key not in cache_.sent_today:
        cache_.sent_today[recipient.key] = _sent_today(recipient, kind, now)
    if cache_.sent_today[recipient.key] >= cap:
        return True
    cache_.sent_today[recipient.key] += 1
    return False


def _prefetch_status(recipients: Iterable[Recipient], kind: str, now: datetime.datetime) -> None:
    """Within a batch: what ``_status_for`` reads of these recipients (suppressions,
    preferences, today's count of new-match emails), one statement each for all of them
    rather than three per recipient. A matching part tells dozens of recipients at once."""
    cache_ = _cache.get()
    if cache_ is None:
        return
    unique: dict[str, Recipient] = {}
    for recipient in recipients:  # the first of a key decides, as in ``_frequency``
        unique.setdefault(recipient.key, recipient)
    recipients = list(unique.values())
    addresses = sorted({r.email.lower() for r in recipients} - cache_.suppressed.keys())
    if addresses:
        found: dict[str, set[str]] = {address: set() for address in addresses}
        with connection.cursor() as cursor:
            # As ``_suppressed``'s ``email__iexact``: UPPER on both sides, in the database.
            cursor.execute(
                "SELECT a.address, s.kind FROM unnest(%s::text[]) AS a(address)"  # noqa: S608
                f" JOIN {Suppression._meta.db_table} s ON UPPER(s.email) = UPPER(a.address)",
                [addresses],
            )
            for address, suppressed_kind in cursor.fetchall():
                found[address].add(suppressed_kind)
        cache_.suppressed.update(found)
    missing = [
        r for r in recipients if r.user_id is not None and (r.key, kind) not in cache_.frequencies
    ]
    if missing:
        chosen: dict[int | None, str] = dict(
            Preference.objects.filter(
                user_id__any_of=[r.user_id for r in missing], kind=kind
            ).values_list("user_id", "frequency")
        )
        for r in missing:
            cache_.frequencies[(r.key, kind)] = chosen.get(r.user_id) or default_frequency(
                kind, r.roles
            )
    if kind == Kind.NEW_MATCH:
        keys = sorted({r.key for r in recipients} - cache_.sent_today.keys())
        if keys:
            counts = dict(
                _sent_today_rows(kind, now)
                .filter(recipient_key__any_of=keys)
                .values("recipient_key")
                .annotate(n=Count("id"))
                .values_list("recipient_key", "n")
            )
            cache_.sent_today.update({key: counts.get(key, 0) for key in keys})


def _status_for(recipient: Recipient, kind: str, now: datetime.datetime) -> str:
    suppressed = _suppressed(recipient.email)
    frequency = _frequency(recipient, kind)
    if "" in suppressed or kind in suppressed or frequency == Frequency.OFF:
        return Notification.Status.SKIPPED
    if frequency in (Frequency.DAILY, Frequency.WEEKLY):
        return Notification.Status.HELD
    if _over_daily_cap(recipient, kind, now):
        return Notification.Status.HELD  # the rest roll into the next digest
    return Notification.Status.PENDING


@dataclass(frozen=True)
class Item:
    """One notification to write: to whom, about what."""

    recipient: Recipient
    subject_key: str
    match_id: int | None = None
    context: dict[str, Any] | None = None


def enqueue(
    recipients: Iterable[Recipient],
    *,
    kind: str,
    subject_key: str,
    match_id: int | None = None,
    context: dict[str, Any] | None = None,
    now: datetime.datetime | None = None,
) -> int:
    """Write one notification per recipient, unless it exists; wake the sender on commit."""
    items = [Item(r, subject_key, match_id, context) for r in recipients]
    return enqueue_items(items, kind=kind, now=now)


def _row(item: Item, *, kind: str, status: str, now: datetime.datetime) -> Notification:
    """An unsaved notification, its Message-ID fixed now, once and for all."""
    recipient = item.recipient
    return Notification(
        recipient_key=recipient.key,
        user_id=recipient.user_id,
        email=recipient.email,
        organization_id=recipient.organization_id,
        language=recipient.language,
        kind=kind,
        subject_key=item.subject_key,
        match_id=item.match_id,
        context=item.context or {},
        status=status,
        message_id=message_id(),
        next_attempt_at=now,
    )


def enqueue_items(items: Iterable[Item], *, kind: str, now: datetime.datetime | None = None) -> int:
    """Write these notifications in one statement, skipping those that exist.

    A recipient without a user account who has turned this kind down gets no row at all;
    a user gets the row in the in-app inbox even when no email goes out.
    """
    now = now or timezone.now()
    items = list(items)
    _prefetch_status([item.recipient for item in items], kind, now)
    rows = []
    for item in items:
        recipient = item.recipient
        status = _status_for(recipient, kind, now)
        if status == Notification.Status.SKIPPED and recipient.user_id is None:
            continue
        rows.append(_row(item, kind=kind, status=status, now=now))
    if not rows:
        return 0
    created = Notification.objects.bulk_create(rows, ignore_conflicts=True)
    if any(row.status == Notification.Status.PENDING for row in created):
        wake_sender()
    return len(created)


def wake_sender(countdown: float | None = None) -> None:
    """Ask a worker to send what is due, once the current transaction commits.

    A flag in Redis keeps a burst of commits from queueing a burst of identical tasks;
    the sender clears it when it starts, and the sweeper covers a lost message.
    """
    from .tasks import send_due

    def send() -> None:
        if countdown:
            send_due.apply_async(countdown=countdown)
        elif cache.add("notifications:wake", 1, timeout=60):
            send_due.delay()

    transaction.on_commit(send)


# --- Matches -------------------------------------------------------------------------------------


def watch_fits(watch: Watch, need: Document) -> bool:
    if watch.categories and not set(watch.categories) & set(need.categories):
        return False
    if watch.regions and not any(
        region.startswith(region_prefix(code)) for code in watch.regions for region in need.regions
    ):
        return False
    if watch.keywords:
        text = need.title.lower()
        words = set(need.tokens)
        if not any(k.lower() in text or k.lower() in words for k in watch.keywords):
            return False
    if watch.min_budget is not None:
        budget = need.facts.get("budget") or need.facts.get("amount")
        if budget is None or Decimal(str(budget)) < watch.min_budget:
            return False
    return True


def wants(match: MatchRow, need: Document, organization_id: int) -> bool:
    """Whether the supplier should hear of this match: the matcher's call, shaped by watches."""
    watches = _cached_watches(organization_id)
    fits = [w for w in watches if watch_fits(w, need)]
    if any(w.mode == Watch.Mode.ADD for w in fits):
        return True
    only = [w for w in watches if w.mode == Watch.Mode.ONLY]
    if only and not any(w.mode == Watch.Mode.ONLY for w in fits):
        return False
    return match.notify


class MatchRow(Protocol):
    """What the notifications read of a stored match (a ``Match``, or the matcher's row)."""

    @property
    def pk(self) -> Any: ...
    @property
    def status(self) -> str: ...
    @property
    def supplier_id(self) -> int | None: ...
    @property
    def notify(self) -> bool: ...


def notify_matches(need: Document, matches: Sequence[MatchRow]) -> int:
    """Tell each supplier of the matches it wants to hear about (called as the matches are stored).

    Re-running writes nothing new: a notification is unique per recipient and match. A pair
    marked not relevant is never notified again.
    """
    if need.kind == "procurement_item" and not need.active:
        return 0
    candidates = [
        m
        for m in matches
        if m.status == "active" and m.supplier_id and wants(m, need, m.supplier_id)
    ]
    if not candidates:
        return 0
    dismissed: set[int] = set()
    if _may_have_feedback({m.supplier_id for m in candidates if m.supplier_id}):
        dismissed = set(
            MatchFeedback.objects.filter(match_id__in=[m.pk for m in candidates]).values_list(
                "match_id", flat=True
            )
        )
    items = [
        Item(recipient, f"match:{match.pk}", match.pk)
        for match in candidates
        if match.pk not in dismissed and match.supplier_id is not None
        for recipient in _cached_recipients(match.supplier_id)
    ]
    cache_ = _cache.get()
    if cache_ is not None:
        cache_.pending.extend(items)  # written by flush(), in the same transaction
        return len(items)
    return enqueue_items(items, kind=Kind.NEW_MATCH)


def flush() -> int:
    """Write the new-match notifications gathered in this batch, in one statement."""
    cache_ = _cache.get()
    if cache_ is None or not cache_.pending:
        return 0
    items, cache_.pending = cache_.pending, []
    return enqueue_items(items, kind=Kind.NEW_MATCH)


def _may_have_feedback(organization_ids: set[int]) -> bool:
    """Whether any of these suppliers ever marked a match not relevant (read once per task)."""
    cache_ = _cache.get()
    if cache_ is None:
        return True
    if cache_.feedback_orgs is None:
        cache_.feedback_orgs = set(
            MatchFeedback.objects.values_list("organization_id", flat=True).distinct()
        )
    return bool(cache_.feedback_orgs & organization_ids)


def dismiss_match(*, match: Match, organization: Organization, user: User | None) -> MatchFeedback:
    """ "Not relevant": recorded once, and whatever was still waiting for this pair is dropped."""
    with transaction.atomic():
        feedback, _created = MatchFeedback.objects.get_or_create(
            match=match, organization=organization, defaults={"user": user}
        )
        Notification.objects.filter(
            match=match,
            organization=organization,
            status__in=[Notification.Status.PENDING, Notification.Status.HELD],
        ).update(status=Notification.Status.SKIPPED, last_error="not relevant")
    return feedback


_PENDING_LINE = (
    "SELECT 1 FROM {items} i"
    " WHERE i.plist_id = %(plist)s AND i.status = %(open)s AND coalesce(("
    " SELECT d.matched_at FROM matching_document d"
    " WHERE d.key = 'procurement_item:' || i.id) < %(published)s, true)"
    " ORDER BY i.id DESC LIMIT 1"
)
_LINES_SUITABLE = (
    "SELECT count(*), count(*) FILTER (WHERE EXISTS (SELECT 1 FROM matching_match m"
    " WHERE m.need_key = 'procurement_item:' || i.id AND m.status = %(active)s AND m.notify))"
    " FROM {items} i WHERE i.plist_id = %(plist)s AND i.status = %(open)s"
)


def lists_matched(needs: Iterable[Document]) -> int:
    """After lines were matched: a buyer's summary for each list whose every open line is done.

    One message per published list, however many chunks matched it; it counts the lines
    with at least one supplier worth telling the buyer about.
    """
    from matching.models import Document, Match
    from procurement.models import ProcurementItem, ProcurementList

    item_ids = [n.object_id for n in needs if n.kind == Document.Kind.PROCUREMENT_ITEM and n.active]
    if not item_ids:
        return 0
    items = ProcurementItem._meta.db_table
    written = 0
    for plist in (
        ProcurementList.objects.filter(items__in=item_ids, status=ProcurementList.Status.PUBLISHED)
        .only("pk", "buyer_id", "published_at", "title")
        .order_by("pk")
        .distinct()
    ):
        recipients = _cached_recipients(plist.buyer_id)
        told = Notification.objects.filter(
            recipient_key__in=[r.key for r in recipients],
            kind=Kind.LIST_SUMMARY,
            subject_key=f"list:{plist.pk}",
        ).count()
        if told == len(recipients):
            # Everyone was told (or there is no one to tell): re-matching a line of a list
            # matched long ago does not walk its lines again (100,000 lines: most of a second).
            continue
        params: dict[str, Any] = {
            "plist": plist.pk,
            "open": ProcurementItem.Status.OPEN,
            "published": plist.published_at,
            "active": Match.Status.ACTIVE,
        }
        with connection.cursor() as cursor:
            # Stops at the first open line not matched since the list was published, looking
            # each line up by its key (a correlated subquery: a join may be planned as a scan
            # of every document). Lines are queued in order, so the last lines are the ones
            # still waiting: searched from the last, every chunk but the list's last stops at
            # once. Then the counts, in one statement.
            cursor.execute(_PENDING_LINE.format(items=items), params)
            if cursor.fetchone() is not None:
                continue
            cursor.execute(_LINES_SUITABLE.format(items=items), params)
            lines, suitable = cursor.fetchone() or (0, 0)
        with transaction.atomic():
            written += enqueue(
                recipients,
                kind=Kind.LIST_SUMMARY,
                subject_key=f"list:{plist.pk}",
                context={
                    "lines": lines,
                    "suitable": suitable,
                    "title": plist.title,
                    "list_id": plist.pk,
                },
            )
    return written


# --- Changes to needs ----------------------------------------------------------------------------


def need_changed(*, items: Sequence[ProcurementItem], event: ProcurementEvent, change: str) -> int:
    """One update to each supplier that was told about one of these lines.

    ``change`` is ``edited``, ``cancelled`` or ``deadline``. Called inside the edit's
    transaction; the event id makes it one update per change and supplier.
    """
    if not items:
        return 0
    keys = [f"procurement_item:{item.pk}" for item in items]
    told = (
        Notification.objects.filter(
            kind=Kind.NEW_MATCH,
            match__need_key__in=keys,
            status__in=[Notification.Status.SENT, Notification.Status.DIGESTED],
        )
        .exclude(match__feedback__isnull=False)
        .values("recipient_key", "user_id", "email", "organization_id", "language")
        .distinct()
    )
    changed = {item.pk: item.name for item in items}
    told_items: dict[str, list[int]] = {}
    for key, item_id in Notification.objects.filter(
        kind=Kind.NEW_MATCH,
        match__need_key__in=keys,
        status__in=[Notification.Status.SENT, Notification.Status.DIGESTED],
    ).values_list("recipient_key", "match__need_item_id"):
        if item_id is not None:
            told_items.setdefault(key, []).append(item_id)
    written = 0
    for row in told:
        recipient = Recipient(
            key=row["recipient_key"],
            email=row["email"],
            language=row["language"],
            organization_id=row["organization_id"],
            user_id=row["user_id"],
            roles=(Role.SUPPLIER,),
        )
        ids = sorted(set(told_items.get(recipient.key, [])))
        written += enqueue(
            [recipient],
            kind=Kind.UPDATE,
            subject_key=f"event:{event.pk}",
            context={
                "change": change,
                "items": [{"id": pk, "name": changed.get(pk, "")} for pk in ids],
                "list_id": event.plist_id,
                "changes": event.changes,
            },
        )
    return written


# --- Unsubscribing -------------------------------------------------------------------------------


def unsubscribe(*, recipient_key: str, email: str, kind: str) -> None:
    """Idempotent: turn this kind (or, for a digest, every kind) off for the recipient."""
    kinds = PREFERENCE_KINDS if kind in ("", Kind.DIGEST) else [kind]
    with transaction.atomic():
        if recipient_key.startswith("user:"):
            user = User.objects.filter(pk=int(recipient_key.split(":", 1)[1])).first()
            if user is not None:
                for k in kinds:
                    Preference.objects.update_or_create(
                        user=user, kind=k, defaults={"frequency": Frequency.OFF}
                    )
                Notification.objects.filter(
                    user=user,
                    kind__in=kinds,
                    status__in=[Notification.Status.HELD, Notification.Status.PENDING],
                ).update(status=Notification.Status.SKIPPED, last_error="unsubscribed")
                return
        suppress_kind = "" if kind in ("", Kind.DIGEST) else kind
        Suppression.objects.get_or_create(
            email=email.lower(),
            kind=suppress_kind,
            defaults={"reason": Suppression.Reason.UNSUBSCRIBED},
        )
        Notification.objects.filter(
            Q(recipient_key=recipient_key),
            Q(kind__in=kinds) | Q(kind=Kind.DIGEST),
            status__in=[Notification.Status.HELD, Notification.Status.PENDING],
        ).update(status=Notification.Status.SKIPPED, last_error="unsubscribed")


def mark_read(*, user: User, ids: Iterable[int] | None = None) -> int:
    rows = Notification.objects.filter(user=user, read_at__isnull=True)
    if ids is not None:
        rows = rows.filter(pk__in=list(ids))
    return rows.update(read_at=timezone.now())


# --- Digests -------------------------------------------------------------------------------------


def digests_build(now: datetime.datetime | None = None) -> int:
    """One digest per recipient with held notifications; none when nothing is new.

    Runs daily at 08:00 Asia/Shanghai. Kinds a user wants weekly wait for Monday. The digest
    is unique per recipient and day, so a second run the same morning writes nothing.
    """
    now = now or timezone.now()
    local = timezone.localtime(now)
    monday = local.weekday() == 0
    held = Notification.objects.filter(status=Notification.Status.HELD).order_by("created_at", "pk")
    by_recipient: dict[str, list[Notification]] = {}
    for row in held:
        by_recipient.setdefault(row.recipient_key, []).append(row)
    written = 0
    for key, rows in by_recipient.items():
        first = rows[0]
        recipient = Recipient(
            key=key,
            email=first.email,
            language=first.language,
            organization_id=first.organization_id,
            user_id=first.user_id,
        )
        if not monday:
            rows = [r for r in rows if _frequency(recipient, r.kind) != Frequency.WEEKLY]
        subject_key = f"digest:{local.date().isoformat()}"
        if (
            not rows
            or Notification.objects.filter(
                recipient_key=key, kind=Kind.DIGEST, subject_key=subject_key
            ).exists()
        ):
            continue  # what arrived after this morning's digest waits for tomorrow's
        with transaction.atomic():
            digest = _row(
                Item(recipient, subject_key, context={"count": len(rows)}),
                kind=Kind.DIGEST,
                status=Notification.Status.PENDING,
                now=now,
            )
            digest.save()
            Notification.objects.filter(
                pk__in=[r.pk for r in rows], status=Notification.Status.HELD
            ).update(status=Notification.Status.DIGESTED, digest=digest)
            wake_sender()
        written += 1
    return written


# --- Watches -------------------------------------------------------------------------------------


def watch_create(
    *,
    by: User,
    organization: Organization,
    name: str,
    mode: str = Watch.Mode.ADD,
    categories: Sequence[str] = (),
    regions: Sequence[str] = (),
    keywords: Sequence[str] = (),
    min_budget: Decimal | None = None,
) -> Watch:
    from accounts.selectors import membership_get
    from catalog.models import Category, Region

    if membership_get(user=by, organization=organization) is None:
        raise ValidationError({"organization": _("You are not a member of this organization.")})
    errors: dict[str, str] = {}
    if not name.strip():
        errors["name"] = _("A watch needs a name.")
    unknown = set(categories) - set(
        Category.objects.filter(code__in=categories).values_list("code", flat=True)
    )
    if unknown:
        errors["categories"] = _("Unknown category codes: %(codes)s") % {
            "codes": ", ".join(sorted(unknown))
        }
    unknown = set(regions) - set(
        Region.objects.filter(code__in=regions).values_list("code", flat=True)
    )
    if unknown:
        errors["regions"] = _("Unknown region codes: %(codes)s") % {
            "codes": ", ".join(sorted(unknown))
        }
    if min_budget is not None and min_budget < 0:
        errors["min_budget"] = _("The minimum budget must not be negative.")
    if not (categories or regions or keywords or min_budget is not None):
        errors["name"] = _(
            "Give at least one of categories, regions, keywords or a minimum budget."
        )
    if errors:
        raise ValidationError(errors)
    return Watch.objects.create(
        organization=organization,
        name=name.strip(),
        mode=mode,
        categories=list(categories),
        regions=list(regions),
        keywords=[k.strip() for k in keywords if k.strip()],
        min_budget=min_budget,
        created_by=by,
    )


def watch_delete(*, watch: Watch, by: User) -> None:
    from accounts.selectors import membership_get

    if membership_get(user=by, organization=watch.organization) is None:
        raise ValidationError(_("You are not a member of this organization."))
    watch.delete()
