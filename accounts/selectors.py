"""Reads of users, organizations and memberships."""

from __future__ import annotations

import datetime

from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import HttpRequest
from django.utils import timezone
from rest_framework.request import Request

from .models import Badge, Invitation, Membership, Organization, Role, User


def user_from_request(request: HttpRequest | Request) -> User:
    """The signed-in user of a request that an authentication check already guarded."""
    user = request.user
    if not isinstance(user, User):
        raise PermissionDenied
    return user


def user_is_operator(*, user: User) -> bool:
    """Programme-office staff: Django staff, or a member of a verified operator organization."""
    if not user.is_authenticated:
        return False
    if user.is_staff:
        return True
    return Membership.objects.filter(
        user=user,
        organization__roles__contains=[Role.OPERATOR],
        organization__verification_status=Organization.Verification.VERIFIED,
    ).exists()


def organization_list_for_user(*, user: User) -> QuerySet[Organization]:
    return (
        Organization.objects.filter(memberships__user=user)
        .select_related("region", "region__parent")
        .prefetch_related("badges")
        .distinct()
    )


def organization_visible_to(*, user: User) -> QuerySet[Organization]:
    """Verified organizations are public; others only to their members and operators."""
    qs = Organization.objects.select_related("region", "region__parent").prefetch_related("badges")
    if user_is_operator(user=user):
        return qs
    return qs.filter(
        Q(verification_status=Organization.Verification.VERIFIED) | Q(memberships__user=user)
    ).distinct()


def membership_get(*, user: User, organization: Organization) -> Membership | None:
    return Membership.objects.filter(user=user, organization=organization).first()


def membership_is_admin(*, user: User, organization: Organization) -> bool:
    return Membership.objects.filter(
        user=user, organization=organization, role=Membership.Role.ADMIN
    ).exists()


def membership_list(*, organization: Organization) -> QuerySet[Membership]:
    return organization.memberships.select_related("user").order_by("created_at")


def badge_active_list(
    *, organization: Organization, on: datetime.date | None = None
) -> list[Badge]:
    """Badges that count today: awarded, and not yet expired."""
    day = on or timezone.localdate()
    return [badge for badge in organization.badges.all() if badge.is_active_on(day)]


def invitation_pending_list(*, organization: Organization) -> QuerySet[Invitation]:
    return organization.invitations.filter(accepted_at__isnull=True).select_related("invited_by")
