from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.models import Organization, Role, User


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
