"""Pages of the catalogue: a supplier's products, typed in or uploaded as a spreadsheet."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.models import Role
from accounts.selectors import user_from_request
from config.pages import organizations_with_role, paginate
from procurement.forms import UploadForm
from procurement.imports import products_import

from . import services
from .forms import ProductForm
from .models import Product


def _no_organization(request: HttpRequest) -> HttpResponse:
    return render(
        request, "procurement/no_organization.html", {"role": Role.SUPPLIER.label}, status=403
    )


def _apply_errors(form: Any, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


def _my_products(request: HttpRequest) -> Any:
    user = user_from_request(request)
    return Product.objects.filter(supplier__memberships__user=user).select_related(
        "supplier", "category"
    )


def _own_product(request: HttpRequest, pk: int) -> Product:
    """A product of one of the user's organizations; anyone else's is a 404."""
    return get_object_or_404(_my_products(request), pk=pk)


@login_required
@require_GET
def products_mine(request: HttpRequest) -> HttpResponse:
    user = user_from_request(request)
    if not organizations_with_role(user, Role.SUPPLIER).exists():
        return _no_organization(request)
    qs = _my_products(request)
    status = request.GET.get("status", "")
    if status in Product.Status.values:
        qs = qs.filter(status=status)
    return render(
        request,
        "catalog/products_mine.html",
        {
            "page_obj": paginate(request, qs.order_by("-updated_at", "pk")),
            "status": status,
            "statuses": Product.Status.choices,
        },
    )


def _fields(form: ProductForm) -> tuple[dict[str, Any], Any]:
    data = dict(form.cleaned_data)
    data.pop("supplier", None)
    regions = data.pop("service_regions")
    return data, regions


@login_required
@require_http_methods(["GET", "POST"])
def product_create(request: HttpRequest) -> HttpResponse:
    user = user_from_request(request)
    if not organizations_with_role(user, Role.SUPPLIER).exists():
        return _no_organization(request)
    form = ProductForm(request.POST or None, user=user)
    if request.method == "POST" and form.is_valid():
        fields, regions = _fields(form)
        try:
            product = services.product_create(
                supplier=form.cleaned_data["supplier"], by=user, service_regions=regions, **fields
            )
        except ValidationError as exc:
            _apply_errors(form, exc)
        except PermissionDenied as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("The product is saved as a draft. Publish it when ready."))
            return redirect("catalog:product-edit", pk=product.pk)
    return render(
        request,
        "catalog/product_form.html",
        {"form": form, "product": None},
        status=400 if form.errors else 200,
    )


@login_required
@require_http_methods(["GET", "POST"])
def product_edit(request: HttpRequest, pk: int) -> HttpResponse:
    user = user_from_request(request)
    product = _own_product(request, pk)
    form = ProductForm(request.POST or None, user=user, product=product)
    if request.method == "POST" and form.is_valid():
        fields, regions = _fields(form)
        if not fields.get("ref"):
            fields.pop("ref")
        try:
            services.product_update(product=product, by=user, service_regions=regions, **fields)
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, _("The product is saved."))
            return redirect("catalog:product-edit", pk=product.pk)
    return render(
        request,
        "catalog/product_form.html",
        {"form": form, "product": product},
        status=400 if form.errors else 200,
    )


@login_required
@require_POST
def product_publish(request: HttpRequest, pk: int) -> HttpResponse:
    product = _own_product(request, pk)
    try:
        services.product_publish(product=product, by=user_from_request(request))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("%(name)s is published.") % {"name": product.name})
    if request.POST.get("back") == "edit":
        return redirect("catalog:product-edit", pk=product.pk)
    return redirect("catalog:products")


@login_required
@require_POST
def product_archive(request: HttpRequest, pk: int) -> HttpResponse:
    product = _own_product(request, pk)
    services.product_archive(product=product, by=user_from_request(request))
    messages.success(request, _("%(name)s is archived.") % {"name": product.name})
    return redirect("catalog:products")


@login_required
@require_http_methods(["GET", "POST"])
def products_upload(request: HttpRequest) -> HttpResponse:
    user = user_from_request(request)
    form = UploadForm(request.POST or None, request.FILES or None, user=user, role=Role.SUPPLIER)
    if not form.fields["organization"].queryset.exists():  # type: ignore[attr-defined]
        return _no_organization(request)
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
    return render(
        request,
        "catalog/products_upload.html",
        {"form": form},
        status=400 if form.errors else 200,
    )
