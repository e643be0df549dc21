"""The one import service: bundles, catalogue uploads and buyers' own sheets.

``bundle_load`` (the ``load_bundle`` command), ``products_import`` (supplier
uploads) and ``procurement_list_import`` (a buyer's sheet, web or API) all go
through the same column mapping, value parsing, validation report and upsert
by ``ref``. All or nothing by default: one bad row and nothing is written,
unless ``skip_invalid`` is given; the report names every bad row and column.
"""

from __future__ import annotations

import datetime
import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import IO, Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import BADGE_CHINESE_NAMES, BadgeKind, Organization, Role, User
from accounts.validators import normalise_uscc, validate_uscc
from catalog.models import Product, Region
from catalog.selectors import CategoryIndex, region_resolve

from .models import (
    Opportunity,
    OpportunityBatch,
    ProcurementEvent,
    ProcurementItem,
    ProcurementList,
)
from .spreadsheets import (
    Limits,
    SpreadsheetError,
    Table,
    header_key,
    header_unit_scale,
    is_blank,
    is_total_row,
    normalise_text,
    open_table,
)

CHUNK = 2000
HEADER_SEARCH_ROWS = 30


def upload_limits() -> Limits:
    return Limits(max_bytes=settings.IMPORT_MAX_BYTES, max_rows=settings.IMPORT_MAX_ROWS)


# --- The report ---------------------------------------------------------------------------


@dataclass
class RowError:
    file: str
    row: int | None
    column: str | None
    message: str
    value: str = ""

    def __str__(self) -> str:
        where = self.file
        if self.row is not None:
            where += " " + _("row %(row)d") % {"row": self.row}
        if self.column:
            where += " " + _("column “%(column)s”") % {"column": self.column}
        label = _("value")
        suffix = f" ({label}: {self.value})" if self.value else ""
        return f"{where}: {self.message}{suffix}"

    def as_dict(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "row": self.row,
            "column": self.column,
            "message": self.message,
            "value": self.value,
        }


@dataclass
class ColumnMapping:
    index: int
    header: str
    field: str | None
    scale: int = 1

    def as_dict(self) -> dict[str, Any]:
        return {"column": self.header, "field": self.field, "scale": self.scale}


@dataclass
class FileReport:
    name: str
    kind: str
    header_row: int | None = None
    columns: list[ColumnMapping] = field(default_factory=list)
    rows: int = 0
    valid: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "kind": self.kind,
            "header_row": self.header_row,
            "columns": [c.as_dict() for c in self.columns],
            "rows": self.rows,
            "valid": self.valid,
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
        }


@dataclass
class ImportReport:
    files: list[FileReport] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    written: bool = False

    @property
    def ok(self) -> bool:
        return not self.errors

    def error(
        self, file: str, row: int | None, column: str | None, message: str, value: Any = ""
    ) -> None:
        shown = normalise_text(value)
        self.errors.append(RowError(file, row, column, message, shown[:80]))

    def as_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "written": self.written,
            "files": [f.as_dict() for f in self.files],
            "errors": [e.as_dict() for e in self.errors],
            "warnings": self.warnings,
        }

    def summary(self) -> str:
        lines = []
        for f in self.files:
            lines.append(
                _(
                    "%(name)s: %(rows)d rows, %(valid)d valid; %(created)d created,"
                    " %(updated)d updated, %(unchanged)d unchanged"
                )
                % f.as_dict()
            )
        return "\n".join(lines)


class ImportAborted(Exception):
    """Raised inside the transaction to roll back an all-or-nothing import."""


# --- Values -------------------------------------------------------------------------------


class BadValue(Exception):
    pass


_THOUSANDS = re.compile(r"(?<=\d)[,，\s](?=\d{3}\b)")


def parse_decimal(value: Any) -> Decimal | None:
    if value is None:
        return None
    if isinstance(value, bool):
        raise BadValue(_("not a number"))
    if isinstance(value, int | float | Decimal):
        return Decimal(str(value))
    text = normalise_text(value)
    if not text or text in {"-", "/", "—"}:
        return None
    text = _THOUSANDS.sub("", text).replace("¥", "").replace("￥", "").replace(" ", "")
    text = re.sub(r"(元|万元|亿元)$", "", text)
    try:
        number = Decimal(text)
    except InvalidOperation:
        raise BadValue(_("not a number")) from None
    if not number.is_finite():
        raise BadValue(_("not a number"))
    return number


def parse_int(value: Any) -> int | None:
    number = parse_decimal(value)
    if number is None:
        return None
    if number != number.to_integral_value():
        raise BadValue(_("must be a whole number"))
    return int(number)


_DATE_PATTERNS = [
    re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:\s.*)?$"),
    re.compile(r"^(\d{4})年(\d{1,2})月(\d{1,2})日?$"),
    re.compile(r"^(\d{4})(\d{2})(\d{2})$"),
]
EXCEL_EPOCH = datetime.date(1899, 12, 30)


