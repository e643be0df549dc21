from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.models import Organization, Role, User

from .models import Opportunity


class UploadForm(forms.Form):
    file = forms.FileField(
        label=_("Spreadsheet (.xlsx or .csv)"),
        help_text=_("Chinese or English headers; a title row, blank rows and a 合计 row are fine."),
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx,.csv"}),
    )
    skip_invalid = forms.BooleanField(
        label=_("Load the valid rows even if some rows are invalid"), required=False
    )

    def __init__(self, *args: Any, user: User, role: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        organizations = Organization.objects.filter(memberships__user=user, roles__contains=[role])
        self.fields["organization"] = forms.ModelChoiceField(
            label=_("Organization"), queryset=organizations, empty_label=None
        )
        self.order_fields(["organization"])


class ListUploadForm(UploadForm):
    title = forms.CharField(label=_("List title"), max_length=200)
    deadline = forms.DateField(
        label=_("Deadline"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    description = forms.CharField(
        label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, user=user, role=Role.BUYER, **kwargs)
        self.order_fields(
            ["organization", "title", "deadline", "description", "file", "skip_invalid"]
        )


# --- Browsing: the filters of the public list and opportunity pages --------------------


def _chain_choices() -> Any:
    from catalog.models import Category

    return Category.objects.filter(level=Category.Level.CHAIN).order_by("code")


def _category_choices() -> Any:
    from catalog.models import Category

    return Category.objects.filter(level=Category.Level.CATEGORY).order_by("code")


def _city_choices() -> Any:
    from catalog.models import Region

    return Region.objects.filter(level=Region.Level.PREFECTURE, code__startswith="51").order_by(
        "code"
    )


class CategoryChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return str(obj.name)


class BrowseForm(forms.Form):
    """Filters shared by the list and opportunity pages; every field is optional."""

    q = forms.CharField(
        label=_("Keywords"),
        required=False,
        max_length=100,
        widget=forms.TextInput(attrs={"type": "search", "placeholder": _("e.g. 电缆 德阳")}),
    )
    chain = CategoryChoiceField(
        label=_("Industry chain"), queryset=_chain_choices(), required=False, empty_label=_("All")
    )
    category = CategoryChoiceField(
        label=_("Product category"),
        queryset=_category_choices(),
        required=False,
        empty_label=_("All"),
    )
    city = forms.ModelChoiceField(
        label=_("City"), queryset=_city_choices(), required=False, empty_label=_("All")
    )
    amount_min = forms.DecimalField(
        label=_("Budget from (万元)"), required=False, min_value=0, max_digits=14, decimal_places=2
    )
    amount_max = forms.DecimalField(
        label=_("Budget to (万元)"), required=False, min_value=0, max_digits=14, decimal_places=2
    )
    deadline_after = forms.DateField(
        label=_("Deadline on or after"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )

    def clean(self) -> dict[str, Any]:
        data: dict[str, Any] = super().clean() or {}
        low, high = data.get("amount_min"), data.get("amount_max")
        if low is not None and high is not None and low > high:
            self.add_error("amount_max", _("The upper bound is below the lower bound."))
        return data

    @property
    def advanced(self) -> bool:
        """Whether a filter other than the keywords is set (or wrong): show them all."""
        return bool(self.errors) or any(
            self.data.get(name) for name in self.fields if name not in ("q", "page")
        )


class OpportunityBrowseForm(BrowseForm):
    type = forms.ChoiceField(
        label=_("Type"), required=False, choices=[("", _("All")), *Opportunity.Type.choices]
    )
    direction = forms.ChoiceField(
        label=_("Direction"),
        required=False,
        choices=[("", _("All")), *Opportunity.Direction.choices],
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["amount_min"].label = _("Amount from (万元)")
        self.fields["amount_max"].label = _("Amount to (万元)")


# --- Publishing a list by form ----------------------------------------------------------


class ListForm(forms.Form):
    title = forms.CharField(label=_("List title"), max_length=200)
    deadline = forms.DateField(
        label=_("Deadline"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    description = forms.CharField(
        label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["organization"] = forms.ModelChoiceField(
            label=_("Organization"),
            queryset=Organization.objects.filter(
                memberships__user=user, roles__contains=[Role.BUYER]
            ),
            empty_label=None,
        )
        self.order_fields(["organization", "title", "deadline", "description"])


class ItemForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200)
    category = CategoryChoiceField(
        label=_("Category"),
        queryset=_category_choices(),
        required=False,
        help_text=_("Leave empty to infer it from the name and specifications."),
    )
    specs = forms.CharField(label=_("Specifications"), required=False, max_length=2000)
    quantity = forms.DecimalField(
        label=_("Quantity"), required=False, min_value=0, max_digits=16, decimal_places=3
    )
    unit = forms.CharField(label=_("Unit"), required=False, max_length=20)
    budget_wan = forms.DecimalField(
        label=_("Budget (万元)"), required=False, min_value=0, max_digits=14, decimal_places=4
    )
    delivery_region = forms.ModelChoiceField(
        label=_("Delivery city"), queryset=_city_choices(), required=False
    )
    delivery_date = forms.DateField(
        label=_("Delivery date"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def clean_quantity(self) -> Any:
        value = self.cleaned_data.get("quantity")
        if value is not None and value <= 0:
            raise forms.ValidationError(_("The quantity must be positive."))
        return value


ItemFormSet = forms.formset_factory(ItemForm, extra=5, max_num=200, absolute_max=200)


# --- Operators: opportunity batches -----------------------------------------------------


class BatchForm(forms.Form):
    title = forms.CharField(label=_("Batch title"), max_length=200)
    batch_no = forms.IntegerField(label=_("Batch number"), required=False, min_value=1)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["publisher"] = forms.ModelChoiceField(
            label=_("Publisher"),
            queryset=Organization.objects.filter(roles__contains=[Role.OPERATOR]),
            empty_label=None,
        )
        self.order_fields(["publisher", "title", "batch_no"])


class OpportunityForm(forms.Form):
    direction = forms.ChoiceField(label=_("Direction"), choices=Opportunity.Direction.choices)
    type = forms.ChoiceField(label=_("Type"), choices=Opportunity.Type.choices)
    title = forms.CharField(label=_("Title"), max_length=200)
    description = forms.CharField(
        label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    industry_chain = forms.CharField(label=_("Industry chain"), required=False, max_length=100)
    category = CategoryChoiceField(
        label=_("Category"), queryset=_category_choices(), required=False
    )
    region = forms.ModelChoiceField(label=_("City"), queryset=_city_choices(), required=False)
    amount_wan = forms.DecimalField(
        label=_("Amount (万元)"), required=False, min_value=0, max_digits=14, decimal_places=4
    )
    deadline = forms.DateField(
        label=_("Deadline"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    contact_email = forms.EmailField(label=_("Contact email"), required=False)
