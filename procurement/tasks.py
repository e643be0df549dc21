from __future__ import annotations

from celery import shared_task

from .services import procurement_lists_close_expired


@shared_task
def close_expired_lists() -> int:
    """Close published lists whose deadline has passed (beat, hourly)."""
    return procurement_lists_close_expired()
