"""Pages of the catalogue: a supplier uploads its catalogue spreadsheet."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from accounts.models import Role
from accounts.selectors import user_from_request
from procurement.forms import UploadForm
from procurement.imports import products_import


@login_required
@require_http_methods(["GET", "POST"])
def products_upload(request: HttpRequest) -> HttpResponse:
    user = user_from_request(request)
    form = UploadForm(request.POST or None, request.FILES or None, user=user, role=Role.SUPPLIER)
    if not form.fields["organization"].queryset.exists():  # type: ignore[attr-defined]
        return render(
            request, "procurement/no_organization.html", {"role": Role.SUPPLIER.label}, status=403
        )
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        report = products_import(
            upload.file,
            filename=upload.name,
            supplier=form.cleaned_data["organization"],
            by=user,
            skip_invalid=form.cleaned_data["skip_invalid"],
        )
        if report.written:
            messages.success(request, _("The catalogue was imported as drafts."))
        return render(
            request,
            "catalog/products_upload.html",
            {"report": report, "form": form},
            status=200 if report.written else 400,
        )
    return render(request, "catalog/products_upload.html", {"form": form})
