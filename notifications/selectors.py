"""Reads of notifications and watches."""

from __future__ import annotations

from django.db.models import QuerySet

from accounts.models import User

from .delivery import RELATED
from .models import Kind, Notification, Watch


def inbox_for(*, user: User) -> QuerySet[Notification]:
    """The user's in-app notifications, newest first (digests are an email form, not an item)."""
    return (
        Notification.objects.filter(user=user)
        .exclude(kind=Kind.DIGEST)
        .select_related(*RELATED)
        .order_by("-created_at", "-pk")
    )


def unread_count(*, user: User) -> int:
    return inbox_for(user=user).filter(read_at__isnull=True).count()


def watches_for(*, user: User) -> QuerySet[Watch]:
    return (
        Watch.objects.filter(organization__memberships__user=user)
        .select_related("organization")
        .order_by("organization__name", "name", "pk")
    )
