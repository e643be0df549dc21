"""Notification jobs. The outbox in PostgreSQL is the truth; these only act on it."""

from __future__ import annotations

from celery import shared_task
from django.core.cache import cache

from . import delivery, services


@shared_task(acks_late=True)
def send_due() -> dict[str, int]:
    """Send every due notification; woken on commit, by retries and by the sweeper."""
    cache.delete("notifications:wake")

    def share() -> None:
        if cache.add("notifications:wake", 1, timeout=60):
            send_due.delay()

    outcome = delivery.send_due(on_backlog=share)
    return {"sent": outcome.sent, "retried": outcome.retried, "failed": outcome.failed}


@shared_task(acks_late=True)
def sweep() -> int:
    """Periodic: re-queue rows a lost message or a killed worker left pending."""
    return delivery.sweep()


@shared_task(acks_late=True)
def send_digests() -> int:
    """08:00 Asia/Shanghai: one digest per recipient with something new."""
    return services.digests_build()
