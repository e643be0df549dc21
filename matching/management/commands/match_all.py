from __future__ import annotations

import time
from typing import Any

from celery import chord, group
from django.core.management.base import BaseCommand, CommandParser
from tqdm import tqdm

from catalog.models import Product
from config.celery import tune_gc
from matching.documents import Builder, documents_index
from matching.queue import chunks
from matching.services import match_objects
from procurement.models import Opportunity, ProcurementItem


def _ids() -> dict[str, list[int]]:
    return {
        "product": list(Product.objects.order_by("pk").values_list("pk", flat=True)),
        "procurement_item": list(
            ProcurementItem.objects.order_by("pk").values_list("pk", flat=True)
        ),
        "opportunity": list(Opportunity.objects.order_by("pk").values_list("pk", flat=True)),
    }


class Command(BaseCommand):
    help = (
        "Index every need and offer, then match every need against every offer. Queues Celery"
        " tasks and waits with a progress bar; --no-wait only queues; --inline runs here."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        mode = parser.add_mutually_exclusive_group()
        mode.add_argument("--no-wait", action="store_true", help="queue the tasks and return")
        mode.add_argument("--inline", action="store_true", help="run in this process, no worker")
        parser.add_argument("--timeout", type=int, default=3600, help="seconds to wait")

    def handle(self, *args: Any, **options: Any) -> None:
        ids = _ids()
        if options["inline"]:
            self._inline(ids)
            return
        from matching.tasks import index_objects, match_object_ids

        index = group(
            index_objects.s(kind, chunk)
            for kind, all_ids in ids.items()
            for chunk in chunks(all_ids)
        )
        # Needs are matched against every offer once all documents are indexed; offers need
        # no pass of their own, every pair is reached from its need.
        needs = [("procurement_item", chunk) for chunk in chunks(ids["procurement_item"])] + [
            ("opportunity", chunk) for chunk in chunks(ids["opportunity"])
        ]
        total = len(needs)
        if total == 0:
            self.stdout.write("nothing to match")
            return
        result: Any = chord(index)(group(match_object_ids.si(kind, chunk) for kind, chunk in needs))
        if options["no_wait"]:
            self.stdout.write(f"queued {len(index.tasks)} indexing and {total} matching tasks")
            return
        deadline = time.monotonic() + options["timeout"]
        with tqdm(total=total, desc="matching", unit=" tasks", file=self.stderr._out) as bar:
            while True:
                children: list[Any] = list(result.children or [])
                done = sum(1 for child in children if child.ready())
                bar.update(done - bar.n)
                if children and done == total:
                    break
                if time.monotonic() > deadline:
                    self.stderr.write("timed out waiting for the worker; the tasks stay queued")
                    return
                time.sleep(0.5)
        stored = sum(int(child.get() or 0) for child in list(result.children or []))
        self.stdout.write(self.style.SUCCESS(f"matched: {stored} matches kept"))

    def _inline(self, ids: dict[str, list[int]]) -> None:
        tune_gc()  # this process matches as a worker's does
        builder = Builder()
        for kind, all_ids in ids.items():
            for chunk in tqdm(
                list(chunks(all_ids, 500)), desc=f"index {kind}", file=self.stderr._out
            ):
                documents_index(kind=kind, ids=chunk, builder=builder)
        stored = 0
        for kind in ("procurement_item", "opportunity"):
            for chunk in tqdm(list(chunks(ids[kind])), desc=f"match {kind}", file=self.stderr._out):
                stored += match_objects(kind=kind, ids=chunk)
        self.stdout.write(self.style.SUCCESS(f"matched: {stored} matches kept"))
