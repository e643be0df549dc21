"""The scorer: one need against one offer, a score in [0, 1] and the reasons in Chinese.

Pure functions over ``Document`` rows and corpus statistics: no database access,
so the benchmark's exhaustive scorer and the indexed path score identically.
"""

from __future__ import annotations

import datetime
import json
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


@dataclass(slots=True)
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


def _category_of(need: Document, key: tuple[tuple[str, ...], str]) -> tuple[float, str]:
    """The category factor for an offer's (category path, category name)."""
    categories, name = key
    if not need.categories or not categories:
        return 0.0, ""
    if need.categories[0] == categories[0]:
        return 1.0, f"品类一致：{need.category_name}"
    if categories[0] in (need.facts or {}).get("also", []):
        # The need names several things ("AI服务器及机房空调"); this offer is one of them.
        return 0.9, f"品类一致：{name}"
    if need.categories[0] in categories:  # the need names a chain, the offer a category in it
        return 0.8, f"品类属于{need.category_name}"
    if categories[0] in need.categories:
        return 0.6, f"品类相近：{name}"
    shared = [c for c in need.categories if c in categories]
    if shared:
        depth = shared[0].count(".")  # 0: same industry, 1: same chain
        return (0.45, "同属产业链") if depth >= 1 else (0.1, "")
    return 0.0, ""


class KindOf:
    """Is the offer the kind of thing the need asks for? Its head noun must occur in the need:
    in its title or tokens, or a token of two characters or more ends the head noun."""

    def __init__(self, need: Document) -> None:
        self.excluded = (need.facts or {}).get("excluded", [])
        self.text = need.title + " " + " ".join(need.tokens)
        self.tokens = {t for t in need.tokens if len(t) >= 2}

    def __call__(self, head: str) -> tuple[float, str]:
        if not head:
            return 0.5, ""
        for item in self.excluded:
            if item.endswith(head) or head.endswith(item):
                return 0.0, f"需求方不需要：{item}"
        # A token ending with the head noun contains it, so it is in the text; a token the
        # head noun ends with is one of its suffixes.
        if head in self.text or any(head[i:] in self.tokens for i in range(len(head) - 1)):
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


def _covers(service_code: str, delivery: str) -> bool:
    if service_code.endswith("0000"):
        return delivery.startswith(service_code[:2])
    if service_code.endswith("00"):
        return delivery.startswith(service_code[:4])
    return delivery == service_code


def _region_of(
    need: Document, key: tuple[tuple[str, ...], str], names: dict[str, str]
) -> tuple[float, str]:
    """The region factor for an offer's (service regions, home region of its organization)."""
    if not need.regions:
        return 0.5, ""
    regions, home = key
    delivery = need.regions[0]
    place = names.get(delivery[:4] + "00") or names.get(delivery, delivery)
    serves = not regions or any(_covers(code, delivery) for code in regions)
    if not serves:
        return 0.0, f"服务区域未覆盖{place}"
    if home and home[:4] == delivery[:4]:
        return 1.0, f"本地供应：同在{place}"
    if home and home[:4] in METRO_PREFECTURES and delivery[:4] in METRO_PREFECTURES:
        return 0.85, f"服务区域覆盖{place}（都市圈内）"
    return 0.7, f"服务区域覆盖{place}" if regions else "全国供货"


def _soft(need: Document, offer: Offer, today: datetime.date) -> tuple[float, str]:
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


@dataclass(slots=True)
class OfferFeatures:
    """What the scorer reads from an offer, derived once per document and kept on it."""

    tf: Counter[str]
    length: int
    specs: spec_parser.Specs
    specs_key: str
    region_key: tuple[tuple[str, ...], str]
    soft_key: tuple[Any, ...]
    head: str
    category_key: tuple[tuple[str, ...], str]


@dataclass(slots=True)
class HeldOffer:
    """An offer as a process's offer index holds it (``postings.OfferIndex.held``): what the
    scorer and a stored match read of it, so that the offers kept for a need are not read
    from the table. ``facts`` holds the soft fits' facts only."""

    pk: int
    key: str
    kind: str
    object_id: int
    organization_id: int | None
    facts: dict[str, Any]
    features: OfferFeatures


Offer = Document | HeldOffer


