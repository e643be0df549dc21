"""Pages of procurement.

Buyers upload a sheet (or fill a form), preview how it was read and publish;
everyone browses published lists and opportunities; operators publish
opportunity batches.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.models import Role
from accounts.selectors import membership_get, user_from_request, user_is_operator
from config.pages import operator_or_403, organizations_with_role, paginate, viewer

from . import services
from .forms import (
    BatchForm,
    BrowseForm,
    ItemForm,
    ItemFormSet,
    ListForm,
    ListUploadForm,
    OpportunityBrowseForm,
    OpportunityForm,
)
from .imports import procurement_list_import
from .models import OpportunityBatch, ProcurementItem, ProcurementList
from .selectors import (
    opportunity_batch_visible_to,
    opportunity_browse,
    opportunity_visible_to,
    procurement_list_browse,
    procurement_list_visible_to,
)

WAN = Decimal(10_000)


def _messages_of(exc: ValidationError | PermissionDenied) -> str:
    return " ".join(getattr(exc, "messages", None) or [str(exc)])


def _apply_errors(form: Any, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


def _no_organization(request: HttpRequest, role: Any) -> HttpResponse:
    return render(request, "procurement/no_organization.html", {"role": role.label}, status=403)


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
            plist = procurement_list_visible_to(user=user).get(pk=plist.pk)  # with its totals
            lines = plist.items.select_related(
                "category", "delivery_region", "delivery_region__parent"
            ).order_by("line_no", "pk")
            return render(
                request,
                "procurement/list_preview.html",
                {
                    "report": report,
                    "plist": plist,
                    "is_owner": True,
                    "page_obj": paginate(request, lines, per_page=50),
                },
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


@require_GET
def list_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """A list and its lines: public once published; a draft only for its buyer's members."""
    user = viewer(request)
    plist = get_object_or_404(procurement_list_visible_to(user=user), pk=pk)
    is_owner = user.is_authenticated and membership_get(user=user, organization=plist.buyer)
    lines = plist.items.select_related(
        "category", "delivery_region", "delivery_region__parent"
    ).order_by("line_no", "pk")
    if not is_owner:
        lines = lines.exclude(status=ProcurementItem.Status.CANCELLED)
    return render(
        request,
        "procurement/list_preview.html",
        {
            "plist": plist,
            "report": None,
            "is_owner": bool(is_owner),
            "page_obj": paginate(request, lines, per_page=50),
            "line_form": ItemForm(prefix="line") if is_owner else None,
        },
    )


@login_required
@require_POST
def list_add_line(request: HttpRequest, pk: int) -> HttpResponse:
    """One more line, typed on the list's page (drafts and published lists)."""
    plist = _own_list(request, pk)
    user = user_from_request(request)
    form = ItemForm(request.POST, prefix="line")
    if form.is_valid():
        data = {k: v for k, v in form.cleaned_data.items() if v not in (None, "")}
        budget = data.pop("budget_wan", None)
        if budget is not None:
            data["budget"] = budget * WAN
        try:
            services.procurement_item_add(plist=plist, by=user, **data)
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, _("The line is added."))
            return redirect("procurement:list-detail", pk=plist.pk)
    lines = plist.items.select_related(
        "category", "delivery_region", "delivery_region__parent"
    ).order_by("line_no", "pk")
    return render(
        request,
        "procurement/list_preview.html",
        {
            "plist": plist,
            "report": None,
            "is_owner": True,
            "page_obj": paginate(request, lines, per_page=50),
            "line_form": form,
        },
        status=400,
    )


@login_required
@require_POST
def list_publish(request: HttpRequest, pk: int) -> HttpResponse:
    plist = _own_list(request, pk)
    try:
        services.procurement_list_publish(plist=plist, by=user_from_request(request))
    except (ValidationError, PermissionDenied) as exc:
        messages.error(request, " ".join(getattr(exc, "messages", [str(exc)])))
        return redirect("procurement:list-detail", pk=plist.pk)
    messages.success(request, _("The list is published."))
    return redirect("procurement:list-detail", pk=plist.pk)


@login_required
@require_POST
def list_close(request: HttpRequest, pk: int) -> HttpResponse:
    """The buyer stops taking offers (published list) or withdraws it (``cancel``)."""
    plist = _own_list(request, pk)
    user = user_from_request(request)
    cancel = request.POST.get("action") == "cancel"
    try:
        if cancel:
            services.procurement_list_cancel(plist=plist, by=user)
        else:
            services.procurement_list_close(plist=plist, by=user)
    except (ValidationError, PermissionDenied) as exc:
        messages.error(request, _messages_of(exc))
    else:
        messages.success(
            request, _("The list is cancelled.") if cancel else _("The list is closed.")
        )
    return redirect("procurement:list-detail", pk=plist.pk)


