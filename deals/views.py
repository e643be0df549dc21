"""Pages of the deal workflow: the operator dashboard and its downloads."""

from __future__ import annotations

import json

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from config.pages import operator_or_403

from .charts import bar_chart
from .exports import ocds_release_package, stats_workbook
from .stats import programme_stats


@login_required
@require_GET
def dashboard(request: HttpRequest) -> HttpResponse:
    """The programme's figures for the office that runs it: tables and bar charts."""
    operator_or_403(request)
    report = programme_stats()
    sections = [
        {
            "table": table,
            "chart": bar_chart(table),
            "rows": [
                [
                    {"value": value, "kind": column.kind}
                    for column, value in zip(table.columns, cells, strict=True)
                ]
                for cells in table.cells()
            ],
        }
        for table in report.tables
    ]
    # The funnel's rows: matches, notified, viewed, interested, shortlisted, deals.
    stages = report.table("funnel").rows
    headline = {
        "matches": stages[0]["count"],
        "interested": stages[3]["count"],
        "deals": stages[-1]["count"],
        "signed": stages[-1]["amount"],
    }
    return render(
        request,
        "deals/dashboard.html",
        {"report": report, "sections": sections, "headline": headline},
    )


@login_required
@require_GET
def dashboard_xlsx(request: HttpRequest) -> HttpResponse:
    operator_or_403(request)
    response = HttpResponse(
        stats_workbook(programme_stats()),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    stamp = timezone.localdate().isoformat()
    response["Content-Disposition"] = f'attachment; filename="duijie-figures-{stamp}.xlsx"'
    return response


@login_required
@require_GET
def dashboard_ocds(request: HttpRequest) -> HttpResponse:
    operator_or_403(request)
    package = ocds_release_package()
    response = HttpResponse(
        json.dumps(package, ensure_ascii=False, indent=1), content_type="application/json"
    )
    stamp = timezone.localdate().isoformat()
    response["Content-Disposition"] = f'attachment; filename="duijie-ocds-{stamp}.json"'
    return response
