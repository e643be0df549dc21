from pathlib import Path

import pytest

from matching.management.commands.match_all import _ids
from matching.services import match_objects
from procurement.imports import bundle_load

DEV_BUNDLE = Path(__file__).resolve().parents[2] / "data" / "dev"


def match_everything() -> None:
    from matching.documents import Builder, documents_index

    ids = _ids()
    builder = Builder()
    for kind, all_ids in ids.items():
        documents_index(kind=kind, ids=all_ids, builder=builder)
    for kind in ("procurement_item", "opportunity"):
        match_objects(kind=kind, ids=ids[kind])


@pytest.fixture
def dev_world(db):
    report = bundle_load(DEV_BUNDLE)
    assert report.ok
    match_everything()
    return report
