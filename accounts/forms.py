from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth import authenticate
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _

from .models import BadgeKind, Membership, Organization, Role, User


class EmailAuthenticationForm(AuthenticationForm):
    username = forms.EmailField(
        label=_("Email address"),
        widget=forms.EmailInput(attrs={"autofocus": True, "autocomplete": "email"}),
    )

    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": _("Wrong email address or password."),
        "unverified": _(
            "Verify your email address before signing in: open the link we emailed you."
        ),
    }

    def clean(self) -> dict[str, Any]:
        email = (self.cleaned_data.get("username") or "").lower()
        self.cleaned_data["username"] = email
        password = self.cleaned_data.get("password")
        if email and password:
            self.user_cache = authenticate(self.request, username=email, password=password)
            if self.user_cache is None:
                raise self.get_invalid_login_error()
            self.confirm_login_allowed(self.user_cache)
        return self.cleaned_data

    def confirm_login_allowed(self, user: Any) -> None:
        super().confirm_login_allowed(user)
        if isinstance(user, User) and not user.is_email_verified:
            raise forms.ValidationError(self.error_messages["unverified"], code="unverified")


class RegistrationForm(forms.Form):
    email = forms.EmailField(
        label=_("Email address"), widget=forms.EmailInput(attrs={"autocomplete": "email"})
    )
    name = forms.CharField(label=_("Your name"), max_length=100, required=False)
    password = forms.CharField(
        label=_("Password"),
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=_("At least 10 characters; not only digits, not a common password."),
    )
    language = forms.ChoiceField(
        label=_("Language"), choices=User.Language.choices, initial=User.Language.ZH_HANS
    )


def _sichuan_regions() -> Any:
    from catalog.models import Region

    return (
        Region.objects.filter(code__startswith="51")
        .exclude(level=Region.Level.PROVINCE)
        .select_related("parent")
        .order_by("code")
    )


class _RegionField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return str(obj)


ROLE_CHOICES = [(Role.SUPPLIER.value, Role.SUPPLIER.label), (Role.BUYER.value, Role.BUYER.label)]


class OrganizationFieldsMixin(forms.Form):
    org_name = forms.CharField(label=_("Organization name"), max_length=200, required=False)
    uscc = forms.CharField(
        label=_("Unified Social Credit Code"),
        max_length=18,
        required=False,
        help_text=_("The 18 characters on the business licence (统一社会信用代码)."),
    )
    region = _RegionField(label=_("Region"), queryset=_sichuan_regions(), required=False)
    roles = forms.MultipleChoiceField(
        label=_("The organization is a"),
        choices=ROLE_CHOICES,
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    industry_chain = forms.CharField(label=_("Industry chain"), max_length=100, required=False)


class RegistrationWithOrganizationForm(RegistrationForm, OrganizationFieldsMixin):
    """An account and, unless a colleague will invite them, their enterprise."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["org_name"].help_text = _(
            "Leave the organization fields empty if a colleague will invite you to theirs."
        )

    def clean(self) -> dict[str, Any]:
        data: dict[str, Any] = super().clean() or {}
        org_fields = ("org_name", "uscc", "region", "roles")
        if any(data.get(name) for name in org_fields):
            for name in org_fields:
                if not data.get(name) and name not in self.errors:
                    self.add_error(name, _("Required to register the organization."))
        return data


class OrganizationCreateForm(OrganizationFieldsMixin):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in ("org_name", "uscc", "region", "roles"):
            self.fields[name].required = True


class OrganizationEditForm(forms.Form):
    name = forms.CharField(label=_("Organization name"), max_length=200)
    region = _RegionField(label=_("Region"), queryset=_sichuan_regions())
    industry_chain = forms.CharField(label=_("Industry chain"), max_length=100, required=False)
    contact_email = forms.EmailField(label=_("Contact email"), required=False)


class InvitationForm(forms.Form):
    email = forms.EmailField(label=_("Colleague's email address"))
    role = forms.ChoiceField(label=_("Role"), choices=Membership.Role.choices)


class VerificationForm(forms.Form):
    decision = forms.ChoiceField(
        choices=[
            (Organization.Verification.VERIFIED.value, _("Verify")),
            (Organization.Verification.REJECTED.value, _("Reject")),
        ]
    )
    reason = forms.CharField(
        label=_("Reason (required to reject)"), required=False, max_length=1000
    )


class BadgeAwardForm(forms.Form):
    uscc = forms.CharField(label=_("Organization's Unified Social Credit Code"), max_length=18)
    kind = forms.ChoiceField(label=_("Badge"), choices=BadgeKind.choices)
    awarded_on = forms.DateField(
        label=_("Awarded on"), widget=forms.DateInput(attrs={"type": "date"})
    )
    expires_on = forms.DateField(
        label=_("Expires on"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("Empty: 成都工业精品 lapses after two years, the others do not lapse."),
    )

    def clean_uscc(self) -> Organization:
        from .validators import normalise_uscc

        org = Organization.objects.filter(uscc=normalise_uscc(self.cleaned_data["uscc"])).first()
        if org is None:
            raise forms.ValidationError(_("No registered organization has this code."))
        return org


class ResendVerificationForm(forms.Form):
    email = forms.EmailField(
        label=_("Email address"), widget=forms.EmailInput(attrs={"autocomplete": "email"})
    )


class ProfileForm(forms.Form):
    name = forms.CharField(label=_("Your name"), max_length=100, required=False)
    language = forms.ChoiceField(
        label=_("Language of pages and emails"), choices=User.Language.choices
    )
