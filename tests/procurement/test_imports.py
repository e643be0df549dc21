"""The import service: every error class gets its message and writes nothing."""

import csv
import datetime
import io
import shutil
import zipfile
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.utils import translation
from openpyxl import Workbook

from accounts.models import Organization
from catalog.models import Product
from procurement.imports import bundle_load, procurement_list_import, products_import
from procurement.models import Opportunity, ProcurementItem, ProcurementList
from procurement.spreadsheets import Limits
from tests.factories import OrganizationFactory

pytestmark = pytest.mark.django_db

DEV_BUNDLE = Path(__file__).resolve().parents[2] / "data" / "dev"
SUPPLIER = "91510114MA6RX1QQ3J"  # in the dev bundle's organizations.csv


def _counts():
    return (
        Organization.objects.count(),
        Product.objects.count(),
        ProcurementItem.objects.count(),
        Opportunity.objects.count(),
    )


def _bundle(tmp_path, **overrides: list[dict]) -> Path:
    """A copy of the dev bundle, with some files replaced by the given rows."""
    folder = tmp_path / "bundle"
    shutil.copytree(DEV_BUNDLE, folder)
    (folder / "labels.csv").unlink()
    for name, rows in overrides.items():
        with (folder / f"{name}.csv").open("w", encoding="utf-8", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
            writer.writeheader()
            writer.writerows(rows)
    return folder


def _rows(name: str) -> list[dict]:
    with (DEV_BUNDLE / f"{name}.csv").open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


# --- The dev bundle ----------------------------------------------------------------------------


def test_the_dev_bundle_loads_every_row_and_loading_it_twice_changes_nothing():
    first = bundle_load(DEV_BUNDLE)
    assert first.ok, [str(e) for e in first.errors]
    by_kind = {f.kind: f for f in first.files}
    assert (by_kind["organizations"].created, by_kind["products"].created) == (32, 251)
    assert (by_kind["procurement"].created, by_kind["opportunities"].created) == (52, 20)
    counts = _counts()
    assert counts == (32, 251, 52, 20)
    snapshot = list(
        Product.objects.order_by("pk").values_list("pk", "name", "price_min", "updated_at")
    )

    second = bundle_load(DEV_BUNDLE)
    assert second.ok
    assert all(f.created == 0 and f.updated == 0 for f in second.files)
    assert sum(f.unchanged for f in second.files) == 32 + 251 + 52 + 20
    assert _counts() == counts
    assert (
        list(Product.objects.order_by("pk").values_list("pk", "name", "price_min", "updated_at"))
        == snapshot
    )


def test_bundle_values_are_parsed_as_the_contract_says():
    bundle_load(DEV_BUNDLE)
    item = ProcurementItem.objects.get(ref="P-0002")
    assert item.budget == Decimal("72650.00")
    assert item.delivery_region_id == "512000"  # 资阳市
    assert item.required_certifications == ["ISO9001", "CCC"]
    assert item.plist.deadline == datetime.date(2027, 1, 10)
    assert item.plist.status == ProcurementList.Status.PUBLISHED
    product = Product.objects.get(ref="S-0002")
    assert product.certifications == ["CQC", "ISO14001"]
    assert product.status == Product.Status.PUBLISHED
    opportunity = Opportunity.objects.get(ref="O-0001")
    assert opportunity.direction == "supply"
    assert opportunity.region_id == "511802"


def test_the_command_loads_a_bundle_and_reports(capsys):
    call_command("load_bundle", str(DEV_BUNDLE), "--no-progress")
    out = capsys.readouterr().out
    assert "products.csv：共 251 行，有效 251 行；新建 251 条" in out


def test_a_bundle_as_one_xlsx_with_sheets(tmp_path):
    workbook = Workbook()
    workbook.remove(workbook.active)
    for name in ("organizations", "products"):
        sheet = workbook.create_sheet(name)
        rows = _rows(name)
        sheet.append(list(rows[0]))
        for row in rows:
            sheet.append(list(row.values()))
    path = tmp_path / "bundle.xlsx"
    workbook.save(path)
    report = bundle_load(path)
    assert report.ok, [str(e) for e in report.errors]
    assert Product.objects.count() == 251


# --- Every error class: a message naming row and column, and nothing written ----------------------


def _assert_rejected(report, *, file: str, row: int | None, column: str | None, fragment: str):
    assert not report.ok
    assert not report.written
    matching = [e for e in report.errors if e.file == file and e.row == row and e.column == column]
    assert matching, [str(e) for e in report.errors]
    assert fragment in matching[0].message, matching[0].message
    assert _counts() == (0, 0, 0, 0)


def test_a_product_of_an_unregistered_supplier(tmp_path):
    rows = _rows("products")
    rows[4]["supplier_uscc"] = "91510100MA0000001L"  # valid check digit, not in the bundle
    with translation.override("zh-hans"):
        report = bundle_load(_bundle(tmp_path, products=rows))
    _assert_rejected(report, file="products.csv", row=6, column="supplier_uscc", fragment="未注册")


def test_an_invalid_uscc_check_digit(tmp_path):
    rows = _rows("products")
    rows[0]["supplier_uscc"] = "91510114MA6RX1QQ3K"
    with translation.override("zh-hans"):
        report = bundle_load(_bundle(tmp_path, products=rows))
    _assert_rejected(report, file="products.csv", row=2, column="supplier_uscc", fragment="校验位")


def test_an_unknown_region(tmp_path):
    rows = _rows("procurement")
    rows[9]["delivery_region"] = "火星市"
    with translation.override("zh-hans"):
        report = bundle_load(_bundle(tmp_path, procurement=rows))
    _assert_rejected(
        report, file="procurement.csv", row=11, column="delivery_region", fragment="未知地区"
    )
    assert report.errors[0].value == "火星市"


def test_a_negative_quantity(tmp_path):
    rows = _rows("procurement")
    rows[2]["quantity"] = "-5"
    report = bundle_load(_bundle(tmp_path, procurement=rows))
    _assert_rejected(report, file="procurement.csv", row=4, column="quantity", fragment="0")


def test_a_bad_date(tmp_path):
    rows = _rows("procurement")
    rows[0]["delivery_date"] = "2027-02-30"
    with translation.override("zh-hans"):
        report = bundle_load(_bundle(tmp_path, procurement=rows))
    _assert_rejected(report, file="procurement.csv", row=2, column="delivery_date", fragment="日期")


def test_a_missing_required_column(tmp_path):
    rows = [{k: v for k, v in row.items() if k != "name"} for row in _rows("products")]
    with translation.override("zh-hans"):
        report = bundle_load(_bundle(tmp_path, products=rows))
    _assert_rejected(report, file="products.csv", row=None, column="产品名称", fragment="缺少")


def test_a_duplicate_ref_within_a_file(tmp_path):
    rows = _rows("products")
    rows[1]["ref"] = rows[0]["ref"]
    rows[1]["supplier_uscc"] = rows[0]["supplier_uscc"]
    with translation.override("zh-hans"):
        report = bundle_load(_bundle(tmp_path, products=rows))
    _assert_rejected(report, file="products.csv", row=3, column="ref", fragment="重复")


def test_three_bad_rows_among_many_are_all_named(tmp_path):
    rows = _rows("products")
    rows[10]["price_min"] = "abc"
    rows[20]["lead_time_days"] = "-3"
    rows[30]["service_regions"] = "乌托邦"
    report = bundle_load(_bundle(tmp_path, products=rows))
    assert [(e.row, e.column) for e in report.errors] == [
        (12, "price_min"),
        (22, "lead_time_days"),
        (32, "service_regions"),
    ]
    assert _counts() == (0, 0, 0, 0)


def test_skip_invalid_loads_the_good_rows_and_reports_the_bad(tmp_path):
    rows = _rows("products")
    rows[10]["price_min"] = "abc"
    report = bundle_load(_bundle(tmp_path, products=rows), skip_invalid=True)
    assert [(e.file, e.row) for e in report.errors] == [("products.csv", 12)]
    assert report.written
    assert Product.objects.count() == 250


def test_the_command_fails_clearly_and_writes_nothing(tmp_path):
    rows = _rows("procurement")
    rows[0]["quantity"] = "-1"
    with pytest.raises(CommandError, match="nothing was written"):
        call_command("load_bundle", str(_bundle(tmp_path, procurement=rows)), "--no-progress")
    assert _counts() == (0, 0, 0, 0)


# --- Hostile and wrong files --------------------------------------------------------------------


def _upload(content: bytes, name: str, **limits):
    org = OrganizationFactory(roles=["supplier"])
    return products_import(
        io.BytesIO(content),
        filename=name,
        supplier=org,
        by=None,
        limits=Limits(
            max_bytes=limits.get("max_bytes", 10_000_000), max_rows=limits.get("max_rows", 50_000)
        ),
    )


def _only_error(report) -> str:
    assert not report.written
    assert len(report.errors) == 1, [str(e) for e in report.errors]
    assert Product.objects.count() == 0
    return report.errors[0].message


def test_an_oversize_file_is_refused_before_reading():
    with translation.override("zh-hans"):
        message = _only_error(_upload(b"name\n" + b"x" * 2000, "big.csv", max_bytes=1000))
    assert "MB" in message


def test_too_many_rows_are_refused():
    content = ("name\n" + "".join(f"产品{i}\n" for i in range(20))).encode()
    report = _upload(content, "many.csv", max_rows=10)
    assert not report.written
    assert "10" in report.errors[-1].message


def test_a_zip_bomb_is_refused_before_parsing():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/workbook.xml", "<workbook/>")
        archive.writestr("xl/worksheets/sheet1.xml", b"\0" * (20 * 1024 * 1024))
    with translation.override("zh-hans"):
        message = _only_error(_upload(buffer.getvalue(), "bomb.xlsx"))
    assert "压缩炸弹" in message or "zip" in message.lower()


def test_a_macro_workbook_is_refused():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types>macroEnabled</Types>")
        archive.writestr("xl/workbook.xml", "<workbook/>")
        archive.writestr("xl/vbaProject.bin", b"VBA")
    message = _only_error(_upload(buffer.getvalue(), "list.xlsm"))
    assert ".xlsx" in message


def test_a_text_file_renamed_xlsx_is_refused():
    with translation.override("zh-hans"):
        message = _only_error(_upload("产品名称\n电缆\n".encode(), "catalogue.xlsx"))
    assert ".xlsx" in message


def test_a_binary_file_is_refused():
    message = _only_error(_upload(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "photo.csv"))
    assert "csv" in message.lower()


def test_an_old_xls_file_is_refused_with_advice():
    message = _only_error(_upload(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100, "old.xls"))
    assert ".xlsx" in message


# --- Real-world sheets -------------------------------------------------------------------------


def test_chinese_headers_units_dates_and_number_formats():
    org = OrganizationFactory(roles=["supplier"])
    content = (
        "编号,产品名称,规格型号,最低价（万元）,最高价（万元）,月产能,供货周期（天）,服务区域\n"
        'A-1,交联电力电缆,YJV 3×240,1.2,１．５,"10,000",７,德阳市；眉山\n'
    ).encode("gb18030")
    report = products_import(io.BytesIO(content), filename="目录.csv", supplier=org, by=None)
    assert report.ok, [str(e) for e in report.errors]
    product = Product.objects.get(supplier=org, ref="A-1")
    assert product.price_min == Decimal("12000.00")
    assert product.price_max == Decimal("15000.00")
    assert product.monthly_capacity == Decimal("10000")
    assert product.lead_time_days == 7
    assert sorted(product.service_regions.values_list("code", flat=True)) == ["510600", "511400"]
    assert product.status == Product.Status.DRAFT
    mapping = {c.header: (c.field, c.scale) for c in report.files[0].columns}
    assert mapping["最低价（万元）"] == ("price_min", 10_000)


@pytest.mark.parametrize(
    "text",
    [
        "2026-11-26",
        "2026/11/26",
        "2026年11月26日",
        "2026.11.26",
        "20261126",
        "２０２６－１１－２６",
    ],
)
def test_date_formats(text):
    from procurement.imports import parse_date

    assert parse_date(text) == datetime.date(2026, 11, 26)


def _buyer_sheet(path: Path) -> None:
    """A buyer's sheet as they send it: merged title, header on row 3, blanks, merged cells,"
    " 合计."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["中建某局2027年第一季度物资采购清单"])
    sheet.merge_cells("A1:H1")
    sheet.append([])
    sheet.append(
        ["序号", "物资名称", "规格型号", "单位", "数量", "预算金额（万元）", "交货地点", "备注"]
    )
    sheet.append(
        ["1", "电力电缆", "YJV22 8.7/15kV 3×240", "米", "1,200", "35.5", "德阳市", "含运输"]
    )
    sheet.append([None, None, None, None, None, None, None, None])
    sheet.append(["2", "消防水带", "DN65 25米", "盘", "480", "9.763", "成都市金牛区", "抽检"])
    sheet.append(["3", "镀锌钢管", "DN100", "米", "600", "12", None, "含运输"])
    sheet.merge_cells("G6:G7")  # one delivery place for two lines
    sheet.append(["合计", None, None, None, None, "57.263", None, None])
    workbook.save(path)


def test_a_buyers_own_sheet_becomes_one_draft_list_with_a_preview(tmp_path):
    buyer = OrganizationFactory(roles=["buyer"])
    path = tmp_path / "清单.xlsx"
    _buyer_sheet(path)
    with path.open("rb") as handle:
        report, plist = procurement_list_import(
            handle,
            filename=path.name,
            buyer=buyer,
            title="一季度物资",
            deadline=datetime.date(2027, 1, 10),
            by=None,
        )
    assert report.ok, [str(e) for e in report.errors]
    assert plist is not None and plist.status == ProcurementList.Status.DRAFT
    assert report.files[0].header_row == 3
    columns = {c.header: c.field for c in report.files[0].columns}
    assert columns["序号"] == "ref"
    assert columns["预算金额（万元）"] == "budget"
    assert columns["备注"] == "requirements"
    items = list(plist.items.order_by("line_no"))
    assert [i.name for i in items] == ["电力电缆", "消防水带", "镀锌钢管"]
    assert items[0].quantity == Decimal("1200")
    assert items[0].budget == Decimal("355000.00")
    assert items[1].budget == Decimal("97630.00")
    assert items[2].delivery_region_id == "510106"  # filled from the merged cell above
    assert [i.ref for i in items] == ["1", "2", "3"]


def test_a_buyers_sheet_with_bad_lines_is_refused_whole(tmp_path):
    buyer = OrganizationFactory(roles=["buyer"])
    content = "序号,物资名称,数量,交货时间\n1,电缆,-3,2027-01-01\n2,水泥,10,明天\n".encode()
    report, plist = procurement_list_import(
        io.BytesIO(content), filename="x.csv", buyer=buyer, title="t", deadline=None, by=None
    )
    assert plist is None
    assert [(e.row, e.column) for e in report.errors] == [(2, "数量"), (3, "交货时间")]
    assert not ProcurementList.objects.exists()


def test_formulas_are_read_as_their_values_never_as_formulas(tmp_path):
    from openpyxl import load_workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["编号", "产品名称", "规格型号", "最低价"])
    sheet.append(["F1", "电力电缆", '=HYPERLINK("http://evil.example","点击")', "=1+1"])
    path = tmp_path / "formulas.xlsx"
    workbook.save(path)
    assert load_workbook(path)["Sheet"]["C2"].value.startswith("=")  # a real formula cell
    org = OrganizationFactory(roles=["supplier"])
    with path.open("rb") as handle:
        report = products_import(handle, filename=path.name, supplier=org, by=None)
    assert report.ok, [str(e) for e in report.errors]
    product = Product.objects.get(supplier=org, ref="F1")
    # No cached value was saved by the writer: the formula text is never taken as data.
    assert product.specs == ""
    assert product.price_min is None
