"""Reads of matches."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from .models import Document, Match


def match_export_rows(*, top: int | None = None) -> Iterator[dict[str, Any]]:
    """Active matches of active needs and offers, best first within each need."""
    active = dict(Document.objects.filter(active=True).values_list("key", "ref"))
    kinds = dict(Document.objects.filter(active=True).values_list("key", "kind"))
    qs = Match.objects.filter(status=Match.Status.ACTIVE).order_by("need_key", "rank")
    if top is not None:
        qs = qs.filter(rank__lte=top)
    for match in qs.iterator(chunk_size=2000):
        if match.need_key not in active or match.offer_key not in active:
            continue
        yield {
            "need_ref": active[match.need_key],
            "offer_ref": active[match.offer_key],
            "score": match.score,
            "rank": match.rank,
            "notify": match.notify,
            "need_kind": kinds[match.need_key],
            "offer_kind": kinds[match.offer_key],
            "reasons": match.reasons,
        }
