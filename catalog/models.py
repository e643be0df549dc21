from __future__ import annotations

from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Region(models.Model):
    """A GB/T 2260 administrative division: province, prefecture or county."""

    class Level(models.TextChoices):
        PROVINCE = "province", _("Province")
        PREFECTURE = "prefecture", _("Prefecture-level city")
        COUNTY = "county", _("District or county")

    code = models.CharField(_("code"), max_length=6, primary_key=True)
    name = models.CharField(_("name"), max_length=50)
    short_name = models.CharField(_("short name"), max_length=20)
    level = models.CharField(_("level"), max_length=10, choices=Level.choices)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )

    class Meta:
        verbose_name = _("region")
        verbose_name_plural = _("regions")
        ordering = ["code"]

    def __str__(self) -> str:
        if self.level == self.Level.COUNTY and self.parent_id:
            return f"{self.parent.name}{self.name}"  # type: ignore[union-attr]
        return self.name

    @property
    def prefecture_code(self) -> str:
        """The prefecture-level code (510114 → 510100); a province is its own."""
        if self.level == self.Level.PROVINCE:
            return self.code
        return self.code[:4] + "00"


def new_ref() -> str:
    """A reference for rows created on the web, where the user gives none."""
    import uuid

    return f"W-{uuid.uuid4().hex[:12]}"


class Category(models.Model):
    """A node of the taxonomy: pillar industry → industry chain → product category."""

    class Level(models.TextChoices):
        INDUSTRY = "industry", _("Pillar industry")
        CHAIN = "chain", _("Industry chain")
        CATEGORY = "category", _("Product category")

    code = models.CharField(_("code"), max_length=60, unique=True)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    level = models.CharField(_("level"), max_length=10, choices=Level.choices)
    name_zh = models.CharField(_("Chinese name"), max_length=60)
    name_en = models.CharField(_("English name"), max_length=100, blank=True)
    synonyms = ArrayField(
        models.CharField(max_length=60),
        verbose_name=_("synonyms and keywords"),
        default=list,
        blank=True,
        help_text=_("Other names buyers and suppliers write for this node, one per line."),
    )

    class Meta:
        verbose_name = _("category")
        verbose_name_plural = _("categories")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name_zh

    @property
    def name(self) -> str:
        from django.utils.translation import get_language

        if (get_language() or "").startswith("en") and self.name_en:
            return self.name_en
        return self.name_zh


class Product(models.Model):
    """A supplier's offer."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        PUBLISHED = "published", _("Published")
        ARCHIVED = "archived", _("Archived")

    supplier = models.ForeignKey(
        "accounts.Organization",
        verbose_name=_("supplier"),
        on_delete=models.CASCADE,
        related_name="products",
    )
    ref = models.CharField(
        _("reference"),
        max_length=64,
        default=new_ref,
        help_text=_("The supplier's own stable id; imports update rows by it."),
    )
    name = models.CharField(_("name"), max_length=200)
    category = models.ForeignKey(
        Category,
        verbose_name=_("category"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="products",
    )
    description = models.TextField(_("description"), blank=True)
    specs = models.TextField(_("specifications"), blank=True)
    certifications = ArrayField(
        models.CharField(max_length=60), verbose_name=_("certifications"), default=list, blank=True
    )
    price_min = models.DecimalField(
        _("lowest price (yuan)"), max_digits=16, decimal_places=2, null=True, blank=True
    )
    price_max = models.DecimalField(
        _("highest price (yuan)"), max_digits=16, decimal_places=2, null=True, blank=True
    )
    unit = models.CharField(_("unit"), max_length=20, blank=True)
    monthly_capacity = models.DecimalField(
        _("monthly capacity"), max_digits=16, decimal_places=2, null=True, blank=True
    )
    lead_time_days = models.PositiveIntegerField(_("lead time (days)"), null=True, blank=True)
    service_regions = models.ManyToManyField(
        Region,
        verbose_name=_("service regions"),
        blank=True,
        related_name="+",
        help_text=_("Empty means nationwide."),
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.DRAFT
    )
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("product")
        verbose_name_plural = _("products")
        ordering = ["-updated_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["supplier", "ref"], name="product_unique_ref"),
            models.CheckConstraint(
                condition=Q(price_min__isnull=True)
                | Q(price_max__isnull=True)
                | Q(price_min__lte=models.F("price_max")),
                name="product_price_range",
            ),
            models.CheckConstraint(
                condition=Q(price_min__isnull=True) | Q(price_min__gte=0),
                name="product_price_min_positive",
            ),
        ]
        indexes = [models.Index(fields=["status", "category"])]

    def __str__(self) -> str:
        return self.name
