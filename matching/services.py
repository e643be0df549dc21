"""Matching: index needs and offers, find candidates through the index, score, store ``Match`` rows.

``match_objects`` indexes needs or offers and matches them in their direction:
``match_need_documents`` ranks every active offer for a need, ``match_offer_documents``
finds the open needs a new or edited offer may enter and re-ranks them. Both are
idempotent: running them twice leaves the same rows. Needs and offers that are no
longer open or published (closed, cancelled, archived, unverified) retire their matches.
"""

from __future__ import annotations

import contextvars
import datetime
import heapq
import json
from collections import OrderedDict, defaultdict
from collections.abc import Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import numpy as np
import orjson
from django.conf import settings
from django.db import connection, connections, models, transaction
from django.db.models import Count, Min, Q
from django.db.models.base import ModelState
from django.utils import timezone

from accounts.models import BADGE_CHINESE_NAMES, Badge
from catalog.models import Region
from config import lookups as _lookups  # noqa: F401 - registers __any_of
from notifications.services import batch as notifications_batch
from notifications.services import flush as notifications_flush
from notifications.services import lists_matched, notify_matches
from notifications.services import prefetch as notifications_prefetch

from .documents import DOCUMENTS, TOKENS, Builder, documents_index
from .models import Document, Match, Term
from .postings import VERSION, Candidates, OfferIndex, offer_index
from .queue import chunks
from .scoring import NeedScorer, Offer, Scored, Stats, features, score_pair
from .text import token_ids


def _settings() -> dict[str, float]:
    return dict(settings.MATCHING)


# --- Corpus statistics and shared lookups -------------------------------------------------------


def side_stats(side: str, terms: Iterable[str]) -> Stats:
    """N, average length and document frequency of the given terms on one side of the index.

    N and the total length are kept in two reserved ``Term`` rows by ``documents_index``.
    """
    df = dict(
        Term.objects.filter(
            side=side, term__any_of={*terms, DOCUMENTS, TOKENS}, df__gt=0
        ).values_list("term", "df")
    )
    n = df.pop(DOCUMENTS, 0)
    total = df.pop(TOKENS, 0)
    return Stats(n=n, avgdl=total / n if n and total else 1.0, df=df)


@dataclass
class Lookups:
    badges: dict[int, list[str]]
    region_names: dict[str, str]
    today: datetime.date


def lookups(organization_ids: Iterable[int] | None = None) -> Lookups:
    """Badges held (of these organizations, or of all) and region names, for the scorer."""
    today = timezone.localdate()
    badges: dict[int, list[str]] = defaultdict(list)
    held = Badge.objects.all()
    if organization_ids is not None:
        held = held.filter(organization_id__in=set(organization_ids))
    for badge in held:
        if badge.is_active_on(today):
            badges[badge.organization_id].append(BADGE_CHINESE_NAMES[badge.kind])
    names = dict(
        Region.objects.filter(level__in=["prefecture", "province"]).values_list("code", "name")
    )
    return Lookups(badges=badges, region_names=names, today=today)


# --- Candidates ---------------------------------------------------------------------------
#
# Need → offers: the offer index held in this process (``postings.OfferIndex``) finds and
# scores the live, certified offers sharing a term or a category path with the need that can
# reach its top K; ``rank_indexed`` gives the best their reasons from what the index holds.
# Offer → needs (``candidate_needs``): ``Document.token_ids`` (integer token ids under a GIN
# ``gin__int_ops`` index) and ``Document.categories`` (GIN), probed with the offer's rarest
# terms (as many as fit a budget of postings) and its categories; the rows are ordered in SQL
# by how many of the offer's terms they share (``icount(token_ids & query)``).

# Documents by primary key, kept between needs (and tasks) in this process. A row is used
# only while its ``updated_at`` is the one the candidate query returned, so an edit is seen
# at once; the oldest entries are dropped beyond ``CANDIDATE_CACHE``.
_cache: OrderedDict[int, Document] = OrderedDict()


