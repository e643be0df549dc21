"""The programme's figures: what was published, how matches turned into deals, what is unmet.

Every figure is a ``Table`` (columns and rows), so the API, the dashboard and the Excel report
show the same numbers. The number of queries does not grow with the data: each table is a few
grouped queries, folded in Python through the small lookup tables (categories, regions, badges).

Definitions:

- *Published procurement*: lines (not cancelled) of lists that were published and not cancelled;
  value is the sum of the lines' budgets (yuan). City is the line's delivery region, else the
  buyer's region, at prefecture level. Industry chain is the chain above the line's category.
- *Funnel*: matches (active, or any with an interest) → notified (``notified_match_ids``) →
  viewed (a supplier member opened it) → interested (an interest was expressed, whatever
  happened to it later) → shortlisted (ever shortlisted, or awarded) → deals (and their signed
  amount). Matches are counted by their need's chain, their supplier's city and badges, and the
  ISO week they were made; deals by the chain of their first line, their supplier's city and
  badges, and the ISO week they were signed.
- *Unmet demand*: open lines of published lists with no good match (no active match that is
  worth notifying or scores at least ``MATCHING["NOTIFY_THRESHOLD"]``), by category.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Sum
from django.db.models.functions import Coalesce, TruncWeek
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Badge, BadgeKind, Organization
from catalog.models import Category, Region
from matching.models import Match
from procurement.models import (
    Opportunity,
    OpportunityBatch,
    ProcurementItem,
    ProcurementList,
)

from .models import AuditEvent, Deal, Interest

ZERO = Decimal("0")


def notified_match_ids() -> QuerySet[Any]:
    """The ids of the matches whose supplier was told by email: THE one definition of "notified".

    A new-match notification that went out on its own or inside a digest.
    """
    from notifications.models import Kind, Notification

    return Notification.objects.filter(
        kind=Kind.NEW_MATCH,
        match__isnull=False,
        status__in=[Notification.Status.SENT, Notification.Status.DIGESTED],
    ).values("match_id")


# --- Tables --------------------------------------------------------------------------------


@dataclass
class Column:
    key: str
    label: str
    kind: str = "int"  # "text", "int" or "money" (yuan)

    @property
    def label_with_unit(self) -> str:
        """The header of a spreadsheet, where money is a plain number of yuan."""
        if self.kind == "money":
            return _("%(label)s (yuan)") % {"label": self.label}
        return str(self.label)


@dataclass
class Table:
    key: str
    title: str
    columns: list[Column]
    rows: list[dict[str, Any]] = field(default_factory=list)
    # (label column, value column) of the dashboard's bar chart, if it has one.
    chart: tuple[str, str] | None = None
    note: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "title": str(self.title),
            "columns": [
                {"key": c.key, "label": str(c.label), "kind": c.kind} for c in self.columns
            ],
            "rows": [
                {c.key: _json_value(row.get(c.key), c.kind) for c in self.columns}
                for row in self.rows
            ],
        }

    def cells(self) -> Iterable[list[Any]]:
        """Rows as lists in column order (spreadsheets)."""
        for row in self.rows:
            yield [row.get(c.key) for c in self.columns]


def _json_value(value: Any, kind: str) -> Any:
    if kind == "money":
        return str((value or ZERO).quantize(Decimal("0.01")))
    if kind == "int":
        return int(value or 0)
    return "" if value is None else str(value)


@dataclass
class Report:
    generated_at: datetime.datetime
    tables: list[Table]

    def as_dict(self) -> dict[str, Any]:
        return {
            "generated_at": self.generated_at,
            "tables": [t.as_dict() for t in self.tables],
        }

    def table(self, key: str) -> Table:
        return next(t for t in self.tables if t.key == key)


# --- Lookups: categories → chains, regions → cities, suppliers → badges --------------------


class _Lookups:
    def __init__(self) -> None:
        self.categories = {
            c.pk: c for c in Category.objects.only("code", "parent", "level", "name_zh")
        }
        self.city_names = dict(
            Region.objects.filter(
                level__in=[Region.Level.PREFECTURE, Region.Level.PROVINCE]
            ).values_list("code", "name")
        )
        self._badges: dict[int, set[str]] | None = None

    def chain(self, category_id: int | None) -> str:
        """The industry chain above a category (a pillar industry when the node is one)."""
        node = self.categories.get(category_id) if category_id else None
        while node is not None and node.level == Category.Level.CATEGORY:
            node = self.categories.get(node.parent_id) if node.parent_id else None
        return node.name_zh if node is not None else _("Uncategorised")

    def category(self, category_id: int | None) -> str:
        node = self.categories.get(category_id) if category_id else None
        return node.name_zh if node is not None else _("Uncategorised")

    def city(self, region_code: str | None) -> str:
        if not region_code:
            return _("Unknown region")
        if region_code.endswith("0000"):
            return self.city_names.get(region_code, region_code)
        prefecture = region_code[:4] + "00"
        return self.city_names.get(prefecture, prefecture)

    def badges(self, organization_id: int | None) -> list[str]:
        if self._badges is None:
            today = timezone.localdate()
            self._badges = defaultdict(set)
            for org_id, kind in Badge.objects.filter(
                Q(expires_on__isnull=True) | Q(expires_on__gt=today), awarded_on__lte=today
            ).values_list("organization_id", "kind"):
                self._badges[org_id].add(kind)
        kinds = self._badges.get(organization_id or 0, set())
        labels = dict(BadgeKind.choices)
        return [str(labels[k]) for k in BadgeKind.values if k in kinds] or [_("No badge")]


def _add(target: dict[str, dict[str, Any]], label: str, **values: Any) -> None:
    row = target.setdefault(label, {})
    for key, value in values.items():
        row[key] = (row.get(key) or 0) + (value or 0)


# --- Published procurement and opportunities ------------------------------------------------


def _published_items() -> QuerySet[ProcurementItem]:
    return (
        ProcurementItem.objects.filter(plist__published_at__isnull=False)
        .exclude(plist__status=ProcurementList.Status.CANCELLED)
        .exclude(status=ProcurementItem.Status.CANCELLED)
    )


def _procurement_tables(lookups: _Lookups) -> list[Table]:
    value_cols = [
        Column("lists", _("Lists")),
        Column("lines", _("Lines")),
        Column("value", _("Budget"), "money"),
    ]
    by_buyer = [
        {"label": row["plist__buyer__name"], **row}
        for row in _published_items()
        .values("plist__buyer_id", "plist__buyer__name")
        .annotate(
            lists=Count("plist", distinct=True),
            lines=Count("id"),
            value=Coalesce(Sum("budget"), ZERO),
        )
        .order_by("-value", "plist__buyer__name")
    ]
    chains: dict[str, dict[str, Any]] = {}
    for row in (
        _published_items()
        .values("category_id")
        .annotate(lines=Count("id"), value=Coalesce(Sum("budget"), ZERO))
    ):
        _add(chains, lookups.chain(row["category_id"]), lines=row["lines"], value=row["value"])
    cities: dict[str, dict[str, Any]] = {}
    for place in (
        _published_items()
        .values("delivery_region_id", "plist__buyer__region_id")
        .annotate(lines=Count("id"), value=Coalesce(Sum("budget"), ZERO))
    ):
        code = place["delivery_region_id"] or place["plist__buyer__region_id"]
        _add(cities, lookups.city(code), lines=place["lines"], value=place["value"])
    return [
        Table(
            "procurement_by_buyer",
            _("Published procurement by buyer"),
            [Column("label", _("Buyer"), "text"), *value_cols],
            by_buyer,
            chart=("label", "value"),
        ),
        Table(
            "procurement_by_chain",
            _("Published procurement by industry chain"),
            [Column("label", _("Industry chain"), "text"), *value_cols[1:]],
            _sorted(chains, "value"),
            chart=("label", "value"),
        ),
        Table(
            "procurement_by_city",
            _("Published procurement by city"),
            [Column("label", _("City"), "text"), *value_cols[1:]],
            _sorted(cities, "value"),
            chart=("label", "value"),
        ),
    ]


def _sorted(rows: dict[str, dict[str, Any]], key: str) -> list[dict[str, Any]]:
    return [
        {"label": label, **values}
        for label, values in sorted(rows.items(), key=lambda kv: (-(kv[1].get(key) or 0), kv[0]))
    ]


def _opportunity_tables() -> list[Table]:
    published = Opportunity.objects.exclude(batch__status=OpportunityBatch.Status.DRAFT)
    financing = Q(type=Opportunity.Type.FINANCING, direction=Opportunity.Direction.DEMAND)
    by_batch = [
        {"label": row["batch__title"], **row}
        for row in published.values("batch_id", "batch__title", "batch__batch_no")
        .annotate(
            count=Count("id"),
            demand=Count("id", filter=Q(direction=Opportunity.Direction.DEMAND)),
            supply=Count("id", filter=Q(direction=Opportunity.Direction.SUPPLY)),
            financing_count=Count("id", filter=financing),
            financing_amount=Coalesce(Sum("amount", filter=financing), ZERO),
            amount=Coalesce(Sum("amount"), ZERO),
        )
        .order_by("batch__batch_no", "batch__title")
    ]
    type_labels = dict(Opportunity.Type.choices)
    direction_labels = dict(Opportunity.Direction.choices)
    by_type = [
        {
            "label": str(type_labels.get(row["type"], row["type"])),
            "direction": str(direction_labels.get(row["direction"], row["direction"])),
            **row,
        }
        for row in published.values("type", "direction")
        .annotate(count=Count("id"), amount=Coalesce(Sum("amount"), ZERO))
        .order_by("type", "direction")
    ]
    return [
        Table(
            "opportunities_by_batch",
            _("Opportunities by batch"),
            [
                Column("label", _("Batch"), "text"),
                Column("count", _("Opportunities")),
                Column("demand", _("Demands")),
                Column("supply", _("Supplies")),
                Column("financing_count", _("Financing demands")),
                Column("financing_amount", _("Financing demanded"), "money"),
                Column("amount", _("Amount"), "money"),
            ],
            by_batch,
            chart=("label", "count"),
        ),
        Table(
            "opportunities_by_type",
            _("Opportunities by type"),
            [
                Column("label", _("Type"), "text"),
                Column("direction", _("Direction"), "text"),
                Column("count", _("Opportunities")),
                Column("amount", _("Amount"), "money"),
            ],
            by_type,
        ),
    ]


# --- The funnel ----------------------------------------------------------------------------

STAGES = ("matches", "notified", "viewed", "interested", "shortlisted")


def _stage_querysets() -> dict[str, QuerySet[Match]]:
    base = Match.objects.filter(Q(status=Match.Status.ACTIVE) | Q(interest__isnull=False))
    viewed = AuditEvent.objects.filter(match=OuterRef("pk"), verb=AuditEvent.Verb.VIEWED)
    shortlisted = AuditEvent.objects.filter(
        interest__match=OuterRef("pk"), verb=AuditEvent.Verb.SHORTLISTED
    )
    return {
        "matches": base,
        "notified": base.filter(id__in=notified_match_ids()),
        "viewed": base.filter(Exists(viewed)),
        "interested": base.filter(interest__isnull=False),
        "shortlisted": base.filter(
            Q(interest__status=Interest.Status.AWARDED) | Q(Exists(shortlisted))
        ),
    }


def _funnel_columns(label: str) -> list[Column]:
    return [
        Column("label", label, "text"),
        Column("matches", _("Matches")),
        Column("notified", _("Notified")),
        Column("viewed", _("Viewed")),
        Column("interested", _("Interested")),
        Column("shortlisted", _("Shortlisted")),
        Column("deals", _("Deals")),
        Column("signed_amount", _("Signed amount"), "money"),
    ]


def _funnel_by(
    stages: dict[str, QuerySet[Match]],
    deals: list[Deal],
    *,
    expression: Any,
    match_labels: Callable[[Any], list[str]],
    deal_labels: Callable[[Deal], list[str]],
) -> dict[str, dict[str, Any]]:
    rows: dict[str, dict[str, Any]] = {}
    for stage, qs in stages.items():
        for row in qs.values(dim=expression).annotate(n=Count("id")).order_by():
            for label in match_labels(row["dim"]):
                _add(rows, label, **{stage: row["n"]})
    for deal in deals:
        for label in deal_labels(deal):
            _add(rows, label, deals=1, signed_amount=deal.amount)
    return rows


def _iso_week(day: datetime.date | datetime.datetime | None) -> str:
    if day is None:
        return ""
    if isinstance(day, datetime.datetime):
        day = timezone.localtime(day).date() if timezone.is_aware(day) else day.date()
    year, week, _weekday = day.isocalendar()
    return f"{year}-W{week:02d}"


def _funnel_tables(lookups: _Lookups) -> list[Table]:
    stages = _stage_querysets()
    deals = list(Deal.objects.select_related("supplier").prefetch_related("items"))
    signed = sum((d.amount for d in deals), ZERO)
    overall_counts = {stage: qs.count() for stage, qs in stages.items()}
    stage_labels = {
        "matches": _("Matches"),
        "notified": _("Notified"),
        "viewed": _("Viewed"),
        "interested": _("Interested"),
        "shortlisted": _("Shortlisted"),
    }
    overall: list[dict[str, Any]] = [
        {"label": str(stage_labels[s]), "count": overall_counts[s], "amount": None} for s in STAGES
    ]
    overall.append({"label": _("Deals"), "count": len(deals), "amount": signed})

    def first_item(deal: Deal) -> ProcurementItem | None:
        items = sorted(deal.items.all(), key=lambda i: i.pk)
        return items[0] if items else None

    def deal_chain(deal: Deal) -> list[str]:
        item = first_item(deal)
        return [lookups.chain(item.category_id if item else None)]

    supplier_regions = dict(Organization.objects.values_list("pk", "region_id"))
    by_chain = _funnel_by(
        stages,
        deals,
        expression=Coalesce("need_item__category_id", "need_opportunity__category_id"),
        match_labels=lambda cid: [lookups.chain(cid)],
        deal_labels=deal_chain,
    )
    by_city = _funnel_by(
        stages,
        deals,
        expression=Coalesce("supplier__region_id", "offer_opportunity__region_id"),
        match_labels=lambda code: [lookups.city(code)],
        deal_labels=lambda d: [lookups.city(supplier_regions.get(d.supplier_id))],
    )
    by_badge = _funnel_by(
        stages,
        deals,
        expression=Coalesce("supplier_id", 0),
        match_labels=lookups.badges,
        deal_labels=lambda d: lookups.badges(d.supplier_id),
    )
    by_week = _funnel_by(
        stages,
        deals,
        expression=TruncWeek("created_at"),
        match_labels=lambda day: [_iso_week(day)],
        deal_labels=lambda d: [_iso_week(d.signed_on)],
    )
    badge_order = {str(label): i for i, label in enumerate(dict(BadgeKind.choices).values())}

    def rows(data: dict[str, dict[str, Any]], order: Callable[[str], Any]) -> list[dict[str, Any]]:
        out = []
        for label in sorted(data, key=order):
            row: dict[str, Any] = {"label": label}
            for column in (*STAGES, "deals"):
                row[column] = data[label].get(column, 0)
            row["signed_amount"] = data[label].get("signed_amount") or ZERO
            out.append(row)
        return out

    def by_matches(label: str, data: dict[str, dict[str, Any]]) -> Any:
        return (-(data[label].get("matches") or 0), label)

    return [
        Table(
            "funnel",
            _("From match to deal"),
            [
                Column("label", _("Stage"), "text"),
                Column("count", _("Count")),
                Column("amount", _("Signed amount"), "money"),
            ],
            overall,
            chart=("label", "count"),
        ),
        Table(
            "funnel_by_chain",
            _("Funnel by industry chain"),
            _funnel_columns(_("Industry chain")),
            rows(by_chain, lambda label: by_matches(label, by_chain)),
            chart=("label", "signed_amount"),
        ),
        Table(
            "funnel_by_city",
            _("Funnel by supplier's city"),
            _funnel_columns(_("City")),
            rows(by_city, lambda label: by_matches(label, by_city)),
            chart=("label", "signed_amount"),
        ),
        Table(
            "funnel_by_badge",
            _("Funnel by supplier's badge"),
            _funnel_columns(_("Badge")),
            rows(by_badge, lambda label: (badge_order.get(label, 99), label)),
            chart=("label", "signed_amount"),
        ),
        Table(
            "funnel_by_week",
            _("Funnel by ISO week"),
            _funnel_columns(_("Week")),
            rows(by_week, lambda label: label),
            chart=("label", "matches"),
        ),
    ]


# --- Unmet demand --------------------------------------------------------------------------


def unmet_items() -> QuerySet[ProcurementItem]:
    """Open lines of published lists without a good match: where to recruit suppliers."""
    threshold = settings.MATCHING["NOTIFY_THRESHOLD"]
    good = Match.objects.filter(need_item=OuterRef("pk"), status=Match.Status.ACTIVE).filter(
        Q(notify=True) | Q(score__gte=threshold)
    )
    return ProcurementItem.objects.filter(
        plist__status=ProcurementList.Status.PUBLISHED, status=ProcurementItem.Status.OPEN
    ).exclude(Exists(good))


def _unmet_table(lookups: _Lookups) -> Table:
    grouped: dict[str, dict[str, Any]] = {}
    chains: dict[str, str] = {}
    for row in (
        unmet_items()
        .values("category_id")
        .annotate(lines=Count("id"), value=Coalesce(Sum("budget"), ZERO))
    ):
        label = lookups.category(row["category_id"])
        chains[label] = lookups.chain(row["category_id"]) if row["category_id"] else ""
        _add(grouped, label, lines=row["lines"], value=row["value"])
    rows = _sorted(grouped, "value")
    for out in rows:
        out["chain"] = chains.get(out["label"], "")
    return Table(
        "unmet_demand",
        _("Unmet demand by category"),
        [
            Column("label", _("Category"), "text"),
            Column("chain", _("Industry chain"), "text"),
            Column("lines", _("Lines")),
            Column("value", _("Budget"), "money"),
        ],
        rows,
        chart=("label", "value"),
        note=_("Open lines with no match worth notifying: where to recruit suppliers."),
    )


def programme_stats() -> Report:
    lookups = _Lookups()
    return Report(
        generated_at=timezone.now(),
        tables=[
            *_procurement_tables(lookups),
            *_opportunity_tables(),
            *_funnel_tables(lookups),
            _unmet_table(lookups),
        ],
    )
