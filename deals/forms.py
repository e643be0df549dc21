"""Forms of the deal pages: they work without JavaScript."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.models import Organization
from procurement.models import ProcurementItem

from .models import ATTACHMENT_EXTENSIONS, attachment_validators


class InterestForm(forms.Form):
    message = forms.CharField(
        label=_("Message to the buyer"),
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    unit_price = forms.DecimalField(
        label=_("Unit price (yuan)"), required=False, min_value=0, max_digits=16, decimal_places=2
    )
    total_price = forms.DecimalField(
        label=_("Total (yuan)"), required=False, min_value=0, max_digits=18, decimal_places=2
    )
    lead_time_days = forms.IntegerField(
        label=_("Lead time (days)"), required=False, min_value=0, max_value=3650
    )
    valid_until = forms.DateField(
        label=_("Quote valid until"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    attachment = forms.FileField(
        label=_("Attachment"),
        required=False,
        help_text=_("A quotation or brochure, at most 10 MB."),
        validators=attachment_validators(),
        widget=forms.ClearableFileInput(
            attrs={"accept": ",".join(f".{e}" for e in ATTACHMENT_EXTENSIONS)}
        ),
    )


class DeclineForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=2000)


class DealForm(forms.Form):
    contract_number = forms.CharField(label=_("Contract number"), max_length=100)
    amount = forms.DecimalField(
        label=_("Amount (yuan)"), min_value=0, max_digits=18, decimal_places=2
    )
    signed_on = forms.DateField(
        label=_("Signed on"), widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(
        self,
        *args: Any,
        suppliers: list[Organization],
        lines: list[ProcurementItem],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.suppliers = {s.pk: s for s in suppliers}
        self.lines = {i.pk: i for i in lines}
        self.fields["supplier"] = forms.TypedChoiceField(
            label=_("Supplier"), coerce=int, choices=[(s.pk, s.name) for s in suppliers]
        )
        self.fields["items"] = forms.TypedMultipleChoiceField(
            label=_("Lines the contract covers"),
            coerce=int,
            choices=[(i.pk, f"{i.line_no}. {i.name}") for i in lines],
            widget=forms.CheckboxSelectMultiple,
        )
        self.order_fields(["supplier", "items"])