def parse_date(value: Any) -> datetime.date | None:
    if value is None:
        return None
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    if isinstance(value, int | float) and 20000 < value < 80000:
        # An Excel serial day number in a cell formatted as a number.
        return EXCEL_EPOCH + datetime.timedelta(days=int(value))
    text = normalise_text(value).replace(" ", "")
    if not text:
        return None
    for pattern in _DATE_PATTERNS:
        match = pattern.match(text)
        if match:
            year, month, day = (int(part) for part in match.groups())
            try:
                return datetime.date(year, month, day)
            except ValueError:
                break
    raise BadValue(_("not a date: use YYYY-MM-DD, YYYY/MM/DD or YYYY年MM月DD日"))


def parse_list(value: Any) -> list[str]:
    text = normalise_text(value)
    parts = re.split(r"[;；,，、]", text)
    seen: list[str] = []
    for part in parts:
        part = part.strip()
        if part and part not in seen:
            seen.append(part)
    return seen


def parse_text(value: Any, limit: int) -> str:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = normalise_text(value) if not isinstance(value, str) else value.strip()
    if len(text) > limit:
        raise BadValue(_("longer than %(limit)d characters") % {"limit": limit})
    return text


# --- Columns ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    key: str
    aliases: tuple[str, ...]
    required: bool = False  # the column must exist
    money: bool = False  # scaled by 万元 / 亿元 in its header


def _col(key: str, *aliases: str, required: bool = False, money: bool = False) -> Column:
    return Column(key, (key, *aliases), required, money)


ORGANIZATION_COLUMNS = [
    _col("uscc", "统一社会信用代码", "信用代码", required=True),
    _col("name", "企业名称", "单位名称", "名称", required=True),
    _col("roles", "角色"),
    _col("region", "所在地区", "地区", "所在地"),
    _col("badges", "资质荣誉", "荣誉"),
    _col("industry_chain", "产业链"),
    _col("contact_email", "联系邮箱", "邮箱"),
]
PRODUCT_COLUMNS = [
    _col("ref", "编号", "产品编号"),
    _col("supplier_uscc", "供应商统一社会信用代码", "统一社会信用代码"),
    _col("name", "产品名称", "名称", required=True),
    _col("category", "产品类别", "类别", "品类"),
    _col("description", "产品描述", "产品简介", "描述", "简介"),
    _col("specs", "规格型号", "规格", "型号"),
    _col("certifications", "认证", "资质"),
    _col("price_min", "最低价", "最低价格", money=True),
    _col("price_max", "最高价", "最高价格", money=True),
    _col("unit", "单位", "计量单位"),
    _col("monthly_capacity", "月产能"),
    _col("lead_time_days", "供货周期", "交货周期"),
    _col("service_regions", "服务区域", "供货区域"),
]
PROCUREMENT_COLUMNS = [
    _col("ref", "序号", "编号"),
    _col("buyer_uscc", "采购单位统一社会信用代码"),
    _col("list_title", "采购清单名称", "清单名称"),
    _col("list_deadline", "截止日期"),
    _col("name", "物资名称", "采购内容", "产品名称", "货物名称", "名称", required=True),
    _col("category", "类别", "品类"),
    _col("specs", "规格型号", "技术参数", "规格", "型号"),
    _col("quantity", "数量", "采购数量"),
    _col("unit", "单位", "计量单位"),
    _col("budget", "预算金额", "预算", "金额", "最高限价", money=True),
    _col("delivery_region", "交货地点", "交付地点", "送货地点"),
    _col("delivery_date", "交货时间", "交货日期", "交付日期"),
    _col("requirements", "技术要求", "备注", "要求"),
    _col("required_certifications", "资质要求", "资质"),
]
OPPORTUNITY_COLUMNS = [
    _col("ref", "编号", "序号", required=True),
    _col("batch_title", "批次名称", required=True),
    _col("batch_no", "批次"),
    _col("direction", "供需方向", "方向", required=True),
    _col("type", "机会类型", "类型"),
    _col("title", "机会名称", "名称", required=True),
    _col("description", "机会内容", "详细描述", "描述"),
    _col("industry_chain", "产业链"),
    _col("region", "所在地区", "地区"),
    _col("amount", "金额", "融资金额", money=True),
    _col("publisher_uscc", "发布单位统一社会信用代码", "统一社会信用代码"),
    _col("deadline", "截止日期"),
    _col("contact_email", "联系邮箱", "邮箱"),
]


def _alias_map(columns: list[Column]) -> dict[str, Column]:
    mapping: dict[str, Column] = {}
    for column in columns:
        for alias in column.aliases:
            mapping.setdefault(header_key(alias), column)
    return mapping


@dataclass
class ParsedRow:
    number: int
    cells: dict[str, Any]  # raw cell values by column key (money already scaled on parse)
    scales: dict[str, int]


