"""Queueing matching after a publish or an edit: on commit, in chunks."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TypeVar

from django.conf import settings
from django.db import transaction

T = TypeVar("T")


def chunks(items: Sequence[T], size: int | None = None) -> Iterable[list[T]]:
    size = size or int(settings.MATCHING["CHUNK"])
    for start in range(0, len(items), size):
        yield list(items[start : start + size])


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
