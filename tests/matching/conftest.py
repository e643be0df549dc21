import io
from pathlib import Path

import pytest
from django.core.management import call_command

from procurement.imports import bundle_load

DEV_BUNDLE = Path(__file__).resolve().parents[2] / "data" / "dev"


def match_everything() -> None:
    call_command("match_all", "--inline", stderr=io.StringIO(), stdout=io.StringIO())


@pytest.fixture
def dev_world(db):
    report = bundle_load(DEV_BUNDLE)
    assert report.ok
    match_everything()
    return report
