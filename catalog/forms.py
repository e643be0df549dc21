from __future__ import annotations

import re
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.models import Organization, Role, User

from .models import Category, Product, Region


class _CategoryField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return str(obj.name)


class ProductForm(forms.Form):
    """A product typed in the browser; the service functions do the writing."""

    name = forms.CharField(label=_("Name"), max_length=200)
    ref = forms.CharField(
        label=_("Your reference"),
        max_length=64,
        required=False,
        help_text=_("Your own id for this product; spreadsheet uploads update rows by it."),
    )
    category = _CategoryField(
        label=_("Category"),
        queryset=Category.objects.filter(level=Category.Level.CATEGORY).order_by("code"),
        required=False,
    )
    description = forms.CharField(
        label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    specs = forms.CharField(
        label=_("Specifications"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    certifications = forms.CharField(
        label=_("Certifications"),
        required=False,
        max_length=600,
        help_text=_("Separate them with commas, e.g. CCC, ISO9001."),
    )
    price_min = forms.DecimalField(
        label=_("Lowest price (yuan)"), required=False, min_value=0, max_digits=16, decimal_places=2
    )
    price_max = forms.DecimalField(
        label=_("Highest price (yuan)"),
        required=False,
        min_value=0,
        max_digits=16,
        decimal_places=2,
    )
    unit = forms.CharField(label=_("Unit"), max_length=20, required=False)
    monthly_capacity = forms.DecimalField(
        label=_("Monthly capacity"), required=False, min_value=0, max_digits=16, decimal_places=2
    )
    lead_time_days = forms.IntegerField(
        label=_("Lead time (days)"), required=False, min_value=0, max_value=3650
    )
    service_regions = forms.ModelMultipleChoiceField(
        label=_("Service regions"),
        queryset=Region.objects.filter(level=Region.Level.PREFECTURE, code__startswith="51"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("None ticked means nationwide."),
    )

    def __init__(self, *args: Any, user: User, product: Product | None = None, **kwargs: Any):
        if product is not None and "initial" not in kwargs:
            kwargs["initial"] = {
                **{
                    name: getattr(product, name)
                    for name in (
                        "name",
                        "ref",
                        "category",
                        "description",
                        "specs",
                        "price_min",
                        "price_max",
                        "unit",
                        "monthly_capacity",
                        "lead_time_days",
                    )
                },
                "certifications": ", ".join(product.certifications),
                "service_regions": list(product.service_regions.all()),
            }
        super().__init__(*args, **kwargs)
        if product is None:
            self.fields["supplier"] = forms.ModelChoiceField(
                label=_("Organization"),
                queryset=Organization.objects.filter(
                    memberships__user=user, roles__contains=[Role.SUPPLIER]
                ).order_by("name"),
                empty_label=None,
            )
            self.order_fields(["supplier"])

    def clean_certifications(self) -> list[str]:
        text = self.cleaned_data.get("certifications") or ""
        return [part.strip() for part in re.split(r"[,，、;；\n]", text) if part.strip()]

    def clean(self) -> dict[str, Any]:
        data: dict[str, Any] = super().clean() or {}
        low, high = data.get("price_min"), data.get("price_max")
        if low is not None and high is not None and low > high:
            self.add_error("price_max", _("The highest price is below the lowest price."))
        return data
