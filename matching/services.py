"""Matching: index needs and offers, find candidates through the index, score, store ``Match`` rows.

``match_objects`` indexes needs or offers and matches them in their direction:
``match_need_documents`` ranks every active offer for a need, ``match_offer_documents``
finds the open needs a new or edited offer may enter and re-ranks them. Both are
idempotent: running them twice leaves the same rows. Needs and offers that are no
longer open or published (closed, cancelled, archived, unverified) retire their matches.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.db.models import Avg, Count, Min, Q
from django.db.models.expressions import RawSQL
from django.utils import timezone

from accounts.models import BADGE_CHINESE_NAMES, Badge
from catalog.models import Region
from notifications.services import batch as notifications_batch
from notifications.services import lists_matched, notify_matches

from .documents import Builder, documents_index
from .models import Document, Match, Term
from .scoring import Scored, Stats, bm25, score_pair, weights


def _settings() -> dict[str, float]:
    return dict(settings.MATCHING)


# --- Corpus statistics and shared lookups -------------------------------------------------------


def side_stats(side: str, terms: Iterable[str]) -> Stats:
    """N, average length and document frequency of the given terms on one side of the index."""
    agg = Document.objects.filter(side=side, active=True).aggregate(
        n=Count("id"), avg=Avg("length")
    )
    df = dict(
        Term.objects.filter(side=side, term__in=set(terms), df__gt=0).values_list("term", "df")
    )
    return Stats(n=agg["n"] or 0, avgdl=float(agg["avg"] or 1.0), df=df)


@dataclass
class Lookups:
    badges: dict[int, list[str]]
    region_names: dict[str, str]
    today: datetime.date


def lookups(organization_ids: Iterable[int]) -> Lookups:
    today = timezone.localdate()
    badges: dict[int, list[str]] = defaultdict(list)
    for badge in Badge.objects.filter(organization_id__in=set(organization_ids)):
        if badge.is_active_on(today):
            badges[badge.organization_id].append(BADGE_CHINESE_NAMES[badge.kind])
    names = dict(
        Region.objects.filter(level__in=["prefecture", "province"]).values_list("code", "name")
    )
    return Lookups(badges=badges, region_names=names, today=today)


# --- Candidates ---------------------------------------------------------------------------


def candidate_offers(need: Document, stats: Stats, limit: int) -> list[Document]:
    """Offers sharing a selective term or the category of the need, holding every required cert."""
    selective = sorted(
        (t for t in set(need.tokens) if stats.df.get(t)), key=lambda t: (stats.df[t], t)
    )[: int(_settings()["CANDIDATE_TERMS"])]
    condition = Q()
    if selective:
        condition |= Q(tokens__overlap=selective)
    if need.categories:
        condition |= Q(categories__contains=[need.categories[0]])
    if not condition:
        return []
    qs = Document.objects.filter(side=Document.Side.OFFER, active=True)
    if need.certifications:
        qs = qs.filter(certifications__contains=need.certifications)  # the hard filter, in SQL
    # The bounded set: offers sharing the most of the need's terms (and its category) first.
    overlap = RawSQL(
        "(SELECT count(DISTINCT t) FROM unnest(matching_document.tokens) t WHERE t ="
        " ANY(%s::varchar[]))"
        " + CASE WHEN matching_document.categories @> %s::varchar[] THEN 3 ELSE 0 END",
        [sorted(set(need.tokens)), need.categories[:1]],
    )
    ordered = qs.filter(condition).annotate(overlap=overlap).order_by("-overlap", "pk")
    found: list[Document] = list(ordered[:limit])
    if len(found) < int(_settings()["CANDIDATE_FLOOR"]) and len(need.categories) > 1:
        # Few candidates by wording: widen to the need's industry chain.
        seen = {d.pk for d in found}
        wider = qs.filter(categories__contains=[need.categories[1]]).exclude(pk__in=seen)
        found += list(wider[: limit - len(found)])
    return found


def candidate_needs(offer: Document, stats: Stats, limit: int) -> list[Document]:
    selective = sorted(
        (t for t in set(offer.tokens) if stats.df.get(t)), key=lambda t: (stats.df[t], t)
    )[: int(_settings()["CANDIDATE_TERMS"])]
    condition = Q()
    if selective:
        condition |= Q(tokens__overlap=selective)
    if offer.categories:
        condition |= Q(categories__overlap=offer.categories[:2])
    if not condition:
        return []
    qs = Document.objects.filter(condition, side=Document.Side.NEED, active=True)
    return [d for d in qs[:limit] if set(d.certifications) <= set(offer.certifications)]


# --- Storing --------------------------------------------------------------------------------------


def _match_fields(need: Document, offer: Document) -> dict[str, object]:
    fields: dict[str, object] = {"need_key": need.key, "offer_key": offer.key}
    if need.kind == Document.Kind.PROCUREMENT_ITEM:
        fields["need_item_id"] = need.object_id
    else:
        fields["need_opportunity_id"] = need.object_id
    if offer.kind == Document.Kind.PRODUCT:
        fields["offer_product_id"] = offer.object_id
    else:
        fields["offer_opportunity_id"] = offer.object_id
    fields["buyer_id"] = need.organization_id
    fields["supplier_id"] = offer.organization_id
    return fields


def worth_notifying(scored: Scored, top: Scored | None, rank: int) -> bool:
    """An email costs attention: only a strong match, no worse than the need's best by much.

    Strong: above the threshold, specifications not contradicted; and either the best
    offer for the need, or close behind it with comparable wording and no worse a fit of
    kind (a recorder does not ride on a camera's coat-tails).
    """
    config = _settings()
    if top is None or scored.score < config["NOTIFY_THRESHOLD"] or scored.specs < 0.5:
        return False
    if rank == 1:
        return True
    return (
        scored.score >= top.score - config["NOTIFY_MARGIN"]
        and scored.text >= config["NOTIFY_TEXT_SHARE"] * top.text
        and scored.kind >= top.kind
    )


def _store(need: Document, ranked: list[tuple[Document, Scored]]) -> int:
    """Upsert the need's kept matches and retire the others. Returns how many are active."""
    rows = []
    top = ranked[0][1] if ranked else None
    for rank, (offer, scored) in enumerate(ranked, start=1):
        rows.append(
            Match(
                **_match_fields(need, offer),
                score=round(scored.score, 4),
                rank=rank,
                reasons=[r.as_dict() for r in scored.reasons if r.detail or r.weight],
                notify=worth_notifying(scored, top, rank),
                status=Match.Status.ACTIVE,
            )
        )
    now = timezone.now()
    with transaction.atomic():
        if rows:
            # On PostgreSQL the upsert returns every row's primary key.
            rows = Match.objects.bulk_create(
                rows,
                update_conflicts=True,
                unique_fields=["need_key", "offer_key"],
                update_fields=["score", "rank", "reasons", "notify", "status", "updated_at"],
            )
        Match.objects.filter(need_key=need.key, status=Match.Status.ACTIVE).exclude(
            offer_key__in=[offer.key for offer, _ in ranked]
        ).update(status=Match.Status.RETIRED, updated_at=now)
        Document.objects.filter(pk=need.pk).update(matched_at=now)
        # The suppliers' notifications are written with the matches that cause them.
        notify_matches(need, rows)
    return len(rows)


def retire(keys: Iterable[str]) -> int:
    keys = list(keys)
    return Match.objects.filter(
        Q(need_key__in=keys) | Q(offer_key__in=keys), status=Match.Status.ACTIVE
    ).update(status=Match.Status.RETIRED, updated_at=timezone.now())


# --- The two directions -------------------------------------------------------------------------


def rank_offers_for(need: Document, stats: Stats, look: Lookups) -> list[tuple[Document, Scored]]:
    candidates = candidate_offers(need, stats, int(_settings()["CANDIDATE_LIMIT"]))
    return rank_candidates(need, candidates, stats, look)


def rank_candidates(
    need: Document, candidates: list[Document], stats: Stats, look: Lookups
) -> list[tuple[Document, Scored]]:
    """Score the candidates for a need; the top K above the minimum score, best first.

    The indexed path and the benchmark's exhaustive scorer both rank through here.
    """
    config = _settings()
    w = weights()
    best = max((bm25(need.tokens, offer.tokens, stats) for offer in candidates), default=0.0)
    scored = [
        (
            offer,
            score_pair(
                need,
                offer,
                stats,
                badges=look.badges,
                region_names=look.region_names,
                today=look.today,
                w=w,
                text_best=best,
            ),
        )
        for offer in candidates
    ]
    kept = [pair for pair in scored if pair[1].score >= config["MIN_SCORE"]]
    kept.sort(key=lambda pair: (-pair[1].score, pair[0].key))
    return kept[: int(config["TOP_K"])]


def match_need_documents(needs: list[Document]) -> int:
    """Match these needs against every active offer; store the top K of each."""
    active = [n for n in needs if n.active]
    retire(n.key for n in needs if not n.active)
    if not active:
        return 0
    stats = side_stats(Document.Side.OFFER, {t for n in active for t in n.tokens})
    offers_orgs = (
        Document.objects.filter(side=Document.Side.OFFER, active=True)
        .values_list("organization_id", flat=True)
        .distinct()
    )
    look = lookups(o for o in offers_orgs if o)
    stored = 0
    with notifications_batch():
        for need in active:
            stored += _store(need, rank_offers_for(need, stats, look))
        lists_matched(active)
    return stored


def match_offer_documents(offers: list[Document]) -> int:
    """The reverse direction: these offers against every open need.

    A pair is kept when it would enter the need's top K; the need's ranks are recomputed.
    """
    active = [o for o in offers if o.active]
    retire(o.key for o in offers if not o.active)
    if not active:
        return 0
    config = _settings()
    need_stats = side_stats(Document.Side.NEED, {t for o in active for t in o.tokens})
    candidates: dict[str, Document] = {}
    for offer in active:
        for need in candidate_needs(offer, need_stats, int(config["CANDIDATE_LIMIT"])):
            candidates[need.key] = need
    # Needs that list the offer now are re-ranked too: an edit may have taken it out of them.
    listing = Match.objects.filter(
        offer_key__in=[o.key for o in active], status=Match.Status.ACTIVE
    ).values_list("need_key", flat=True)
    for need in Document.objects.filter(key__in=list(listing), active=True):
        candidates.setdefault(need.key, need)
    if not candidates:
        return 0
    # Re-rank only the needs this offer could enter: those that already list it (its score
    # may have changed), those with room in their top K, and those whose K-th score is below
    # an upper bound of this pair's score (text scored as if it were the need's best).
    active_matches = Match.objects.filter(need_key__in=list(candidates), status=Match.Status.ACTIVE)
    full = {
        key: floor
        for key, n, floor in active_matches.values("need_key")
        .annotate(n=Count("id"), floor=Min("score"))
        .values_list("need_key", "n", "floor")
        if n >= int(config["TOP_K"])
    }
    listed = set(
        active_matches.filter(offer_key__in=[o.key for o in active]).values_list(
            "need_key", flat=True
        )
    )
    offer_stats = side_stats(
        Document.Side.OFFER, {t for n in candidates.values() for t in n.tokens}
    )
    look = lookups(o.organization_id for o in active if o.organization_id)
    touched = []
    for need in candidates.values():
        if need.key in full and need.key not in listed:
            bound = max(
                score_pair(
                    need,
                    offer,
                    offer_stats,
                    badges=look.badges,
                    region_names=look.region_names,
                    today=look.today,
                ).score
                for offer in active
            )
            if bound <= full[need.key]:
                continue
        touched.append(need)
    if touched:
        match_need_documents(touched)
    return len(touched)


def _documents(kind: str, ids: list[int]) -> list[Document]:
    builder = Builder()
    documents_index(kind=kind, ids=ids, builder=builder)
    return list(Document.objects.filter(key__in=[f"{kind}:{pk}" for pk in ids]))


def match_objects(*, kind: str, ids: list[int]) -> int:
    """Index these needs or offers, then match them in their direction.

    Objects that no longer exist, or are no longer published or open, retire their matches.
    """
    documents = _documents(kind, ids)
    present = {d.key for d in documents}
    retire(f"{kind}:{pk}" for pk in ids if f"{kind}:{pk}" not in present)
    needs = [d for d in documents if d.side == Document.Side.NEED]
    offers = [d for d in documents if d.side == Document.Side.OFFER]
    return match_need_documents(needs) + match_offer_documents(offers)