# The columns ``_fetch`` reads (the token ids are the index's business, not the scorer's:
# they stay in the database, deferred), and those holding JSON (psycopg returns its text).
_FIELDS = [f for f in Document._meta.concrete_fields if f.name != "token_ids"]
_COLUMNS = ", ".join(str(f.column) for f in _FIELDS)
_ATTNAMES = [f.attname for f in _FIELDS]
_JSON = [i for i, f in enumerate(_FIELDS) if isinstance(f, models.JSONField)]


def _document(values: list[Any], version: int) -> Document:
    """A ``Document`` of a row read by ``_fetch``: what ``Model.from_db`` builds, without the
    per-field work of ``Model.__init__`` (``_fetch`` reads up to a thousand rows at a time)."""
    for i in _JSON:
        if isinstance(values[i], str):
            values[i] = json.loads(values[i])
    document = Document.__new__(Document)
    document.__dict__.update(zip(_ATTNAMES, values, strict=True))
    document.__dict__["_version"] = version
    document._state = ModelState()
    document._state.adding = False
    document._state.db = connection.alias
    return document


def _fetch(rows: list[tuple[int, int]]) -> list[Document]:
    """The documents of these (id, version) rows, in this order, from the cache or the table."""
    found: dict[int, Document] = {}
    missing = []
    for pk, version in rows:
        document = _cache.get(pk)
        if document is not None and document.__dict__.get("_version") == version:
            found[pk] = document
            _cache.move_to_end(pk)
        else:
            missing.append(pk)
    if missing:
        # One array parameter rather than an IN list of thousands of placeholders.
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT {VERSION}, {_COLUMNS} FROM matching_document"  # noqa: S608
                " WHERE id = ANY(%s)",
                [missing],
            )
            for version, *values in cursor.fetchall():
                document = _document(values, version)
                found[document.pk] = document
                _cache[document.pk] = document
    limit = int(_settings().get("CANDIDATE_CACHE", 100_000))
    while len(_cache) > limit:
        _cache.popitem(last=False)
    return [found[pk] for pk, _ in rows if pk in found]


def _probe(tokens: Iterable[str], stats: Stats) -> tuple[list[str], list[str]]:
    """The query terms known on the other side, rarest first, and those the index is probed
    with: the rarest, up to ``CANDIDATE_POSTINGS`` documents in all (at least one term)."""
    config = _settings()
    terms = sorted((t for t in set(tokens) if stats.df.get(t)), key=lambda t: (stats.df[t], t))
    terms = terms[: int(config["CANDIDATE_TERMS"])]
    budget = int(config.get("CANDIDATE_POSTINGS", 2000))
    probe: list[str] = []
    total = 0
    for term in terms:
        if probe and total + stats.df[term] > budget:
            break
        probe.append(term)
        total += stats.df[term]
    return terms, probe


def candidate_needs(offer: Document, stats: Stats, limit: int) -> list[Document]:
    """Open needs sharing a selective term or a category with the offer, that it may serve
    (it holds every certification they require), those sharing most of its terms first."""
    terms, probe = _probe(offer.tokens, stats)
    if not probe and not offer.categories:
        return []
    where = []
    if probe:
        where.append("token_ids && %(probe)s::int[]")
    if offer.categories:
        where.append("categories && %(categories)s::varchar[]")
    sql = (
        f"SELECT id, {VERSION} FROM matching_document"  # noqa: S608
        f" WHERE side = 'need' AND active AND ({' OR '.join(where)})"
        " AND certifications <@ %(certs)s::varchar[]"
        " ORDER BY icount(token_ids & %(query)s::int[]) DESC, id LIMIT %(limit)s"
    )
    with connection.cursor() as cursor:
        cursor.execute(
            sql,
            {
                "probe": token_ids(probe),
                "query": token_ids(terms),
                "categories": offer.categories[:2],
                "certs": offer.certifications,
                "limit": limit,
            },
        )
        rows = cursor.fetchall()
    return _fetch(rows)