def read_rows(
    table: Table,
    *,
    columns: list[Column],
    file_report: FileReport,
    report: ImportReport,
    limits: Limits,
) -> Iterator[ParsedRow]:
    """Find the header, map the columns, and yield the data rows (blank and 合计 rows skipped)."""
    aliases = _alias_map(columns)
    required = {c.key for c in columns if c.required}
    mapping: dict[str, ColumnMapping] = {}
    best_missing: set[str] = required
    rows = table.rows
    for number, values in rows:
        if number > HEADER_SEARCH_ROWS:
            break
        found: dict[str, ColumnMapping] = {}
        unknown: list[str] = []
        for index, cell in enumerate(values):
            key = header_key(cell)
            if not key:
                continue
            column = aliases.get(key)
            if column is not None and column.key not in found:
                scale = header_unit_scale(cell) if column.money else 1
                found[column.key] = ColumnMapping(index, str(cell).strip(), column.key, scale)
            else:
                unknown.append(str(cell).strip())
        missing = required - set(found)
        if found and not missing:
            mapping = found
            file_report.header_row = number
            file_report.columns = sorted(found.values(), key=lambda m: m.index)
            for name in unknown:
                file_report.columns.append(ColumnMapping(-1, name, None))
                report.warnings.append(
                    _("%(file)s: column “%(column)s” is not used and was ignored.")
                    % {"file": file_report.name, "column": name}
                )
            break
        if found and len(missing) < len(best_missing):
            best_missing = missing
    if not mapping:
        labels = {c.key: c.aliases[1] if len(c.aliases) > 1 else c.key for c in columns}
        for key in sorted(best_missing or required):
            report.error(
                file_report.name,
                None,
                labels[key],
                _("required column is missing (accepted headers: %(headers)s)")
                % {"headers": "、".join(next(c for c in columns if c.key == key).aliases)},
            )
        return
    count = 0
    for number, values in rows:
        if is_blank(values) or is_total_row(values):
            continue
        count += 1
        if limits.max_rows is not None and count > limits.max_rows:
            report.error(
                file_report.name,
                number,
                None,
                _("more than %(limit)d rows; split the file") % {"limit": limits.max_rows},
            )
            return
        cells = {
            key: (values[m.index] if m.index < len(values) else None) for key, m in mapping.items()
        }
        file_report.rows += 1
        yield ParsedRow(number, cells, {key: m.scale for key, m in mapping.items()})


# --- Resolution context ------------------------------------------------------------------


class Context:
    """Caches shared by every row of one import: regions, categories, organizations."""

    def __init__(self) -> None:
        self.categories = CategoryIndex.load()
        self._regions: dict[str, Region | None] = {}
        self._orgs: dict[str, Organization | None] = {}

    def region(self, text: str) -> Region | None:
        if text not in self._regions:
            self._regions[text] = region_resolve(text=text)
        return self._regions[text]

    def organization(self, uscc: str) -> Organization | None:
        if uscc not in self._orgs:
            self._orgs[uscc] = Organization.objects.filter(uscc=uscc).first()
        return self._orgs[uscc]

    def remember(self, org: Organization) -> None:
        self._orgs[org.uscc] = org


class RowParser:
    """Parses one row's cells into field values, collecting errors with their column names."""

    def __init__(self, row: ParsedRow, file_report: FileReport, report: ImportReport) -> None:
        self.row = row
        self.file = file_report.name
        self.report = report
        self.headers = {m.field: m.header for m in file_report.columns if m.field}
        self.failed = False

    def fail(self, key: str, message: str, value: Any = "") -> None:
        self.failed = True
        self.report.error(self.file, self.row.number, self.headers.get(key, key), message, value)

    def raw(self, key: str) -> Any:
        return self.row.cells.get(key)

    def take(self, key: str, parser: Callable[[Any], Any], *, required: bool = False) -> Any:
        value = self.raw(key)
        try:
            parsed = parser(value)
        except BadValue as exc:
            self.fail(key, str(exc), value)
            return None
        if required and parsed in (None, "", []):
            self.fail(key, _("is required"))
            return None
        return parsed

    def text(self, key: str, limit: int = 200, *, required: bool = False) -> str:
        return self.take(key, lambda v: parse_text(v, limit), required=required) or ""

    def money(self, key: str, *, positive: bool = False) -> Decimal | None:
        number = self.take(key, parse_decimal)
        if number is None:
            return None
        number = (number * self.row.scales.get(key, 1)).quantize(Decimal("0.01"))
        if number < 0 or (positive and number == 0):
            self.fail(
                key,
                _("must not be negative") if number < 0 else _("must be positive"),
                self.raw(key),
            )
            return None
        return number

    def number(self, key: str, *, positive: bool = False) -> Decimal | None:
        number = self.take(key, parse_decimal)
        if number is None:
            return None
        if number < 0 or (positive and number == 0):
            self.fail(
                key,
                _("must be greater than 0") if positive else _("must not be negative"),
                self.raw(key),
            )
            return None
        return number

    def uscc(self, key: str) -> str:
        value = self.text(key, 30, required=True)
        if not value:
            return ""
        uscc = normalise_uscc(value)
        try:
            validate_uscc(uscc)
        except ValidationError as exc:
            self.fail(key, " ".join(exc.messages))
            return ""
        return uscc

    def region(self, key: str, context: Context) -> Region | None:
        text = self.text(key, 100)
        if not text:
            return None
        region = context.region(text)
        if region is None:
            self.fail(
                key,
                _("unknown region: give a GB/T 2260 code such as 510100 or a name such as 成都市"),
                text,
            )
        return region

    def regions(self, key: str, context: Context) -> list[Region]:
        found = []
        for text in parse_list(self.raw(key)):
            region = context.region(text)
            if region is None:
                self.fail(
                    key,
                    _(
                        "unknown region: give a GB/T 2260 code such as 510100 or a name such as"
                        " 成都市"
                    ),
                    text,
                )
            else:
                found.append(region)
        return found


