"""The offers' postings, held in each worker process: how a need finds and scores its offers.

A need's candidates are every active offer that shares one of its terms or one of its
category paths (any offer outside that set scores 0: without a shared word or category
there is no relevance, see ``NeedScorer``) and holds every certification it requires.
For all of them at once, in NumPy, the index computes the score ``NeedScorer`` gives:
BM25 and every factor, with the same arithmetic in the same order, so the same floating-
point numbers (the tests compare them with the scorer's, to the last bit). The factors
that depend on an offer's category, head noun, service regions or specifications are
computed once per distinct value held, through the scorer's own functions. Most of a
need's candidates share only its chain or industry; an offer sharing no term scores at most
what its category allows, so those whose category cannot reach the K-th best score of the
offers sharing a term are not scored at all. Likewise the offers holding only the need's
commonest terms ("设备" is in a tenth of the catalogue): what those terms can add to a
row's BM25 is bounded (each term's highest count in its shortest row), and when that
cannot lift such an offer to the K-th best, their postings are not read (``_skippable``);
when it might, the search is made again in full. Only the top K are given their reasons
in Python (``NeedScorer.evaluate``), from what the index holds of them (``held``).

The arrays are built once per process from ``matching_document`` (``OfferIndex.load``) and
kept in step with it by ``refresh``: every write to a document takes the next value of a
sequence (``change_seq``, set by a trigger, migration 0006), and so does the tombstone a
delete leaves in ``matching_document_gone``. Rows and tombstones whose sequence is above
the last seen (less a margin, for transactions that commit out of order) are read again;
a changed row is marked dead where it was and appended to a small tail segment. The tail
is merged into a new base when it grows past ``INDEX_TAIL`` or the index is older than
``INDEX_REBUILD_SECONDS``. The index is brought up to date at the start of every matching
task, so it can only lag behind writes committed while the task runs: the row versions of
the offers kept are read again (``services._versions``, one statement a chunk), an offer
whose row changed is read from the table and scored again from it (``services._keep``),
and an offer the index missed is still matched from its own side, by
``match_offer_documents``, which its write queues.
"""

from __future__ import annotations

import datetime
import json
import math
import threading
import time
from array import array
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
from django.conf import settings
from django.db import connection

from . import specs as spec_parser
from .models import Document
from .scoring import (
    K1,
    B,
    HeldOffer,
    NeedScorer,
    OfferFeatures,
    _category_of,
    _region_of,
    _specs,
)

# A row's version: ``updated_at`` in microseconds (also how ``services`` checks the rows).
VERSION = "(extract(epoch FROM updated_at) * 1000000)::bigint"
_ROWS = (
    f"SELECT id, {VERSION}, change_seq, tokens,"  # noqa: S608 - constants only
    " categories, category_name, certifications, coalesce(facts->>'head', ''), regions,"
    " coalesce(facts->>'org_region', ''), organization_id, specs::text,"
    " coalesce(facts->>'unit', ''), (facts->'capacity')::text, (facts->'price_min')::text,"
    " (facts->'lead_time_days')::text, kind, object_id FROM matching_document"
)


def _config(name: str, default: int) -> int:
    return int(dict(settings.MATCHING).get(name, default))


class _Values:
    """Distinct values (terms, head nouns, category keys, certification sets) as small ints."""

    def __init__(self) -> None:
        self.ids: dict[Any, int] = {}
        self.values: list[Any] = []

    def __call__(self, value: Any) -> int:
        found = self.ids.get(value)
        if found is None:
            found = self.ids[value] = len(self.values)
            self.values.append(value)
        return found


def _active_offers(batch: int = 20_000) -> Iterator[tuple[Any, ...]]:
    """The active offers' rows in primary-key order, ``batch`` rows per statement."""
    last = 0
    while True:
        with connection.cursor() as cursor:
            cursor.execute(
                f"{_ROWS} WHERE side = 'offer' AND active AND id > %s ORDER BY id LIMIT %s",
                [last, batch],
            )
            rows = cursor.fetchall()
        yield from rows
        if len(rows) < batch:
            return
        last = rows[-1][0]


def _numpy(values: array[Any]) -> np.ndarray:
    """The array's buffer as a NumPy array of the same C type (no copy)."""
    return np.frombuffer(values, dtype=values.typecode)


def _number(text: str | None) -> float:
    """A JSON number of the facts, NaN for none (or anything but a number)."""
    value = json.loads(text) if text else None
    if isinstance(value, bool) or not isinstance(value, int | float):
        return math.nan
    return float(value)


class _Heads(_Values):
    """Head nouns, with the heads each suffix of two characters or more ends."""

    def __init__(self) -> None:
        super().__init__()
        self.by_suffix: dict[str, list[int]] = {}
        self.longest = 0
        self.spaced = False

    def __call__(self, value: Any) -> int:
        known = len(self.values)
        found = super().__call__(value)
        if found == known:  # new
            self.longest = max(self.longest, len(value))
            self.spaced = self.spaced or " " in value
            for i in range(len(value) - 1):
                self.by_suffix.setdefault(value[i:], []).append(found)
        return found


