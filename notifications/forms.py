from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from accounts.models import Organization

from .models import PREFERENCE_KINDS, Frequency, Kind, Watch


class PreferencesForm(forms.Form):
    """One choice per kind: at once, daily digest, weekly digest, or off."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for kind in PREFERENCE_KINDS:
            self.fields[kind] = forms.ChoiceField(
                label=Kind(kind).label, choices=Frequency.choices, widget=forms.RadioSelect
            )


def _split(value: str) -> list[str]:
    return [
        part.strip()
        for part in value.replace("，", ",").replace("、", ",").split(",")
        if part.strip()
    ]


class WatchForm(forms.Form):
    organization = forms.ModelChoiceField(
        queryset=Organization.objects.none(), label=_("Organization")
    )
    name = forms.CharField(label=_("Name"), max_length=100)
    mode = forms.ChoiceField(label=_("Mode"), choices=Watch.Mode.choices, initial=Watch.Mode.ADD)
    categories = forms.CharField(
        label=_("Category codes"),
        required=False,
        help_text=_("Comma-separated, e.g. C01.02.03; a category includes those under it."),
    )
    regions = forms.CharField(
        label=_("Region codes"),
        required=False,
        help_text=_("Comma-separated GB/T 2260 codes, e.g. 510600 for 德阳市."),
    )
    keywords = forms.CharField(label=_("Keywords"), required=False, help_text=_("Comma-separated."))
    min_budget = forms.DecimalField(
        label=_("Minimum budget (yuan)"),
        required=False,
        min_value=0,
        max_digits=18,
        decimal_places=2,
    )

    def __init__(self, *args: Any, organizations: QuerySet[Organization], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["organization"]
        field.queryset = organizations  # type: ignore[attr-defined]
        if organizations.count() == 1:
            field.initial = organizations.first()

    def clean_categories(self) -> list[str]:
        return _split(self.cleaned_data["categories"])

    def clean_regions(self) -> list[str]:
        return _split(self.cleaned_data["regions"])

    def clean_keywords(self) -> list[str]:
        return _split(self.cleaned_data["keywords"])