@login_required
@require_http_methods(["GET", "POST"])
def list_create(request: HttpRequest) -> HttpResponse:
    """A list typed in the browser: its heading and up to a few lines, saved as a draft."""
    user = user_from_request(request)
    if not organizations_with_role(user, Role.BUYER).exists():
        return _no_organization(request, Role.BUYER)
    form = ListForm(request.POST or None, user=user)
    formset = ItemFormSet(request.POST or None, prefix="lines")
    if request.method == "POST" and form.is_valid() and formset.is_valid():
        lines = [f.cleaned_data for f in formset.forms if f.has_changed() and f.cleaned_data]
        if not lines:
            form.add_error(None, _("Add at least one line."))
        else:
            try:
                with transaction.atomic():
                    plist = services.procurement_list_create(
                        buyer=form.cleaned_data["organization"],
                        by=user,
                        title=form.cleaned_data["title"],
                        deadline=form.cleaned_data["deadline"],
                        description=form.cleaned_data["description"],
                    )
                    for number, line in enumerate(lines, start=1):
                        budget = line.pop("budget_wan")
                        services.procurement_item_add(
                            plist=plist,
                            by=user,
                            line_no=number,
                            budget=None if budget is None else budget * WAN,
                            **{k: v for k, v in line.items() if v not in (None, "")},
                        )
            except ValidationError as exc:
                _apply_errors(form, exc)
            except PermissionDenied as exc:
                form.add_error(None, _messages_of(exc))
            else:
                messages.success(
                    request, _("The list is saved as a draft. Check it, then publish.")
                )
                return redirect("procurement:list-detail", pk=plist.pk)
    status = 400 if request.method == "POST" else 200
    return render(
        request, "procurement/list_form.html", {"form": form, "formset": formset}, status=status
    )


@login_required
@require_GET
def lists_mine(request: HttpRequest) -> HttpResponse:
    """The lists of the buyers the user belongs to, drafts included."""
    user = user_from_request(request)
    orgs = organizations_with_role(user, Role.BUYER)
    if not orgs.exists():
        return _no_organization(request, Role.BUYER)
    qs = procurement_list_visible_to(user=user).filter(buyer__in=orgs)
    status = request.GET.get("status", "")
    if status in ProcurementList.Status.values:
        qs = qs.filter(status=status)
    return render(
        request,
        "procurement/lists_mine.html",
        {
            "page_obj": paginate(request, qs.order_by("-created_at", "pk")),
            "status": status,
            "statuses": ProcurementList.Status.choices,
        },
    )


@require_GET
def lists_browse(request: HttpRequest) -> HttpResponse:
    form = BrowseForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    qs = procurement_list_browse(user=viewer(request), filters=filters)
    return render(
        request,
        "procurement/lists_browse.html",
        {"form": form, "page_obj": paginate(request, qs), "filtered": bool(filters)},
        status=400 if form.errors else 200,
    )


@require_GET
def opportunities_browse(request: HttpRequest) -> HttpResponse:
    form = OpportunityBrowseForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    qs = opportunity_browse(user=viewer(request), filters=filters)
    batches = opportunity_batch_visible_to(user=viewer(request)).order_by(
        "-published_at", "-created_at"
    )[:5]
    return render(
        request,
        "procurement/opportunities_browse.html",
        {
            "form": form,
            "page_obj": paginate(request, qs),
            "filtered": bool(filters),
            "batches": batches,
        },
        status=400 if form.errors else 200,
    )


@require_GET
def opportunity_detail(request: HttpRequest, pk: int) -> HttpResponse:
    opportunity = get_object_or_404(
        opportunity_visible_to(user=viewer(request)),
        pk=pk,
    )
    return render(request, "procurement/opportunity_detail.html", {"opportunity": opportunity})


@require_GET
def batch_detail(request: HttpRequest, pk: int) -> HttpResponse:
    batch = get_object_or_404(
        opportunity_batch_visible_to(user=viewer(request)),
        pk=pk,
    )
    opportunities = opportunity_visible_to(user=viewer(request)).filter(batch=batch)
    form = OpportunityForm() if user_is_operator(user=viewer(request)) else None
    return render(
        request,
        "procurement/batch_detail.html",
        {"batch": batch, "page_obj": paginate(request, opportunities), "form": form},
    )


# --- Operators: opportunity batches -------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def batches_manage(request: HttpRequest) -> HttpResponse:
    """Every batch, drafts first, and a form to start a new one."""
    user = operator_or_403(request)
    form = BatchForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            batch = services.opportunity_batch_create(by=user, **form.cleaned_data)
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, _("The batch is created. Add its opportunities."))
            return redirect("procurement:batch-detail", pk=batch.pk)
    batches = opportunity_batch_visible_to(user=user).order_by("-created_at", "pk")
    return render(
        request,
        "procurement/batches_manage.html",
        {"form": form, "page_obj": paginate(request, batches)},
        status=400 if form.errors else 200,
    )


@login_required
@require_POST
def batch_add_opportunity(request: HttpRequest, pk: int) -> HttpResponse:
    user = operator_or_403(request)
    batch = get_object_or_404(OpportunityBatch, pk=pk)
    form = OpportunityForm(request.POST)
    if form.is_valid():
        data = dict(form.cleaned_data)
        amount = data.pop("amount_wan")
        data["amount"] = None if amount is None else amount * WAN
        try:
            services.opportunity_create(batch=batch, by=user, **data)
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, _("The opportunity is added."))
            return redirect("procurement:batch-detail", pk=batch.pk)
    opportunities = opportunity_visible_to(user=user).filter(batch=batch)
    return render(
        request,
        "procurement/batch_detail.html",
        {"batch": batch, "page_obj": paginate(request, opportunities), "form": form},
        status=400,
    )


@login_required
@require_POST
def batch_publish(request: HttpRequest, pk: int) -> HttpResponse:
    user = operator_or_403(request)
    batch = get_object_or_404(OpportunityBatch, pk=pk)
    try:
        services.opportunity_batch_publish(batch=batch, by=user)
    except ValidationError as exc:
        messages.error(request, _messages_of(exc))
    else:
        messages.success(request, _("The batch is published."))
    return redirect("procurement:batch-detail", pk=batch.pk)