# --- Per-kind row handling ------------------------------------------------------------------

_BADGES = {name: kind for kind, name in BADGE_CHINESE_NAMES.items()} | {
    k.value: k for k in BadgeKind
}
_ROLES = {
    "supplier": Role.SUPPLIER,
    "供应商": Role.SUPPLIER,
    "buyer": Role.BUYER,
    "采购方": Role.BUYER,
    "采购单位": Role.BUYER,
    "operator": Role.OPERATOR,
    "运营方": Role.OPERATOR,
}
_DIRECTIONS = {
    "demand": "demand",
    "需求": "demand",
    "supply": "supply",
    "供给": "supply",
    "供应": "supply",
}
_TYPES = [
    ("应用场景", Opportunity.Type.APPLICATION_SCENARIO),
    ("场景", Opportunity.Type.APPLICATION_SCENARIO),
    ("项目合作", Opportunity.Type.PROJECT_COOPERATION),
    ("合作", Opportunity.Type.PROJECT_COOPERATION),
    ("融资", Opportunity.Type.FINANCING),
    ("产品", Opportunity.Type.PRODUCT),
    ("技术", Opportunity.Type.TECHNOLOGY),
    ("人才", Opportunity.Type.TALENT),
]


def opportunity_type(label: str) -> str:
    text = label.strip()
    if text in Opportunity.Type.values:
        return text
    for marker, value in _TYPES:
        if marker in text:
            return value
    return Opportunity.Type.OTHER


def _organizations(
    rows: Iterable[ParsedRow], fr: FileReport, report: ImportReport, context: Context, write: bool
) -> None:
    from accounts.services import badge_award

    for row in rows:
        p = RowParser(row, fr, report)
        uscc = p.uscc("uscc")
        name = p.text("name", 200, required=True)
        roles = []
        for role in parse_list(p.raw("roles")) or ["supplier"]:
            if role.lower() in _ROLES:
                roles.append(_ROLES[role.lower()])
            else:
                p.fail("roles", _("unknown role: use supplier, buyer or operator"), role)
        badges = []
        for badge in parse_list(p.raw("badges")):
            if badge in _BADGES:
                badges.append(_BADGES[badge])
            else:
                p.fail(
                    "badges",
                    _(
                        "unknown badge: use 成都工业精品, 专精特新小巨人, 制造业单项冠军 or"
                        " 链主企业"
                    ),
                    badge,
                )
        region = p.region("region", context)
        if region is None and not p.failed:
            p.fail("region", _("is required"))
        email = p.text("contact_email", 254)
        if email and "@" not in email:
            p.fail("contact_email", _("not an email address"), email)
        if p.failed:
            continue
        fr.valid += 1
        if not write:
            continue
        defaults = {
            "name": name,
            "region": region,
            "roles": sorted(set(roles), key=roles.index),
            "industry_chain": p.text("industry_chain", 100),
            "contact_email": email,
        }
        org = Organization.objects.filter(uscc=uscc).first()
        if org is None:
            org = Organization.objects.create(
                uscc=uscc,
                verification_status=Organization.Verification.VERIFIED,
                verified_at=timezone.now(),
                **defaults,
            )
            fr.created += 1
        elif any(getattr(org, k) != v for k, v in defaults.items()):
            for k, v in defaults.items():
                setattr(org, k, v)
            org.save()
            fr.updated += 1
        else:
            fr.unchanged += 1
        for kind in badges:
            if not org.badges.filter(kind=kind).exists():
                badge_award(organization=org, kind=kind, awarded_on=timezone.localdate(), by=None)
        context.remember(org)


def _org_with_role(
    p: RowParser, key: str, role: str, context: Context, default: Organization | None
) -> Organization | None:
    if default is not None and not normalise_text(p.raw(key)):
        return default
    uscc = p.uscc(key)
    if not uscc:
        return None
    org = context.organization(uscc)
    if org is None:
        p.fail(key, _("no organization with this Unified Social Credit Code is registered"), uscc)
        return None
    if role not in org.roles:
        p.fail(
            key,
            _("%(org)s is not registered as a %(role)s")
            % {"org": org.name, "role": Role(role).label},
            uscc,
        )
        return None
    return org


PRODUCT_FIELDS = [
    "name",
    "category_id",
    "description",
    "specs",
    "certifications",
    "price_min",
    "price_max",
    "unit",
    "monthly_capacity",
    "lead_time_days",
]


