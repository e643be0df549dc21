from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from .models import MatchFeedback, Notification, Preference, Suppression, Watch


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin[Notification]):
    """The outbox: operators see what failed, why, and can send it again."""

    list_display = ["id", "kind", "email", "status", "attempts", "created_at", "sent_at"]
    list_filter = ["status", "kind"]
    search_fields = ["email", "message_id", "subject_key"]
    date_hierarchy = "created_at"
    list_select_related = True
    raw_id_fields = ["user", "organization", "match", "digest"]
    readonly_fields = [
        "recipient_key",
        "message_id",
        "attempts",
        "claimed_at",
        "sent_at",
        "last_error",
        "created_at",
    ]
    actions = ["retry_now"]

    @admin.action(description=_("Send the selected failed notifications again"))
    def retry_now(self, request: HttpRequest, queryset: QuerySet[Notification]) -> None:
        from .services import wake_sender

        count = queryset.filter(status=Notification.Status.FAILED).update(
            status=Notification.Status.PENDING, next_attempt_at=timezone.now(), attempts=0
        )
        wake_sender()
        self.message_user(
            request,
            ngettext("%(n)d notification queued.", "%(n)d notifications queued.", count)
            % {"n": count},
            messages.SUCCESS,
        )


@admin.register(Preference)
class PreferenceAdmin(admin.ModelAdmin[Preference]):
    list_display = ["user", "kind", "frequency", "updated_at"]
    list_filter = ["kind", "frequency"]
    search_fields = ["user__email"]
    raw_id_fields = ["user"]


@admin.register(Suppression)
class SuppressionAdmin(admin.ModelAdmin[Suppression]):
    list_display = ["email", "kind", "reason", "created_at"]
    list_filter = ["reason"]
    search_fields = ["email"]


@admin.register(Watch)
class WatchAdmin(admin.ModelAdmin[Watch]):
    list_display = ["name", "organization", "mode", "min_budget", "created_at"]
    list_filter = ["mode"]
    search_fields = ["name", "organization__name"]
    raw_id_fields = ["organization", "created_by"]


@admin.register(MatchFeedback)
class MatchFeedbackAdmin(admin.ModelAdmin[MatchFeedback]):
    list_display = ["match", "organization", "verdict", "created_at"]
    list_filter = ["verdict"]
    raw_id_fields = ["match", "organization", "user"]
