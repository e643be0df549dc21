"""Matching jobs: each takes a kind and a list of ids, and is safe to run twice."""

from __future__ import annotations

from celery import shared_task

from .documents import documents_index
from .services import match_objects


@shared_task(acks_late=True)
def index_objects(kind: str, ids: list[int]) -> int:
    return len(documents_index(kind=kind, ids=ids))


@shared_task(acks_late=True)
def match_object_ids(kind: str, ids: list[int]) -> int:
    """Index these needs or offers and match them in their direction."""
    return match_objects(kind=kind, ids=ids)