def _products(
    rows: Iterable[ParsedRow],
    fr: FileReport,
    report: ImportReport,
    context: Context,
    write: bool,
    supplier: Organization | None = None,
    publish: bool = True,
) -> None:
    seen: set[tuple[int, str]] = set()
    pending: list[tuple[Product, list[Region]]] = []
    for row in rows:
        p = RowParser(row, fr, report)
        ref = p.text("ref", 64)
        org = _org_with_role(p, "supplier_uscc", Role.SUPPLIER, context, supplier)
        name = p.text("name", 200, required=True)
        description = p.text("description", 5000)
        category = context.categories.resolve(
            p.text("category", 60)
        ) or context.categories.classify(name, description)
        price_min = p.money("price_min")
        price_max = p.money("price_max")
        if price_min is not None and price_max is not None and price_min > price_max:
            p.fail(
                "price_max", _("the highest price is below the lowest price"), p.raw("price_max")
            )
        capacity = p.number("monthly_capacity")
        lead_time = p.take("lead_time_days", parse_int)
        if lead_time is not None and lead_time < 0:
            p.fail("lead_time_days", _("must not be negative"), lead_time)
        regions = p.regions("service_regions", context)
        if org is not None and ref:
            if (org.pk, ref) in seen:
                p.fail("ref", _("duplicate reference in this file"), ref)
            seen.add((org.pk, ref))
        if p.failed or org is None:
            continue
        fr.valid += 1
        if not write:
            continue
        product = Product(
            supplier=org,
            ref=ref or f"R-{row.number}",
            name=name,
            category=category,
            description=description,
            specs=p.text("specs", 2000),
            certifications=parse_list(p.raw("certifications")),
            price_min=price_min,
            price_max=price_max,
            unit=p.text("unit", 20),
            monthly_capacity=capacity,
            lead_time_days=lead_time,
            status=Product.Status.PUBLISHED if publish else Product.Status.DRAFT,
            published_at=timezone.now() if publish else None,
        )
        pending.append((product, regions))
        if len(pending) >= CHUNK:
            _upsert_products(pending, fr)
            pending = []
    if pending:
        _upsert_products(pending, fr)


def _upsert_products(pending: list[tuple[Product, list[Region]]], fr: FileReport) -> None:
    keys = {(p.supplier_id, p.ref) for p, _ in pending}
    existing: dict[tuple[int, str], dict[str, Any]] = {}
    supplier_ids = {k[0] for k in keys}
    refs = {k[1] for k in keys}
    for row in Product.objects.filter(supplier_id__in=supplier_ids, ref__in=refs).values(
        "id", "supplier_id", "ref", "status", *PRODUCT_FIELDS
    ):
        existing[(row["supplier_id"], row["ref"])] = row
    region_sets: dict[int, set[str]] = defaultdict(set)
    if existing:
        through = Product.service_regions.through
        for product_id, region_id in through.objects.filter(
            product_id__in=[r["id"] for r in existing.values()]
        ).values_list("product_id", "region_id"):
            region_sets[product_id].add(region_id)
    to_write: list[Product] = []
    regions_by_key: dict[tuple[int, str], list[Region]] = {}
    for product, regions in pending:
        key = (product.supplier_id, product.ref)
        old = existing.get(key)
        regions_by_key[key] = regions
        if old is None:
            fr.created += 1
            to_write.append(product)
            continue
        same = all(getattr(product, f) == old[f] for f in PRODUCT_FIELDS) and region_sets[
            old["id"]
        ] == {r.code for r in regions}
        if same and old["status"] == product.status:
            fr.unchanged += 1
        else:
            fr.updated += 1
            to_write.append(product)
    if not to_write:
        return
    written = Product.objects.bulk_create(
        to_write,
        update_conflicts=True,
        unique_fields=["supplier", "ref"],
        update_fields=[*PRODUCT_FIELDS, "status", "published_at", "updated_at"],
    )
    through = Product.service_regions.through
    ids = [p.pk for p in written]
    through.objects.filter(product_id__in=ids).delete()
    through.objects.bulk_create(
        [
            through(product_id=p.pk, region_id=r.code)
            for p in written
            for r in regions_by_key[(p.supplier_id, p.ref)]
        ],
        ignore_conflicts=True,
    )


ITEM_FIELDS = [
    "line_no",
    "name",
    "category_id",
    "category_inferred",
    "specs",
    "quantity",
    "unit",
    "budget",
    "delivery_region_id",
    "delivery_date",
    "requirements",
    "required_certifications",
]


