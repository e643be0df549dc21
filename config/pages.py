"""What every page view shares: pagination, the signed-in user's organizations by role."""

from __future__ import annotations

from typing import Any, cast

from django.core.paginator import Page, Paginator
from django.db.models import QuerySet
from django.http import HttpRequest

from accounts.models import Organization, User

PER_PAGE = 20


def viewer(request: HttpRequest) -> User:
    """The visitor, signed in or anonymous: the ``*_visible_to`` selectors accept both."""
    return cast(User, request.user)


def paginate(
    request: HttpRequest, items: QuerySet[Any] | list[Any], per_page: int = PER_PAGE
) -> Page:
    """The page the ``page`` parameter asks for; a bad or too-high number gives the nearest."""
    return Paginator(items, per_page).get_page(request.GET.get("page"))


def query_without_page(request: HttpRequest) -> str:
    """The query string without ``page``, for pagination links that keep the filters."""
    params = request.GET.copy()
    params.pop("page", None)
    return params.urlencode()


def organizations_with_role(user: User | Any, role: str) -> QuerySet[Organization]:
    """The organizations the user belongs to that are registered with this role."""
    if not getattr(user, "is_authenticated", False):
        return Organization.objects.none()
    return Organization.objects.filter(memberships__user=user, roles__contains=[role]).order_by(
        "name"
    )


def operator_or_403(request: HttpRequest) -> User:
    """The signed-in programme operator, or 403 for anyone else."""
    from django.core.exceptions import PermissionDenied
    from django.utils.translation import gettext as _

    from accounts.selectors import user_from_request, user_is_operator

    user = user_from_request(request)
    if not user_is_operator(user=user):
        raise PermissionDenied(_("Only programme operators can open this page."))
    return user
