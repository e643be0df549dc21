"""Pages of accounts: register, verify, sign in/out, password reset, organizations,
members and invitations; and the operators' verification queue and badges."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse, reverse_lazy
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from config.pages import operator_or_403, paginate

from . import services
from .forms import (
    BadgeAwardForm,
    EmailAuthenticationForm,
    InvitationForm,
    OrganizationCreateForm,
    OrganizationEditForm,
    ProfileForm,
    RegistrationWithOrganizationForm,
    ResendVerificationForm,
    VerificationForm,
)
from .models import Badge, Membership, Organization
from .selectors import (
    invitation_pending_list,
    membership_get,
    membership_list,
    user_from_request,
    user_is_operator,
)


class LoginView(auth_views.LoginView):
    form_class = EmailAuthenticationForm
    template_name = "accounts/login.html"
    redirect_authenticated_user = True


class PasswordResetView(auth_views.PasswordResetView):
    template_name = "accounts/password_reset_form.html"
    email_template_name = "accounts/password_reset_email.txt"
    subject_template_name = "accounts/password_reset_subject.txt"
    success_url = reverse_lazy("accounts:password_reset_done")


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    template_name = "accounts/password_reset_confirm.html"
    success_url = reverse_lazy("accounts:password_reset_complete")


# Service field names → the form's, where they differ.
_ORG_FIELD_NAMES = {"name": "org_name"}


def _apply_errors(form: Any, exc: ValidationError) -> None:
    if not hasattr(exc, "error_dict"):
        form.add_error(None, exc.messages)
        return
    for field, errors in exc.message_dict.items():
        name = _ORG_FIELD_NAMES.get(field, field)
        form.add_error(name if name in form.fields else None, errors)


def _create_organization(user: Any, data: dict[str, Any]) -> Organization:
    return services.organization_create(
        by=user,
        name=data["org_name"],
        uscc=data["uscc"],
        region=data["region"],
        roles=data["roles"],
        industry_chain=data.get("industry_chain") or "",
    )


@require_http_methods(["GET", "POST"])
def register(request: HttpRequest) -> HttpResponse:
    """An account, and the enterprise it registers (pending until an operator verifies it)."""
    form = RegistrationWithOrganizationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            with transaction.atomic():
                user = services.user_register(
                    email=data["email"],
                    password=data["password"],
                    name=data["name"],
                    language=data["language"],
                )
                if data.get("org_name"):
                    _create_organization(user, data)
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            return render(request, "accounts/register_done.html", {"email": user.email})
    return render(
        request, "accounts/register.html", {"form": form}, status=400 if form.errors else 200
    )


def verify_email(request: HttpRequest, token: str) -> HttpResponse:
    try:
        user = services.user_verify_email(token=token)
    except ValidationError:
        return render(request, "accounts/verify_failed.html", status=400)
    messages.success(
        request,
        _("Your email address %(email)s is verified. You can sign in now.") % {"email": user.email},
    )
    return redirect("accounts:login")


@require_http_methods(["GET", "POST"])
def verification_resend(request: HttpRequest) -> HttpResponse:
    """A new verification link; the answer is the same for unknown addresses (no enumeration)."""
    form = ResendVerificationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        services.user_resend_verification(email=form.cleaned_data["email"])
        messages.success(
            request,
            _(
                "If %(email)s belongs to an account that is not verified yet,"
                " a new link is on its way."
            )
            % {"email": form.cleaned_data["email"]},
        )
        return redirect("accounts:login")
    return render(
        request,
        "accounts/verify_resend.html",
        {"form": form},
        status=400 if form.errors else 200,
    )


@login_required
@require_http_methods(["GET", "POST"])
def profile(request: HttpRequest) -> HttpResponse:
    """The user's own name and language; links to the password change and organizations."""
    user = user_from_request(request)
    form = ProfileForm(request.POST or None, initial={"name": user.name, "language": user.language})
    if request.method == "POST" and form.is_valid():
        services.user_update(user=user, **form.cleaned_data)
        messages.success(request, _("Your profile is saved."))
        response = redirect("accounts:profile")
        # The chosen language applies at once, as the switcher would.
        response.set_cookie(settings.LANGUAGE_COOKIE_NAME, user.language)
        return response
    return render(
        request, "accounts/profile.html", {"form": form}, status=400 if form.errors else 200
    )


