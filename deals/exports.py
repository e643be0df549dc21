"""The programme's figures as an Excel report, and its lists and deals as OCDS 1.1 releases."""

from __future__ import annotations

import datetime
import io
import re
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db.models import Prefetch
from django.utils import timezone

from accounts.models import Organization
from procurement.exports import neutralise
from procurement.models import ProcurementItem, ProcurementList

from .models import Deal
from .stats import Report

# --- Excel --------------------------------------------------------------------------------

_SHEET_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")


def _sheet_title(title: str, used: set[str]) -> str:
    base = _SHEET_FORBIDDEN.sub(" ", title).strip()[:31] or "Sheet"
    name, n = base, 2
    while name.lower() in used:
        suffix = f" ({n})"
        name = base[: 31 - len(suffix)] + suffix
        n += 1
    used.add(name.lower())
    return name


def stats_workbook(report: Report) -> bytes:
    """One sheet per table; text that Excel would evaluate is neutralised."""
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    used: set[str] = set()
    for table in report.tables:
        sheet = workbook.create_sheet(_sheet_title(str(table.title), used))
        sheet.append([neutralise(c.label_with_unit) for c in table.columns])
        for row in table.cells():
            sheet.append([_cell(value) for value in row])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _cell(value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, Decimal | int | float):
        return value
    return neutralise(str(value))


# --- OCDS ---------------------------------------------------------------------------------


def _iso(value: datetime.datetime | datetime.date | None) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime.datetime):
        return timezone.localtime(value).isoformat(timespec="seconds")
    # A date: midnight in the programme's time zone.
    moment = datetime.datetime.combine(value, datetime.time.min)
    return timezone.make_aware(moment).isoformat(timespec="seconds")


def _ocid(plist: ProcurementList) -> str:
    return f"{settings.OCDS_OCID_PREFIX}list-{plist.pk}"


def _party_id(org: Organization) -> str:
    return f"CN-SAMR-{org.uscc}"


def _party(org: Organization, roles: list[str]) -> dict[str, Any]:
    region = org.region
    address: dict[str, Any] = {"countryName": "中国"}
    if region is not None:
        address["region"] = region.name if region.parent is None else region.parent.name
        address["locality"] = str(region)
    party: dict[str, Any] = {
        "id": _party_id(org),
        "name": org.name,
        "identifier": {"scheme": "CN-SAMR", "id": org.uscc, "legalName": org.name},
        "address": address,
        "roles": roles,
    }
    if org.contact_email:
        party["contactPoint"] = {"email": org.contact_email}
    return party


def _value(amount: Decimal | None) -> dict[str, Any] | None:
    if amount is None:
        return None
    return {"amount": float(amount), "currency": "CNY"}


def _item(item: ProcurementItem) -> dict[str, Any]:
    out: dict[str, Any] = {"id": str(item.pk), "description": item.name}
    if item.category is not None:
        out["classification"] = {
            "scheme": "x_DUIJIE",
            "id": item.category.code,
            "description": item.category.name_zh,
        }
    if item.quantity is not None:
        out["quantity"] = float(item.quantity)
    unit: dict[str, Any] = {}
    if item.unit:
        unit["name"] = item.unit
    if item.budget is not None and item.quantity:
        unit["value"] = _value((item.budget / item.quantity).quantize(Decimal("0.01")))
    if unit:
        out["unit"] = unit
    return out


_TENDER_STATUS = {
    ProcurementList.Status.PUBLISHED: "active",
    ProcurementList.Status.CLOSED: "complete",
    ProcurementList.Status.CANCELLED: "cancelled",
}


def _strip(data: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in data.items() if v not in (None, "", [], {})}


