"""Notifications through the real worker to a local SMTP sink, beside plain SMTP from one process.

    DJANGO_DEBUG=true python benchmarks/notifications_throughput.py --count 10000 [--concurrency 2]

Needs a migrated database and Redis (`make services`, or DATABASE_URL / REDIS_URL). The script
starts an aiosmtpd sink on a free port and its own Celery worker, then in one run:

1. baseline: renders and sends ``--count`` messages from this process over one SMTP
   connection, with no outbox (the ceiling: what SMTP and rendering cost alone);
2. the outbox: writes ``--count`` notification rows in one transaction; on commit the worker
   claims and sends them; the clock stops when every row is ``sent``.

It reports emails per second for both and counts the messages in the sink by Message-ID:
duplicates must be zero. Its rows and organization are deleted afterwards.
"""

from __future__ import annotations

import argparse
import email.parser
import email.policy
import os
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")


def _message_ids(directory: Path) -> Counter[str]:
    parser = email.parser.BytesHeaderParser(policy=email.policy.default)
    ids: Counter[str] = Counter()
    for path in directory.glob("*.eml"):
        with path.open("rb") as handle:
            ids[str(parser.parse(handle).get("Message-ID", ""))] += 1
    return ids


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=10_000)
    parser.add_argument("--concurrency", type=int, default=2)
    args = parser.parse_args()

    from benchmarks._worker import celery_worker
    from devstack import free_port
    from notifications.devmail import start_sink

    port = free_port()
    mail_dir = Path(tempfile.mkdtemp(prefix="duijie-bench-mail-"))
    sink = start_sink("127.0.0.1", port, mail_dir)
    os.environ["EMAIL_URL"] = f"smtp://127.0.0.1:{port}"

    import django

    django.setup()
    from django.core.mail import get_connection
    from django.db import transaction
    from django.utils import timezone

    from accounts.models import Organization
    from notifications import delivery, services
    from notifications.models import Kind, Notification
    from tests.factories import make_uscc

    organization, _ = Organization.objects.get_or_create(
        name="通知基准测试企业", defaults={"uscc": make_uscc(9_999_999), "region_id": "510100"}
    )
    run = f"{os.getpid()}-{int(time.time())}"

    def recipients(prefix: str) -> list[services.Recipient]:
        return [
            services.Recipient(
                key=f"email:{prefix}-{run}-{n}@bench.example.com",
                email=f"{prefix}-{run}-{n}@bench.example.com",
                language="zh-hans",
                organization_id=organization.pk,
            )
            for n in range(args.count)
        ]

    context = {"lines": 41, "suitable": 32, "title": "2026年第二批重点企业采购清单"}

    # 1. Baseline: the same messages rendered and sent from here, one connection, no outbox.
    rows = [
        Notification(
            recipient_key=r.key,
            email=r.email,
            organization=organization,
            kind=Kind.LIST_SUMMARY,
            subject_key="bench",
            context=context,
            message_id=services.message_id(),
            next_attempt_at=timezone.now(),
            pk=n + 1,
        )
        for n, r in enumerate(recipients("baseline"))
    ]
    started = time.perf_counter()
    connection = get_connection(fail_silently=False)
    connection.open()
    for row in rows:
        message = delivery.render(row)
        message.connection = connection
        message.send()
    connection.close()
    baseline_s = time.perf_counter() - started
    baseline_ids = _message_ids(mail_dir)
    for path in mail_dir.glob("*.eml"):
        path.unlink()

    try:
        # 2. The outbox through a real worker.
        with celery_worker("bench-notify", args.concurrency):
            with transaction.atomic():
                services.enqueue(
                    recipients("outbox"),
                    kind=Kind.LIST_SUMMARY,
                    subject_key="bench",
                    context=context,
                )
                started = time.perf_counter()
            mine = Notification.objects.filter(recipient_key__contains=f"outbox-{run}-")
            while mine.exclude(status=Notification.Status.SENT).exists():
                time.sleep(0.2)
            outbox_s = time.perf_counter() - started
            time.sleep(1)  # let the sink finish writing the last file
            outbox_ids = _message_ids(mail_dir)
            expected = set(mine.values_list("message_id", flat=True))
            ours = {mid: n for mid, n in outbox_ids.items() if mid in expected}
            duplicates = sum(n - 1 for n in ours.values() if n > 1)
            missing = len(expected - set(ours))
            print(
                f"baseline (render + SMTP from one process, one connection, no outbox): "
                f"{args.count} emails in {baseline_s:.1f} s = "
                f"{args.count / baseline_s:.0f} emails/s; "
                f"{len(baseline_ids)} received"
            )
            print(
                f"outbox (rows written in one transaction → real worker, concurrency "
                f"{args.concurrency}): {args.count} emails in {outbox_s:.1f} s = "
                f"{args.count / outbox_s:.0f} emails/s; {sum(ours.values())} received, "
                f"{len(ours)} distinct Message-IDs, {duplicates} duplicates, "
                f"{missing} missing"
            )
            mine.delete()
    finally:
        sink.stop()
        organization.delete()


if __name__ == "__main__":
    main()