@login_required
@require_http_methods(["GET", "POST"])
def invitation_accept(request: HttpRequest, token: str) -> HttpResponse:
    try:
        invitation = services.invitation_from_token(token=token)
    except ValidationError:
        return render(request, "accounts/invitation.html", {"invalid": True}, status=400)
    error = None
    if request.method == "POST":
        user = user_from_request(request)
        try:
            membership = services.invitation_accept(token=token, user=user)
        except ValidationError as exc:
            error = " ".join(exc.messages)
        else:
            messages.success(
                request, _("You have joined %(org)s.") % {"org": membership.organization.name}
            )
            return redirect("home")
    return render(request, "accounts/invitation.html", {"invitation": invitation, "error": error})


# --- Organizations: profile, members, invitations --------------------------------------


@login_required
@require_GET
def organization_home(request: HttpRequest) -> HttpResponse:
    """The user's organization; a choice when they belong to several."""
    user = user_from_request(request)
    memberships = list(
        Membership.objects.filter(user=user).select_related("organization").order_by("pk")
    )
    if len(memberships) == 1:
        return redirect("accounts:organization-detail", pk=memberships[0].organization_id)
    return render(request, "accounts/organization_home.html", {"memberships": memberships})


@login_required
@require_http_methods(["GET", "POST"])
def organization_create(request: HttpRequest) -> HttpResponse:
    user = user_from_request(request)
    form = OrganizationCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            org = _create_organization(user, form.cleaned_data)
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(
                request,
                _("%(org)s is registered. The programme office verifies it before it can publish.")
                % {"org": org.name},
            )
            return redirect("accounts:organization-detail", pk=org.pk)
    return render(
        request,
        "accounts/organization_create.html",
        {"form": form},
        status=400 if form.errors else 200,
    )


def _member_org(request: HttpRequest, pk: int) -> tuple[Any, Organization, Membership | None]:
    """An organization the user belongs to (operators may open any); otherwise a 404."""
    user = user_from_request(request)
    org = get_object_or_404(
        Organization.objects.select_related("region", "region__parent").prefetch_related("badges"),
        pk=pk,
    )
    membership = membership_get(user=user, organization=org)
    if membership is None and not user_is_operator(user=user):
        raise PermissionDenied(_("You are not a member of this organization."))
    return user, org, membership


def _profile_initial(org: Organization) -> dict[str, Any]:
    return {
        "name": org.name,
        "region": org.region,
        "industry_chain": org.industry_chain,
        "contact_email": org.contact_email,
    }


@login_required
@require_http_methods(["GET", "POST"])
def organization_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user, org, membership = _member_org(request, pk)
    is_admin = membership is not None and membership.role == Membership.Role.ADMIN
    can_edit = is_admin or user_is_operator(user=user)
    edit_form = OrganizationEditForm(
        request.POST if request.method == "POST" else None,
        initial=_profile_initial(org),
    )
    if request.method == "POST":
        if not can_edit:
            raise PermissionDenied(_("Only an administrator of this organization can change it."))
        if edit_form.is_valid():
            try:
                services.organization_update(organization=org, by=user, **edit_form.cleaned_data)
            except ValidationError as exc:
                _apply_errors(edit_form, exc)
            else:
                messages.success(request, _("The organization's profile is saved."))
                return redirect("accounts:organization-detail", pk=org.pk)
    return _render_organization(
        request, org, membership, edit_form=edit_form, invite_form=InvitationForm()
    )


def _render_organization(
    request: HttpRequest,
    org: Organization,
    membership: Membership | None,
    *,
    edit_form: OrganizationEditForm,
    invite_form: InvitationForm,
) -> HttpResponse:
    user = user_from_request(request)
    is_admin = membership is not None and membership.role == Membership.Role.ADMIN
    errors = bool(edit_form.errors or invite_form.errors)
    return render(
        request,
        "accounts/organization_detail.html",
        {
            "org": org,
            "membership": membership,
            "is_admin": is_admin,
            "can_edit": is_admin or user_is_operator(user=user),
            "edit_form": edit_form,
            "invite_form": invite_form,
            "page_obj": paginate(request, membership_list(organization=org), per_page=50),
            "invitations": invitation_pending_list(organization=org),
        },
        status=400 if errors else 200,
    )


