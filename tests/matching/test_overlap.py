"""A task's needs in parts: each part ranked while the one before it is written.

Outside a transaction the writes go to a second thread with its own connection; inside one
(the caller's), the parts go one after the other on the caller's connection. Both must store
exactly the same matches.
"""

import threading
from pathlib import Path

import pytest
from django.db import connections, transaction

from matching import services
from matching.models import Document, Match
from procurement.imports import bundle_load

DEV_BUNDLE = Path(__file__).resolve().parents[2] / "data" / "dev"

# The writer thread has its own connection: it sees only what is committed. Earlier
# transactional tests flush the tables: restore the seeded regions and taxonomy.
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def _snapshot() -> list[tuple[object, ...]]:
    return list(
        Match.objects.order_by("need_key", "offer_key").values_list(
            "need_key", "offer_key", "score", "rank", "notify", "status", "reasons"
        )
    )


@pytest.fixture
def needs(settings):
    settings.MATCHING = {**settings.MATCHING, "WRITE_PART": 10}
    report = bundle_load(DEV_BUNDLE)  # queues matching: eager here, so already matched
    assert report.ok
    Match.objects.all().delete()
    found = list(Document.objects.filter(side="need", active=True))
    assert len(found) > 30  # several parts
    return found


@pytest.fixture
def writes(monkeypatch):
    """Each write of a part: the thread it ran in, and that thread's connection."""
    seen: list[tuple[str, object]] = []
    write = services._write_chunk

    def spy(part, results):
        seen.append((threading.current_thread().name, connections["default"]))
        return write(part, results)

    monkeypatch.setattr(services, "_write_chunk", spy)
    return seen


def test_parts_written_beside_the_ranking_store_what_one_after_the_other_stores(needs, writes):
    parts = -(-len(needs) // 10)

    stored = services.match_need_documents(needs)
    overlapped = _snapshot()
    assert stored == len(overlapped) > 0
    assert len(writes) == parts
    assert {name.split("_")[0] for name, _ in writes} == {"matching-writes"}
    # The writer's connection is closed once the task's parts are written.
    assert all(connection.connection is None for _, connection in writes)

    Match.objects.all().delete()
    writes.clear()
    with transaction.atomic():  # a caller's transaction holds the writes
        assert services.match_need_documents(needs) == stored
    assert {name for name, _ in writes} == {threading.current_thread().name}
    assert len(writes) == parts
    assert _snapshot() == overlapped


def test_a_failed_write_fails_the_task_and_keeps_the_parts_already_committed(needs, monkeypatch):
    write = services._write_chunk
    calls = []

    def failing(part, results):
        calls.append(len(part))
        if len(calls) == 2:
            raise RuntimeError("the database went away")
        return write(part, results)

    monkeypatch.setattr(services, "_write_chunk", failing)
    with pytest.raises(RuntimeError, match="went away"):
        services.match_need_documents(needs)
    # The first part was committed; the second failed; no part after it was written.
    assert len(calls) == 2
    first = sorted(need.key for need in needs)[:10]
    assert set(Match.objects.values_list("need_key", flat=True)) <= set(first)
    assert Match.objects.exists()
