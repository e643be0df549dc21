"""Publishing through the import service queues matching; a real Celery worker stores matches."""

import time
from pathlib import Path

import pytest

from matching.models import Match
from procurement.imports import bundle_load

DEV_BUNDLE = Path(__file__).resolve().parents[2] / "data" / "dev"

pytestmark = [
    pytest.mark.integration,
    # Earlier transactional tests flush the tables: restore the seeded regions and taxonomy.
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def _wait_for(predicate, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.5)
    raise AssertionError(f"not done within {timeout} s")


def test_a_loaded_bundle_is_matched_by_the_worker_and_explained(real_worker):
    report = bundle_load(DEV_BUNDLE)
    assert report.ok
    # Nothing ran in this process: the commit queued tasks, the worker does the work.
    _wait_for(lambda: Match.objects.filter(need_item__ref="P-0001", status="active").exists())
    _wait_for(
        lambda: Match.objects.filter(need_opportunity__ref="O-0011", status="active").exists()
    )
    best = Match.objects.filter(need_item__ref="P-0001", status="active").order_by("rank").first()
    assert best.offer_product.ref == "S-0167"
    assert "消防水带" in best.reasons_text
