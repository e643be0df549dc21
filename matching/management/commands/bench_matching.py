"""Benchmark the matcher at scale, side by side with its baselines, in a scratch database.

    python manage.py bench_matching --products 100000 --needs 5000 [--sample 200] [--json]

Builds a synthetic Chinese catalogue from the taxonomy (each product named by one of its
category's names or synonyms, needs by another, with specifications that fit or do not),
indexes it, and matches every need through the production path (``match_need_documents``).
In the same run it measures:

- the exhaustive scorer: the same scores over every offer, no index, on ``--sample`` needs;
  its top 10 is the reference for the index's recall@10;
- a PostgreSQL full-text baseline: the segmented text in a ``tsvector`` with a GIN index,
  ranked by ``ts_rank`` (what one writes first), on every need, as the index (after an
  untimed pass over the sample, which reads the new table into memory);
- one indexed primary-key lookup, the floor;
- the reverse direction: one product at a time against every open need (median of 20).

The scratch database is created and dropped by the command; yours is not touched.
With ``--json`` the last line is one JSON object.
"""

from __future__ import annotations

import json
import random
import resource
import statistics
import time
from decimal import Decimal
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection
from django.test.utils import override_settings
from django.utils import timezone

from config.celery import tune_gc

SCENES = [
    "市政工程",
    "轨道交通",
    "数据中心",
    "医院",
    "工业园区",
    "水电站",
    "学校",
    "产业园",
    "地铁站",
    "变电站",
]


def _spec(code: str, rng: random.Random) -> str:
    """A specification in the style of the category, so the spec parser has work to do."""
    if ".CABLE" in code:
        return (
            f"{rng.choice(['0.6/1', '8.7/15', '26/35'])}kV 3×{rng.choice([35, 70, 120, 240, 300])}"
        )
    if "PIPE" in code or "VALVE" in code or "PUMP" in code:
        return f"DN{rng.choice([50, 100, 150, 200, 300, 400])} PN{rng.choice([10, 16])}"
    if "UPS" in code or "TRANSFORMER" in code:
        return f"{rng.choice([100, 200, 400, 800, 1250])}kVA"
    if ".BAT" in code:
        return f"{rng.choice([48, 51.2, 12])}V {rng.choice([100, 200, 280])}Ah"
    if "LIGHT" in code:
        return f"{rng.choice([50, 100, 150])}W IP{rng.choice([65, 66, 67])}"
    if "STEEL" in code:
        grade = rng.choice(["HRB400E", "HRB500E", "Q235B", "Q355B"])
        return f"{grade} Φ{rng.choice([12, 16, 20, 25])}"
    return f"型号{rng.choice('ABCDEFGH')}{rng.randint(10, 999)}"