# --- Storing --------------------------------------------------------------------------------------


def _match_fields(need: Document, offer: Offer) -> dict[str, object]:
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


@dataclass(slots=True)
class StoredMatch:
    """A ``Match`` row as ``_store_many`` wrote it: what the notifications read of it."""

    pk: int
    need_key: str
    offer_key: str
    supplier_id: int | None
    notify: bool
    status: str = Match.Status.ACTIVE


def _row(need: Document, offer: Offer, scored: Scored, top: Scored, rank: int) -> dict[str, Any]:
    return {
        **_match_fields(need, offer),
        "score": round(scored.score, 4),
        "rank": rank,
        "reasons": [r.as_dict() for r in scored.reasons if r.detail or r.weight],
        "notify": worth_notifying(scored, top, rank),
    }


# The kept matches of a chunk of needs, sent as one JSON document and upserted in one
# statement (sorted by key, so two workers lock shared rows in the same order).
_UPSERT = f"""
INSERT INTO {Match._meta.db_table} (need_key, offer_key, need_item_id, need_opportunity_id,
    offer_product_id, offer_opportunity_id, buyer_id, supplier_id, score, rank, reasons, notify,
    status, created_at, updated_at)
SELECT r.need_key, r.offer_key, r.need_item_id, r.need_opportunity_id, r.offer_product_id,
    r.offer_opportunity_id, r.buyer_id, r.supplier_id, r.score, r.rank, r.reasons, r.notify,
    %(active)s, %(now)s, %(now)s
FROM jsonb_to_recordset(%(rows)s::jsonb) AS r(need_key varchar, offer_key varchar,
    need_item_id bigint, need_opportunity_id bigint, offer_product_id bigint,
    offer_opportunity_id bigint, buyer_id bigint, supplier_id bigint, score double precision,
    rank integer, reasons jsonb, notify boolean)
ORDER BY r.need_key, r.offer_key
ON CONFLICT (need_key, offer_key) DO UPDATE SET score = EXCLUDED.score, rank = EXCLUDED.rank,
    reasons = EXCLUDED.reasons, notify = EXCLUDED.notify, status = EXCLUDED.status,
    updated_at = EXCLUDED.updated_at
RETURNING id, need_key, offer_key
"""  # noqa: S608 - the table name only


Ranked = list[tuple[Document, list[tuple[Offer, Scored]]]]


@dataclass
class _Rows:
    """A part's ranked needs and their ``Match`` rows, with the rows' JSON: built where the
    part was ranked (``_rows``), so that the writer thread mostly waits for the database."""

    results: Ranked
    rows: list[dict[str, Any]]
    payload: str


def _rows(results: Ranked) -> _Rows:
    """The rows of these ranked needs, their JSON, and (into the task's notifications batch)
    the recipients and watches of their suppliers and buyers: reads, made here rather than
    in the writer's transaction."""
    rows = [
        _row(need, offer, scored, ranked[0][1], rank)
        for need, ranked in results
        for rank, (offer, scored) in enumerate(ranked, start=1)
    ]
    payload = orjson.dumps(rows, option=orjson.OPT_SERIALIZE_NUMPY).decode() if rows else ""
    # The suppliers (told of their matches) and the buyers (of the list summaries).
    notifications_prefetch(
        [row["supplier_id"] for row in rows if row["supplier_id"]]
        + [need.organization_id for need, _ in results if need.organization_id]
    )
    return _Rows(results, rows, payload)