class Segment:
    """Arrays over a set of rows (sorted by primary key), and a mask of the live ones.

    Built from rows read in primary-key order, one pass, into compact arrays: the rows
    themselves are not kept (a million of them, tokens and all, would take gigabytes).
    """

    def __init__(self, rows: Iterable[tuple[Any, ...]], index: OfferIndex) -> None:
        pks, versions, seqs = array("q"), array("q"), array("q")
        lengths, capacity, price_min, lead_time = array("d"), array("d"), array("d"), array("d")
        heads, catkeys, certkeys = array("i"), array("i"), array("i")
        regionkeys, speckeys, units = array("i"), array("i"), array("i")
        organizations, object_ids, kinds = array("q"), array("q"), array("i")
        terms, at, counts = array("q"), array("i"), array("d")
        categories: dict[str, array[int]] = {}
        vocab = index.vocab
        for row, r in enumerate(rows):
            pks.append(r[0])
            versions.append(r[1])
            seqs.append(r[2] or 0)
            lengths.append(len(r[3]))
            heads.append(index.heads(r[7]))
            catkeys.append(index.catkeys((tuple(r[4]), r[5])))
            certkeys.append(index.certkeys(frozenset(r[6])))
            regionkeys.append(index.regionkeys((tuple(r[8]), r[9])))
            organizations.append(r[10] or 0)
            kinds.append(index.kinds(r[16]))
            object_ids.append(r[17])
            speckeys.append(index.speckeys(r[11]))
            # The soft fits' facts (``scoring._soft``): the unit, and numbers (NaN for none).
            units.append(index.units(r[12]))
            capacity.append(_number(r[13]))
            price_min.append(_number(r[14]))
            lead_time.append(_number(r[15]))
            for term, count in Counter(r[3]).items():
                terms.append(vocab(term))
                at.append(row)
                counts.append(count)
            for code in r[4]:
                categories.setdefault(code, array("i")).append(row)
        self.size = len(pks)
        self.pks = _numpy(pks)
        if np.any(np.diff(self.pks) <= 0):
            raise ValueError("a segment's rows must come in primary-key order")
        self.versions = _numpy(versions)
        self.seqs = _numpy(seqs)
        self.lengths = _numpy(lengths)
        self.heads = _numpy(heads)
        self.catkeys = _numpy(catkeys)
        self.certkeys = _numpy(certkeys)
        self.regionkeys = _numpy(regionkeys)
        self.organizations = _numpy(organizations)
        self.kinds = _numpy(kinds)
        self.object_ids = _numpy(object_ids)
        self.speckeys = _numpy(speckeys)
        self.units = _numpy(units)
        self.capacity = _numpy(capacity)
        self.price_min = _numpy(price_min)
        self.lead_time = _numpy(lead_time)
        self.alive = np.ones(self.size, dtype=bool)
        # Rows kept by a need, unpacked (``OfferIndex._held``): row → what no need changes.
        self.held: dict[int, HeldOffer] = {}
        self._norms: tuple[float, np.ndarray] = (math.nan, _ZERO)
        self._badged: tuple[frozenset[int] | None, np.ndarray] = (None, _ZERO)
        term_ids = _numpy(terms)
        order = np.argsort(term_ids, kind="stable")  # rows stay ascending within a term
        self.post_rows = _numpy(at)[order]
        self.post_tf = _numpy(counts)[order]
        unique, starts = np.unique(term_ids[order], return_index=True)
        ends = np.append(starts[1:], len(order))[: len(starts)]
        self.postings: dict[int, tuple[int, int]] = dict(
            zip(unique.tolist(), zip(starts.tolist(), ends.tolist(), strict=True), strict=True)
        )
        # Per term, the highest count and the shortest row of its posting: together they bound
        # what the term adds to any row's BM25 (``OfferIndex._skippable``).
        self.term_peaks: dict[int, tuple[float, float]] = {}
        if len(order):
            peak_tf = np.maximum.reduceat(self.post_tf, starts).tolist()
            least = np.minimum.reduceat(self.lengths[self.post_rows], starts).tolist()
            self.term_peaks = dict(
                zip(unique.tolist(), zip(peak_tf, least, strict=True), strict=True)
            )
        # Each category path's rows, grouped by the rows' category keys (ascending), with each
        # group's span: a need's search takes or leaves a whole group (``OfferIndex.search``).
        self.category_groups: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]] = {}
        for code, members in categories.items():
            rows = _numpy(members)
            keys = self.catkeys[rows]
            order = np.argsort(keys, kind="stable")
            keys, starts = np.unique(keys[order], return_index=True)
            ends = np.append(starts[1:], len(rows))
            self.category_groups[code] = (keys, starts, ends, rows[order])

    def norms(self, avgdl: float) -> np.ndarray:
        """Every row's BM25 length normalisation for this average length (kept for the next
        need: the average moves only when offers are indexed)."""
        if self._norms[0] != avgdl:
            self._norms = (avgdl, K1 * ((1 - B) + (B * self.lengths) / avgdl))
        return self._norms[1]

    def badged(self, organizations: frozenset[int]) -> np.ndarray:
        """For every row: does its organization hold a badge (one of these)?"""
        if self._badged[0] != organizations:
            held = np.fromiter(organizations, np.int64, len(organizations))
            self._badged = (organizations, np.isin(self.organizations, held))
        return self._badged[1]

    def locate(self, pks: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Rows of these primary keys present here: (positions in ``pks``, rows)."""
        if not self.size or not len(pks):
            return np.empty(0, np.int64), np.empty(0, np.int64)
        rows = np.searchsorted(self.pks, pks)
        rows = np.minimum(rows, self.size - 1)
        found = np.flatnonzero(self.pks[rows] == pks)
        return found, rows[found]


# A need's terms with postings at least this long may be left out of its candidates, as long
# as together they give at most this share of its ideal BM25 (``OfferIndex._skippable``).
_SKIP_POSTINGS = 128
_SKIP_SHARE = 0.5

# At most this many rows of a segment kept unpacked (``OfferIndex._held``; about 1 KB each).
_HELD_ROWS = 50_000

_NONE = np.empty(0, np.int64)
_ZERO = np.empty(0)


@dataclass
class Candidates:
    """A need's candidates: primary keys, row versions, BM25 and scores (``NeedScorer``'s)."""

    pks: np.ndarray
    versions: np.ndarray
    raws: np.ndarray
    scores: np.ndarray
    best: float

    def __len__(self) -> int:
        return len(self.pks)


class OfferIndex:
    """The postings of the active offers in this process (see the module's docstring)."""

    def __init__(self) -> None:
        self.vocab = _Values()
        self.heads = _Heads()
        self.regionkeys = _Values()
        self.speckeys = _Values()
        self.units = _Values()
        self.kinds = _Values()
        self._parsed: dict[str, spec_parser.Specs] = {}
        self.catkeys = _Values()
        self.certkeys = _Values()
        self.segments: list[Segment] = []
        self.tail_rows: list[tuple[Any, ...]] = []
        self.seq = 0
        self.built_at = 0.0
        self._certs_ok: dict[frozenset[str], np.ndarray] = {}
        self._tables: dict[tuple[Any, ...], np.ndarray] = {}

    # --- Keeping step with the table -----------------------------------------------------------

    @classmethod
    def load(cls) -> OfferIndex:
        """Every active offer, read in primary-key order, a batch at a time."""
        index = cls()
        with connection.cursor() as cursor:
            # The sequence first: a row written meanwhile is read again by the next refresh.
            cursor.execute("SELECT last_value FROM matching_document_change_seq")
            row = cursor.fetchone()
            # Tombstones older than twice the rebuild interval: every index in every process
            # was built after them, so none reads them again.
            cursor.execute(
                "DELETE FROM matching_document_gone"
                " WHERE deleted_at < now() - make_interval(secs => %s)",
                [2 * _config("INDEX_REBUILD_SECONDS", 900)],
            )
        index.segments = [Segment(_active_offers(), index)]
        index.seq = int(row[0]) if row else 0
        index.built_at = time.monotonic()
        return index

    def refresh(self) -> int | None:
        """Read the offers written since the last look again; returns how many changed here,
        or None when the table was emptied (``TRUNCATE``) since: then build the index anew."""
        margin = _config("INDEX_SEQ_MARGIN", 5000)
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT id, change_seq, active FROM matching_document"
                " WHERE side = 'offer' AND change_seq > %(since)s"
                " UNION ALL SELECT id, change_seq, false FROM matching_document_gone"
                " WHERE side IN ('offer', '*') AND change_seq > %(since)s",
                {"since": self.seq - margin},
            )
            seen = cursor.fetchall()
        if not seen:
            return 0
        if any(pk == 0 and seq > self.seq for pk, seq, _ in seen):  # emptied since the load
            return None
        self.seq = max(self.seq, *(seq for _, seq, _ in seen))
        pks = np.fromiter((pk for pk, _, _ in seen), np.int64, len(seen))
        seqs = np.fromiter((seq for _, seq, _ in seen), np.int64, len(seen))
        active = np.fromiter((a for _, _, a in seen), bool, len(seen))
        current = np.zeros(len(seen), dtype=bool)  # held here, live, at this very write
        held = np.zeros(len(seen), dtype=bool)  # held here, live
        for segment in self.segments:
            found, rows = segment.locate(pks)
            live = segment.alive[rows]
            held[found[live]] = True
            current[found[live & (segment.seqs[rows] == seqs[found])]] = True
        # Nothing to do for a row held at this write, nor for an inactive row not held.
        changed = np.flatnonzero(~(current | (~active & ~held)))
        if not len(changed):
            return 0
        for segment in self.segments:  # the older copies of the changed rows are dead
            _, rows = segment.locate(pks[changed])
            segment.alive[rows] = False
        gone = set(pks[changed].tolist())
        tail = [r for r in self.tail_rows if r[0] not in gone]
        fetch = pks[changed[active[changed]]].tolist()
        if fetch:
            with connection.cursor() as cursor:
                cursor.execute(
                    f"{_ROWS} WHERE id = ANY(%s) AND side = 'offer' AND active",
                    [fetch],
                )
                tail += cursor.fetchall()
        tail.sort(key=lambda r: r[0])
        self.tail_rows = tail
        self.segments = self.segments[:1]
        if tail:
            self.segments.append(Segment(tail, self))
        return len(changed)

    def stale(self) -> bool:
        base = self.segments[0].size if self.segments else 0
        too_big = len(self.tail_rows) > max(_config("INDEX_TAIL", 2000), base // 10)
        too_old = time.monotonic() - self.built_at > _config("INDEX_REBUILD_SECONDS", 900)
        return too_big or too_old

    # --- Searching -------------------------------------------------------------------------

    def _certified(self, required: frozenset[str]) -> np.ndarray:
        """For each distinct certification set: does it hold every required certification?"""
        ok = self._certs_ok.get(required)
        if ok is None or len(ok) < len(self.certkeys.values):
            ok = np.fromiter(
                (required <= held for held in self.certkeys.values),
                bool,
                len(self.certkeys.values),
            )
            self._certs_ok[required] = ok
        return ok

    def search(
        self, need: Document, scorer: NeedScorer, top: int | None = None, floor: float = 0.0
    ) -> Candidates:
        """Every live, certified offer sharing a term or a category path with the need.

        With ``top``, offers that cannot reach the ``top``-th best score are left out where
        that is known without scoring them, and the ``top`` best, and every offer tied with
        the ``top``-th, are then the same as without it, for less work:

        - the offers found through a category alone (no shared term), where their category
          caps their score below ``floor`` or below the ``top``-th best score of the offers
          sharing a term (most of a need's candidates are in its chain or industry and share
          no word with it);
        - the offers holding none of the need's terms but its commonest (``_skippable``:
          "设备", "系统"), when those terms together cannot lift an offer's text above
          what the best offer has, nor its score (without a category in common) to the
          ``top``-th best. Otherwise (rarely) the search is made again without skipping.
        """
        terms = [(self.vocab.ids.get(t), scorer.idf[t]) for t in scorer.terms]
        if top is not None:
            skip = self._skippable(terms, scorer)
            if skip is not None:
                found = self._search(need, scorer, terms, top, floor, skip)
                if found is not None:
                    return found
        found = self._search(need, scorer, terms, top, floor, None)
        if found is None:  # nothing skipped, nothing to check: never
            raise RuntimeError("a search that skips no term always finds its candidates")
        return found

    def _skippable(
        self, terms: list[tuple[int | None, float]], scorer: NeedScorer
    ) -> tuple[frozenset[int], float] | None:
        """Which of the need's terms (positions in ``terms``) to leave out of the candidates,
        and the most BM25 they can add to a row together; None for none.

        The terms with the longest postings (at least ``_SKIP_POSTINGS`` rows), longest first,
        while together they can give at most ``_SKIP_SHARE`` of the need's ideal BM25 (an
        offer holding only them has a text factor too small to count, see ``_search``), and
        at least one term with postings is left to find the candidates with.
        """
        avgdl = scorer.avgdl
        sizes: list[tuple[int, int, float]] = []
        for i, (term_id, idf) in enumerate(terms):
            if term_id is None:
                continue
            size, bound = 0, 0.0
            for segment in self.segments:
                span = segment.postings.get(term_id)
                if span is None:
                    continue
                size += span[1] - span[0]
                tf, length = segment.term_peaks[term_id]
                # The most one row can get: the highest count in the shortest row (BM25 grows
                # with the count and falls with the length).
                norm = K1 * ((1 - B) + (B * length) / avgdl)
                bound = max(bound, ((idf * tf) * (K1 + 1)) / (tf + norm))
            if size:
                sizes.append((size, i, bound))
        sizes.sort(reverse=True)
        skip: list[int] = []
        total = 0.0
        for size, i, bound in sizes[:-1]:  # the shortest posting is always read
            if size < _SKIP_POSTINGS or total + bound > _SKIP_SHARE * scorer.ideal:
                break
            skip.append(i)
            total += bound
        if not skip:
            return None
        # Each bound is one rounding away from the sums it bounds: a margin for them.
        return frozenset(skip), total * (1 + 1e-9) + 1e-12

    def _search(
        self,
        need: Document,
        scorer: NeedScorer,
        terms: list[tuple[int | None, float]],
        top: int | None,
        floor: float,
        skip: tuple[frozenset[int], float] | None,
    ) -> Candidates | None:
        """``search``, leaving out the offers that hold only the ``skip`` terms (None when the
        terms left out could have changed the result: then it is to be made without)."""
        codes = [*need.categories, *(need.facts or {}).get("also", [])]
        required = frozenset(need.certifications)
        skipped, most = skip if skip is not None else (frozenset(), 0.0)
        hits: list[tuple[Segment, np.ndarray | None, np.ndarray, np.ndarray]] = []
        for segment in self.segments:
            if segment.size:
                if skipped:
                    hit, rows, raws = self._bm25_of_some(segment, terms, scorer, skipped)
                    usable = self._usable(segment, rows, required)
                    raws = raws[np.searchsorted(rows, usable)]
                    hits.append((segment, hit, usable, raws))
                    continue
                hit, raw_all = self._bm25(segment, terms, scorer)
                rows = (
                    self._usable(segment, np.flatnonzero(hit), required)
                    if hit is not None
                    else _NONE
                )
                hits.append((segment, hit, rows, raw_all[rows] if raw_all is not None else _ZERO))
        best = float(max((raws.max() for *_, raws in hits if len(raws)), default=0.0))
        if skipped and best < most:
            return None  # an offer holding only the terms left out might be the best
        score = _Scoring(self, need, scorer, best)
        parts = [
            (segment, rows, raws, score(segment, rows, raws)) for segment, _, rows, raws in hits
        ]
        threshold = -math.inf
        if top is not None:
            text_scores = np.concatenate([scores for *_, scores in parts] or [_ZERO])
            threshold = floor
            if len(text_scores) >= top:
                threshold = max(floor, float(-np.partition(-text_scores, top - 1)[top - 1]))
        # The text factor an offer can have from the terms left out alone (0 without any).
        text = score.text(most) if skipped else 0.0
        # Offers found through a category alone: their category factor is that of their
        # category key and their text at most ``text``, so their score is at most ``ceiling``.
        ceiling = score.ceiling(text, score.categories) if top is not None else None
        for segment, hit, _, _ in hits:
            groups = [
                segment.category_groups[code] for code in codes if code in segment.category_groups
            ]
            if not groups:
                continue
            spans = []
            for keys, starts, ends, members in groups:
                # A margin for rounding: a capped offer is left out only when clearly below.
                open_ = (
                    None if ceiling is None else np.flatnonzero(ceiling[keys] >= threshold - 1e-9)
                )
                if open_ is None or len(open_) == len(keys):
                    spans.append(members)
                else:
                    spans += [members[starts[i] : ends[i]] for i in open_.tolist()]
            if not spans:
                continue
            rows = np.unique(np.concatenate(spans))
            if hit is not None:
                rows = rows[~hit[rows]]
            rows = self._usable(segment, rows, required)
            if len(rows):
                # They share none of the terms read, but may hold some of those left out.
                raws = self._bm25_at(segment, terms, scorer, rows, skipped)
                parts.append((segment, rows, raws, score(segment, rows, raws)))
        parts = [part for part in parts if len(part[1])]
        if skipped and top is not None:
            # The offers holding only terms left out, with no category in common, score at
            # most this: below the K-th best of the candidates, they cannot count.
            scores = np.concatenate([scores for *_, scores in parts] or [_ZERO])
            kth = floor
            if len(scores) >= top:
                kth = max(floor, float(-np.partition(-scores, top - 1)[top - 1]))
            if score.ceiling(text, np.zeros(1))[0] >= kth - 1e-9:
                return None  # they might: search again, without leaving terms out
        if not parts:
            return Candidates(_NONE, _NONE, _ZERO, _ZERO, 0.0)
        return Candidates(
            np.concatenate([segment.pks[rows] for segment, rows, _, _ in parts]),
            np.concatenate([segment.versions[rows] for segment, rows, _, _ in parts]),
            np.concatenate([raws for _, _, raws, _ in parts]),
            np.concatenate([scores for *_, scores in parts]),
            best,
        )

    @staticmethod
    def _bm25_of_some(
        segment: Segment,
        terms: list[tuple[int | None, float]],
        scorer: NeedScorer,
        skipped: frozenset[int],
    ) -> tuple[np.ndarray | None, np.ndarray, np.ndarray]:
        """The rows holding one of the terms not skipped (a mask, and the rows ascending), and
        their BM25 over every term, skipped ones included."""
        read = {
            i
            for i, (term_id, _) in enumerate(terms)
            if i not in skipped and term_id is not None and term_id in segment.postings
        }
        if not read:
            return None, _NONE, _ZERO
        hit = np.zeros(segment.size, dtype=bool)
        for i in read:
            start, end = segment.postings[terms[i][0]]  # type: ignore[index]
            hit[segment.post_rows[start:end]] = True
        rows = np.flatnonzero(hit)
        among = frozenset(range(len(terms)))
        return hit, rows, OfferIndex._bm25_at(segment, terms, scorer, rows, among, read)

    @staticmethod
    def _bm25_at(
        segment: Segment,
        terms: list[tuple[int | None, float]],
        scorer: NeedScorer,
        rows: np.ndarray,
        among: Iterable[int],
        within: Iterable[int] = (),
    ) -> np.ndarray:
        """The BM25 of these rows (ascending) over the terms at these positions of ``terms``,
        added in their order, as ``_bm25`` adds them (the same floating-point sums). The
        postings of the terms ``within`` hold only rows among these: they are read whole."""
        raws = np.zeros(len(rows))
        among, within = frozenset(among), frozenset(within)
        if not among or not len(rows):
            return raws
        norms = segment.norms(scorer.avgdl)
        for i, (term_id, idf) in enumerate(terms):
            span = segment.postings.get(term_id) if i in among and term_id is not None else None
            if span is None:
                continue
            posting = segment.post_rows[span[0] : span[1]]  # rows ascending
            if i in within:
                at, tf, norm = (
                    np.searchsorted(rows, posting),
                    segment.post_tf[span[0] : span[1]],
                    norms[posting],
                )
            else:
                found = np.minimum(np.searchsorted(posting, rows), len(posting) - 1)
                at = np.flatnonzero(posting[found] == rows)
                if not len(at):
                    continue
                tf, norm = segment.post_tf[span[0] + found[at]], norms[rows[at]]
            raws[at] += ((idf * tf) * (K1 + 1)) / (tf + norm)
        return raws

    @staticmethod
    def _bm25(
        segment: Segment, terms: list[tuple[int | None, float]], scorer: NeedScorer
    ) -> tuple[np.ndarray | None, np.ndarray | None]:
        """The rows holding one of the need's terms (a mask) and every row's BM25."""
        rows_list, contrib_list = [], []
        norms = segment.norms(scorer.avgdl)
        for term_id, idf in terms:
            span = segment.postings.get(term_id) if term_id is not None else None
            if span is None:
                continue
            rows = segment.post_rows[span[0] : span[1]]
            tf = segment.post_tf[span[0] : span[1]]
            norm = norms[rows]  # K1 * ((1 - B) + (B * length) / avgdl), as the scorer's
            rows_list.append(rows)
            contrib_list.append(((idf * tf) * (K1 + 1)) / (tf + norm))
        if not rows_list:
            return None, None
        every = np.concatenate(rows_list)
        hit = np.zeros(segment.size, dtype=bool)
        hit[every] = True
        raw_all = np.bincount(every, weights=np.concatenate(contrib_list), minlength=segment.size)
        return hit, raw_all

    def _usable(self, segment: Segment, rows: np.ndarray, required: frozenset[str]) -> np.ndarray:
        """Of these rows, the live ones holding every required certification."""
        rows = rows[segment.alive[rows]]
        if required and len(rows):
            rows = rows[self._certified(required)[segment.certkeys[rows]]]
        return rows

    def held(self, pks: list[int], scorer: NeedScorer) -> dict[int, HeldOffer]:
        """The live offers of these primary keys, as the scorer and a stored match read them
        (``scoring.HeldOffer``): the offers a need keeps are not read from the table. Their
        term frequencies are those of the need's terms (all the reasons read)."""
        wanted = np.asarray(pks, dtype=np.int64)
        held: dict[int, HeldOffer] = {}
        for segment in self.segments:
            found, rows = segment.locate(wanted)
            live = segment.alive[rows]
            found, rows = found[live], rows[live]
            if not len(rows):
                continue
            tfs: list[Counter[str]] = [Counter() for _ in range(len(rows))]
            for term in scorer.terms:
                term_id = self.vocab.ids.get(term)
                span = segment.postings.get(term_id) if term_id is not None else None
                if span is None:
                    continue
                posting = segment.post_rows[span[0] : span[1]]  # rows ascending
                at = np.minimum(np.searchsorted(posting, rows), len(posting) - 1)
                for i in np.flatnonzero(posting[at] == rows).tolist():
                    tfs[i][term] = int(segment.post_tf[span[0] + at[i]])
            for i, row in enumerate(rows.tolist()):
                held[int(wanted[found[i]])] = self._held(segment, row, tfs[i])
        return held

    def specs(self, text: str) -> spec_parser.Specs:
        """The parsed specifications of a row's ``specs`` (the JSON text), parsed once."""
        parsed = self._parsed.get(text)
        if parsed is None:
            parsed = self._parsed[text] = _specs(json.loads(text))
        return parsed

    def _held(self, segment: Segment, row: int, tf: Counter[str]) -> HeldOffer:
        """A row as a ``HeldOffer`` with these term frequencies. The rest does not depend on
        the need: it is read from the arrays once per row (a segment's rows do not change)."""
        base = segment.held.get(row)
        if base is None:
            base = self._unpacked(segment, row)
            if len(segment.held) < _HELD_ROWS:
                segment.held[row] = base
        f = base.features
        return HeldOffer(
            pk=base.pk,
            key=base.key,
            kind=base.kind,
            object_id=base.object_id,
            organization_id=base.organization_id,
            facts=base.facts,
            features=OfferFeatures(
                tf=tf,
                length=f.length,
                specs=f.specs,
                specs_key=f.specs_key,
                region_key=f.region_key,
                soft_key=f.soft_key,
                head=f.head,
                category_key=f.category_key,
            ),
        )

    def _unpacked(self, segment: Segment, row: int) -> HeldOffer:
        """A row as a ``HeldOffer`` without term frequencies (``_held`` gives them)."""
        specs_text = self.speckeys.values[segment.speckeys[row]]

        def number(values: np.ndarray) -> float | None:
            value = float(values[row])
            return None if math.isnan(value) else value

        facts = {
            "unit": self.units.values[segment.units[row]] or None,
            "capacity": number(segment.capacity),
            "price_min": number(segment.price_min),
            "lead_time_days": number(segment.lead_time),
        }
        kind, object_id = self.kinds.values[segment.kinds[row]], int(segment.object_ids[row])
        return HeldOffer(
            pk=int(segment.pks[row]),
            key=f"{kind}:{object_id}",
            kind=kind,
            object_id=object_id,
            organization_id=int(segment.organizations[row]) or None,
            facts=facts,
            features=OfferFeatures(
                tf=Counter(),
                length=int(segment.lengths[row]),
                specs=self.specs(specs_text),
                specs_key=specs_text,  # a memo key only: PostgreSQL's text of the same JSON
                region_key=self.regionkeys.values[segment.regionkeys[row]],
                soft_key=(
                    facts["unit"],
                    facts["capacity"],
                    facts["price_min"],
                    facts["lead_time_days"],
                ),
                head=self.heads.values[segment.heads[row]],
                category_key=self.catkeys.values[segment.catkeys[row]],
            ),
        )

    def _soft(
        self, segment: Segment, rows: np.ndarray, need: Document, today: datetime.date
    ) -> np.ndarray:
        """``scoring._soft`` for these rows: capacity against quantity, price against budget
        per unit, lead time against the delivery date; the mean of those that apply, else 0.5."""
        facts = need.facts or {}
        quantity, unit = facts.get("quantity"), facts.get("unit")
        budget, delivery = facts.get("budget"), facts.get("delivery_date")
        total = np.zeros(len(rows))
        count = np.zeros(len(rows))
        if unit and unit in self.units.ids:
            same = segment.units[rows] == self.units.ids[unit]
        else:
            same = np.zeros(len(rows), dtype=bool)
        if quantity:
            capacity = segment.capacity[rows]
            applies = same & ~np.isnan(capacity) & (capacity != 0)
            total = np.where(applies, total + np.where(capacity >= quantity, 1.0, 0.3), total)
            count += applies
        if budget and quantity:
            price = segment.price_min[rows]
            applies = same & ~np.isnan(price) & (price != 0)
            ok = budget / quantity >= price * 0.9
            total = np.where(applies, total + np.where(ok, 1.0, 0.2), total)
            count += applies
        if delivery:
            days = (datetime.date.fromisoformat(delivery) - today).days
            lead = segment.lead_time[rows]
            applies = ~np.isnan(lead)
            total = np.where(applies, total + np.where(lead <= days, 1.0, 0.4), total)
            count += applies
        return np.where(count > 0, total / np.maximum(count, 1), 0.5)

    def _table(
        self, key: tuple[Any, ...], values: list[Any], value: Callable[[Any], float]
    ) -> np.ndarray:
        table = self._tables.get(key)
        if table is None or len(table) < len(values):
            table = self._tables[key] = np.fromiter(map(value, values), np.float64, len(values))
        return table

    def _kinds(self, need: Document, scorer: NeedScorer) -> np.ndarray | None:
        """The kind factor for every head noun held (as ``scoring.KindOf``): 1 for the heads
        found in the need's text or ending with one of its tokens, 0.5 for no head, else 0.
        None when the need excludes items (then head by head, through the scorer)."""
        test = scorer.kind_test
        if test.excluded:
            return None
        heads = self.heads
        longest, ids = heads.longest, heads.ids
        # Without a head noun containing a space, no head spans two words of the text.
        pieces = {test.text} if heads.spaced else set(test.text.split(" "))
        found: set[int] = set()
        for piece in pieces:
            for i in range(len(piece)):
                for j in range(i + 1, min(len(piece), i + longest) + 1):
                    head = ids.get(piece[i:j])
                    if head is not None:
                        found.add(head)
        for token in test.tokens:
            found.update(heads.by_suffix.get(token, ()))
        table = np.zeros(len(heads.values))
        table[list(found)] = 1.0
        if "" in ids:
            table[ids[""]] = 0.5
        return table

    @staticmethod
    def _lookup(ids: np.ndarray, values: list[Any], value: Any) -> np.ndarray:
        """``value`` of each row's distinct value, computed once per distinct value."""
        present = np.zeros(len(values), dtype=bool)
        present[ids] = True
        table = np.zeros(len(values))
        for i in np.flatnonzero(present).tolist():
            table[i] = value(values[i])
        return table[ids]


class _Scoring:
    """``NeedScorer.values`` for rows of the index, for one need: BM25 and every factor, with
    the scorer's arithmetic in the scorer's order (the same floating-point numbers)."""

    def __init__(self, index: OfferIndex, need: Document, scorer: NeedScorer, best: float):
        self.index, self.need, self.scorer, self.best = index, need, scorer, best
        self.kinds = index._kinds(need, scorer)
        # The category and region factors depend on a few of the need's fields: a table over
        # every distinct value held, kept for the next need with the same fields.
        also = tuple((need.facts or {}).get("also", []))
        self.categories = index._table(
            ("category", tuple(need.categories), also),
            index.catkeys.values,
            lambda key: _category_of(need, key)[0],
        )
        self.regions = index._table(
            ("region", need.regions[0] if need.regions else ""),
            index.regionkeys.values,
            lambda key: _region_of(need, key, scorer.region_names)[0],
        )
        self.badged = frozenset(org for org, held in scorer.badges.items() if held)

    def _spec_score(self, text: str) -> float:
        return spec_parser.compare(self.scorer.need_specs, self.index.specs(text)).score

    def __call__(self, segment: Segment, found: np.ndarray, raws: np.ndarray) -> np.ndarray:
        if not len(found):
            return _ZERO
        index, scorer, need, best = self.index, self.scorer, self.need, self.best
        w, ideal = scorer.w, scorer.ideal
        if self.kinds is None:
            kind = index._lookup(segment.heads[found], index.heads.values, scorer.kind_value)
        else:
            kind = self.kinds[segment.heads[found]]
        category = self.categories[segment.catkeys[found]]
        region = self.regions[segment.regionkeys[found]]
        if not need.specs:
            fit = np.full(len(found), spec_parser.Fit().score)  # nothing comparable
        else:
            fit = index._lookup(segment.speckeys[found], index.speckeys.values, self._spec_score)
        soft = index._soft(segment, found, need, scorer.today)
        badge = segment.badged(self.badged)[found]
        absolute = np.minimum(1.0, raws / ideal) if ideal > 0 else np.zeros(len(raws))
        relative = raws / best if best > 0 else np.zeros(len(raws))
        text = 0.5 * absolute + 0.5 * relative
        # NeedScorer.values, term by term in the same order: the same floating-point sums.
        score = w["kind"] * kind
        score = score + w["category"] * category
        score = score + w["text"] * text
        score = score + w["specs"] * fit
        score = score + w["region"] * region
        score = score + w["fit"] * soft
        score = score + np.where(badge, w["badge"], 0.0)
        relevance = np.maximum(category, text)
        score = np.where(relevance < 0.2, score * (relevance / 0.2), score)
        return np.minimum(1.0, np.maximum(0.0, score))

    def text(self, raw: float) -> float:
        """The text factor of an offer with this BM25 (the scorer's, and growing with it)."""
        ideal, best = self.scorer.ideal, self.best
        absolute = min(1.0, raw / ideal) if ideal > 0 else 0.0
        relative = raw / best if best > 0 else 0.0
        return 0.5 * absolute + 0.5 * relative

    def ceiling(self, text: float, category: np.ndarray) -> np.ndarray:
        """The highest score an offer can have with a text factor of at most ``text``, for
        each of these category factors: every other factor is at most 1 (the badge at most
        its weight), and a relevance below 0.2 scales the score down."""
        w = {name: max(0.0, weight) for name, weight in self.scorer.w.items()}
        total = w["kind"] + w["category"] * category + w["text"] * text + w["specs"]
        total = total + w["region"] + w["fit"] + w["badge"]
        relevance = np.maximum(category, text)
        return np.minimum(1.0, np.where(relevance < 0.2, total * (relevance / 0.2), total))


# --- One index per process and database -------------------------------------------------------

_lock = threading.Lock()
_indexes: dict[str, OfferIndex] = {}


def offer_index() -> OfferIndex:
    """This process's offer index for the current database, brought up to date."""
    name = str(connection.settings_dict["NAME"])
    with _lock:
        index = _indexes.get(name)
        if index is None or index.stale() or index.refresh() is None:
            index = _indexes[name] = OfferIndex.load()
        return index


def reset() -> None:
    """Forget every index of this process (tests; a database dropped and created again)."""
    with _lock:
        _indexes.clear()
