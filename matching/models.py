from __future__ import annotations

from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Document(models.Model):
    """The matching index: one row per need or offer, in the form the scorer reads.

    ``token_ids`` (the segmented, synonym-normalised ``tokens`` as integers, see
    ``text.token_id``) and ``categories`` (the node's code and its ancestors') are
    GIN-indexed: candidates are found through them, never by scanning every offer.
    Integer arrays under ``gin__int_ops`` (the ``intarray`` extension) make the overlap
    test and the overlap count (``icount(a & b)``) cheap C operations.
    """

    class Side(models.TextChoices):
        NEED = "need", _("Need")
        OFFER = "offer", _("Offer")

    class Kind(models.TextChoices):
        PROCUREMENT_ITEM = "procurement_item", _("Procurement line")
        OPPORTUNITY = "opportunity", _("Opportunity")
        PRODUCT = "product", _("Product")

    key = models.CharField(max_length=40, unique=True)  # "<kind>:<pk>"
    side = models.CharField(max_length=5, choices=Side.choices)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    object_id = models.BigIntegerField()
    ref = models.CharField(max_length=64, blank=True)
    organization = models.ForeignKey(
        "accounts.Organization", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    active = models.BooleanField(default=True)
    title = models.CharField(max_length=200)
    tokens = ArrayField(models.CharField(max_length=64), default=list)
    token_ids = ArrayField(models.IntegerField(), default=list)
    length = models.PositiveIntegerField(default=0)
    categories = ArrayField(models.CharField(max_length=60), default=list)
    category_name = models.CharField(max_length=60, blank=True)
    regions = ArrayField(models.CharField(max_length=6), default=list)
    certifications = ArrayField(models.CharField(max_length=60), default=list)
    specs = models.JSONField(default=dict)
    facts = models.JSONField(default=dict)
    updated_at = models.DateTimeField(auto_now=True)
    # When a need's matches were last stored (a list's summary waits for all its lines).
    matched_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            GinIndex(
                fields=["token_ids"], name="matching_doc_token_ids_gin", opclasses=["gin__int_ops"]
            ),
            GinIndex(fields=["categories"], name="matching_doc_categories_gin"),
            models.Index(fields=["side", "active"], name="matching_doc_side_active"),
        ]

    def __str__(self) -> str:
        return self.key


class Term(models.Model):
    """Document frequency of a token on one side of the index, kept up to date as documents change.

    BM25 needs corpus statistics; counting them per query would scan every document.
    """

    side = models.CharField(max_length=5, choices=Document.Side.choices)
    term = models.CharField(max_length=64)
    df = models.IntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["side", "term"], name="term_unique_per_side")
        ]

    def __str__(self) -> str:
        return f"{self.side}:{self.term}={self.df}"


class Match(models.Model):
    """One need matched with one offer, its score and its reasons. One per pair."""

    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        RETIRED = "retired", _("Retired")

    need_item = models.ForeignKey(
        "procurement.ProcurementItem",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="matches",
    )
    need_opportunity = models.ForeignKey(
        "procurement.Opportunity", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    offer_product = models.ForeignKey(
        "catalog.Product", null=True, blank=True, on_delete=models.CASCADE, related_name="matches"
    )
    offer_opportunity = models.ForeignKey(
        "procurement.Opportunity", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    need_key = models.CharField(max_length=40)
    offer_key = models.CharField(max_length=40)
    buyer = models.ForeignKey(
        "accounts.Organization", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    supplier = models.ForeignKey(
        "accounts.Organization", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    score = models.FloatField(_("score"))
    rank = models.PositiveIntegerField(_("rank"), default=0)
    reasons = models.JSONField(_("reasons"), default=list)
    notify = models.BooleanField(_("worth notifying"), default=False)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.ACTIVE
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("match")
        verbose_name_plural = _("matches")
        ordering = ["need_key", "rank"]
        constraints = [
            models.UniqueConstraint(fields=["need_key", "offer_key"], name="match_one_per_pair"),
            models.CheckConstraint(
                condition=(Q(need_item__isnull=False) & Q(need_opportunity__isnull=True))
                | (Q(need_item__isnull=True) & Q(need_opportunity__isnull=False)),
                name="match_one_need",
            ),
            models.CheckConstraint(
                condition=(Q(offer_product__isnull=False) & Q(offer_opportunity__isnull=True))
                | (Q(offer_product__isnull=True) & Q(offer_opportunity__isnull=False)),
                name="match_one_offer",
            ),
            models.CheckConstraint(
                condition=Q(score__gte=0) & Q(score__lte=1), name="match_score_unit"
            ),
        ]
        indexes = [
            models.Index(fields=["need_key", "status", "rank"], name="match_need_rank"),
            models.Index(fields=["offer_key", "status"], name="match_offer"),
        ]

    def __str__(self) -> str:
        return f"{self.need_key} ↔ {self.offer_key} ({self.score:.2f})"

    @property
    def reasons_text(self) -> str:
        return "；".join(r["detail"] for r in self.reasons if r.get("detail"))
