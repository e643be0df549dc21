"""Pages of procurement: a buyer uploads a sheet, previews how it was read, and publishes."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from accounts.models import Role
from accounts.selectors import membership_get, user_from_request

from . import services
from .forms import ListUploadForm
from .imports import procurement_list_import
from .models import ProcurementList
from .selectors import procurement_list_visible_to


@login_required
@require_http_methods(["GET", "POST"])
def list_upload(request: HttpRequest) -> HttpResponse:
    user = user_from_request(request)
    form = ListUploadForm(request.POST or None, request.FILES or None, user=user)
    if not form.fields["organization"].queryset.exists():  # type: ignore[attr-defined]
        return render(
            request, "procurement/no_organization.html", {"role": Role.BUYER.label}, status=403
        )
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        report, plist = procurement_list_import(
            upload.file,
            filename=upload.name,
            buyer=form.cleaned_data["organization"],
            title=form.cleaned_data["title"],
            deadline=form.cleaned_data["deadline"],
            description=form.cleaned_data["description"],
            by=user,
            skip_invalid=form.cleaned_data["skip_invalid"],
        )
        if plist is not None:
            messages.success(request, _("The sheet was read. Check the preview, then publish."))
            return render(
                request, "procurement/list_preview.html", {"report": report, "plist": plist}
            )
        return render(
            request, "procurement/list_upload.html", {"report": report, "form": form}, status=400
        )
    return render(request, "procurement/list_upload.html", {"form": form})


def _own_list(request: HttpRequest, pk: int) -> ProcurementList:
    user = user_from_request(request)
    plist = get_object_or_404(procurement_list_visible_to(user=user), pk=pk)
    if membership_get(user=user, organization=plist.buyer) is None:
        raise Http404
    return plist


@login_required
def list_preview(request: HttpRequest, pk: int) -> HttpResponse:
    plist = _own_list(request, pk)
    return render(request, "procurement/list_preview.html", {"plist": plist, "report": None})


@login_required
@require_POST
def list_publish(request: HttpRequest, pk: int) -> HttpResponse:
    plist = _own_list(request, pk)
    try:
        services.procurement_list_publish(plist=plist, by=user_from_request(request))
    except (ValidationError, PermissionDenied) as exc:
        messages.error(request, " ".join(getattr(exc, "messages", [str(exc)])))
        return redirect("procurement:list-preview", pk=plist.pk)
    messages.success(request, _("The list is published."))
    return redirect("procurement:list-preview", pk=plist.pk)
