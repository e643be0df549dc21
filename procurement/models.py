from __future__ import annotations

from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from catalog.models import new_ref


class ProcurementList(models.Model):
    """A buyer's procurement list (采购清单): usually hundreds of lines from one spreadsheet."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        PUBLISHED = "published", _("Published")
        CLOSED = "closed", _("Closed")
        CANCELLED = "cancelled", _("Cancelled")

    buyer = models.ForeignKey(
        "accounts.Organization",
        verbose_name=_("buyer"),
        on_delete=models.CASCADE,
        related_name="procurement_lists",
    )
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    deadline = models.DateField(_("deadline"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.DRAFT
    )
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    created_by = models.ForeignKey(
        "accounts.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("procurement list")
        verbose_name_plural = _("procurement lists")
        ordering = ["-created_at", "pk"]
        indexes = [models.Index(fields=["status", "deadline"])]

    def __str__(self) -> str:
        return self.title


class ProcurementItem(models.Model):
    """One line of a procurement list: a need."""

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        AWARDED = "awarded", _("Awarded")
        CANCELLED = "cancelled", _("Cancelled")

    plist = models.ForeignKey(
        ProcurementList,
        verbose_name=_("procurement list"),
        on_delete=models.CASCADE,
        related_name="items",
    )
    ref = models.CharField(_("reference"), max_length=64, default=new_ref)
    line_no = models.PositiveIntegerField(_("line"), default=0)
    name = models.CharField(_("name"), max_length=200)
    category = models.ForeignKey(
        "catalog.Category",
        verbose_name=_("category"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    category_inferred = models.BooleanField(_("category inferred from the text"), default=False)
    specs = models.TextField(_("specifications"), blank=True)
    quantity = models.DecimalField(
        _("quantity"), max_digits=16, decimal_places=3, null=True, blank=True
    )
    unit = models.CharField(_("unit"), max_length=20, blank=True)
    budget = models.DecimalField(
        _("budget (yuan)"), max_digits=18, decimal_places=2, null=True, blank=True
    )
    delivery_region = models.ForeignKey(
        "catalog.Region",
        verbose_name=_("delivery region"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    delivery_date = models.DateField(_("delivery date"), null=True, blank=True)
    requirements = models.TextField(_("requirements"), blank=True)
    required_certifications = ArrayField(
        models.CharField(max_length=60),
        verbose_name=_("required certifications"),
        default=list,
        blank=True,
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.OPEN
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("procurement item")
        verbose_name_plural = _("procurement items")
        ordering = ["plist", "line_no", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["plist", "ref"], name="item_unique_ref_in_list"),
            models.CheckConstraint(
                condition=Q(quantity__isnull=True) | Q(quantity__gt=0),
                name="item_quantity_positive",
            ),
            models.CheckConstraint(
                condition=Q(budget__isnull=True) | Q(budget__gte=0), name="item_budget_not_negative"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class ProcurementEvent(models.Model):
    """The audit trail of a list: who changed what, when. Append-only."""

    class Kind(models.TextChoices):
        CREATED = "created", _("Created")
        PUBLISHED = "published", _("Published")
        EDITED = "edited", _("Edited")
        ITEM_ADDED = "item_added", _("Line added")
        ITEM_EDITED = "item_edited", _("Line edited")
        ITEM_CANCELLED = "item_cancelled", _("Line cancelled")
        CLOSED = "closed", _("Closed")
        CANCELLED = "cancelled", _("Cancelled")
        IMPORTED = "imported", _("Imported")

    plist = models.ForeignKey(ProcurementList, on_delete=models.CASCADE, related_name="events")
    item = models.ForeignKey(
        ProcurementItem, null=True, blank=True, on_delete=models.SET_NULL, related_name="events"
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    actor = models.ForeignKey(
        "accounts.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    changes = models.JSONField(_("changes"), default=dict, blank=True)
    created_at = models.DateTimeField(_("at"), auto_now_add=True)

    class Meta:
        verbose_name = _("procurement event")
        verbose_name_plural = _("procurement events")
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"{self.plist} · {self.get_kind_display()}"


class OpportunityBatch(models.Model):
    """A batch of a city's opportunity list (机会清单), published whole by operators."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        PUBLISHED = "published", _("Published")
        CLOSED = "closed", _("Closed")

    publisher = models.ForeignKey(
        "accounts.Organization",
        verbose_name=_("publisher"),
        on_delete=models.PROTECT,
        related_name="opportunity_batches",
    )
    title = models.CharField(_("title"), max_length=200)
    batch_no = models.PositiveIntegerField(_("batch number"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.DRAFT
    )
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("opportunity batch")
        verbose_name_plural = _("opportunity batches")
        ordering = ["-created_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["publisher", "title"], name="batch_unique_title")
        ]

    def __str__(self) -> str:
        return self.title


class Opportunity(models.Model):
    class Direction(models.TextChoices):
        DEMAND = "demand", _("Demand")
        SUPPLY = "supply", _("Supply")

    class Type(models.TextChoices):
        APPLICATION_SCENARIO = "application_scenario", _("Application scenario")
        PROJECT_COOPERATION = "project_cooperation", _("Project cooperation")
        FINANCING = "financing", _("Financing demand")
        PRODUCT = "product", _("Product")
        TECHNOLOGY = "technology", _("Technology")
        TALENT = "talent", _("Talent")
        OTHER = "other", _("Other")

    batch = models.ForeignKey(
        OpportunityBatch,
        verbose_name=_("batch"),
        on_delete=models.CASCADE,
        related_name="opportunities",
    )
    ref = models.CharField(_("reference"), max_length=64, default=new_ref)
    direction = models.CharField(_("direction"), max_length=10, choices=Direction.choices)
    type = models.CharField(_("type"), max_length=30, choices=Type.choices, default=Type.OTHER)
    type_label = models.CharField(
        _("type as published"), max_length=30, blank=True, help_text=_("e.g. 产品供给, 技术需求")
    )
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    industry_chain = models.CharField(_("industry chain"), max_length=100, blank=True)
    category = models.ForeignKey(
        "catalog.Category",
        verbose_name=_("category"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    region = models.ForeignKey(
        "catalog.Region",
        verbose_name=_("region"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    amount = models.DecimalField(
        _("amount (yuan)"), max_digits=18, decimal_places=2, null=True, blank=True
    )
    organization = models.ForeignKey(
        "accounts.Organization",
        verbose_name=_("enterprise"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="opportunities",
    )
    deadline = models.DateField(_("deadline"), null=True, blank=True)
    contact_email = models.EmailField(_("contact email"), blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("opportunity")
        verbose_name_plural = _("opportunities")
        ordering = ["batch", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["batch", "ref"], name="opportunity_unique_ref"),
            models.CheckConstraint(
                condition=Q(amount__isnull=True) | Q(amount__gte=0),
                name="opportunity_amount_not_negative",
            ),
        ]

    def __str__(self) -> str:
        return self.title
