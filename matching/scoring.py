"""The scorer: one need against one offer, a score in [0, 1] and the reasons in Chinese.

Pure functions over ``Document`` rows and corpus statistics: no database access,
so the benchmark's exhaustive scorer and the indexed path score identically.
"""

from __future__ import annotations

import datetime
import math
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings

from . import specs as spec_parser
from .models import Document

METRO_PREFECTURES = {"5101", "5106", "5114", "5118", "5120"}  # 成都 德阳 眉山 雅安 资阳
K1 = 1.2
B = 0.75


@dataclass
class Stats:
    """Corpus statistics of the offers (or needs) side, for BM25."""

    n: int
    avgdl: float
    df: dict[str, int] = field(default_factory=dict)

    def idf(self, term: str) -> float:
        df = self.df.get(term, 0)
        return math.log(1 + (self.n - df + 0.5) / (df + 0.5))


@dataclass
class Reason:
    factor: str
    weight: float
    detail: str

    def as_dict(self) -> dict[str, Any]:
        return {"factor": self.factor, "weight": round(self.weight, 4), "detail": self.detail}


@dataclass
class Scored:
    score: float
    reasons: list[Reason]
    text: float
    category: float
    specs: float = 0.5
    kind: float = 0.5


def weights() -> dict[str, float]:
    return dict(settings.MATCHING["WEIGHTS"])


def _category(need: Document, offer: Document) -> tuple[float, str]:
    if not need.categories or not offer.categories:
        return 0.0, ""
    if need.categories[0] == offer.categories[0]:
        return 1.0, f"品类一致：{need.category_name}"
    if offer.categories[0] in (need.facts or {}).get("also", []):
        # The need names several things ("AI服务器及机房空调"); this offer is one of them.
        return 0.9, f"品类一致：{offer.category_name}"
    if need.categories[0] in offer.categories:  # the need names a chain, the offer a category in it
        return 0.8, f"品类属于{need.category_name}"
    if offer.categories[0] in need.categories:
        return 0.6, f"品类相近：{offer.category_name}"
    shared = [c for c in need.categories if c in offer.categories]
    if shared:
        depth = shared[0].count(".")  # 0: same industry, 1: same chain
        return (0.45, "同属产业链") if depth >= 1 else (0.1, "")
    return 0.0, ""


def _kind(need: Document, offer: Document) -> tuple[float, str]:
    """Is the offer the kind of thing the need asks for? Its head noun must occur in the need."""
    head = (offer.facts or {}).get("head") or ""
    if not head:
        return 0.5, ""
    for item in (need.facts or {}).get("excluded", []):
        if item.endswith(head) or head.endswith(item):
            return 0.0, f"需求方不需要：{item}"
    text = need.title + " " + " ".join(need.tokens)
    if head in text or any(
        len(t) >= 2 and (t.endswith(head) or head.endswith(t)) for t in need.tokens
    ):
        return 1.0, f"产品对口：{head}"
    return 0.0, ""


def bm25(query: list[str], doc_tokens: list[str], stats: Stats) -> float:
    if not query or not doc_tokens:
        return 0.0
    tf = Counter(doc_tokens)
    norm = K1 * (1 - B + B * len(doc_tokens) / max(stats.avgdl, 1.0))
    total = 0.0
    for term in set(query):
        f = tf.get(term)
        if f:
            total += stats.idf(term) * f * (K1 + 1) / (f + norm)
    return total


def _text(need: Document, offer: Document, stats: Stats, best: float) -> tuple[float, str]:
    query = need.tokens
    raw = bm25(query, offer.tokens, stats)
    # Half absolute (against a document holding every query term once), half relative
    # to the best candidate of this need: the closest wording among the offers wins.
    ideal = sum(stats.idf(t) for t in set(query)) * (K1 + 1) / (1 + K1)
    absolute = min(1.0, raw / ideal) if ideal > 0 else 0.0
    relative = raw / best if best > 0 else 0.0
    value = 0.5 * absolute + 0.5 * relative
    shared = [t for t in dict.fromkeys(query) if t in set(offer.tokens) and len(t) >= 2]
    shared.sort(key=lambda t: -stats.idf(t))
    detail = f"关键词匹配：{'、'.join(shared[:4])}" if shared else ""
    return value, detail


def _covers(service_code: str, delivery: str) -> bool:
    if service_code.endswith("0000"):
        return delivery.startswith(service_code[:2])
    if service_code.endswith("00"):
        return delivery.startswith(service_code[:4])
    return delivery == service_code


