"""Pages of notifications: the in-app inbox, preferences, watches, unsubscribing.

Also the development inbox (mail caught by the local SMTP sink), which exists only when
``DJANGO_DEBUG`` is true; otherwise its URLs are 404.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from accounts.models import Organization, User
from accounts.selectors import organization_list_for_user, user_from_request
from config.pages import paginate
from matching.models import Match

from . import delivery, selectors, services
from .devmail import Mailbox
from .forms import PreferencesForm, WatchForm
from .models import Kind, MatchFeedback, Notification


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


# --- The in-app inbox, preferences, watches, one-click unsubscribe -------------------------------


def _own(request: HttpRequest, pk: int) -> Notification:
    user = user_from_request(request)
    return get_object_or_404(
        Notification.objects.select_related(*delivery.RELATED).exclude(kind=Kind.DIGEST),
        pk=pk,
        user=user,
    )


@login_required
def inbox(request: HttpRequest) -> HttpResponse:
    user = user_from_request(request)
    rows = selectors.inbox_for(user=user)
    only_unread = request.GET.get("unread") == "1"
    if only_unread:
        rows = rows.filter(read_at__isnull=True)
    page = paginate(request, rows, 25)
    items = [{"n": n, "headline": delivery.headline(n)} for n in page]
    return render(
        request,
        "notifications/inbox.html",
        {
            "page": page,
            "items": items,
            "only_unread": only_unread,
            "unread": selectors.unread_count(user=user),
        },
    )


@login_required
@require_POST
def read_all(request: HttpRequest) -> HttpResponse:
    services.mark_read(user=user_from_request(request))
    messages.success(request, _("Every notification is marked as read."))
    return redirect("notifications:inbox")


@login_required
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    notification = _own(request, pk)
    if notification.read_at is None:
        services.mark_read(user=user_from_request(request), ids=[notification.pk])
    context: dict[str, Any] = {
        "n": notification,
        "headline": delivery.headline(notification),
        "dismissed": False,
    }
    if notification.kind == Kind.NEW_MATCH and notification.match is not None:
        context.update(delivery.need_context(notification.match))
        context["offer"] = delivery.offer_name(notification.match)
        context["match"] = notification.match
        context["dismissed"] = MatchFeedback.objects.filter(
            match=notification.match, organization=notification.organization
        ).exists()
        context["not_relevant_token"] = delivery.not_relevant_token(notification)
    return render(request, "notifications/detail.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def preferences(request: HttpRequest) -> HttpResponse:
    user = user_from_request(request)
    form = PreferencesForm(request.POST or None, initial=services.preferences_for(user))
    if request.method == "POST" and form.is_valid():
        services.preferences_set(user=user, changes=form.cleaned_data)
        messages.success(request, _("Your notification preferences are saved."))
        return redirect("notifications:preferences")
    return render(request, "notifications/preferences.html", {"form": form})


@login_required
@require_http_methods(["GET", "POST"])
def watches(request: HttpRequest) -> HttpResponse:
    user = user_from_request(request)
    organizations = organization_list_for_user(user=user)
    form = WatchForm(request.POST or None, organizations=organizations)
    if request.method == "POST" and form.is_valid():
        try:
            services.watch_create(by=user, **form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("The watch is saved."))
            return redirect("notifications:watches")
    rows = selectors.watches_for(user=user)
    page = paginate(request, rows, 25)
    return render(request, "notifications/watches.html", {"form": form, "page": page})


@login_required
@require_POST
def watch_delete(request: HttpRequest, pk: int) -> HttpResponse:
    user = user_from_request(request)
    watch = get_object_or_404(selectors.watches_for(user=user), pk=pk)
    services.watch_delete(watch=watch, by=user)
    messages.success(request, _("The watch is deleted."))
    return redirect("notifications:watches")


@csrf_exempt
@require_http_methods(["GET", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    """RFC 8058: a POST unsubscribes at once, without login or cookies; a GET only asks."""
    try:
        data = delivery.read_unsubscribe_token(token)
    except signing.BadSignature:
        return render(request, "notifications/unsubscribe.html", {"invalid": True}, status=400)
    if request.method == "POST":
        services.unsubscribe(recipient_key=data["r"], email=data["e"], kind=data["k"])
        return render(request, "notifications/unsubscribe.html", {"done": True, "data": data})
    return render(request, "notifications/unsubscribe.html", {"data": data, "token": token})


@csrf_exempt
@require_http_methods(["GET", "POST"])
def not_relevant(request: HttpRequest, token: str) -> HttpResponse:
    """One click from the email: a GET asks, the POST records "not relevant" for the pair."""
    try:
        data = delivery.read_not_relevant_token(token)
    except signing.BadSignature:
        return render(request, "notifications/not_relevant.html", {"invalid": True}, status=400)
    match = Match.objects.filter(pk=data["m"]).first()
    organization = Organization.objects.filter(pk=data["o"]).first()
    if match is None or organization is None:
        return render(request, "notifications/not_relevant.html", {"invalid": True}, status=404)
    if request.method == "POST":
        user = request.user if isinstance(request.user, User) else None
        services.dismiss_match(match=match, organization=organization, user=user)
        return render(request, "notifications/not_relevant.html", {"done": True})
    context = {
        "need": delivery.need_context(match)["need_name"],
        "offer": delivery.offer_name(match),
        "token": token,
    }
    return render(request, "notifications/not_relevant.html", context)
