"""Shared rendering of an import report on a page."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


def render_report(
    request: HttpRequest, template: str, report: Any, *, status: int = 200, **context: Any
) -> HttpResponse:
    return render(request, template, {"report": report, **context}, status=status)