def _store_many(prepared: _Rows) -> int:
    """Upsert the kept matches of these needs in one statement, and retire the others in one.

    The suppliers' notifications are written with the matches that cause them (gathered by
    ``notify_matches`` when a notifications batch is open, as in ``match_need_documents``).
    """
    results, rows = prepared.results, prepared.rows
    now = timezone.now()
    # In ``_write_chunk``'s transaction: no savepoint of its own (two round trips fewer).
    with transaction.atomic(savepoint=False), connection.cursor() as cursor:
        ids: dict[tuple[str, str], int] = {}
        if rows:
            cursor.execute(
                _UPSERT,
                {
                    "rows": prepared.payload,
                    "active": Match.Status.ACTIVE,
                    "now": now,
                },
            )
            ids = {(need_key, offer_key): pk for pk, need_key, offer_key in cursor.fetchall()}
        cursor.execute(
            f"UPDATE {Match._meta.db_table} SET status = %s, updated_at = %s"  # noqa: S608
            " WHERE need_key = ANY(%s) AND status = %s"
            " AND id NOT IN (SELECT unnest(%s::bigint[]))",  # a hashed set, not a scan per row
            [
                Match.Status.RETIRED,
                now,
                [need.key for need, _ in results],
                Match.Status.ACTIVE,
                _bigints(ids.values()),
            ],
        )
        stored = [
            StoredMatch(
                ids[(row["need_key"], row["offer_key"])],
                row["need_key"],
                row["offer_key"],
                row["supplier_id"],
                row["notify"],
            )
            for row in rows
        ]
        # The recipients and watches were read into the task's batch by ``_rows``.
        by_need: dict[str, list[StoredMatch]] = defaultdict(list)
        for match in stored:
            by_need[match.need_key].append(match)
        for need, _ in results:
            notify_matches(need, by_need[need.key])
    return len(stored)


def retire(keys: Iterable[str]) -> int:
    keys = list(keys)
    return Match.objects.filter(
        Q(need_key__in=keys) | Q(offer_key__in=keys), status=Match.Status.ACTIVE
    ).update(status=Match.Status.RETIRED, updated_at=timezone.now())


# --- The two directions -------------------------------------------------------------------------


def rank_indexed(
    need: Document, index: OfferIndex, stats: Stats, look: Lookups
) -> list[tuple[Offer, Scored]]:
    """The top K above the minimum score, best first: the same as ``rank_candidates`` over
    every offer. The index scores every offer that can reach the K best
    (``OfferIndex.search``); the best are checked against the table's row versions (the
    index may lag behind a write), ordered by score then key as ``rank_candidates`` orders
    them, and the K kept are given their reasons (``_keep``)."""
    selection = _select(need, index, stats, look)
    return _keep(selection, _versions(pk for pk, _ in selection.rows))


@dataclass
class _Selection:
    need: Document
    scorer: NeedScorer
    index: OfferIndex
    found: Candidates
    eligible: np.ndarray  # positions in ``found`` at or above the minimum score
    order: np.ndarray  # of those, the K best and every one tied with the K-th

    @property
    def rows(self) -> list[tuple[int, int]]:
        return [(int(self.found.pks[i]), int(self.found.versions[i])) for i in self.order]


def _select(need: Document, index: OfferIndex, stats: Stats, look: Lookups) -> _Selection:
    config = _settings()
    top_k = int(config["TOP_K"])
    scorer = NeedScorer(
        need, stats, badges=look.badges, region_names=look.region_names, today=look.today
    )
    found = index.search(need, scorer, top=top_k, floor=config["MIN_SCORE"])
    eligible, order = _order(found, top_k, config["MIN_SCORE"])
    return _Selection(need, scorer, index, found, eligible, order)


def _order(found: Candidates, top_k: int, floor: float) -> tuple[np.ndarray, np.ndarray]:
    """The candidates at or above the minimum score, and of those the K best and every one
    tied with the K-th (the key breaks ties)."""
    eligible = np.flatnonzero(found.scores >= floor)
    order = eligible
    if len(eligible) > top_k:
        kth = -np.partition(-found.scores[eligible], top_k - 1)[top_k - 1]
        order = eligible[found.scores[eligible] >= kth]
    return eligible, order


