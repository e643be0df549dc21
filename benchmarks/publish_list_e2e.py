"""End to end: publish an N-line procurement list through the service; a real worker matches it.

    DJANGO_DEBUG=false python benchmarks/publish_list_e2e.py --lines 5000 [--concurrency 2]

Needs a database with offers to match against (run `make demo` once, or `load_bundle data/dev`)
and Redis. The script starts its own Celery worker, publishes the list in one transaction
(lines copied, with their wording varied, from the bundle's procurement lines), and reports
the wall time from the commit until the worker has drained the queue and every line has been
matched. The list is deleted afterwards.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--lines", type=int, default=5000)
    parser.add_argument("--concurrency", type=int, default=2)
    args = parser.parse_args()

    # The worker's emails (suppliers told of their matches, the buyer's summary) go to a local
    # SMTP sink, as in the demo: sending is part of the run, not a stream of refused connections.
    import tempfile

    from devstack import free_port
    from notifications.devmail import start_sink

    port = free_port()
    sink = start_sink("127.0.0.1", port, Path(tempfile.mkdtemp(prefix="duijie-e2e-mail-")))
    os.environ["EMAIL_URL"] = f"smtp://127.0.0.1:{port}"

    import django

    django.setup()
    from django.db import transaction

    from accounts.models import Membership, Organization, User
    from benchmarks._worker import celery_worker
    from config import lookups  # noqa: F401 - registers __any_of
    from config.celery import app
    from matching.documents import documents_index
    from matching.models import Document, Match
    from procurement import services
    from procurement.models import ProcurementItem, ProcurementList

    templates = list(ProcurementItem.objects.exclude(plist__title__startswith="E2E")[:200])
    if not templates:
        sys.exit("no procurement lines to copy: load the dev bundle first")
    buyer = Organization.objects.filter(
        roles__contains=["buyer"], verification_status="verified"
    ).first()
    if buyer is None:
        sys.exit("no verified buyer")
    user, _ = User.objects.get_or_create(email="e2e-bench@example.com", defaults={"name": "bench"})
    Membership.objects.get_or_create(user=user, organization=buyer)

    with celery_worker("e2e", args.concurrency):
        with transaction.atomic():
            plist = services.procurement_list_create(
                buyer=buyer, by=user, title=f"E2E {args.lines} 行清单"
            )
            ProcurementItem.objects.bulk_create(
                ProcurementItem(
                    plist=plist,
                    ref=f"E2E-{n}",
                    line_no=n + 1,
                    name=templates[n % len(templates)].name,
                    specs=f"{templates[n % len(templates)].specs} 批次{n}",
                    category=templates[n % len(templates)].category,
                    quantity=templates[n % len(templates)].quantity,
                    unit=templates[n % len(templates)].unit,
                    budget=templates[n % len(templates)].budget,
                    delivery_region=templates[n % len(templates)].delivery_region,
                    required_certifications=templates[n % len(templates)].required_certifications,
                )
                for n in range(args.lines)
            )
            started = time.perf_counter()
            services.procurement_list_publish(plist=plist, by=user)
        keys = [f"procurement_item:{pk}" for pk in plist.items.values_list("pk", flat=True)]
        # Until every line is matched, only a cheap count (one array parameter, every 0.1 s):
        # the poll shares the two cores with the worker and must not slow what it measures.
        done = Document.objects.filter(key__any_of=keys, matched_at__isnull=False)
        while done.count() < len(keys):  # a line's document is written by its task
            time.sleep(0.1)
        stored_at = time.perf_counter()  # every line's matches are stored
        # Then until the worker is idle (the suppliers' emails sent): inspect waits a second.
        redis = app.connection().default_channel.client
        while True:
            busy = any((app.control.inspect(timeout=1).active() or {}).values())
            queued = redis.llen("celery") + redis.llen("matching")
            if queued == 0 and not busy:
                break
            time.sleep(0.2)
        elapsed = stored_at - started
        drained = time.perf_counter() - started
        matched = (
            Match.objects.filter(need_key__in=keys, status="active")
            .values("need_key")
            .distinct()
            .count()
        )
        offers = Document.objects.filter(side="offer", active=True).count()
        from notifications.models import Notification

        told = Notification.objects.filter(match__need_key__in=keys, status="sent").count()
        print(
            f"{args.lines} lines published and matched in {elapsed:.1f} s "
            f"({args.lines / elapsed:.1f} lines/s, worker concurrency {args.concurrency}, "
            f"{offers} active offers; {matched} lines have at least one match; "
            f"{told} new-match emails sent; the worker was idle again after {drained:.1f} s)"
        )
        item_ids = list(plist.items.values_list("pk", flat=True))
        with transaction.atomic():
            ProcurementList.objects.filter(pk=plist.pk).delete()  # lines and matches cascade
            documents_index(kind="procurement_item", ids=item_ids)  # drops documents, fixes df
    sink.stop()


if __name__ == "__main__":
    main()