@login_required
@require_POST
def organization_invite(request: HttpRequest, pk: int) -> HttpResponse:
    user, org, membership = _member_org(request, pk)
    form = InvitationForm(request.POST)
    if form.is_valid():
        try:
            services.invitation_create(organization=org, by=user, **form.cleaned_data)
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(
                request,
                _("An invitation is on its way to %(email)s.")
                % {"email": form.cleaned_data["email"]},
            )
            return redirect("accounts:organization-detail", pk=org.pk)
    edit_form = OrganizationEditForm(initial=_profile_initial(org))
    return _render_organization(request, org, membership, edit_form=edit_form, invite_form=form)


@login_required
@require_POST
def membership_remove(request: HttpRequest, pk: int) -> HttpResponse:
    user = user_from_request(request)
    membership = get_object_or_404(
        Membership.objects.select_related("organization", "user"),
        pk=pk,
        organization__memberships__user=user,
    )
    try:
        services.membership_remove(membership=membership, by=user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(
            request,
            _("%(user)s no longer belongs to %(org)s.")
            % {"user": membership.user.get_full_name(), "org": membership.organization.name},
        )
    if membership.user_id == user.pk:
        return redirect("home")
    return redirect("accounts:organization-detail", pk=membership.organization_id)


# --- Operators: the verification queue and badges --------------------------------------


@login_required
@require_GET
def verification_queue(request: HttpRequest) -> HttpResponse:
    operator_or_403(request)
    status = request.GET.get("status") or Organization.Verification.PENDING
    if status not in Organization.Verification.values:
        status = Organization.Verification.PENDING
    orgs = (
        Organization.objects.filter(verification_status=status)
        .select_related("region", "region__parent")
        .prefetch_related("memberships__user")
        .order_by("created_at", "pk")
    )
    return render(
        request,
        "accounts/verification_queue.html",
        {
            "page_obj": paginate(request, orgs),
            "status": status,
            "statuses": Organization.Verification.choices,
        },
    )


@login_required
@require_POST
def verification_decide(request: HttpRequest, pk: int) -> HttpResponse:
    user = operator_or_403(request)
    org = get_object_or_404(Organization, pk=pk)
    form = VerificationForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose verify or reject."))
    else:
        try:
            services.organization_set_verification(
                organization=org,
                by=user,
                status=form.cleaned_data["decision"],
                reason=form.cleaned_data["reason"],
            )
        except ValidationError as exc:
            messages.error(request, f"{org.name}: {' '.join(exc.messages)}")
        else:
            messages.success(
                request,
                _("%(org)s: %(status)s.")
                % {"org": org.name, "status": org.get_verification_status_display()},
            )
    back = request.POST.get("back", "")
    url = reverse("accounts:verification-queue")
    if back in Organization.Verification.values:
        url += "?" + urlencode({"status": back})
    return redirect(url)


@login_required
@require_http_methods(["GET", "POST"])
def badges(request: HttpRequest) -> HttpResponse:
    user = operator_or_403(request)
    form = BadgeAwardForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            badge = services.badge_award(
                organization=data["uscc"],
                kind=data["kind"],
                awarded_on=data["awarded_on"],
                expires_on=data["expires_on"],
                by=user,
            )
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(
                request,
                _("%(org)s holds the badge %(badge)s.")
                % {"org": badge.organization.name, "badge": badge.get_kind_display()},
            )
            return redirect("accounts:badges")
    q = request.GET.get("q", "").strip()
    qs = Badge.objects.select_related("organization").order_by("-awarded_on", "pk")
    if q:
        qs = qs.filter(organization__name__icontains=q) | qs.filter(organization__uscc=q.upper())
    page_obj = paginate(request, qs)
    today = timezone.localdate()
    for badge in page_obj:
        badge.active = badge.is_active_on(today)
    return render(
        request,
        "accounts/badges.html",
        {"form": form, "page_obj": page_obj, "q": q},
        status=400 if form.errors else 200,
    )


@login_required
@require_POST
def badge_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    user = operator_or_403(request)
    badge = get_object_or_404(Badge.objects.select_related("organization"), pk=pk)
    services.badge_revoke(badge=badge, by=user)
    messages.success(
        request,
        _("%(badge)s of %(org)s is revoked.")
        % {"badge": badge.get_kind_display(), "org": badge.organization.name},
    )
    return redirect("accounts:badges")