def _procurement(
    rows: Iterable[ParsedRow],
    fr: FileReport,
    report: ImportReport,
    context: Context,
    write: bool,
    *,
    plist: ProcurementList | None = None,
    actor: User | None = None,
    publish: bool = True,
) -> list[ProcurementList]:
    """Rows grouped into lists by (buyer, title); or all into ``plist`` for a buyer's own sheet."""
    seen: set[tuple[int, str, str]] = set()
    grouped: dict[tuple[int, str], list[ProcurementItem]] = defaultdict(list)
    meta: dict[tuple[int, str], dict[str, Any]] = {}
    for line_no, row in enumerate(rows, start=1):
        p = RowParser(row, fr, report)
        buyer = _org_with_role(p, "buyer_uscc", Role.BUYER, context, plist.buyer if plist else None)
        title = plist.title if plist else p.text("list_title", 200, required=True)
        deadline = plist.deadline if plist else p.take("list_deadline", parse_date)
        ref = p.text("ref", 64) or f"L{line_no}"
        name = p.text("name", 200, required=True)
        specs = p.text("specs", 2000)
        requirements = p.text("requirements", 5000)
        given = p.text("category", 60)
        category = context.categories.resolve(given) if given else None
        inferred = category is None
        if category is None:
            category = context.categories.classify(name, specs, requirements)
        quantity = p.number("quantity", positive=True)
        budget = p.money("budget")
        region = p.region("delivery_region", context)
        delivery_date = p.take("delivery_date", parse_date)
        if buyer is not None:
            key = (buyer.pk, title, ref)
            if key in seen:
                p.fail("ref", _("duplicate reference in this file"), ref)
            seen.add(key)
        if p.failed or buyer is None:
            continue
        fr.valid += 1
        group = (buyer.pk, title)
        meta.setdefault(group, {"buyer": buyer, "title": title, "deadline": deadline})
        grouped[group].append(
            ProcurementItem(
                ref=ref,
                line_no=line_no,
                name=name,
                category=category,
                category_inferred=inferred and category is not None,
                specs=specs,
                quantity=quantity,
                unit=p.text("unit", 20),
                budget=budget,
                delivery_region=region,
                delivery_date=delivery_date,
                requirements=requirements,
                required_certifications=parse_list(p.raw("required_certifications")),
            )
        )
    if not write:
        return []
    lists = []
    for group, items in grouped.items():
        info = meta[group]
        target = plist
        if target is None:
            target, created = ProcurementList.objects.get_or_create(
                buyer=info["buyer"],
                title=info["title"],
                defaults={"deadline": info["deadline"], "created_by": actor},
            )
            if not created and target.deadline != info["deadline"]:
                target.deadline = info["deadline"]
                target.save(update_fields=["deadline", "updated_at"])
        if publish and target.status == ProcurementList.Status.DRAFT:
            target.status = ProcurementList.Status.PUBLISHED
            target.published_at = timezone.now()
            target.save(update_fields=["status", "published_at", "updated_at"])
        _upsert_items(target, items, fr, actor)
        lists.append(target)
    return lists


def _upsert_items(
    plist: ProcurementList, items: list[ProcurementItem], fr: FileReport, actor: User | None
) -> None:
    existing = {
        row["ref"]: row
        for row in ProcurementItem.objects.filter(plist=plist).values("id", "ref", *ITEM_FIELDS)
    }
    to_write = []
    changes: list[dict[str, Any]] = []
    for item in items:
        item.plist = plist
        old = existing.get(item.ref)
        if old is None:
            fr.created += 1
            to_write.append(item)
            continue
        diff = {
            f: [str(old[f]), str(getattr(item, f))]
            for f in ITEM_FIELDS
            if getattr(item, f) != old[f]
        }
        if diff:
            fr.updated += 1
            to_write.append(item)
            changes.append({"ref": item.ref, "changes": diff})
        else:
            fr.unchanged += 1
    for start in range(0, len(to_write), CHUNK):
        ProcurementItem.objects.bulk_create(
            to_write[start : start + CHUNK],
            update_conflicts=True,
            unique_fields=["plist", "ref"],
            update_fields=[*ITEM_FIELDS, "updated_at"],
        )
    if to_write:
        ProcurementEvent.objects.create(
            plist=plist,
            kind=ProcurementEvent.Kind.IMPORTED,
            actor=actor,
            changes={"lines_written": len(to_write), "edited": changes[:200]},
        )


OPPORTUNITY_FIELDS = [
    "direction",
    "type",
    "type_label",
    "title",
    "description",
    "industry_chain",
    "category_id",
    "region_id",
    "amount",
    "organization_id",
    "deadline",
    "contact_email",
]