def features(offer: Offer) -> OfferFeatures:
    """The offer's scoring features, computed on first use and cached on the instance.

    ``Document`` rows are not edited in place (they are rebuilt by ``documents_index``),
    and the candidate cache in ``services`` refetches a row whose ``updated_at`` moved.
    """
    if isinstance(offer, HeldOffer):
        return offer.features
    cached: OfferFeatures | None = offer.__dict__.get("_match_features")
    if cached is None:
        facts = offer.facts or {}
        cached = OfferFeatures(
            tf=Counter(offer.tokens),
            length=len(offer.tokens),
            specs=_specs(offer.specs),
            specs_key=json.dumps(offer.specs, sort_keys=True),
            region_key=(tuple(offer.regions), facts.get("org_region") or ""),
            soft_key=(
                facts.get("unit"),
                facts.get("capacity"),
                facts.get("price_min"),
                facts.get("lead_time_days"),
            ),
            head=facts.get("head") or "",
            category_key=(tuple(offer.categories), offer.category_name),
        )
        offer.__dict__["_match_features"] = cached
    return cached


class NeedScorer:
    """Scores offers for one need. ``score_pair`` and the ranking both go through it.

    Whatever depends on the need alone (its query terms and their idf, its parsed
    specifications) is computed once; factors that depend on a few offer attributes
    (the head noun, the category path, the specifications, the service regions, the
    capacity/price/lead time) are memoised per distinct value, since many offers share
    them. ``value`` returns the score alone; ``evaluate`` the score with its reasons,
    through the same arithmetic in the same order, so both give the same number.
    """

    def __init__(
        self,
        need: Document,
        stats: Stats,
        *,
        badges: dict[int, list[str]],
        region_names: dict[str, str],
        today: datetime.date,
        w: dict[str, float] | None = None,
    ) -> None:
        self.need = need
        self.stats = stats
        self.badges = badges
        self.region_names = region_names
        self.today = today
        self.w = w or weights()
        self.terms = list(set(need.tokens))
        self.idf = {t: stats.idf(t) for t in self.terms}
        self.ideal = sum(self.idf[t] for t in self.terms) * (K1 + 1) / (1 + K1)
        self.avgdl = max(stats.avgdl, 1.0)
        self.need_specs = _specs(need.specs)
        self.kind_test = KindOf(need)
        self._kind: dict[str, tuple[float, str]] = {}
        self._category: dict[tuple[tuple[str, ...], str], tuple[float, str]] = {}
        self._specs: dict[str, spec_parser.Fit] = {}
        self._region: dict[tuple[tuple[str, ...], str], tuple[float, str]] = {}
        self._soft: dict[tuple[Any, ...], tuple[float, str]] = {}
        self._shared_order: list[str] | None = None

    def kind_of(self, head: str) -> tuple[float, str]:
        """The kind factor and its reason for an offer with this head noun (memoised)."""
        kind = self._kind.get(head)
        if kind is None:
            kind = self._kind[head] = self.kind_test(head)
        return kind

    def kind_value(self, head: str) -> float:
        """The kind factor of an offer with this head noun (memoised, as in the scoring)."""
        return self.kind_of(head)[0]

    def raw(self, offer: Offer) -> float:
        """BM25 of the need's terms in the offer (as ``bm25``)."""
        return self.raws([features(offer)])[0]

    def raws(self, feats: list[OfferFeatures]) -> list[float]:
        terms = [(term, self.idf[term]) for term in self.terms]
        if not terms:
            return [0.0] * len(feats)
        avgdl = self.avgdl
        out = []
        for f in feats:
            if not f.length:
                out.append(0.0)
                continue
            norm = K1 * (1 - B + B * f.length / avgdl)
            total = 0.0
            tf = f.tf
            for term, idf in terms:
                c = tf.get(term)
                if c:
                    total += idf * c * (K1 + 1) / (c + norm)
            out.append(total)
        return out

    def _factors(
        self, offer: Offer, raw: float, best: float
    ) -> tuple[OfferFeatures, tuple[float, str], tuple[float, str], float, spec_parser.Fit]:
        f = features(offer)
        kind = self.kind_of(f.head)
        category = self._category.get(f.category_key)
        if category is None:
            category = self._category[f.category_key] = _category_of(self.need, f.category_key)
        best = best or raw
        absolute = min(1.0, raw / self.ideal) if self.ideal > 0 else 0.0
        relative = raw / best if best > 0 else 0.0
        text = 0.5 * absolute + 0.5 * relative
        fit = self._specs.get(f.specs_key)
        if fit is None:
            fit = self._specs[f.specs_key] = spec_parser.compare(self.need_specs, f.specs)
        return f, kind, category, text, fit

    def _rest(self, offer: Offer, f: OfferFeatures) -> tuple[tuple[float, str], ...]:
        region = self._region.get(f.region_key)
        if region is None:
            region = self._region[f.region_key] = _region_of(
                self.need, f.region_key, self.region_names
            )
        soft = self._soft.get(f.soft_key)
        if soft is None:
            soft = self._soft[f.soft_key] = _soft(self.need, offer, self.today)
        return region, soft

    def values(
        self, offers: list[Document], feats: list[OfferFeatures], raws: list[float], best: float
    ) -> list[float]:
        """The scores ``evaluate`` gives these offers, without building the reasons.

        The same arithmetic in the same order, inlined: this loop runs for every candidate.
        """
        w = self.w
        w_kind, w_category, w_text = w["kind"], w["category"], w["text"]
        w_specs, w_region, w_fit, w_badge = w["specs"], w["region"], w["fit"], w["badge"]
        need, ideal, badges = self.need, self.ideal, self.badges
        kinds, categories, specs = self._kind, self._category, self._specs
        regions, softs = self._region, self._soft
        out = []
        for offer, f, raw in zip(offers, feats, raws, strict=True):
            kind = kinds.get(f.head)
            if kind is None:
                kind = kinds[f.head] = self.kind_test(f.head)
            category = categories.get(f.category_key)
            if category is None:
                category = categories[f.category_key] = _category_of(need, f.category_key)
            top = best or raw
            absolute = min(1.0, raw / ideal) if ideal > 0 else 0.0
            relative = raw / top if top > 0 else 0.0
            text = 0.5 * absolute + 0.5 * relative
            fit = specs.get(f.specs_key)
            if fit is None:
                fit = specs[f.specs_key] = spec_parser.compare(self.need_specs, f.specs)
            region = regions.get(f.region_key)
            if region is None:
                region = regions[f.region_key] = _region_of(need, f.region_key, self.region_names)
            soft = softs.get(f.soft_key)
            if soft is None:
                soft = softs[f.soft_key] = _soft(need, offer, self.today)
            score: float = 0
            score += w_kind * kind[0]
            score += w_category * category[0]
            score += w_text * text
            score += w_specs * fit.score
            score += w_region * region[0]
            score += w_fit * soft[0]
            score += w_badge if badges.get(offer.organization_id or 0) else 0.0
            relevance = max(category[0], text)
            if relevance < 0.2:
                score *= relevance / 0.2
            out.append(min(1.0, max(0.0, score)))
        return out

    def _shared(self) -> list[str]:
        """The need's words of two characters or more, rarest first (ties in text order): the
        keywords an offer's reason names are those of them it holds, in this order."""
        if self._shared_order is None:
            order = [t for t in dict.fromkeys(self.need.tokens) if len(t) >= 2]
            order.sort(key=lambda t: -self.idf[t])
            self._shared_order = order
        return self._shared_order

    def evaluate(self, offer: Offer, raw: float, best: float) -> Scored:
        w = self.w
        need = self.need
        f, kind, category, text, fit = self._factors(offer, raw, best)
        region, soft = self._rest(offer, f)
        held = self.badges.get(offer.organization_id or 0, [])
        shared = [t for t in self._shared() if t in f.tf]
        detail = ""
        if fit.matched:
            detail = f"规格匹配：{'、'.join(fit.matched)}"
        if fit.mismatched:
            detail = (detail + "；" if detail else "") + f"规格不符：{'、'.join(fit.mismatched)}"
        reasons = [
            Reason("kind", w["kind"] * kind[0], kind[1]),
            Reason("category", w["category"] * category[0], category[1]),
            Reason(
                "text", w["text"] * text, f"关键词匹配：{'、'.join(shared[:4])}" if shared else ""
            ),
            Reason("specs", w["specs"] * fit.score, detail),
            Reason("region", w["region"] * region[0], region[1]),
            Reason("fit", w["fit"] * soft[0], soft[1]),
            Reason("badge", w["badge"] if held else 0.0, f"持有{'、'.join(held)}" if held else ""),
        ]
        if need.certifications:
            reasons.append(
                Reason("certifications", 0.0, f"资质齐全：{'、'.join(need.certifications)}")
            )
        score: float = 0
        for reason in reasons:
            score += reason.weight
        # Without any evidence that it is the same thing, region and badges alone are not a match.
        relevance = max(category[0], text)
        if relevance < 0.2:
            score *= relevance / 0.2
        return Scored(min(1.0, max(0.0, score)), reasons, text, category[0], fit.score, kind[0])


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
    """One pair, with reasons. ``text_best`` is the need's best BM25 among the offers ranked
    (0: this offer's own, so its text counts as the best)."""
    scorer = NeedScorer(need, stats, badges=badges, region_names=region_names, today=today, w=w)
    return scorer.evaluate(offer, scorer.raw(offer), text_best)


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
