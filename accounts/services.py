"""Writes of users, organizations, badges, memberships and invitations.

Every function here is the one place its change happens; views, the API, the
admin actions and the management commands call these. Failures a user can fix
are raised as ``django.core.exceptions.ValidationError`` (keyed by field) and
missing rights as ``PermissionDenied``: both become clear 400/403 answers.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core import signing
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from catalog.models import Region

from .models import (
    BADGE_VALIDITY_YEARS,
    Badge,
    Invitation,
    Membership,
    Organization,
    Role,
    User,
)
from .selectors import membership_is_admin, user_is_operator
from .validators import normalise_uscc, validate_uscc

VERIFY_EMAIL_SALT = "accounts.verify-email"
INVITATION_SALT = "accounts.invitation"


# --- Users -------------------------------------------------------------------


def user_register(
    *, email: str, password: str, name: str = "", language: str = User.Language.ZH_HANS
) -> User:
    """Create an account that can sign in once its email address is verified."""
    email = User.objects.normalize_email(email).strip().lower()
    if User.objects.filter(email__iexact=email).exists():
        raise ValidationError(
            {"email": _("An account with this email address already exists.")}, code="duplicate"
        )
    candidate = User(email=email, name=name, language=language)
    try:
        validate_password(password, user=candidate)
    except ValidationError as exc:
        raise ValidationError({"password": exc.messages}) from None
    with transaction.atomic():
        user = User.objects.create_user(
            email=email, password=password, name=name, language=language
        )
        _queue_verification_email(user)
    return user


def _queue_verification_email(user: User) -> None:
    from .tasks import send_verification_email

    transaction.on_commit(lambda: send_verification_email.delay(user.pk))


def user_email_verification_token(*, user: User) -> str:
    return signing.dumps({"u": user.pk, "e": user.email}, salt=VERIFY_EMAIL_SALT)


def user_verify_email(*, token: str) -> User:
    error = ValidationError(
        {"token": _("This verification link is invalid or has expired. Request a new one.")},
        code="invalid_token",
    )
    try:
        data = signing.loads(
            token, salt=VERIFY_EMAIL_SALT, max_age=settings.EMAIL_VERIFICATION_MAX_AGE
        )
    except signing.BadSignature:
        raise error from None
    user = User.objects.filter(pk=data.get("u"), email=data.get("e")).first()
    if user is None:
        raise error
    if user.email_verified_at is None:
        user.email_verified_at = timezone.now()
        user.save(update_fields=["email_verified_at"])
    return user


def user_resend_verification(*, email: str) -> None:
    """Queue the verification email again; silent for unknown addresses (no enumeration)."""
    user = User.objects.filter(email__iexact=email.strip(), email_verified_at__isnull=True).first()
    if user is not None:
        _queue_verification_email(user)


def user_update(*, user: User, name: str | None = None, language: str | None = None) -> User:
    fields = []
    if name is not None:
        user.name = name
        fields.append("name")
    if language is not None:
        if language not in User.Language.values:
            raise ValidationError({"language": _("Unsupported language.")})
        user.language = language
        fields.append("language")
    if fields:
        user.save(update_fields=fields)
    return user


# --- Organizations -------------------------------------------------------------


def _clean_roles(roles: Iterable[str]) -> list[str]:
    cleaned = []
    for role in roles:
        if role not in Role.values:
            raise ValidationError(
                {
                    "roles": _("Unknown role %(role)s: use supplier, buyer or operator.")
                    % {"role": role}
                }
            )
        if role not in cleaned:
            cleaned.append(role)
    if not cleaned:
        raise ValidationError({"roles": _("Choose at least one role.")})
    return cleaned


def _clean_uscc(value: str, *, exclude_pk: int | None = None) -> str:
    uscc = normalise_uscc(value)
    try:
        validate_uscc(uscc)
    except ValidationError as exc:
        raise ValidationError({"uscc": exc.messages}) from None
    duplicates = Organization.objects.filter(uscc=uscc)
    if exclude_pk is not None:
        duplicates = duplicates.exclude(pk=exclude_pk)
    if duplicates.exists():
        raise ValidationError(
            {
                "uscc": _(
                    "An organization with this Unified Social Credit Code is already registered."
                )
            },
            code="duplicate",
        )
    return uscc


def organization_create(
    *,
    by: User,
    name: str,
    uscc: str,
    region: Region,
    roles: Iterable[str],
    industry_chain: str = "",
    contact_email: str = "",
) -> Organization:
    """Register an enterprise; its creator becomes its administrator. Pending until verified."""
    name = name.strip()
    if not name:
        raise ValidationError({"name": _("The organization's name is required.")})
    org = Organization(
        name=name,
        uscc=_clean_uscc(uscc),
        region=region,
        roles=_clean_roles(roles),
        industry_chain=industry_chain.strip(),
        contact_email=contact_email or by.email,
    )
    try:
        with transaction.atomic():
            org.save()
            Membership.objects.create(user=by, organization=org, role=Membership.Role.ADMIN)
    except IntegrityError:
        # Two registrations of one USCC at once: the unique constraint decides.
        raise ValidationError(
            {
                "uscc": _(
                    "An organization with this Unified Social Credit Code is already registered."
                )
            }
        ) from None
    return org


ORGANIZATION_EDITABLE_FIELDS = ("name", "region", "industry_chain", "contact_email")


def organization_update(*, organization: Organization, by: User, **changes: Any) -> Organization:
    if not (membership_is_admin(user=by, organization=organization) or user_is_operator(user=by)):
        raise PermissionDenied(_("Only an administrator of this organization can change it."))
    unknown = set(changes) - set(ORGANIZATION_EDITABLE_FIELDS) - {"roles"}
    if unknown:
        raise ValidationError({field: _("This field cannot be changed.") for field in unknown})
    if "roles" in changes:
        changes["roles"] = _clean_roles(changes["roles"])
        gains_operator = Role.OPERATOR in changes["roles"] and not organization.has_role(
            Role.OPERATOR
        )
        # Operators see every organization's data: only an operator can make another.
        if gains_operator and not user_is_operator(user=by):
            raise ValidationError(
                {
                    "roles": _(
                        "Only the programme office can give an organization the operator role."
                    )
                }
            )
    if "name" in changes and not str(changes["name"]).strip():
        raise ValidationError({"name": _("The organization's name is required.")})
    for field, value in changes.items():
        setattr(organization, field, value)
    organization.save()
    return organization


def organization_set_verification(
    *, organization: Organization, by: User, status: str, reason: str = ""
) -> Organization:
    """Operators verify or reject an organization; a rejection needs a reason."""
    if not user_is_operator(user=by):
        raise PermissionDenied(_("Only programme operators can verify organizations."))
    if status not in Organization.Verification.values:
        raise ValidationError({"status": _("Unknown verification status.")})
    if status == Organization.Verification.REJECTED and not reason.strip():
        raise ValidationError({"reason": _("Give the organization a reason for the rejection.")})
    organization.verification_status = status
    organization.verification_reason = reason.strip()
    organization.verified_by = by
    organization.verified_at = (
        timezone.now() if status == Organization.Verification.VERIFIED else None
    )
    organization.save(
        update_fields=[
            "verification_status",
            "verification_reason",
            "verified_by",
            "verified_at",
            "updated_at",
        ]
    )
    return organization


def badge_award(
    *,
    organization: Organization,
    kind: str,
    awarded_on: datetime.date,
    expires_on: datetime.date | None = None,
    by: User | None,
) -> Badge:
    """Award a badge. 成都工业精品 lapses two years after its award unless told otherwise.

    ``by=None`` is the system itself (a bundle load); a user must be an operator.
    """
    if by is not None and not user_is_operator(user=by):
        raise PermissionDenied(_("Only programme operators can award badges."))
    if expires_on is None and kind in BADGE_VALIDITY_YEARS:
        years = BADGE_VALIDITY_YEARS[kind]
        try:
            expires_on = awarded_on.replace(year=awarded_on.year + years)
        except ValueError:  # 29 February
            expires_on = awarded_on.replace(year=awarded_on.year + years, day=28)
    if expires_on is not None and expires_on <= awarded_on:
        raise ValidationError({"expires_on": _("The expiry date must be after the award date.")})
    badge, _created = Badge.objects.update_or_create(
        organization=organization,
        kind=kind,
        awarded_on=awarded_on,
        defaults={"expires_on": expires_on, "awarded_by": by},
    )
    return badge


# --- Memberships and invitations ----------------------------------------------------


def invitation_create(
    *, organization: Organization, email: str, role: str = Membership.Role.MEMBER, by: User
) -> Invitation:
    if not membership_is_admin(user=by, organization=organization):
        raise PermissionDenied(
            _("Only an administrator of this organization can invite colleagues.")
        )
    email = User.objects.normalize_email(email).strip().lower()
    if role not in Membership.Role.values:
        raise ValidationError({"role": _("Unknown role.")})
    if Membership.objects.filter(organization=organization, user__email__iexact=email).exists():
        raise ValidationError(
            {"email": _("%(email)s is already a member of this organization.") % {"email": email}},
            code="already_member",
        )
    if organization.invitations.filter(email__iexact=email, accepted_at__isnull=True).exists():
        raise ValidationError(
            {"email": _("%(email)s has already been invited.") % {"email": email}},
            code="already_invited",
        )
    with transaction.atomic():
        invitation = Invitation.objects.create(
            organization=organization, email=email, role=role, invited_by=by
        )
        from .tasks import send_invitation_email

        transaction.on_commit(lambda: send_invitation_email.delay(invitation.pk))
    return invitation


def invitation_token(*, invitation: Invitation) -> str:
    return signing.dumps(invitation.pk, salt=INVITATION_SALT)


def invitation_from_token(*, token: str) -> Invitation:
    error = ValidationError(
        {"token": _("This invitation link is invalid or has expired.")}, code="invalid_token"
    )
    try:
        pk = signing.loads(
            token, salt=INVITATION_SALT, max_age=settings.INVITATION_MAX_AGE_DAYS * 24 * 3600
        )
    except signing.BadSignature:
        raise error from None
    invitation = Invitation.objects.select_related("organization").filter(pk=pk).first()
    if invitation is None:
        raise error
    return invitation


def invitation_accept(*, token: str, user: User) -> Membership:
    """The invited person, signed in with the invited address, joins the organization."""
    invitation = invitation_from_token(token=token)
    if invitation.email.lower() != user.email.lower():
        raise ValidationError(
            {
                "token": _(
                    "This invitation was sent to %(email)s. Sign in with that address to accept it."
                )
                % {"email": invitation.email}
            }
        )
    with transaction.atomic():
        locked = Invitation.objects.select_for_update().get(pk=invitation.pk)
        membership, _created = Membership.objects.get_or_create(
            user=user, organization=locked.organization, defaults={"role": locked.role}
        )
        if locked.accepted_at is None:
            locked.accepted_at = timezone.now()
            locked.accepted_by = user
            locked.save(update_fields=["accepted_at", "accepted_by"])
        if user.email_verified_at is None:
            # Following the emailed link proves the address.
            user.email_verified_at = timezone.now()
            user.save(update_fields=["email_verified_at"])
    return membership


def membership_remove(*, membership: Membership, by: User) -> None:
    organization = membership.organization
    if membership.user_id != by.pk and not membership_is_admin(user=by, organization=organization):
        raise PermissionDenied(_("Only an administrator of this organization can remove members."))
    if (
        membership.role == Membership.Role.ADMIN
        and not organization.memberships.filter(role=Membership.Role.ADMIN)
        .exclude(pk=membership.pk)
        .exists()
    ):
        raise ValidationError(
            {"user": _("An organization needs at least one administrator.")}, code="last_admin"
        )
    membership.delete()


def badge_revoke(*, badge: Badge, by: User) -> None:
    """Withdraw a badge from today on; its history stays (an award made today is removed)."""
    if not user_is_operator(user=by):
        raise PermissionDenied(_("Only programme operators can revoke badges."))
    today = timezone.localdate()
    if badge.awarded_on >= today:
        badge.delete()
        return
    if badge.expires_on is None or badge.expires_on > today:
        badge.expires_on = today
        badge.save(update_fields=["expires_on"])
