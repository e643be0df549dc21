"""From a match to a signed deal: a supplier's interest and quote, the deal, and the audit trail."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import FileExtensionValidator
from django.db import models
from django.db.models import Q
from django.db.models.fields.files import FieldFile
from django.utils.translation import gettext_lazy as _

# An interest's attachment (a quotation, a brochure): at most this many bytes.
ATTACHMENT_MAX_BYTES = 10 * 1024 * 1024
ATTACHMENT_EXTENSIONS = ["pdf", "doc", "docx", "xls", "xlsx", "jpg", "jpeg", "png", "zip"]


def validate_attachment_size(value: FieldFile) -> None:
    if value.size is not None and value.size > ATTACHMENT_MAX_BYTES:
        raise ValidationError(
            _("The attachment is larger than %(mb)s MB."),
            code="file_too_large",
            params={"mb": ATTACHMENT_MAX_BYTES // (1024 * 1024)},
        )


def attachment_path(instance: Interest, filename: str) -> str:
    """A path nobody can guess: attachments are served only through the parties' view."""
    import uuid

    return f"deals/interests/{instance.match_id}/{uuid.uuid4().hex}/{filename}"


class Interest(models.Model):
    """A supplier's interest in a match, with an optional quote. One per match."""

    class Status(models.TextChoices):
        INTERESTED = "interested", _("Interested")
        SHORTLISTED = "shortlisted", _("Shortlisted")
        DECLINED = "declined", _("Declined")
        WITHDRAWN = "withdrawn", _("Withdrawn")
        AWARDED = "awarded", _("Awarded")

    match = models.OneToOneField(
        "matching.Match", verbose_name=_("match"), on_delete=models.CASCADE, related_name="interest"
    )
    supplier = models.ForeignKey(
        "accounts.Organization",
        verbose_name=_("supplier"),
        on_delete=models.CASCADE,
        related_name="interests",
    )
    buyer = models.ForeignKey(
        "accounts.Organization",
        verbose_name=_("buyer"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="interests_received",
    )
    item = models.ForeignKey(
        "procurement.ProcurementItem",
        verbose_name=_("procurement line"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="interests",
    )
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.INTERESTED
    )
    message = models.TextField(_("message"), blank=True)
    unit_price = models.DecimalField(
        _("unit price (yuan)"), max_digits=16, decimal_places=2, null=True, blank=True
    )
    total_price = models.DecimalField(
        _("total (yuan)"), max_digits=18, decimal_places=2, null=True, blank=True
    )
    lead_time_days = models.PositiveIntegerField(_("lead time (days)"), null=True, blank=True)
    valid_until = models.DateField(_("quote valid until"), null=True, blank=True)
    attachment = models.FileField(
        _("attachment"),
        upload_to=attachment_path,
        blank=True,
        validators=[
            validate_attachment_size,
            FileExtensionValidator(allowed_extensions=ATTACHMENT_EXTENSIONS),
        ],
    )
    decline_reason = models.TextField(_("reason for declining"), blank=True)
    created_by = models.ForeignKey(
        "accounts.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("expressed at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("interest")
        verbose_name_plural = _("interests")
        ordering = ["-created_at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(unit_price__isnull=True) | Q(unit_price__gte=0),
                name="interest_unit_price_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(total_price__isnull=True) | Q(total_price__gte=0),
                name="interest_total_not_negative",
            ),
        ]
        indexes = [models.Index(fields=["item", "status"], name="interest_item_status")]

    def __str__(self) -> str:
        return f"{self.supplier} → {self.match} ({self.get_status_display()})"

    @property
    def has_quote(self) -> bool:
        return any(
            v is not None
            for v in (self.unit_price, self.total_price, self.lead_time_days, self.valid_until)
        )


class Deal(models.Model):
    """A signed contract between a buyer and a supplier for one or more lines of a list."""

    buyer = models.ForeignKey(
        "accounts.Organization",
        verbose_name=_("buyer"),
        on_delete=models.PROTECT,
        related_name="deals_as_buyer",
    )
    supplier = models.ForeignKey(
        "accounts.Organization",
        verbose_name=_("supplier"),
        on_delete=models.PROTECT,
        related_name="deals_as_supplier",
    )
    items = models.ManyToManyField(
        "procurement.ProcurementItem", verbose_name=_("procurement lines"), related_name="deals"
    )
    interests = models.ManyToManyField(
        Interest, verbose_name=_("interests"), blank=True, related_name="deals"
    )
    amount = models.DecimalField(_("amount (yuan)"), max_digits=18, decimal_places=2)
    signed_on = models.DateField(_("signed on"))
    contract_number = models.CharField(_("contract number"), max_length=100)
    created_by = models.ForeignKey(
        "accounts.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("deal")
        verbose_name_plural = _("deals")
        ordering = ["-signed_on", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["buyer", "contract_number"], name="deal_unique_contract_number"
            ),
            models.CheckConstraint(condition=Q(amount__gt=0), name="deal_amount_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.contract_number} · {self.buyer} ↔ {self.supplier}"


class AuditEvent(models.Model):
    """What happened on the way from a match to a deal: who, when, what. Append-only."""

    class Verb(models.TextChoices):
        VIEWED = "viewed", _("Match viewed")
        INTEREST_EXPRESSED = "interest_expressed", _("Interest expressed")
        QUOTE_UPDATED = "quote_updated", _("Quote updated")
        WITHDRAWN = "withdrawn", _("Interest withdrawn")
        SHORTLISTED = "shortlisted", _("Shortlisted")
        DECLINED = "declined", _("Declined")
        AWARDED = "awarded", _("Awarded")
        DEAL_RECORDED = "deal_recorded", _("Deal recorded")

    verb = models.CharField(_("what"), max_length=20, choices=Verb.choices)
    actor = models.ForeignKey(
        "accounts.User",
        verbose_name=_("who"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    organization = models.ForeignKey(
        "accounts.Organization",
        verbose_name=_("on behalf of"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    match = models.ForeignKey(
        "matching.Match",
        verbose_name=_("match"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="deal_events",
    )
    interest = models.ForeignKey(
        Interest,
        verbose_name=_("interest"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="events",
    )
    deal = models.ForeignKey(
        Deal,
        verbose_name=_("deal"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="events",
    )
    data = models.JSONField(_("details"), default=dict, blank=True)
    created_at = models.DateTimeField(_("when"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("deal audit event")
        verbose_name_plural = _("deal audit events")
        ordering = ["created_at", "pk"]
        constraints = [
            # "viewed" is recorded once per match: the first time a supplier member opens it.
            models.UniqueConstraint(
                fields=["match"], condition=Q(verb="viewed"), name="auditevent_viewed_once"
            )
        ]
        indexes = [models.Index(fields=["verb", "created_at"], name="auditevent_verb_at")]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} · {self.get_verb_display()}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None and not self._state.adding:
            raise ValidationError(_("Audit events cannot be changed."))
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise ValidationError(_("Audit events cannot be deleted."))


def attachment_validators() -> list[Any]:
    """The checks of an interest's attachment, for forms and API serializers."""
    return [
        validate_attachment_size,
        FileExtensionValidator(allowed_extensions=ATTACHMENT_EXTENSIONS),
    ]
