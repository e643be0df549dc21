"""Spreadsheet export (.xlsx and .csv), safe to open in Excel."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from typing import Any

from django.http import HttpResponse

# A cell starting with one of these is read by Excel as a formula (CSV/formula injection).
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: Any) -> Any:
    """Text that Excel would evaluate gets a leading apostrophe; numbers stay numbers."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def _cells(row: Sequence[Any]) -> list[Any]:
    out = []
    for value in row:
        if isinstance(value, list | tuple):
            value = ";".join(str(v) for v in value)
        out.append(neutralise(value))
    return out


def export_response(
    *, filename: str, headers: Sequence[str], rows: Iterable[Sequence[Any]], fmt: str
) -> HttpResponse:
    if fmt == "csv":
        buffer = io.StringIO()
        buffer.write("\ufeff")  # Excel needs the BOM to read UTF-8 Chinese
        writer = csv.writer(buffer)
        writer.writerow(_cells(headers))
        for row in rows:
            writer.writerow(_cells(row))
        response = HttpResponse(buffer.getvalue(), content_type="text/csv; charset=utf-8")
    else:
        from openpyxl import Workbook

        workbook = Workbook(write_only=True)
        sheet = workbook.create_sheet(filename[:31])
        sheet.append(_cells(headers))
        for row in rows:
            sheet.append(_cells(row))
        buffer_bytes = io.BytesIO()
        workbook.save(buffer_bytes)
        response = HttpResponse(
            buffer_bytes.getvalue(),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
        fmt = "xlsx"
    response["Content-Disposition"] = f'attachment; filename="{filename}.{fmt}"'
    return response
