"""Writes of the catalogue: suppliers' products."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Organization, Role, User
from accounts.selectors import membership_get

from .models import Product, Region


def _rematch(product: Product) -> None:
    from matching.queue import queue_matching

    queue_matching(kind="product", ids=[product.pk])


PRODUCT_FIELDS = (
    "ref",
    "name",
    "category",
    "description",
    "specs",
    "certifications",
    "price_min",
    "price_max",
    "unit",
    "monthly_capacity",
    "lead_time_days",
)


def ensure_member(*, user: User, organization: Organization) -> None:
    """Only members of an organization change its rows."""
    if membership_get(user=user, organization=organization) is None:
        raise PermissionDenied(
            _("Only members of %(org)s can do this.") % {"org": organization.name}
        )


def ensure_can_publish(*, organization: Organization) -> None:
    if not organization.is_verified:
        raise ValidationError(
            _(
                "%(org)s is not verified yet: only verified organizations can publish."
                " The programme office reviews new organizations."
            )
            % {"org": organization.name},
            code="unverified",
        )


def _clean(fields: dict[str, Any]) -> dict[str, Any]:
    unknown = set(fields) - set(PRODUCT_FIELDS) - {"service_regions"}
    if unknown:
        raise ValidationError({name: _("This field cannot be set.") for name in unknown})
    if "name" in fields and not str(fields["name"]).strip():
        raise ValidationError({"name": _("The product needs a name.")})
    low, high = fields.get("price_min"), fields.get("price_max")
    if low is not None and high is not None and low > high:
        raise ValidationError({"price_max": _("The highest price is below the lowest price.")})
    for name in ("price_min", "price_max", "monthly_capacity"):
        if fields.get(name) is not None and fields[name] < 0:
            raise ValidationError({name: _("Must not be negative.")})
    return fields


def product_create(
    *, supplier: Organization, by: User, service_regions: Iterable[Region] = (), **fields: Any
) -> Product:
    ensure_member(user=by, organization=supplier)
    if Role.SUPPLIER not in supplier.roles:
        raise ValidationError(
            _("%(org)s is not registered as a supplier.") % {"org": supplier.name},
            code="not_supplier",
        )
    fields = _clean(fields)
    if fields.get("ref") and Product.objects.filter(supplier=supplier, ref=fields["ref"]).exists():
        raise ValidationError({"ref": _("Another product of yours already uses this reference.")})
    if not fields.get("ref"):
        fields.pop("ref", None)
    with transaction.atomic():
        product = Product.objects.create(supplier=supplier, **fields)
        product.service_regions.set(list(service_regions))
    return product


def product_update(
    *, product: Product, by: User, service_regions: Iterable[Region] | None = None, **fields: Any
) -> Product:
    ensure_member(user=by, organization=product.supplier)
    if product.status == Product.Status.ARCHIVED:
        raise ValidationError(_("An archived product cannot be edited."), code="archived")
    merged = {
        "price_min": product.price_min,
        "price_max": product.price_max,
        **fields,
    }
    _clean(merged)
    if "ref" in fields and (
        Product.objects.filter(supplier=product.supplier, ref=fields["ref"])
        .exclude(pk=product.pk)
        .exists()
    ):
        raise ValidationError({"ref": _("Another product of yours already uses this reference.")})
    with transaction.atomic():
        for name, value in fields.items():
            setattr(product, name, value)
        product.save()
        if service_regions is not None:
            product.service_regions.set(list(service_regions))
        if product.status == Product.Status.PUBLISHED:
            _rematch(product)
    return product


def product_publish(*, product: Product, by: User) -> Product:
    ensure_member(user=by, organization=product.supplier)
    ensure_can_publish(organization=product.supplier)
    if product.status != Product.Status.PUBLISHED:
        with transaction.atomic():
            product.status = Product.Status.PUBLISHED
            product.published_at = timezone.now()
            product.save(update_fields=["status", "published_at", "updated_at"])
            _rematch(product)
    return product


def product_archive(*, product: Product, by: User) -> Product:
    ensure_member(user=by, organization=product.supplier)
    if product.status != Product.Status.ARCHIVED:
        with transaction.atomic():
            product.status = Product.Status.ARCHIVED
            product.save(update_fields=["status", "updated_at"])
            _rematch(product)  # an archived offer retires its matches
    return product
