"""Building the matching index (``Document`` rows) from needs and offers."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import asdict
from typing import Any

from django.db import connection
from django.db.models import QuerySet

from accounts.models import Organization
from catalog.models import Category, Product
from catalog.selectors import CategoryIndex
from procurement.models import Opportunity, OpportunityBatch, ProcurementItem, ProcurementList

from . import specs as spec_parser
from .models import Document
from .text import excluded_items, fold, head_noun, token_ids, tokens

# Certifications written differently but meaning the same thing.
CERT_CANON = {
    "3c": "CCC",
    "ccc认证": "CCC",
    "中国强制性产品认证": "CCC",
    "cccf": "消防产品认证",
    "3c消防": "消防产品认证",
    "消防3c": "消防产品认证",
}


def canonical_cert(text: str) -> str:
    value = fold(text).strip().replace(" ", "")
    if value in CERT_CANON:
        return CERT_CANON[value]
    if value.startswith("iso"):
        return re.sub(r":\d{4}$", "", value).upper()
    return value.upper() if value.isascii() else value


def certs(values: Iterable[str]) -> list[str]:
    return sorted({canonical_cert(v) for v in values if v and v.strip()})


def category_path(category: Category | None, by_pk: dict[int, Category]) -> list[str]:
    path = []
    node = category
    while node is not None:
        path.append(node.code)
        node = by_pk.get(node.parent_id) if node.parent_id else None
    return path


# Sentences about the company rather than the product ("公司主营…", "提供7×24小时售后"):
# they list other products and would match needs this product does not serve.
_BOILERPLATE = ("主营", "公司通过", "售后", "可提供", "定制开发", "入选", "推广目录", "成熟应用")


_shared: tuple[tuple[Any, ...], Builder] | None = None


def product_text(description: str) -> str:
    sentences = re.split(r"[。；;！!]", description)
    return "。".join(s for s in sentences if s and not any(word in s for word in _BOILERPLATE))


class Builder:
    """Shared lookups for building many documents."""

    def __init__(self, categories: list[Category] | None = None) -> None:
        if categories is None:
            categories = list(Category.objects.all())
        self.by_pk = {c.pk: c for c in categories}
        self.index = CategoryIndex(categories)

    @classmethod
    def current(cls) -> Builder:
        """The builder of this process, built again only when the taxonomy has changed.

        Reading the categories is cheap; compiling the classifier's patterns is not (about
        50 ms), and every matching task needs it.
        """
        global _shared
        categories = list(Category.objects.order_by("pk"))
        signature = tuple(
            (c.pk, c.code, c.parent_id, c.level, c.name_zh, c.name_en, tuple(c.synonyms))
            for c in categories
        )
        if _shared is None or _shared[0] != signature:
            _shared = (signature, cls(categories))
        return _shared[1]

    def _category(self, category: Category | None, *texts: str) -> Category | None:
        if category is not None:
            return self.by_pk.get(category.pk, category)
        return self.index.classify(*texts)

    def _base(
        self, key: str, side: str, kind: str, obj: Any, organization: Organization | None
    ) -> dict[str, Any]:
        return {
            "key": key,
            "side": side,
            "kind": kind,
            "object_id": obj.pk,
            "ref": getattr(obj, "ref", "") or "",
            "organization": organization,
        }

    def product(self, product: Product) -> dict[str, Any]:
        supplier = product.supplier
        category = self._category(
            product.category, product.name, product.specs, product.description
        )
        text = " ".join(
            [
                product.name,
                product.name,
                category.name_zh if category else "",
                product.specs,
                product_text(product.description),
            ]
        )
        toks = tokens(text)
        return {
            **self._base(
                f"product:{product.pk}",
                Document.Side.OFFER,
                Document.Kind.PRODUCT,
                product,
                supplier,
            ),
            "active": product.status == Product.Status.PUBLISHED and supplier.is_verified,
            "title": product.name[:200],
            "tokens": toks,
            "token_ids": token_ids(toks),
            "length": len(toks),
            "categories": category_path(category, self.by_pk),
            "category_name": category.name_zh if category else "",
            "regions": sorted(r.code for r in product.service_regions.all()),
            "certifications": certs(product.certifications),
            "specs": spec_json(f"{product.name} {product.specs}"),
            "facts": {
                "price_min": _num(product.price_min),
                "price_max": _num(product.price_max),
                "unit": product.unit,
                "capacity": _num(product.monthly_capacity),
                "lead_time_days": product.lead_time_days,
                "org_region": supplier.region_id,
                "head": head_noun(product.name),
            },
        }

    def item(self, item: ProcurementItem) -> dict[str, Any]:
        plist = item.plist
        category = self._category(item.category, item.name, item.specs, item.requirements)
        # Requirements ("提供近三年同类业绩", "含运输及卸货") describe the deal, not the product:
        # they feed the spec parser but not text relevance.
        text = " ".join([item.name, item.name, category.name_zh if category else "", item.specs])
        toks = tokens(text)
        return {
            **self._base(
                f"procurement_item:{item.pk}",
                Document.Side.NEED,
                Document.Kind.PROCUREMENT_ITEM,
                item,
                plist.buyer,
            ),
            "active": plist.status == ProcurementList.Status.PUBLISHED
            and item.status == ProcurementItem.Status.OPEN,
            "title": item.name[:200],
            "tokens": toks,
            "token_ids": token_ids(toks),
            "length": len(toks),
            "categories": category_path(category, self.by_pk),
            "category_name": category.name_zh if category else "",
            "regions": [item.delivery_region_id] if item.delivery_region_id else [],
            "certifications": certs(item.required_certifications),
            "specs": spec_json(f"{item.name} {item.specs} {item.requirements}"),
            "facts": {
                "quantity": _num(item.quantity),
                "unit": item.unit,
                "budget": _num(item.budget),
                "delivery_date": item.delivery_date.isoformat() if item.delivery_date else None,
                "deadline": plist.deadline.isoformat() if plist.deadline else None,
                "also": [c.code for c in self.index.categories_in(item.name, item.specs)],
                "excluded": excluded_items(f"{item.specs} {item.requirements}"),
            },
        }

    def opportunity(self, opportunity: Opportunity) -> dict[str, Any]:
        chain = opportunity.industry_chain.split("·")[-1] if opportunity.industry_chain else ""
        category = self._category(
            opportunity.category, opportunity.title, opportunity.description, chain
        )
        text = " ".join(
            [
                opportunity.title,
                opportunity.title,
                category.name_zh if category else "",
                opportunity.description,
                opportunity.industry_chain,
            ]
        )
        toks = tokens(text)
        side = (
            Document.Side.NEED
            if opportunity.direction == Opportunity.Direction.DEMAND
            else Document.Side.OFFER
        )
        organization = opportunity.organization
        return {
            **self._base(
                f"opportunity:{opportunity.pk}",
                side,
                Document.Kind.OPPORTUNITY,
                opportunity,
                organization,
            ),
            "active": opportunity.batch.status == OpportunityBatch.Status.PUBLISHED
            and (organization is None or organization.is_verified),
            "title": opportunity.title[:200],
            "tokens": toks,
            "token_ids": token_ids(toks),
            "length": len(toks),
            "categories": category_path(category, self.by_pk),
            "category_name": category.name_zh if category else "",
            "regions": [opportunity.region_id] if opportunity.region_id else [],
            "certifications": [],
            "specs": spec_json(f"{opportunity.title} {opportunity.description}"),
            "facts": {
                "amount": _num(opportunity.amount),
                "deadline": opportunity.deadline.isoformat() if opportunity.deadline else None,
                "org_region": organization.region_id if organization else opportunity.region_id,
                "also": [
                    c.code
                    for c in self.index.categories_in(opportunity.title, opportunity.description)
                ],
                "head": head_noun(opportunity.title) if side == Document.Side.OFFER else "",
                "excluded": excluded_items(opportunity.description),
            },
        }


def spec_json(text: str) -> dict[str, Any]:
    data = asdict(spec_parser.parse(text))
    return {k: sorted(v) if isinstance(v, set) else v for k, v in data.items() if v}


def _num(value: Any) -> float | None:
    return float(value) if value is not None else None


def _products(ids: Iterable[int]) -> QuerySet[Product]:
    return (
        Product.objects.filter(pk__in=list(ids))
        .select_related("supplier", "category")
        .prefetch_related("service_regions")
    )


def _items(ids: Iterable[int]) -> QuerySet[ProcurementItem]:
    return ProcurementItem.objects.filter(pk__in=list(ids)).select_related(
        "plist", "plist__buyer", "category"
    )


def _opportunities(ids: Iterable[int]) -> QuerySet[Opportunity]:
    return Opportunity.objects.filter(pk__in=list(ids)).select_related(
        "batch", "organization", "category"
    )


# Two reserved rows per side in ``Term`` (no token starts with a space): how many active
# documents there are and how many tokens they hold, so BM25's N and average length are one
# indexed lookup rather than an aggregate over every document of the side.
DOCUMENTS = " documents"
TOKENS = " tokens"


def _apply_term_delta(delta: Counter[tuple[str, str]]) -> None:
    """Add the change in document frequencies; sorted, so concurrent workers lock in one order."""
    changes = sorted((side, term, n) for (side, term), n in delta.items() if n)
    if not changes:
        return
    with connection.cursor() as cursor:
        for start in range(0, len(changes), 1000):
            chunk = changes[start : start + 1000]
            cursor.execute(
                "INSERT INTO matching_term (side, term, df) SELECT * FROM unnest(%s::varchar[],"
                " %s::varchar[], %s::int[])"
                " ON CONFLICT (side, term) DO UPDATE SET df = matching_term.df + EXCLUDED.df",
                [[c[0] for c in chunk], [c[1] for c in chunk], [c[2] for c in chunk]],
            )


def documents_index(*, kind: str, ids: list[int], builder: Builder | None = None) -> list[Document]:
    """Insert or update the documents of these objects; objects that are gone are removed."""
    builder = builder or Builder()
    if kind == Document.Kind.PRODUCT:
        rows = [builder.product(p) for p in _products(ids)]
    elif kind == Document.Kind.PROCUREMENT_ITEM:
        rows = [builder.item(i) for i in _items(ids)]
    else:
        rows = [builder.opportunity(o) for o in _opportunities(ids)]
    found = {row["object_id"] for row in rows}
    keys = [f"{kind}:{pk}" for pk in ids]
    old = {
        key: (side, active, tokens)
        for key, side, active, tokens in Document.objects.filter(key__in=keys).values_list(
            "key", "side", "active", "tokens"
        )
    }
    delta: Counter[tuple[str, str]] = Counter()
    for side, active, old_tokens in old.values():
        if active:
            delta.subtract((side, t) for t in set(old_tokens))
            delta[(side, DOCUMENTS)] -= 1
            delta[(side, TOKENS)] -= len(old_tokens)
    for row in rows:
        if row["active"]:
            delta.update((row["side"], t) for t in set(row["tokens"]))
            delta[(row["side"], DOCUMENTS)] += 1
            delta[(row["side"], TOKENS)] += row["length"]
    gone = [f"{kind}:{pk}" for pk in ids if pk not in found]
    if gone:
        Document.objects.filter(key__in=gone).delete()
    _apply_term_delta(delta)
    documents = [Document(**row) for row in rows]
    if documents:
        Document.objects.bulk_create(
            documents,
            update_conflicts=True,
            unique_fields=["key"],
            update_fields=[
                "side",
                "active",
                "title",
                "tokens",
                "token_ids",
                "length",
                "categories",
                "category_name",
                "regions",
                "certifications",
                "specs",
                "facts",
                "organization",
                "ref",
                "updated_at",
            ],
        )
    return documents