def _bigints(values: Iterable[int]) -> str:
    """Integers as one array literal: a chunk sends thousands, which psycopg would adapt one
    by one in Python."""
    return "{" + ",".join(map(str, values)) + "}"


def _versions(pks: Iterable[int]) -> dict[int, int]:
    """The row versions of these offers, of those still active, in one statement."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT id, {VERSION} FROM matching_document"  # noqa: S608
            " WHERE id = ANY(%s::bigint[]) AND side = 'offer' AND active",
            [_bigints(pks)],
        )
        return dict(cursor.fetchall())


def _keep(selection: _Selection, versions: dict[int, int]) -> list[tuple[Offer, Scored]]:
    """The K best of the selection with their reasons. ``versions``: the table's row versions
    of the selected offers (``_versions``): where each is the one the index holds, the offers
    are read from the index (``OfferIndex.held``), and their scores are the index's."""
    need, scorer, found = selection.need, selection.scorer, selection.found
    rows = selection.rows
    if all(versions.get(pk) == version for pk, version in rows):
        held = selection.index.held([pk for pk, _ in rows], scorer)
        if len(held) == len(rows):
            return _top(
                scorer,
                [
                    (held[int(found.pks[i])], float(found.scores[i]), float(found.raws[i]))
                    for i in selection.order
                ],
                found.best,
            )
    # Rows that changed behind the index (rare): read from the table, checked, scored again.
    required = set(need.certifications)

    def current(rows: list[tuple[int, int]]) -> list[Document]:
        return [
            offer
            for offer in _fetch(rows)
            if offer.active
            and offer.side == Document.Side.OFFER
            and required <= set(offer.certifications)
        ]

    offers = current(selection.rows)
    if len(offers) < len(selection.order):
        # Some are gone (archived, or no longer certified): every candidate above the minimum
        # score, with none left out by the search, goes to the ranking below.
        config = _settings()
        found = selection.found = selection.index.search(need, scorer)
        selection.eligible, _ = _order(found, int(config["TOP_K"]), config["MIN_SCORE"])
        selection.order = selection.eligible
        offers = current(selection.rows)
    # The index's score of a row is the scorer's (to the last bit, see the tests); a row that
    # changed behind the index is scored again from the table's version.
    indexed = {
        int(found.pks[i]): (int(found.versions[i]), float(found.scores[i]), float(found.raws[i]))
        for i in selection.order
    }
    scored: list[tuple[Offer, float, float]] = []
    for offer in offers:
        version, score, raw = indexed.get(offer.pk, (None, 0.0, 0.0))
        if version != offer.__dict__.get("_version"):
            feats = [features(offer)]
            raw = scorer.raws(feats)[0]
            score = scorer.values([offer], feats, [raw], found.best)[0]
        scored.append((offer, score, raw))
    return _top(scorer, scored, found.best)


def rank_candidates(
    need: Document, candidates: list[Document], stats: Stats, look: Lookups
) -> list[tuple[Offer, Scored]]:
    """Every candidate scored in Python, no index: the top K above the minimum score, best
    first. The benchmark's exhaustive scorer, and the reference the index is tested against."""
    scorer = NeedScorer(
        need, stats, badges=look.badges, region_names=look.region_names, today=look.today
    )
    feats = [features(offer) for offer in candidates]
    raws = scorer.raws(feats)
    best = max(raws, default=0.0)
    scores = scorer.values(candidates, feats, raws, best)
    return _top(scorer, zip(candidates, scores, raws, strict=True), best)


def _top(
    scorer: NeedScorer, scored: Iterable[tuple[Offer, float, float]], best: float
) -> list[tuple[Offer, Scored]]:
    """Of (offer, score, BM25) rows, the K best above the minimum score, by score then key,
    with their reasons."""
    config = _settings()
    kept = [
        (score, offer.key, offer, raw)
        for offer, score, raw in scored
        if score >= config["MIN_SCORE"]
    ]
    top = heapq.nsmallest(int(config["TOP_K"]), kept, key=lambda row: (-row[0], row[1]))
    return [(offer, scorer.evaluate(offer, raw, best)) for _, _, offer, raw in top]