def _tender_release(plist: ProcurementList) -> dict[str, Any]:
    items = [i for i in plist.items.all() if i.status != ProcurementItem.Status.CANCELLED]
    budgets = [i.budget for i in items if i.budget is not None]
    ocid = _ocid(plist)
    buyer = plist.buyer
    tender = _strip(
        {
            "id": f"{ocid}-tender",
            "title": plist.title,
            "description": plist.description,
            "status": _TENDER_STATUS.get(plist.status, "active"),  # type: ignore[call-overload]
            "procuringEntity": {"id": _party_id(buyer), "name": buyer.name},
            "items": [_item(i) for i in items],
            "value": _value(sum(budgets, Decimal("0"))) if budgets else None,
            "procurementMethod": "open",
            "mainProcurementCategory": "goods",
            "tenderPeriod": _strip(
                {
                    "startDate": _iso(plist.published_at),
                    "endDate": _iso(
                        timezone.make_aware(
                            datetime.datetime.combine(plist.deadline, datetime.time(23, 59, 59))
                        )
                    )
                    if plist.deadline
                    else None,
                }
            ),
        }
    )
    tag = "tenderCancellation" if plist.status == ProcurementList.Status.CANCELLED else "tender"
    return {
        "ocid": ocid,
        "id": f"{ocid}-tender-{int(plist.updated_at.timestamp())}",
        "date": _iso(plist.published_at or plist.updated_at),
        "tag": [tag],
        "initiationType": "tender",
        "language": "zh",
        "parties": [_party(buyer, ["buyer", "procuringEntity"])],
        "buyer": {"id": _party_id(buyer), "name": buyer.name},
        "tender": tender,
    }


def _deal_release(deal: Deal) -> dict[str, Any] | None:
    items = sorted(deal.items.all(), key=lambda i: i.pk)
    if not items:
        return None
    plist = items[0].plist
    ocid = _ocid(plist)
    award_id = f"deal-{deal.pk}"
    item_data = [_item(i) for i in items]
    return {
        "ocid": ocid,
        "id": f"{ocid}-deal-{deal.pk}",
        "date": _iso(deal.created_at),
        "tag": ["award", "contract"],
        "initiationType": "tender",
        "language": "zh",
        "parties": [
            _party(deal.buyer, ["buyer"]),
            _party(deal.supplier, ["supplier"]),
        ],
        "buyer": {"id": _party_id(deal.buyer), "name": deal.buyer.name},
        "awards": [
            {
                "id": award_id,
                "status": "active",
                "date": _iso(deal.signed_on),
                "value": _value(deal.amount),
                "suppliers": [{"id": _party_id(deal.supplier), "name": deal.supplier.name}],
                "items": item_data,
            }
        ],
        "contracts": [
            {
                "id": f"contract-{deal.pk}",
                "awardID": award_id,
                "title": deal.contract_number,
                "status": "active",
                "dateSigned": _iso(deal.signed_on),
                "value": _value(deal.amount),
                "items": item_data,
            }
        ],
    }


def ocds_release_package() -> dict[str, Any]:
    """Every published list as a tender release, every deal as an award and contract release."""
    items = ProcurementItem.objects.select_related("category").order_by("line_no", "pk")
    org_related = ("region", "region__parent")
    lists = (
        ProcurementList.objects.filter(published_at__isnull=False)
        .select_related("buyer", *(f"buyer__{r}" for r in org_related))
        .prefetch_related(Prefetch("items", queryset=items))
        .order_by("pk")
    )
    deals = (
        Deal.objects.select_related(
            "buyer",
            "supplier",
            *(f"buyer__{r}" for r in org_related),
            *(f"supplier__{r}" for r in org_related),
        )
        .prefetch_related(Prefetch("items", queryset=items.select_related("plist")))
        .order_by("pk")
    )
    releases = [_tender_release(plist) for plist in lists]
    releases += [r for r in (_deal_release(d) for d in deals) if r is not None]
    return {
        "uri": f"{settings.SITE_URL}/dashboard/ocds.json",
        "version": "1.1",
        "publishedDate": _iso(timezone.now()),
        "publisher": {"name": settings.OCDS_PUBLISHER_NAME},
        "license": "https://creativecommons.org/licenses/by/4.0/",
        "publicationPolicy": f"{settings.SITE_URL}/",
        "releases": releases,
    }
