"""The offer index held in each process (matching.postings): exact, and in step with the table."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest
from django.utils import timezone

from catalog import services as catalog_services
from matching import postings
from matching.models import Document, Match
from matching.scoring import HeldOffer, KindOf, NeedScorer, features
from matching.services import lookups, match_objects, rank_candidates, rank_indexed, side_stats
from tests.factories import MembershipFactory, ProductFactory


def _scorer(need: Document) -> NeedScorer:
    look = lookups()
    return NeedScorer(
        need,
        side_stats("offer", need.tokens),
        badges=look.badges,
        region_names=look.region_names,
        today=look.today,
    )


@pytest.mark.parametrize("skip_from", [postings._SKIP_POSTINGS, 1])
def test_the_index_ranks_every_need_as_scoring_every_offer_does(dev_world, monkeypatch, skip_from):
    """The reference is the exhaustive scorer: every eligible offer scored, no index. With
    ``skip_from`` 1 the search leaves out the commonest terms wherever it can (the dev
    bundle's postings are all shorter than the default)."""
    monkeypatch.setattr(postings, "_SKIP_POSTINGS", skip_from)
    offers = list(Document.objects.filter(side="offer", active=True))
    look = lookups()
    index = postings.offer_index()
    needs = list(Document.objects.filter(side="need", active=True))
    assert len(needs) > 50
    for need in needs:
        stats = side_stats("offer", need.tokens)
        eligible = [o for o in offers if set(need.certifications) <= set(o.certifications)]
        every = rank_candidates(need, eligible, stats, look)
        indexed = rank_indexed(need, index, stats, look)
        assert [(o.key, s.score, s.reasons) for o, s in indexed] == [
            (o.key, s.score, s.reasons) for o, s in every
        ], need.key


def test_bm25_and_scores_from_the_index_are_the_scorers_to_the_last_bit(dev_world):
    """Every candidate of every need: NumPy's BM25 and score equal NeedScorer's exactly."""
    index = postings.offer_index()
    offers = {o.pk: o for o in Document.objects.filter(side="offer", active=True)}
    checked = 0
    for need in Document.objects.filter(side="need", active=True):
        scorer = _scorer(need)
        found = index.search(need, scorer)
        docs = [offers[int(pk)] for pk in found.pks]
        feats = [features(d) for d in docs]
        raws = scorer.raws(feats)
        assert found.raws.tolist() == raws
        assert found.best == max(raws, default=0.0)
        assert found.scores.tolist() == scorer.values(docs, feats, raws, found.best), need.key
        checked += len(docs)
    assert checked > 1000


def _best(found, k: int, floor: float) -> list[tuple[int, float]]:
    """The K best candidates at or above the floor and every one tied with the K-th."""
    kept = sorted(
        ((float(s), int(pk)) for pk, s in zip(found.pks, found.scores, strict=True) if s >= floor),
        reverse=True,
    )
    kth = kept[k - 1][0] if len(kept) >= k else -1.0
    return sorted((pk, s) for s, pk in kept if s >= kth)


@pytest.mark.parametrize("k", [1, 5, 20])
def test_a_search_for_the_top_k_finds_the_same_best_as_a_full_one(dev_world, k):
    """Offers found through a category alone are left out only when they cannot reach the
    K-th best: the K best and their ties are those of the full search."""
    index = postings.offer_index()
    floor = 0.08
    left_out = 0
    for need in Document.objects.filter(side="need", active=True):
        scorer = _scorer(need)
        full = index.search(need, scorer)
        top = index.search(need, scorer, top=k, floor=floor)
        assert _best(top, k, floor) == _best(full, k, floor), need.key
        left_out += len(full) - len(top)
    assert left_out > 0  # the dev bundle's categories do leave offers out


@pytest.mark.parametrize("k", [1, 5, 20])
def test_leaving_out_the_commonest_terms_changes_no_candidate_that_counts(
    dev_world, monkeypatch, k
):
    """A search for the top K leaves out the offers holding only the need's commonest terms
    where it proves they cannot count, and searches again in full where it cannot prove it
    (with 261 offers, mostly: few offers score well enough). Either way, the K best and
    their ties are the full search's, and every candidate's BM25 and score are the full
    search's, to the last bit."""
    monkeypatch.setattr(postings, "_SKIP_POSTINGS", 1)  # the dev bundle's postings are short
    monkeypatch.setattr(postings, "_SKIP_SHARE", 0.5)
    outcomes: Counter[str] = Counter()
    search = postings.OfferIndex._search

    def spy(self, *args):
        found = search(self, *args)
        if args[-1] is not None:  # terms were left out
            outcomes["proved" if found is not None else "searched again"] += 1
        return found

    monkeypatch.setattr(postings.OfferIndex, "_search", spy)
    index = postings.offer_index()
    floor = 0.08
    for need in Document.objects.filter(side="need", active=True):
        scorer = _scorer(need)
        full = index.search(need, scorer)
        top = index.search(need, scorer, top=k, floor=floor)
        assert _best(top, k, floor) == _best(full, k, floor), need.key
        raws = dict(zip(full.pks.tolist(), full.raws.tolist(), strict=True))
        scores = dict(zip(full.pks.tolist(), full.scores.tolist(), strict=True))
        assert top.raws.tolist() == [raws[pk] for pk in top.pks.tolist()], need.key
        assert top.scores.tolist() == [scores[pk] for pk in top.pks.tolist()], need.key
        assert top.best == full.best
    assert sum(outcomes.values()) > 40  # of 62 needs
    if k == 1:
        assert outcomes["proved"] > 10
        assert outcomes["searched again"] > 10


def test_an_offer_gone_behind_the_index_is_replaced_from_a_full_search(dev_world):
    """The kept offers archived after the search (the index had not seen it): the ranking
    searches again without leaving anything out, and ranks the offers still active."""
    from matching import services

    look = lookups()
    index = postings.offer_index()

    def after_the_best(need: Document) -> set[int]:
        """Offers the top-K search leaves out that would rank once its best are gone."""
        scorer = _scorer(need)
        full, top = index.search(need, scorer), index.search(need, scorer, top=20, floor=0.08)
        best = {pk for pk, _ in _best(top, 20, 0.08)}
        rest = [(s, pk) for s, pk in zip(full.scores, full.pks, strict=True) if pk not in best]
        return {int(pk) for s, pk in sorted(rest, reverse=True)[:20]} - set(top.pks.tolist())

    need = max(
        Document.objects.filter(side="need", active=True), key=lambda n: len(after_the_best(n))
    )
    assert after_the_best(need)  # without a full search again, the ranking would miss them
    stats = side_stats("offer", need.tokens)
    selection = services._select(need, index, stats, look)
    gone = [pk for pk, _ in selection.rows]
    Document.objects.filter(pk__in=gone).update(active=False)  # not seen by the index
    services._cache.clear()
    kept = services._keep(selection, services._versions(gone))
    # The reference: every candidate of a full search that is still active, by its score
    # (the index's BM25 statistics still count the archived offers until its refresh).
    full = index.search(need, selection.scorer)
    active = Document.objects.filter(side="offer", active=True).in_bulk(full.pks.tolist())
    every = services._top(
        selection.scorer,
        [
            (active[int(pk)], float(score), float(raw))
            for pk, score, raw in zip(full.pks, full.scores, full.raws, strict=True)
            if int(pk) in active
        ],
        full.best,
    )
    assert len(every) == 20
    assert [(o.key, s.score) for o, s in kept] == [(o.key, s.score) for o, s in every]
    assert not {o.pk for o, _ in kept} & set(gone)


def test_offers_outside_the_candidates_score_nothing(dev_world):
    """Candidates are the offers sharing a term or a category path: the others score 0."""
    index = postings.offer_index()
    offers = list(Document.objects.filter(side="offer", active=True))
    for need in Document.objects.filter(side="need", active=True)[:30]:
        scorer = _scorer(need)
        found = set(index.search(need, scorer).pks.tolist())
        outside = [o for o in offers if o.pk not in found]
        required = set(need.certifications)
        outside = [o for o in outside if required <= set(o.certifications)]
        feats = [features(o) for o in outside]
        raws = scorer.raws(feats)
        best = max(raws, default=0.0)
        assert max(scorer.values(outside, feats, raws, best), default=0.0) == 0.0


def test_kind_of_head_nouns_from_the_index_is_the_scorers(dev_world):
    index = postings.offer_index()
    heads = index.heads.values
    for need in Document.objects.filter(side="need", active=True):
        scorer = _scorer(need)
        table = index._kinds(need, scorer)
        expected = [scorer.kind_test(head)[0] for head in heads]
        if table is None:
            assert (need.facts or {}).get("excluded")
            continue
        assert table.tolist() == expected, need.key


@pytest.mark.parametrize(
    ("title", "tokens", "head", "kind"),
    [
        ("交联聚乙烯绝缘电力电缆", ["电力电缆"], "电缆", 1.0),  # in the text
        ("采购一批", ["电缆"], "电力电缆", 1.0),  # a token ends the head noun
        ("采购一批", ["缆"], "电力电缆", 0.0),  # one character is not enough
        ("采购一批", ["电力"], "电力电缆", 0.0),  # a prefix is not an ending
        ("数据中心", ["服务器"], "", 0.5),  # no head noun: neutral
    ],
)
def test_kind_of(title, tokens, head, kind):
    need = Document(title=title, tokens=tokens, facts={})
    assert KindOf(need)(head)[0] == kind


def test_excluded_items_make_the_kind_zero():
    need = Document(title="UPS电源（不含蓄电池）", tokens=["UPS"], facts={"excluded": ["蓄电池"]})
    assert KindOf(need)("蓄电池") == (0.0, "需求方不需要：蓄电池")


def test_kept_offers_come_from_the_index_unless_their_row_changed_behind_it(dev_world):
    """The offers kept are the index's (``HeldOffer``: nothing read from the table) while their
    row versions are the index's; an offer edited after the search is read from the table and
    scored again from it."""
    from matching import services

    look = lookups()
    index = postings.offer_index()
    need = next(
        n for n in Document.objects.filter(side="need", active=True) if len(_ranked(n, index)) >= 3
    )
    kept = _ranked(need, index)
    assert all(isinstance(offer, HeldOffer) for offer, _ in kept)
    for offer, _ in kept:  # what a stored match reads of it is the row's
        row = Document.objects.get(pk=offer.pk)
        assert (offer.key, offer.kind, offer.object_id, offer.organization_id) == (
            row.key,
            row.kind,
            row.object_id,
            row.organization_id,
        )

    stats = side_stats("offer", need.tokens)
    selection = services._select(need, index, stats, look)
    edited = kept[1][0].pk
    # A row written again (as ``documents_index`` writes it), not yet seen by the index.
    Document.objects.filter(pk=edited).update(title="同一产品（新版）", updated_at=timezone.now())
    again = services._keep(selection, services._versions(pk for pk, _ in selection.rows))
    by_key = {offer.key: offer for offer, _ in again}
    assert {o.key for o, _ in again} == {o.key for o, _ in kept}
    assert isinstance(by_key[kept[1][0].key], Document)
    # Only the title changed: the same scores and reasons, from the row.
    assert [(o.key, s.score, s.reasons) for o, s in again] == [
        (o.key, s.score, s.reasons) for o, s in kept
    ]


def _ranked(need: Document, index: postings.OfferIndex) -> list:
    return rank_indexed(need, index, side_stats("offer", need.tokens), lookups())


def test_the_index_follows_new_edited_archived_and_deleted_offers(dev_world):
    index = postings.offer_index()

    def held(pk: int) -> bool:
        current = postings.offer_index()
        assert current is index  # brought up to date, not built again
        return any(bool(s.alive[s.locate(np.array([pk]))[1]].any()) for s in current.segments)

    product = ProductFactory(published=True, name="全新型号防爆接线箱")
    match_objects(kind="product", ids=[product.pk])
    doc = Document.objects.get(key=f"product:{product.pk}")
    assert held(doc.pk)

    user = MembershipFactory(organization=product.supplier).user
    catalog_services.product_update(product=product, by=user, name="全新型号不锈钢水箱")
    match_objects(kind="product", ids=[product.pk])
    assert held(doc.pk)
    [row] = [r for r in index.tail_rows if r[0] == doc.pk]  # the new version, once
    assert row[3] == Document.objects.get(pk=doc.pk).tokens
    assert "水箱" in "".join(row[3])

    catalog_services.product_archive(product=product, by=user)
    match_objects(kind="product", ids=[product.pk])
    assert not held(doc.pk)
    assert not Match.objects.filter(offer_key=doc.key, status=Match.Status.ACTIVE).exists()


def test_a_deleted_offer_leaves_the_index(dev_world):
    """A delete leaves a tombstone (a trigger), which the next task's refresh reads."""
    index = postings.offer_index()
    need = Document.objects.filter(side="need", active=True).order_by("pk").first()
    look = lookups()
    stats = side_stats("offer", need.tokens)
    best = rank_indexed(need, index, stats, look)[0][0]
    Match.objects.filter(offer_key=best.key).delete()
    Document.objects.filter(pk=best.pk).delete()
    assert postings.offer_index() is index
    assert best.key not in [o.key for o, _ in rank_indexed(need, index, stats, look)]


def test_an_index_past_its_age_is_built_again(dev_world, settings):
    first = postings.offer_index()
    settings.MATCHING = {**settings.MATCHING, "INDEX_REBUILD_SECONDS": 0}
    assert postings.offer_index() is not first


def test_an_emptied_table_builds_the_index_anew(dev_world):
    """TRUNCATE fires no row trigger (a test database's flush uses it): a statement trigger
    leaves one tombstone for the whole table."""
    from django.db import connection

    index = postings.offer_index()
    assert index.segments[0].size > 100
    with connection.cursor() as cursor:
        cursor.execute(
            "SET CONSTRAINTS ALL IMMEDIATE"
        )  # no deferred check left in the test's transaction
        cursor.execute("TRUNCATE matching_document")
    emptied = postings.offer_index()
    assert emptied is not index
    assert sum(int(s.alive.sum()) for s in emptied.segments) == 0
    assert postings.offer_index() is emptied  # the tombstone is read once


def test_a_need_twice_in_one_chunk_is_stored_once(dev_world):
    """One upsert per chunk: a pair twice in it would be an error in PostgreSQL."""
    from matching.services import match_need_documents

    need = Document.objects.filter(side="need", active=True).order_by("pk").first()
    before = list(
        Match.objects.filter(need_key=need.key, status="active").values_list("offer_key", "score")
    )
    assert before
    assert match_need_documents([need, need]) == len(before)
    after = Match.objects.filter(need_key=need.key, status="active").values_list(
        "offer_key", "score"
    )
    assert sorted(after) == sorted(before)


def test_old_tombstones_are_pruned_when_an_index_is_built(dev_world):
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO matching_document_gone (change_seq, id, side, deleted_at)"
            " VALUES (nextval('matching_document_change_seq'), 123456789, 'offer',"
            " now() - interval '1 day'),"
            " (nextval('matching_document_change_seq'), 123456790, 'offer', now())"
        )
        postings.reset()
        postings.offer_index()
        cursor.execute("SELECT id FROM matching_document_gone WHERE id >= 123456789")
        assert [pk for (pk,) in cursor.fetchall()] == [123456790]
