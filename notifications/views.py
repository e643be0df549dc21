"""The development inbox: mail caught by the local SMTP sink, shown in the browser.

Exists only when ``DJANGO_DEBUG`` is true; otherwise every URL here is a 404.
"""

from __future__ import annotations

from django.conf import settings
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_POST

from .devmail import Mailbox


def _mailbox() -> Mailbox:
    if not settings.DEBUG:
        raise Http404
    return Mailbox(settings.DEV_MAILBOX_DIR)


def dev_inbox(request: HttpRequest) -> HttpResponse:
    mailbox = _mailbox()
    page = Paginator(mailbox.messages(), 50).get_page(request.GET.get("page"))
    return render(request, "notifications/dev_inbox.html", {"page": page})


def dev_message(request: HttpRequest, message_id: str) -> HttpResponse:
    message = _mailbox().get(message_id)
    if message is None:
        raise Http404
    return render(request, "notifications/dev_message.html", {"message": message})


@xframe_options_sameorigin
def dev_message_html(request: HttpRequest, message_id: str) -> HttpResponse:
    """The HTML part on its own, for the sandboxed iframe of the message page."""
    message = _mailbox().get(message_id)
    if message is None or message.html is None:
        raise Http404
    response = HttpResponse(message.html)
    response["Content-Security-Policy"] = (
        "sandbox; default-src 'none'; style-src 'unsafe-inline'; img-src data:"
    )
    return response


@require_POST
def dev_inbox_clear(request: HttpRequest) -> HttpResponse:
    _mailbox().clear()
    return redirect("dev-inbox")
