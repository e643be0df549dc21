"""Queueing matching after a publish or an edit: on commit, in chunks."""

from __future__ import annotations

from collections.abc import Iterable

from django.conf import settings
from django.db import transaction


def chunks(ids: list[int], size: int | None = None) -> Iterable[list[int]]:
    size = size or int(settings.MATCHING["CHUNK"])
    for start in range(0, len(ids), size):
        yield ids[start : start + size]


def queue_matching(*, kind: str, ids: Iterable[int]) -> None:
    """After the current transaction commits, match these objects: a 500-line list is 5 tasks."""
    from .tasks import match_object_ids

    id_list = sorted(set(ids))
    if not id_list:
        return

    def send() -> None:
        for chunk in chunks(id_list):
            match_object_ids.delay(kind, chunk)

    transaction.on_commit(send)