class Command(BaseCommand):
    help = __doc__

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--products", type=int, default=100_000)
        parser.add_argument("--needs", type=int, default=5_000)
        parser.add_argument("--sample", type=int, default=200, help="needs scored exhaustively")
        parser.add_argument("--seed", type=int, default=2026)
        parser.add_argument("--json", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        creation = connection.creation
        settings_dict = connection.settings_dict
        original = settings_dict["NAME"]
        settings_dict.setdefault("TEST", {})["NAME"] = f"{original}_bench"
        self.stderr.write(f"creating the scratch database {original}_bench …")
        old_name = creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
        try:
            # As in production: with DEBUG on, Django keeps the text of the last 9,000 statements
            # (bulk inserts of thousands of documents included), which would be measured too.
            with override_settings(DEBUG=False):
                result = self._run(options)
        finally:
            creation.destroy_test_db(old_name, verbosity=0)
        self._report(result, options["json"])

    # --- The run -------------------------------------------------------------------------------

    def _run(self, options: dict[str, Any]) -> dict[str, Any]:
        tune_gc()  # as in a worker process, for everything measured here
        rng = random.Random(options["seed"])  # noqa: S311 - synthetic data
        started = time.perf_counter()
        self._build(options["products"], options["needs"], rng)
        build_s = time.perf_counter() - started

        from catalog.models import Product
        from matching.documents import Builder, documents_index
        from matching.models import Document
        from matching.postings import offer_index, reset
        from matching.queue import chunks
        from procurement.models import ProcurementItem

        reset()  # a scratch database: no index of an earlier one

        started = time.perf_counter()
        builder = Builder()
        product_ids = list(Product.objects.order_by("pk").values_list("pk", flat=True))
        for chunk in chunks(product_ids, 2000):
            documents_index(kind="product", ids=chunk, builder=builder)
        index_s = time.perf_counter() - started
        index_rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        item_ids = list(ProcurementItem.objects.order_by("pk").values_list("pk", flat=True))
        for chunk in chunks(item_ids, 2000):
            documents_index(kind="procurement_item", ids=chunk, builder=builder)
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE matching_document; ANALYZE matching_term;")

        needs = list(Document.objects.filter(side="need", active=True).order_by("pk"))
        # Each worker process reads the offers' postings once (then keeps them in step).
        started = time.perf_counter()
        offer_index()
        load_s = time.perf_counter() - started
        indexed, latencies, indexed_s = self._indexed(needs)
        single_ms = self._single(rng.sample(needs, min(20, len(needs))))
        sample = rng.sample(needs, min(options["sample"], len(needs)))
        exhaustive_rate = fts_rate = recall = None
        if sample:  # --sample 0 (for a 1,000,000-product run): no baselines, no recall
            exhaustive, exhaustive_s = self._exhaustive(sample)
            exhaustive_rate = round(len(sample) / exhaustive_s, 2)
            fts_rate = round(len(needs) / self._fts(needs, warm=sample), 1)
            recall = round(
                statistics.mean(
                    len(set(indexed[n.key][:10]) & set(exhaustive[n.key][:10]))
                    / max(1, min(10, len(exhaustive[n.key])))
                    for n in sample
                ),
                4,
            )
        reverse_ms, reverse_max_ms, reverse_reranked = self._reverse(product_ids, rng)
        pk_ms = self._pk_lookup(product_ids, rng)
        latencies.sort()
        needs_per_s = len(needs) / indexed_s
        # The ranking alone (no writes), like for like with the full-text baseline's ranking.
        ranked_per_s = len(self.ranking_ms) / (sum(self.ranking_ms) / 1000)
        p50 = latencies[len(latencies) // 2]
        return {
            "products": len(product_ids),
            "needs": len(needs),
            "sample": len(sample),
            "build_s": round(build_s, 1),
            "index_s": round(index_s, 1),
            "index_peak_rss_mb": round(index_rss_mb, 1),
            "offer_index_load_s": round(load_s, 2),
            "needs_per_s": round(needs_per_s, 1),
            "exhaustive_needs_per_s": exhaustive_rate,
            "fts_needs_per_s": fts_rate,
            "x_exhaustive": round(needs_per_s / exhaustive_rate, 1) if exhaustive_rate else None,
            "x_fts": round(needs_per_s / fts_rate, 2) if fts_rate else None,
            "ranked_needs_per_s": round(ranked_per_s, 1),
            "x_fts_ranking": round(ranked_per_s / fts_rate, 2) if fts_rate else None,
            "rank_p50_ms": round(statistics.median(self.ranking_ms), 2),
            "recall_at_10_vs_exhaustive": recall,
            "p50_ms": round(p50, 2),
            "p99_ms": round(latencies[int(len(latencies) * 0.99) - 1], 2),
            "pk_lookup_ms": round(pk_ms, 3),
            "p50_over_pk": round(p50 / pk_ms, 1),
            "single_need_ms": round(single_ms, 2),
            "single_need_over_pk": round(single_ms / pk_ms, 1),
            "reverse_one_product_ms": round(reverse_ms, 1),
            "reverse_max_ms": round(reverse_max_ms, 1),
            "reverse_needs_reranked": round(reverse_reranked, 1),
            "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        }

    def _build(self, n_products: int, n_needs: int, rng: random.Random) -> None:
        from stdnum.cn import uscc

        from accounts.models import Organization
        from catalog.models import Category, Product, Region
        from procurement.models import ProcurementItem, ProcurementList

        categories = list(Category.objects.filter(level=Category.Level.CATEGORY))
        regions = list(Region.objects.filter(code__startswith="51").values_list("code", flat=True))
        n_orgs = max(10, n_products // 200)

        def code(n: int) -> str:
            base = f"91510100MA{n:07d}"
            return base + uscc.calc_check_digit(base)

        orgs = Organization.objects.bulk_create(
            Organization(
                name=f"基准测试企业{n}有限公司",
                uscc=code(n),
                region_id=rng.choice(regions),
                roles=["supplier"],
                verification_status=Organization.Verification.VERIFIED,
                verified_at=timezone.now(),
            )
            for n in range(n_orgs)
        )
        buyer = Organization.objects.create(
            name="基准测试采购集团",
            uscc=code(n_orgs + 1),
            region_id="510100",
            roles=["buyer"],
            verification_status=Organization.Verification.VERIFIED,
        )

        def names(category: Category) -> list[str]:
            return [category.name_zh, *[s for s in category.synonyms if not s.isascii()]]

        batch: list[Product] = []
        for n in range(n_products):
            category = rng.choice(categories)
            name = rng.choice(names(category))
            low = Decimal(rng.randint(50, 5000))
            batch.append(
                Product(
                    supplier=rng.choice(orgs),
                    ref=f"BP-{n}",
                    name=f"{name}{rng.choice(['', '（标准型）', '（增强型）', ''])}",
                    category=category if rng.random() < 0.5 else None,
                    description=f"{name}，适用于{rng.choice(SCENES)}，可按需定制。",
                    specs=_spec(category.code, rng),
                    certifications=rng.sample(["ISO9001", "CCC", "ISO14001", "CQC"], 2),
                    price_min=low,
                    price_max=low + 100,
                    unit="台",
                    monthly_capacity=Decimal(rng.randint(10, 10000)),
                    lead_time_days=rng.randint(3, 60),
                    status=Product.Status.PUBLISHED,
                    published_at=timezone.now(),
                )
            )
            if len(batch) == 5000:
                Product.objects.bulk_create(batch)
                batch = []
        Product.objects.bulk_create(batch)

        plist = ProcurementList.objects.create(
            buyer=buyer,
            title="基准测试采购清单",
            status=ProcurementList.Status.PUBLISHED,
            published_at=timezone.now(),
        )
        items = []
        for n in range(n_needs):
            category = rng.choice(categories)
            items.append(
                ProcurementItem(
                    plist=plist,
                    ref=f"BN-{n}",
                    line_no=n + 1,
                    name=rng.choice(names(category)),
                    specs=_spec(category.code, rng),
                    quantity=Decimal(rng.randint(1, 500)),
                    unit="台",
                    budget=Decimal(rng.randint(1000, 900000)),
                    delivery_region_id=rng.choice(regions),
                    required_certifications=["ISO9001"] if rng.random() < 0.3 else [],
                )
            )
        ProcurementItem.objects.bulk_create(items, batch_size=5000)

    def _indexed(self, needs: list[Any]) -> tuple[dict[str, list[str]], list[float], float]:
        """Every need through ``match_need_documents``, in chunks of 100 as the tasks take them.

        A chunk goes in parts (``WRITE_PART``): each part is ranked (``_rank_chunk``: reads
        only) while the part before it is written (``_write_chunk``, in a second thread: one
        upsert of the matches, the retiring update, the notifications, ``matched_at``). The
        time of a need is its own selection and reasons (``_select``, ``_keep``, timed one by
        one) plus its share of the rest of its chunk's wall time (statistics, the index's
        refresh, the check of the kept offers' row versions, the writes not hidden behind a
        ranking). ``self.ranking_ms``: the chunks' ranking time, shared out per need (it
        includes the time the ranking waits for the writer thread's share of the interpreter).
        """
        from matching import services
        from matching.queue import chunks

        ranked: dict[str, list[str]] = {}
        latencies: list[float] = []
        # This chunk's needs' own time, in need order: their selections, their reasons.
        own: dict[str, list[float]] = {"select": [], "keep": []}
        phases = {"rank": 0.0, "write": 0.0}
        self.ranking_ms: list[float] = []
        select, keep = services._select, services._keep
        rank_chunk, write_chunk = services._rank_chunk, services._write_chunk

        def timed(phase: str, function: Any) -> Any:
            def run(*args: Any) -> Any:
                t0 = time.perf_counter()
                result = function(*args)
                ms = (time.perf_counter() - t0) * 1000
                if phase in phases:
                    phases[phase] += ms
                else:
                    own[phase].append(ms)
                return result

            return run

        services._select = timed("select", select)
        services._keep = timed("keep", keep)
        services._rank_chunk = timed("rank", rank_chunk)
        services._write_chunk = timed("write", write_chunk)
        try:
            started = time.perf_counter()
            for chunk in chunks(needs, 100):
                own["select"].clear()
                own["keep"].clear()
                phases.update(rank=0.0, write=0.0)
                t0 = time.perf_counter()
                services.match_need_documents(chunk)
                total = (time.perf_counter() - t0) * 1000
                per_need = [a + b for a, b in zip(own["select"], own["keep"], strict=True)]
                n = len(per_need)
                share = (total - sum(per_need)) / n
                latencies += [ms + share for ms in per_need]
                self.ranking_ms += [phases["rank"] / n] * n
            elapsed = time.perf_counter() - started
        finally:
            services._select, services._keep = select, keep
            services._rank_chunk, services._write_chunk = rank_chunk, write_chunk
        from matching.models import Match

        for need_key, offer_key in (
            Match.objects.filter(status=Match.Status.ACTIVE, need_key__in=[n.key for n in needs])
            .order_by("need_key", "rank")
            .values_list("need_key", "offer_key")
        ):
            ranked.setdefault(need_key, []).append(offer_key)
        return ranked, latencies, elapsed

    def _single(self, needs: list[Any]) -> float:
        """Median time of one need matched on its own (its own task and transaction)."""
        from matching import services

        times = []
        for need in needs:
            t0 = time.perf_counter()
            services.match_need_documents([need])
            times.append((time.perf_counter() - t0) * 1000)
        return statistics.median(times)

    def _exhaustive(self, sample: list[Any]) -> tuple[dict[str, list[str]], float]:
        from matching.models import Document
        from matching.scoring import features
        from matching.services import lookups, rank_candidates, side_stats

        offers = list(Document.objects.filter(side="offer", active=True))
        look = lookups({o.organization_id for o in offers if o.organization_id})
        for offer in offers:
            features(offer)  # derived once, before the clock starts (as the index path's cache)
        ranked: dict[str, list[str]] = {}
        started = time.perf_counter()
        for need in sample:
            stats = side_stats("offer", need.tokens)
            eligible = [o for o in offers if set(need.certifications) <= set(o.certifications)]
            # Every offer scored: the reference the index is held to.
            top = rank_candidates(need, eligible, stats, look)
            ranked[need.key] = [o.key for o, _ in top[:10]]
        return ranked, time.perf_counter() - started

    def _fts(self, needs: list[Any], warm: list[Any]) -> float:
        """The full-text baseline's time for every need, after an untimed pass over ``warm``
        (a table just created is read from disk at first; one pass over a sample of 100
        moved by a third between runs, which alone decided ``x_fts``)."""
        with connection.cursor() as cursor:
            cursor.execute(
                "CREATE TEMP TABLE bench_fts AS SELECT id, to_tsvector('simple',"
                " array_to_string(tokens, ' ')) AS v"
                " FROM matching_document WHERE side = 'offer' AND active"
            )
            cursor.execute(
                "CREATE INDEX bench_fts_v ON bench_fts USING gin (v); ANALYZE bench_fts;"
            )

            def search(need: Any) -> None:
                words = sorted({t for t in need.tokens if t.isalnum()})
                if words:
                    cursor.execute(
                        "SELECT id, ts_rank(v, q) AS r FROM bench_fts,"
                        " to_tsquery('simple', %s) q WHERE v @@ q ORDER BY r DESC LIMIT 10",
                        [" | ".join(words)],
                    )
                    cursor.fetchall()

            for need in warm:
                search(need)
            started = time.perf_counter()
            for need in needs:
                search(need)
            return time.perf_counter() - started

    def _reverse(self, product_ids: list[int], rng: random.Random) -> tuple[float, float, float]:
        """Products matched one at a time against every open need (the edit or publish of one
        product): median and slowest time of 20, and how many needs each re-ranked on average."""
        from matching import services

        if not product_ids:
            raise CommandError("no product to match")
        times: list[float] = []
        reranked: list[int] = []
        rerank = services.match_need_documents

        def counting(needs: list[Any]) -> int:
            reranked[-1] += len(needs)
            return rerank(needs)

        services.match_need_documents = counting
        try:
            for pk in rng.sample(product_ids, min(20, len(product_ids))):
                reranked.append(0)
                started = time.perf_counter()
                services.match_objects(kind="product", ids=[pk])
                times.append((time.perf_counter() - started) * 1000)
        finally:
            services.match_need_documents = rerank
        return statistics.median(times), max(times), statistics.mean(reranked)

    def _pk_lookup(self, ids: list[int], rng: random.Random) -> float:
        from catalog.models import Product

        times: list[float] = []
        for pk in rng.sample(ids, min(1000, len(ids))):
            t0 = time.perf_counter()
            Product.objects.filter(pk=pk).values_list("pk", "name").first()
            times.append((time.perf_counter() - t0) * 1000)
        return statistics.median(times)

    def _report(self, result: dict[str, Any], as_json: bool) -> None:
        for key, value in result.items():
            self.stdout.write(f"{key:<28} {value}")
        if as_json:
            self.stdout.write(json.dumps(result))