def _region(need: Document, offer: Document, names: dict[str, str]) -> tuple[float, str]:
    if not need.regions:
        return 0.5, ""
    delivery = need.regions[0]
    place = names.get(delivery[:4] + "00") or names.get(delivery, delivery)
    serves = not offer.regions or any(_covers(code, delivery) for code in offer.regions)
    home = (offer.facts or {}).get("org_region") or ""
    if not serves:
        return 0.0, f"服务区域未覆盖{place}"
    if home and home[:4] == delivery[:4]:
        return 1.0, f"本地供应：同在{place}"
    if home and home[:4] in METRO_PREFECTURES and delivery[:4] in METRO_PREFECTURES:
        return 0.85, f"服务区域覆盖{place}（都市圈内）"
    return 0.7, f"服务区域覆盖{place}" if offer.regions else "全国供货"


def _soft(need: Document, offer: Document, today: datetime.date) -> tuple[float, str]:
    facts_n, facts_o = need.facts or {}, offer.facts or {}
    parts: list[float] = []
    details: list[str] = []
    quantity, capacity = facts_n.get("quantity"), facts_o.get("capacity")
    same_unit = facts_n.get("unit") and facts_n.get("unit") == facts_o.get("unit")
    if quantity and capacity and same_unit:
        ok = capacity >= quantity
        parts.append(1.0 if ok else 0.3)
        if ok:
            details.append("月产能满足数量")
    budget, price_min = facts_n.get("budget"), facts_o.get("price_min")
    if budget and quantity and price_min and same_unit:
        ok = budget / quantity >= price_min * 0.9
        parts.append(1.0 if ok else 0.2)
        if ok:
            details.append("报价在预算内")
    delivery, lead = facts_n.get("delivery_date"), facts_o.get("lead_time_days")
    if delivery and lead is not None:
        days = (datetime.date.fromisoformat(delivery) - today).days
        ok = lead <= days
        parts.append(1.0 if ok else 0.4)
        if ok:
            details.append("供货周期满足交期")
    if not parts:
        return 0.5, ""
    return sum(parts) / len(parts), "，".join(details)


def score_pair(
    need: Document,
    offer: Document,
    stats: Stats,
    *,
    badges: dict[int, list[str]],
    region_names: dict[str, str],
    today: datetime.date,
    w: dict[str, float] | None = None,
    text_best: float = 0.0,
) -> Scored:
    w = w or weights()
    reasons: list[Reason] = []

    kind, detail = _kind(need, offer)
    reasons.append(Reason("kind", w["kind"] * kind, detail))
    category, detail = _category(need, offer)
    reasons.append(Reason("category", w["category"] * category, detail))
    text, detail = _text(need, offer, stats, text_best or bm25(need.tokens, offer.tokens, stats))
    reasons.append(Reason("text", w["text"] * text, detail))

    fit = spec_parser.compare(_specs(need.specs), _specs(offer.specs))
    detail = ""
    if fit.matched:
        detail = f"规格匹配：{'、'.join(fit.matched)}"
    if fit.mismatched:
        detail = (detail + "；" if detail else "") + f"规格不符：{'、'.join(fit.mismatched)}"
    reasons.append(Reason("specs", w["specs"] * fit.score, detail))

    region, detail = _region(need, offer, region_names)
    reasons.append(Reason("region", w["region"] * region, detail))
    soft, detail = _soft(need, offer, today)
    reasons.append(Reason("fit", w["fit"] * soft, detail))
    held = badges.get(offer.organization_id or 0, [])
    reasons.append(
        Reason("badge", w["badge"] if held else 0.0, f"持有{'、'.join(held)}" if held else "")
    )
    if need.certifications:
        reasons.append(Reason("certifications", 0.0, f"资质齐全：{'、'.join(need.certifications)}"))

    score = sum(r.weight for r in reasons)
    # Without any evidence that it is the same thing, region and badges alone are not a match.
    relevance = max(category, text)
    if relevance < 0.2:
        score *= relevance / 0.2
    return Scored(min(1.0, max(0.0, score)), reasons, text, category, fit.score, kind)


def _specs(data: dict[str, Any]) -> spec_parser.Specs:
    if not data:
        return spec_parser.Specs()
    return spec_parser.Specs(
        voltages=set(data.get("voltages", [])),
        sections=[tuple(r) for r in data.get("sections", [])],
        dn=[tuple(r) for r in data.get("dn", [])],
        grades=set(data.get("grades", [])),
        capacities={k: [tuple(r) for r in v] for k, v in data.get("capacities", {}).items()},
        ip=data.get("ip"),
        energy_class=data.get("energy_class"),
    )
