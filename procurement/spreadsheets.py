"""Reading spreadsheets safely: CSV and .xlsx, as buyers really send them.

This module knows about files, not about products or lists: it checks a file
before parsing it (size, type, zip bombs, macros), reads rows in streaming
mode, fills merged cells, and finds the header row under any title rows.
``procurement.imports`` maps the columns to fields and validates the values.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import unicodedata
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any
from xml.etree.ElementTree import iterparse

from django.utils.translation import gettext as _

# A legitimate spreadsheet compresses 5–20×; a zip bomb, thousands of times.
MAX_COMPRESSION_RATIO = 200
XLSX_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # legacy .xls / .doc


class SpreadsheetError(Exception):
    """A file we refuse to read, with a message for the person who sent it."""


@dataclass(frozen=True)
class Limits:
    max_bytes: int | None
    max_rows: int | None
    max_unpacked_bytes: int = 512 * 1024 * 1024


@dataclass
class Table:
    """Rows of one sheet; ``rows`` yields (spreadsheet row number, cell values)."""

    name: str
    rows: Iterator[tuple[int, list[Any]]]
    close: Any = None
    warnings: list[str] = field(default_factory=list)


def normalise_text(value: Any) -> str:
    """Full-width to half-width, trimmed; what every comparison of cell text uses."""
    if value is None:
        return ""
    return unicodedata.normalize("NFKC", str(value)).strip()


# --- Opening ---------------------------------------------------------------------------


def _size_of(handle: IO[bytes]) -> int:
    position = handle.tell()
    handle.seek(0, io.SEEK_END)
    size = handle.tell()
    handle.seek(position)
    return size


def open_table(
    handle: IO[bytes], *, filename: str, limits: Limits, sheet: str | None = None
) -> Table:
    """Check and open a CSV or .xlsx file; raise ``SpreadsheetError`` with a clear message."""
    size = _size_of(handle)
    if limits.max_bytes is not None and size > limits.max_bytes:
        raise SpreadsheetError(
            _("%(name)s is %(size).1f MB; the limit is %(limit).1f MB.")
            % {"name": filename, "size": size / 1e6, "limit": limits.max_bytes / 1e6}
        )
    if size == 0:
        raise SpreadsheetError(_("%(name)s is empty.") % {"name": filename})
    head = handle.read(8)
    handle.seek(0)
    suffix = Path(filename).suffix.lower()
    if head.startswith(XLSX_MAGIC):
        return _open_xlsx(handle, filename=filename, limits=limits, sheet=sheet)
    if head.startswith(OLE_MAGIC):
        raise SpreadsheetError(
            _("%(name)s is an old Excel 97–2003 (.xls) file: save it as .xlsx and upload it again.")
            % {"name": filename}
        )
    if suffix in {".xlsx", ".xlsm", ".xls"}:
        raise SpreadsheetError(
            _(
                "%(name)s is not a real Excel file (it was probably renamed): save it as .xlsx"
                " or .csv."
            )
            % {"name": filename}
        )
    return _open_csv(handle, filename=filename)


def _open_csv(handle: IO[bytes], *, filename: str) -> Table:
    sample = handle.read(64 * 1024)
    handle.seek(0)
    if b"\x00" in sample:
        raise SpreadsheetError(
            _("%(name)s is not a spreadsheet: upload an .xlsx or a .csv file.") % {"name": filename}
        )
    # Excel on Chinese Windows saves CSV as GB18030; everything else is UTF-8 (maybe with a BOM).
    encoding = "utf-8-sig"
    try:
        codecs.getincrementaldecoder("utf-8-sig")().decode(sample, final=False)
    except UnicodeDecodeError:
        encoding = "gb18030"
    text = io.TextIOWrapper(handle, encoding=encoding, newline="", errors="strict")

    def rows() -> Iterator[tuple[int, list[Any]]]:
        try:
            for number, row in enumerate(csv.reader(text), start=1):
                yield number, list(row)
        except UnicodeDecodeError:
            raise SpreadsheetError(
                _("%(name)s is neither UTF-8 nor GB18030 text: save it as CSV UTF-8 or as .xlsx.")
                % {"name": filename}
            ) from None
        except csv.Error as exc:
            raise SpreadsheetError(
                _("%(name)s could not be read as CSV: %(error)s") % {"name": filename, "error": exc}
            ) from None

    return Table(name=Path(filename).stem, rows=rows(), close=text.detach)


def _check_zip(archive: zipfile.ZipFile, *, filename: str, limits: Limits) -> None:
    names = set(archive.namelist())
    if "[Content_Types].xml" not in names or "xl/workbook.xml" not in names:
        raise SpreadsheetError(
            _("%(name)s is a zip archive but not an Excel workbook.") % {"name": filename}
        )
    content_types = archive.read("[Content_Types].xml")
    if "xl/vbaProject.bin" in names or b"macroEnabled" in content_types:
        raise SpreadsheetError(
            _(
                "%(name)s is a macro-enabled workbook (.xlsm); macros are not accepted."
                " Save it as .xlsx (Excel workbook) and upload it again."
            )
            % {"name": filename}
        )
    unpacked = 0
    for info in archive.infolist():
        unpacked += info.file_size
        ratio = info.file_size / max(info.compress_size, 1)
        if ratio > MAX_COMPRESSION_RATIO and info.file_size > 1024 * 1024:
            raise SpreadsheetError(
                _(
                    "%(name)s looks like a zip bomb (a part expands %(ratio)d times); it was"
                    " not read."
                )
                % {"name": filename, "ratio": ratio}
            )
    if unpacked > limits.max_unpacked_bytes:
        raise SpreadsheetError(
            _(
                "%(name)s would unpack to %(size)d MB, more than the %(limit)d MB allowed; it"
                " was not read."
            )
            % {
                "name": filename,
                "size": unpacked // (1024 * 1024),
                "limit": limits.max_unpacked_bytes // (1024 * 1024),
            }
        )


def _merged_ranges(archive: zipfile.ZipFile, sheet_path: str) -> list[tuple[int, int, int, int]]:
    """(min_row, max_row, min_col, max_col) of every merged range, read by streaming the XML.

    openpyxl's read-only mode does not report merged cells, and loading the
    sheet fully would defeat streaming; the ``mergeCell`` elements are all we need.
    """
    from openpyxl.utils.cell import range_boundaries

    ranges = []
    with archive.open(sheet_path) as xml:
        for _event, element in iterparse(xml, events=("end",)):  # noqa: S314 - size checked above
            tag = element.tag.rsplit("}", 1)[-1]
            if tag == "mergeCell":
                min_col, min_row, max_col, max_row = range_boundaries(element.attrib["ref"])
                ranges.append((min_row, max_row, min_col, max_col))
            if tag in {"row", "c", "v", "f", "is", "t"}:
                element.clear()
    return ranges


def _sheet_path(archive: zipfile.ZipFile, title: str) -> str | None:
    """The worksheet XML path of a sheet title (via the workbook and its relationships)."""
    ns = {
        "m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main",
        "r": "http://schemas.openxmlformats.org/officeDocument/2006/relationships",
    }
    from xml.etree import ElementTree

    workbook = ElementTree.fromstring(archive.read("xl/workbook.xml"))  # noqa: S314
    rels = ElementTree.fromstring(archive.read("xl/_rels/workbook.xml.rels"))  # noqa: S314
    targets = {rel.attrib["Id"]: rel.attrib["Target"] for rel in rels}
    for sheet in workbook.iterfind("m:sheets/m:sheet", ns):
        if sheet.attrib.get("name") == title:
            target = targets.get(sheet.attrib[f"{{{ns['r']}}}id"], "")
            target = target.lstrip("/")
            return target if target.startswith("xl/") else f"xl/{target}"
    return None


def _open_xlsx(handle: IO[bytes], *, filename: str, limits: Limits, sheet: str | None) -> Table:
    import openpyxl

    try:
        archive = zipfile.ZipFile(handle)
    except zipfile.BadZipFile:
        raise SpreadsheetError(
            _("%(name)s is damaged: it could not be opened as an Excel file.") % {"name": filename}
        ) from None
    _check_zip(archive, filename=filename, limits=limits)
    handle.seek(0)
    try:
        workbook = openpyxl.load_workbook(handle, read_only=True, data_only=True)
    except Exception:
        raise SpreadsheetError(
            _("%(name)s is damaged: it could not be opened as an Excel file.") % {"name": filename}
        ) from None
    if sheet is not None:
        if sheet not in workbook.sheetnames:
            workbook.close()
            raise SpreadsheetError(
                _("%(name)s has no sheet named %(sheet)s.") % {"name": filename, "sheet": sheet}
            )
        worksheet = workbook[sheet]
    else:
        worksheet = workbook.worksheets[0]
    path = _sheet_path(archive, worksheet.title)
    merged = _merged_ranges(archive, path) if path and path in archive.namelist() else []

    def rows() -> Iterator[tuple[int, list[Any]]]:
        # Top-left values of merged ranges, copied into every cell of the range.
        carried: dict[tuple[int, int], Any] = {}
        by_start: dict[int, list[tuple[int, int, int, int]]] = {}
        for rng in merged:
            by_start.setdefault(rng[0], []).append(rng)
        active: list[tuple[int, int, int, int]] = []
        for number, row in enumerate(worksheet.iter_rows(values_only=True), start=1):
            values = list(row)
            active = [r for r in active if r[1] >= number] + by_start.get(number, [])
            for min_row, _max_row, min_col, max_col in active:
                while len(values) < max_col:
                    values.append(None)
                if number == min_row:
                    carried[(min_row, min_col)] = values[min_col - 1]
                top_left = carried.get((min_row, min_col))
                for col in range(min_col, max_col + 1):
                    values[col - 1] = top_left
            yield number, values

    return Table(name=worksheet.title, rows=rows(), close=workbook.close)


def xlsx_sheet_names(handle: IO[bytes]) -> list[str]:
    import openpyxl

    workbook = openpyxl.load_workbook(handle, read_only=True)
    try:
        return list(workbook.sheetnames)
    finally:
        workbook.close()
        handle.seek(0)


# --- Finding the header ------------------------------------------------------------------

_PARENTHESES = re.compile(r"[(\[（【].*?[)\]）】]")


def header_key(text: Any) -> str:
    """A header cell reduced for matching: no units in brackets, no spaces, lower case."""
    value = normalise_text(text)
    value = _PARENTHESES.sub("", value)
    return re.sub(r"[\s*:：]", "", value).lower()


def header_unit_scale(text: Any) -> int:
    """10⁴ for a header that says 万元, 10⁸ for 亿元, else 1."""
    value = normalise_text(text)
    if "亿元" in value:
        return 100_000_000
    if "万元" in value:
        return 10_000
    return 1


def is_blank(values: list[Any]) -> bool:
    return all(normalise_text(v) == "" for v in values)


TOTAL_MARKERS = ("合计", "总计", "小计", "total")


def is_total_row(values: list[Any]) -> bool:
    """A 合计 line at the bottom of a buyer's sheet: a total marker in the first cells."""
    texts = [normalise_text(v).replace(" ", "").lower() for v in values[:3]]
    return any(text in TOTAL_MARKERS or text.startswith(("合计", "总计")) for text in texts if text)