def _opportunities(
    rows: Iterable[ParsedRow],
    fr: FileReport,
    report: ImportReport,
    context: Context,
    write: bool,
    *,
    publisher: Organization | None,
    publish: bool = True,
) -> None:
    seen: set[tuple[str, str]] = set()
    grouped: dict[str, list[Opportunity]] = defaultdict(list)
    batch_numbers: dict[str, int | None] = {}
    if publisher is None:
        report.error(
            fr.name,
            None,
            None,
            _(
                "an opportunity batch needs an operator organization as its publisher; add one"
                " to organizations.csv"
            ),
        )
        return
    for row in rows:
        p = RowParser(row, fr, report)
        ref = p.text("ref", 64, required=True)
        batch_title = p.text("batch_title", 200, required=True)
        batch_no = p.take("batch_no", parse_int)
        direction_text = p.text("direction", 10, required=True)
        direction = _DIRECTIONS.get(direction_text.lower())
        if direction_text and direction is None:
            p.fail("direction", _("use 需求 (demand) or 供给 (supply)"), direction_text)
        type_label = p.text("type", 30)
        title = p.text("title", 200, required=True)
        description = p.text("description", 5000)
        chain = p.text("industry_chain", 100)
        region = p.region("region", context)
        amount = p.money("amount")
        organization = None
        uscc_text = normalise_text(p.raw("publisher_uscc"))
        if uscc_text:
            uscc = p.uscc("publisher_uscc")
            organization = context.organization(uscc) if uscc else None
            if uscc and organization is None:
                p.fail(
                    "publisher_uscc",
                    _("no organization with this Unified Social Credit Code is registered"),
                    uscc,
                )
        deadline = p.take("deadline", parse_date)
        email = p.text("contact_email", 254)
        if (batch_title, ref) in seen:
            p.fail("ref", _("duplicate reference in this file"), ref)
        seen.add((batch_title, ref))
        if p.failed:
            continue
        fr.valid += 1
        batch_numbers.setdefault(batch_title, batch_no)
        category = context.categories.classify(
            chain.split("·")[-1] if chain else "", title, description
        )
        grouped[batch_title].append(
            Opportunity(
                ref=ref,
                direction=direction or "",
                type=opportunity_type(type_label),
                type_label=type_label,
                title=title,
                description=description,
                industry_chain=chain,
                category=category,
                region=region,
                amount=amount,
                organization=organization,
                deadline=deadline,
                contact_email=email,
            )
        )
    if not write:
        return
    for title, opportunities in grouped.items():
        batch, _created = OpportunityBatch.objects.get_or_create(
            publisher=publisher, title=title, defaults={"batch_no": batch_numbers[title]}
        )
        if publish and batch.status == OpportunityBatch.Status.DRAFT:
            batch.status = OpportunityBatch.Status.PUBLISHED
            batch.published_at = timezone.now()
            batch.save(update_fields=["status", "published_at", "updated_at"])
        existing = {
            row["ref"]: row
            for row in Opportunity.objects.filter(batch=batch).values("ref", *OPPORTUNITY_FIELDS)
        }
        to_write = []
        for opportunity in opportunities:
            opportunity.batch = batch
            old = existing.get(opportunity.ref)
            if old is None:
                fr.created += 1
            elif any(getattr(opportunity, f) != old[f] for f in OPPORTUNITY_FIELDS):
                fr.updated += 1
            else:
                fr.unchanged += 1
                continue
            to_write.append(opportunity)
        Opportunity.objects.bulk_create(
            to_write,
            update_conflicts=True,
            unique_fields=["batch", "ref"],
            update_fields=[*OPPORTUNITY_FIELDS, "updated_at"],
        )


# --- Entry points ---------------------------------------------------------------------------

BUNDLE_FILES = [
    ("organizations", ORGANIZATION_COLUMNS),
    ("products", PRODUCT_COLUMNS),
    ("procurement", PROCUREMENT_COLUMNS),
    ("opportunities", OPPORTUNITY_COLUMNS),
]
BUNDLE_IGNORED = {"labels"}  # evaluation only


@dataclass
class Source:
    kind: str
    name: str
    opener: Callable[[], tuple[IO[bytes], str | None]]


def _opener(path: Path, sheet: str | None) -> Callable[[], tuple[IO[bytes], str | None]]:
    return lambda: (path.open("rb"), sheet)


def _bundle_sources(path: Path, report: ImportReport) -> list[Source]:
    sources: list[Source] = []
    if path.is_dir():
        for kind, _columns in BUNDLE_FILES:
            for suffix in (".csv", ".xlsx"):
                candidate = path / f"{kind}{suffix}"
                if candidate.exists():
                    sources.append(Source(kind, candidate.name, _opener(candidate, None)))
                    break
        known = {f"{k}{s}" for k, _c in BUNDLE_FILES for s in (".csv", ".xlsx")} | {
            f"{k}.csv" for k in BUNDLE_IGNORED
        }
        for extra in sorted(path.iterdir()):
            if extra.is_file() and extra.name not in known and not extra.name.startswith("."):
                report.warnings.append(
                    _("%(file)s is not part of a bundle and was ignored.") % {"file": extra.name}
                )
    elif path.is_file() and path.suffix.lower() == ".xlsx":
        from .spreadsheets import xlsx_sheet_names

        with path.open("rb") as handle:
            try:
                names = xlsx_sheet_names(handle)
            except Exception:
                names = []
        for kind, _columns in BUNDLE_FILES:
            if kind in names:
                sources.append(Source(kind, f"{path.name}:{kind}", _opener(path, kind)))
        if not sources and not names:
            # Let the reader explain what is wrong with the file.
            sources.append(Source("products", path.name, _opener(path, None)))
    else:
        report.error(
            path.name, None, None, _("a bundle is a folder of CSV files or one .xlsx file")
        )
    if not sources and not report.errors:
        report.error(
            path.name,
            None,
            None,
            _(
                "no bundle files found: expected organizations, products, procurement or"
                " opportunities"
            ),
        )
    return sources


def _queue_matching_since(started: datetime.datetime) -> None:
    """Match the published rows this import created or changed, once it commits.

    Unchanged rows are not written, so their ``updated_at`` is older than the import.
    """
    from matching.queue import queue_matching

    products = Product.objects.filter(updated_at__gte=started, status=Product.Status.PUBLISHED)
    queue_matching(kind="product", ids=products.values_list("pk", flat=True))
    items = ProcurementItem.objects.filter(
        updated_at__gte=started, plist__status=ProcurementList.Status.PUBLISHED
    )
    queue_matching(kind="procurement_item", ids=items.values_list("pk", flat=True))
    opportunities = Opportunity.objects.filter(
        updated_at__gte=started, batch__status=OpportunityBatch.Status.PUBLISHED
    )
    queue_matching(kind="opportunity", ids=opportunities.values_list("pk", flat=True))


