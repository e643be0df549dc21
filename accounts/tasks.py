"""Celery tasks of the accounts app: each takes an id, loads, and calls one service."""

from __future__ import annotations

import smtplib

from celery import shared_task
from django.urls import reverse

from notifications.emails import absolute_url, send_template

from .models import Invitation, User

# Temporary SMTP trouble (a refused connection, a timeout, a 4xx) is retried.
RETRYABLE = (
    smtplib.SMTPServerDisconnected,
    smtplib.SMTPConnectError,
    ConnectionError,
    TimeoutError,
)


@shared_task(autoretry_for=RETRYABLE, retry_backoff=True, retry_backoff_max=600, max_retries=6)
def send_verification_email(user_id: int) -> None:
    from .services import user_email_verification_token

    user = User.objects.filter(pk=user_id, email_verified_at__isnull=True).first()
    if user is None:  # verified meanwhile, or gone: nothing to send
        return
    token = user_email_verification_token(user=user)
    send_template(
        "verify-email",
        to=user.email,
        language=user.language,
        context={
            "user": user,
            "link": absolute_url(reverse("accounts:verify-email", args=[token])),
        },
    )


@shared_task(autoretry_for=RETRYABLE, retry_backoff=True, retry_backoff_max=600, max_retries=6)
def send_invitation_email(invitation_id: int) -> None:
    from .services import invitation_token

    invitation = (
        Invitation.objects.select_related("organization", "invited_by")
        .filter(pk=invitation_id, accepted_at__isnull=True)
        .first()
    )
    if invitation is None:
        return
    existing = User.objects.filter(email__iexact=invitation.email).first()
    token = invitation_token(invitation=invitation)
    send_template(
        "invitation",
        to=invitation.email,
        language=existing.language if existing else invitation.invited_by.language,
        context={
            "invitation": invitation,
            "link": absolute_url(reverse("accounts:invitation-accept", args=[token])),
        },
    )


@shared_task
def ping() -> str:
    """A no-op that proves a worker is consuming (used by health checks and tests)."""
    return "pong"