def match_need_documents(needs: list[Document]) -> int:
    """Match these needs against every active offer; store the top K of each.

    The needs go in key order, so two workers re-ranking overlapping needs lock their
    matches in the same order, and in parts of ``WRITE_PART``: each part is ranked while the
    part before it is written (``_overlapped``). A caller's transaction holds the writes
    instead (then the parts go one after the other, on the caller's connection). The corpus
    statistics, the lookups and the notifications' recipients are read once for all parts.
    """
    active = [n for n in needs if n.active]
    retire(n.key for n in needs if not n.active)
    if not active:
        return 0
    unique = {need.key: need for need in active}  # one row per pair in an upsert
    ordered = [unique[key] for key in sorted(unique)]
    stats = side_stats(Document.Side.OFFER, {t for n in ordered for t in n.tokens})
    look = lookups()
    parts = list(chunks(ordered, int(_settings()["WRITE_PART"])))
    written: list[Document] = []  # the needs of the parts committed
    with notifications_batch():
        try:
            if len(parts) > 1 and not connection.in_atomic_block:
                return _overlapped(parts, stats, look, written)
            stored = 0
            for part in parts:
                stored += _write_chunk(part, _rows(_rank_chunk(part, stats, look)))
                written += part
            return stored
        finally:
            # After the commits: a list whose every open line is now matched gets its summary.
            lists_matched(written)


def _overlapped(
    parts: list[list[Document]], stats: Stats, look: Lookups, written: list[Document]
) -> int:
    """Rank each part while the one before it is written.

    Ranking is this process's work; a write is mostly the database's (the upsert, the
    foreign-key checks at commit): the rows and their JSON are built here, with the ranking
    (``_rows``), and the writer thread, which waits for the interpreter after every
    statement, has little Python of its own. It runs on its own connection and writes one part
    at a time, in order, in this task's notifications batch (a copy of this context); the
    next part's write waits for the last one to commit, so a worker never holds the locks of
    two parts. The thread's connection is closed at the end.
    """
    context = contextvars.copy_context()
    stored = 0
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="matching-writes") as writer:
        try:
            pending: tuple[list[Document], Future[int]] | None = None
            for part in parts:
                prepared = _rows(_rank_chunk(part, stats, look))  # the writer only writes
                if pending is not None:
                    stored += pending[1].result()
                    written += pending[0]
                pending = part, writer.submit(context.run, _write_chunk, part, prepared)
            if pending is not None:
                stored += pending[1].result()
                written += pending[0]
        finally:
            writer.submit(connections.close_all)  # in the writer thread, after its writes
    return stored


def _rank_chunk(needs: list[Document], stats: Stats, look: Lookups) -> Ranked:
    """Rank a chunk of needs (in key order, one per key): reads only."""
    index = offer_index()
    selections = [_select(need, index, stats, look) for need in needs]
    # Are the offers kept still the rows the index holds? One statement for the chunk.
    versions = _versions({pk for selection in selections for pk, _ in selection.rows})
    return [(selection.need, _keep(selection, versions)) for selection in selections]


def _write_chunk(needs: list[Document], prepared: _Rows) -> int:
    """The chunk's matches, their notifications and ``matched_at``, in one transaction
    (the lists' summaries follow in ``match_need_documents``, once its parts are written)."""
    with notifications_batch(), transaction.atomic():  # the task's batch, when it opened one
        stored = _store_many(prepared)
        Document.objects.filter(pk__in=[n.pk for n in needs]).update(matched_at=timezone.now())
        notifications_flush()  # the suppliers' new-match notifications, in this transaction
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
    documents_index(kind=kind, ids=ids, builder=Builder.current())
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
