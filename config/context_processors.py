from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject


def _nav(request: HttpRequest) -> dict[str, bool]:
    """Which parts of the navigation the visitor sees: one query for a signed-in user."""
    from accounts.models import Membership, Organization, Role

    user = getattr(request, "user", None)
    roles: set[str] = set()
    is_operator = False
    if user is not None and user.is_authenticated:
        for org_roles, status in Membership.objects.filter(user=user).values_list(
            "organization__roles", "organization__verification_status"
        ):
            roles.update(org_roles or [])
            if Role.OPERATOR in (org_roles or []) and status == Organization.Verification.VERIFIED:
                is_operator = True
        is_operator = is_operator or bool(user.is_staff)
    return {
        "supplier": Role.SUPPLIER in roles,
        "buyer": Role.BUYER in roles,
        "operator": is_operator,
        "member": bool(roles),
    }


def site(request: HttpRequest) -> dict[str, Any]:
    return {
        "SITE_URL": settings.SITE_URL,
        "DEBUG": settings.DEBUG,
        "nav": SimpleLazyObject(lambda: _nav(request)),
    }


def notifications(request: HttpRequest) -> dict[str, Any]:
    """The unread count in the header, counted only when a template shows it."""
    from notifications.selectors import unread_count

    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"unread_notifications": SimpleLazyObject(lambda: unread_count(user=user))}
