"""One helper renders and sends every email: three templates per message.

``emails/<name>-subject.txt``, ``emails/<name>-body-text.txt`` and
``emails/<name>-body-html.html``, rendered in the recipient's language.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.utils import translation


def absolute_url(path: str) -> str:
    return f"{settings.SITE_URL}{path}"


def build_message(
    name: str,
    *,
    to: str,
    context: Mapping[str, Any],
    language: str = settings.LANGUAGE_CODE,
    headers: Mapping[str, str] | None = None,
) -> EmailMultiAlternatives:
    """Render the three templates in the recipient's language into one message.

    The subject is folded onto one line: user data in it (a company name with a newline
    and ``Bcc:``) can never start a header of its own.
    """
    ctx = {"site_url": settings.SITE_URL, **context}
    with translation.override(language):
        subject = " ".join(render_to_string(f"emails/{name}-subject.txt", ctx).split())
        text = render_to_string(f"emails/{name}-body-text.txt", ctx)
        html = render_to_string(f"emails/{name}-body-html.html", ctx)
    message = EmailMultiAlternatives(
        subject=subject, body=text, to=[to], headers=dict(headers or {})
    )
    message.attach_alternative(html, "text/html")
    return message


def send_template(
    name: str,
    *,
    to: str,
    context: Mapping[str, Any],
    language: str = settings.LANGUAGE_CODE,
    headers: Mapping[str, str] | None = None,
) -> None:
    build_message(name, to=to, context=context, language=language, headers=headers).send()