def bundle_load(
    path: Path,
    *,
    skip_invalid: bool = False,
    limits: Limits | None = None,
    progress: Callable[[str, int], None] | None = None,
) -> ImportReport:
    """Load a bundle (folder of CSVs or one .xlsx) in one transaction."""
    report = ImportReport()
    limits = limits or Limits(max_bytes=None, max_rows=None)
    sources = _bundle_sources(path, report)
    if report.errors:
        return report
    started = timezone.now()
    try:
        with transaction.atomic():
            context = Context()
            for source in sources:
                _load_source(source, report, context, limits, progress)
            if report.errors and not skip_invalid:
                raise ImportAborted
            report.written = True
            _queue_matching_since(started)
    except ImportAborted:
        for fr in report.files:
            fr.created = fr.updated = fr.unchanged = 0
        report.written = False
    return report


def _counting(
    rows: Iterable[ParsedRow], kind: str, progress: Callable[[str, int], None] | None
) -> Iterator[ParsedRow]:
    for row in rows:
        yield row
        if progress is not None:
            progress(kind, 1)


def _load_source(
    source: Source,
    report: ImportReport,
    context: Context,
    limits: Limits,
    progress: Callable[[str, int], None] | None,
) -> None:
    columns = dict(BUNDLE_FILES)[source.kind]
    fr = FileReport(name=source.name, kind=source.kind)
    report.files.append(fr)
    handle, sheet = source.opener()
    table: Table | None = None
    try:
        try:
            table = open_table(
                handle, filename=source.name.split(":")[0], limits=limits, sheet=sheet
            )
        except SpreadsheetError as exc:
            report.error(source.name, None, None, str(exc))
            return
        parsed = read_rows(table, columns=columns, file_report=fr, report=report, limits=limits)
        rows = _counting(parsed, source.kind, progress)
        # Rows after a bad one are still written: the caller rolls the whole
        # transaction back unless --skip-invalid, and the report covers every row.
        if source.kind == "organizations":
            _organizations(rows, fr, report, context, True)
        elif source.kind == "products":
            _products(rows, fr, report, context, True)
        elif source.kind == "procurement":
            _procurement(rows, fr, report, context, True)
        else:
            publisher = (
                Organization.objects.filter(roles__contains=[Role.OPERATOR]).order_by("pk").first()
            )
            _opportunities(rows, fr, report, context, True, publisher=publisher)
    finally:
        if table is not None and table.close:
            table.close()
        handle.close()


def products_import(
    handle: IO[bytes],
    *,
    filename: str,
    supplier: Organization,
    by: User | None,
    skip_invalid: bool = False,
    publish: bool = False,
    limits: Limits | None = None,
) -> ImportReport:
    """A supplier's catalogue spreadsheet: every row becomes (or updates) one of its products."""
    report = ImportReport()
    limits = limits or upload_limits()
    fr = FileReport(name=filename, kind="products")
    report.files.append(fr)
    try:
        table = open_table(handle, filename=filename, limits=limits)
    except SpreadsheetError as exc:
        report.error(filename, None, None, str(exc))
        return report
    started = timezone.now()
    try:
        with transaction.atomic():
            rows = read_rows(
                table, columns=PRODUCT_COLUMNS, file_report=fr, report=report, limits=limits
            )
            _products(rows, fr, report, Context(), True, supplier=supplier, publish=publish)
            if report.errors and not skip_invalid:
                raise ImportAborted
            report.written = True
            _queue_matching_since(started)
    except ImportAborted:
        fr.created = fr.updated = fr.unchanged = 0
    finally:
        if table.close:
            table.close()
    return report


def procurement_list_import(
    handle: IO[bytes],
    *,
    filename: str,
    buyer: Organization,
    title: str,
    deadline: datetime.date | None,
    by: User | None,
    description: str = "",
    skip_invalid: bool = False,
    limits: Limits | None = None,
) -> tuple[ImportReport, ProcurementList | None]:
    """A buyer's own sheet, as they send it, becomes one draft list to preview and publish."""
    report = ImportReport()
    limits = limits or upload_limits()
    fr = FileReport(name=filename, kind="procurement")
    report.files.append(fr)
    try:
        table = open_table(handle, filename=filename, limits=limits)
    except SpreadsheetError as exc:
        report.error(filename, None, None, str(exc))
        return report, None
    plist = None
    try:
        with transaction.atomic():
            plist = ProcurementList.objects.create(
                buyer=buyer, title=title, deadline=deadline, description=description, created_by=by
            )
            ProcurementEvent.objects.create(
                plist=plist, kind=ProcurementEvent.Kind.CREATED, actor=by
            )
            rows = read_rows(
                table, columns=PROCUREMENT_COLUMNS, file_report=fr, report=report, limits=limits
            )
            _procurement(rows, fr, report, Context(), True, plist=plist, actor=by, publish=False)
            if fr.valid == 0 and not report.errors:
                report.error(filename, None, None, _("the sheet has no lines"))
            if report.errors and (not skip_invalid or fr.valid == 0):
                raise ImportAborted
            report.written = True
    except ImportAborted:
        fr.created = fr.updated = fr.unchanged = 0
        plist = None
    finally:
        if table.close:
            table.close()
    return report, plist
