"""The Excel report and the OCDS release package, validated with the official tooling offline."""

from __future__ import annotations

import io
import json
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.utils import timezone
from openpyxl import load_workbook

from deals import services
from deals.stats import programme_stats
from procurement.models import ProcurementList
from tests.factories import ProcurementItemFactory, ProcurementListFactory

pytestmark = pytest.mark.django_db

STANDARD_ZIP = Path(settings.BASE_DIR) / "tests" / "data" / "ocds" / "standard-1__1__5.zip"


def validate_ocds(path: Path, tmp_path: Path) -> dict:
    """Run lib-cove-ocds on a release package against the standard kept in the repository."""
    from libcoveocds.api import ocds_json_output
    from libcoveocds.config import LibCoveOCDSConfig

    config = LibCoveOCDSConfig()
    config.config["standard_zip"] = f"file://{STANDARD_ZIP}"
    config.config["context"] = "api"
    return ocds_json_output(
        str(tmp_path / "cove"), str(path), "1.1", convert=False, lib_cove_ocds_config=config
    )


@pytest.fixture
def with_deal(world):
    services.interest_express(match=world.match, by=world.supplier_user, message="有意")
    services.interest_shortlist(interest=world.match.interest, by=world.buyer_user)
    services.deal_record(
        by=world.buyer_user,
        supplier=world.supplier,
        items=[world.item],
        amount=Decimal("470000.00"),
        signed_on=timezone.localdate(),
        contract_number='=HYPERLINK("http://evil")',
    )
    # A cancelled list and a draft: the first is a tender cancellation, the second not published.
    cancelled = ProcurementListFactory(
        buyer=world.buyer, published=True, status=ProcurementList.Status.CANCELLED
    )
    ProcurementItemFactory(plist=cancelled, quantity=None, unit="", budget=None)
    ProcurementItemFactory(plist=ProcurementListFactory(buyer=world.buyer))
    return world


def test_the_ocds_package_validates_with_zero_errors(with_deal, tmp_path, settings):
    settings.OCDS_OCID_PREFIX = "ocds-duijie-"
    path = tmp_path / "ocds.json"
    call_command("export_ocds", "--output", str(path))
    package = json.loads(path.read_text())
    assert package["version"] == "1.1"
    tags = [r["tag"] for r in package["releases"]]
    assert tags == [["tender"], ["tenderCancellation"], ["award", "contract"]]
    tender = package["releases"][0]
    assert tender["ocid"] == f"ocds-duijie-list-{with_deal.plist.pk}"
    assert tender["parties"][0]["roles"] == ["buyer", "procuringEntity"]
    assert tender["tender"]["value"] == {"amount": 700000.0, "currency": "CNY"}
    first_item = tender["tender"]["items"][0]
    assert first_item["classification"]["id"] == "TSTD.CH.CAB"
    assert first_item["quantity"] == 10.0 and first_item["unit"]["name"] == "件"
    award = package["releases"][-1]
    assert award["ocid"] == tender["ocid"]
    assert award["awards"][0]["value"] == {"amount": 470000.0, "currency": "CNY"}
    assert award["contracts"][0]["awardID"] == award["awards"][0]["id"]

    result = validate_ocds(path, tmp_path)
    assert result["validation_errors"] == []
    assert result["additional_closed_codelist_values"] == {}
    assert result["version_used"] == "1.1"
    assert result["count"] == 3 and result["unique_ocids_count"] == 2


def test_the_validator_would_catch_a_broken_package(with_deal, tmp_path):
    """The check can fail: a release without its tag and with a bad status is reported."""
    path = tmp_path / "broken.json"
    call_command("export_ocds", "--output", str(path))
    package = json.loads(path.read_text())
    del package["releases"][0]["tag"]
    package["releases"][0]["tender"]["status"] = "open-ish"
    path.write_text(json.dumps(package, ensure_ascii=False))
    result = validate_ocds(path, tmp_path)
    assert result["validation_errors"]
    assert result["additional_closed_codelist_values"]


def test_the_excel_report_has_one_sheet_per_table_and_neutralised_text(with_deal, tmp_path):
    with_deal.buyer.name = "=cmd|' /C calc'!A0"
    with_deal.buyer.save()
    path = tmp_path / "figures.xlsx"
    call_command("export_stats_xlsx", "--output", str(path), stdout=io.StringIO())
    workbook = load_workbook(path)
    report = programme_stats()
    assert len(workbook.sheetnames) == len(report.tables) == 11
    by_buyer = workbook[workbook.sheetnames[0]]
    header = [c.value for c in by_buyer[1]]
    assert header == [c.label_with_unit for c in report.table("procurement_by_buyer").columns]
    assert header[-1].endswith(("（元）", "(yuan)"))
    cells = [c.value for c in by_buyer[2]]
    assert cells[0] == "'=cmd|' /C calc'!A0"  # text, not a formula
    assert cells[-1] == 700000  # money stays a number
    for sheet in workbook.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (sheet.title, cell.coordinate)
