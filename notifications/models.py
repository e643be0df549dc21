"""The outbox, the in-app inbox, preferences, watches and suppressions.

A :class:`Notification` is written in the same transaction as the event that causes it
(a stored match, a published list's last line matched, a changed line, a workflow step),
unique per (recipient, kind, subject). PostgreSQL holds the truth; Celery only wakes the
sender, and a periodic sweeper re-queues whatever a lost message or a killed worker left
behind.
"""

from __future__ import annotations

from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Kind(models.TextChoices):
    NEW_MATCH = "new_match", _("New match for your product")
    LIST_SUMMARY = "list_summary", _("Suppliers found for your list")
    INTEREST = "interest", _("Interest from suppliers")
    UPDATE = "update", _("Updates to needs you were told about")
    WORKFLOW = "workflow", _("Shortlists and decisions")
    DIGEST = "digest", _("Digest")


class Frequency(models.TextChoices):
    INSTANT = "instant", _("At once")
    DAILY = "daily", _("Daily digest")
    WEEKLY = "weekly", _("Weekly digest")
    OFF = "off", _("Off")


# The kinds a user sets a frequency for (a digest is how the others arrive).
PREFERENCE_KINDS: list[str] = [k.value for k in Kind if k != Kind.DIGEST]


class Notification(models.Model):
    """One message for one recipient: a row of the outbox and an item of the in-app inbox."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting to be sent")
        SENDING = "sending", _("Being sent")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")
        HELD = "held", _("Held for the digest")
        DIGESTED = "digested", _("Sent in a digest")
        SKIPPED = "skipped", _("Not emailed")

    recipient_key = models.CharField(_("recipient"), max_length=80, editable=False)
    user = models.ForeignKey(
        "accounts.User",
        verbose_name=_("user"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="notifications",
    )
    email = models.EmailField(_("email address"))
    organization = models.ForeignKey(
        "accounts.Organization",
        verbose_name=_("organization"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    language = models.CharField(_("language"), max_length=10, default="zh-hans")
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    subject_key = models.CharField(_("about"), max_length=80)
    match = models.ForeignKey(
        "matching.Match",
        verbose_name=_("match"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="notifications",
    )
    context = models.JSONField(_("details"), default=dict, blank=True)
    digest = models.ForeignKey(
        "self",
        verbose_name=_("digest"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="items",
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    message_id = models.CharField(_("Message-ID"), max_length=200, unique=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt at"))
    claimed_at = models.DateTimeField(_("claimed at"), null=True, blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["recipient_key", "kind", "subject_key"], name="notification_once"
            )
        ]
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="notification_due"),
            models.Index(
                fields=["user", "-created_at"],
                condition=Q(read_at__isnull=True),
                name="notification_unread",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} → {self.email}"


class Preference(models.Model):
    """How often a user hears about one kind of notification. No row: the role's default."""

    user = models.ForeignKey(
        "accounts.User",
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="notification_preferences",
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    frequency = models.CharField(_("frequency"), max_length=10, choices=Frequency.choices)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("notification preference")
        verbose_name_plural = _("notification preferences")
        constraints = [
            models.UniqueConstraint(fields=["user", "kind"], name="preference_once_per_kind")
        ]

    def __str__(self) -> str:
        return f"{self.user}: {self.kind}={self.frequency}"


class Suppression(models.Model):
    """An address we must not write to: it unsubscribed (from one kind or all) or bounced."""

    class Reason(models.TextChoices):
        UNSUBSCRIBED = "unsubscribed", _("Unsubscribed")
        UNDELIVERABLE = "undeliverable", _("Undeliverable")

    email = models.EmailField(_("email address"))
    kind = models.CharField(_("kind"), max_length=20, blank=True, help_text=_("Empty: every kind."))
    reason = models.CharField(_("reason"), max_length=15, choices=Reason.choices)
    detail = models.TextField(_("detail"), blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("suppressed address")
        verbose_name_plural = _("suppressed addresses")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["email", "kind"], name="suppression_once"),
        ]

    def __str__(self) -> str:
        return f"{self.email} ({self.get_reason_display()})"


class Watch(models.Model):
    """What an organization wants to hear about beyond (or instead of) the matcher's picks.

    Every criterion given must hold: a category (or one under it), a delivery region (or one
    inside it), a keyword in the need's text, a minimum budget. ``add`` watches bring in needs
    the matcher ranked lower; ``only`` watches narrow alerts to the needs that fit one of them.
    """

    class Mode(models.TextChoices):
        ADD = "add", _("Also tell me about these")
        ONLY = "only", _("Only tell me about these")

    organization = models.ForeignKey(
        "accounts.Organization",
        verbose_name=_("organization"),
        on_delete=models.CASCADE,
        related_name="watches",
    )
    name = models.CharField(_("name"), max_length=100)
    mode = models.CharField(_("mode"), max_length=5, choices=Mode.choices, default=Mode.ADD)
    categories = ArrayField(
        models.CharField(max_length=60), verbose_name=_("category codes"), default=list, blank=True
    )
    regions = ArrayField(
        models.CharField(max_length=6), verbose_name=_("region codes"), default=list, blank=True
    )
    keywords = ArrayField(
        models.CharField(max_length=40), verbose_name=_("keywords"), default=list, blank=True
    )
    min_budget = models.DecimalField(
        _("minimum budget (yuan)"), max_digits=18, decimal_places=2, null=True, blank=True
    )
    created_by = models.ForeignKey(
        "accounts.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("watch")
        verbose_name_plural = _("watches")
        ordering = ["organization", "name"]

    def __str__(self) -> str:
        return self.name


class MatchFeedback(models.Model):
    """ "Not relevant": no more notifications for this pair, and a label for the matcher."""

    class Verdict(models.TextChoices):
        NOT_RELEVANT = "not_relevant", _("Not relevant")

    match = models.ForeignKey(
        "matching.Match",
        verbose_name=_("match"),
        on_delete=models.CASCADE,
        related_name="feedback",
    )
    organization = models.ForeignKey(
        "accounts.Organization",
        verbose_name=_("organization"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    user = models.ForeignKey(
        "accounts.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    verdict = models.CharField(
        _("verdict"), max_length=15, choices=Verdict.choices, default=Verdict.NOT_RELEVANT
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("match feedback")
        verbose_name_plural = _("match feedback")
        constraints = [
            models.UniqueConstraint(fields=["match", "organization"], name="feedback_once_per_org")
        ]

    def __str__(self) -> str:
        return f"{self.match_id}: {self.verdict}"
