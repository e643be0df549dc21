from __future__ import annotations

from typing import Any

from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render

from accounts.models import Organization


def home(request: HttpRequest) -> HttpResponse:
    """The programme's headline figures and the latest lists and opportunity batches."""
    from procurement.selectors import (
        opportunity_batch_visible_to,
        procurement_list_visible_to,
        programme_figures,
    )

    verified = Organization.objects.filter(verification_status=Organization.Verification.VERIFIED)
    viewer: Any = request.user
    context = {
        "supplier_count": verified.filter(roles__contains=["supplier"]).count(),
        "buyer_count": verified.filter(roles__contains=["buyer"]).count(),
        "figures": programme_figures(),
        "latest_lists": procurement_list_visible_to(user=viewer)
        .filter(published_at__isnull=False)
        .order_by("-published_at", "pk")[:5],
        "latest_batches": opportunity_batch_visible_to(user=viewer)
        .exclude(status="draft")
        .order_by("-published_at", "pk")[:5],
    }
    return render(request, "home.html", context)


def healthz(request: HttpRequest) -> JsonResponse:
    """Liveness of the data stores, for load balancers and docker compose."""
    from django.core.cache import cache

    checks: dict[str, str] = {}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        checks["database"] = "ok"
    except Exception as exc:
        checks["database"] = f"error: {exc.__class__.__name__}"
    try:
        cache.set("healthz", "ok", 5)
        checks["redis"] = "ok" if cache.get("healthz") == "ok" else "error"
    except Exception as exc:
        checks["redis"] = f"error: {exc.__class__.__name__}"
    healthy = all(value == "ok" for value in checks.values())
    return JsonResponse(checks, status=200 if healthy else 503)
