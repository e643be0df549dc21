"""REST API of the catalogue: regions, categories and suppliers' products."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet
from django.http import HttpResponse
from django.utils import timezone
from django_filters import rest_framework as filters
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema
from rest_framework import mixins, parsers, permissions, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.filters import OrderingFilter
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.models import BadgeKind, Organization
from accounts.selectors import user_from_request
from config.api import (
    UserLanguageMixin,
    category_filter,
    export_format,
    region_prefix,
    report_response,
)
from procurement.exports import export_response
from procurement.selectors import keyword_filter

from . import services
from .models import Category, Product, Region
from .selectors import product_visible_to


class RegionSerializer(serializers.ModelSerializer[Region]):
    parent_code = serializers.CharField(source="parent_id", read_only=True, allow_null=True)

    class Meta:
        model = Region
        fields = ["code", "name", "short_name", "level", "parent_code"]


class RegionFilter(filters.FilterSet):
    parent = filters.CharFilter(field_name="parent_id")
    q = filters.CharFilter(field_name="name", lookup_expr="contains")

    class Meta:
        model = Region
        fields = ["level"]


class RegionViewSet(UserLanguageMixin, viewsets.ReadOnlyModelViewSet[Region]):
    """GB/T 2260 regions: every province, and Sichuan down to districts and counties."""

    serializer_class = RegionSerializer
    permission_classes = [permissions.AllowAny]
    filterset_class = RegionFilter
    lookup_field = "code"

    def get_queryset(self) -> QuerySet[Region]:
        return Region.objects.order_by("code")


class CategorySerializer(serializers.ModelSerializer[Category]):
    parent_code = serializers.CharField(source="parent.code", read_only=True, default=None)

    class Meta:
        model = Category
        fields = ["code", "name_zh", "name_en", "level", "parent_code", "synonyms"]


class CategoryFilter(filters.FilterSet):
    parent = filters.CharFilter(field_name="parent__code")
    q = filters.CharFilter(method="filter_q")

    class Meta:
        model = Category
        fields = ["level"]

    def filter_q(self, qs: QuerySet[Category], name: str, value: str) -> QuerySet[Category]:
        return qs.filter(
            Q(name_zh__icontains=value) | Q(name_en__icontains=value) | Q(synonyms__icontains=value)
        )


class CategoryViewSet(UserLanguageMixin, viewsets.ReadOnlyModelViewSet[Category]):
    """The taxonomy: pillar industry → industry chain → product category."""

    serializer_class = CategorySerializer
    permission_classes = [permissions.AllowAny]
    filterset_class = CategoryFilter
    lookup_field = "code"
    pagination_class = None

    def get_queryset(self) -> QuerySet[Category]:
        return Category.objects.select_related("parent").order_by("code")


class CategoryField(serializers.SlugRelatedField):
    """A category by code; a name or synonym is accepted too (``电力线缆`` → power cable)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(slug_field="code", queryset=Category.objects.all(), **kwargs)

    def to_internal_value(self, data: Any) -> Category:
        from django.utils.translation import gettext as _

        from .selectors import CategoryIndex

        category = CategoryIndex.load().resolve(str(data))
        if category is None:
            raise serializers.ValidationError(_("Unknown category %(value)s.") % {"value": data})
        return category


class ProductSerializer(serializers.ModelSerializer[Product]):
    supplier = serializers.PrimaryKeyRelatedField(queryset=Organization.objects.all())
    supplier_name = serializers.CharField(source="supplier.name", read_only=True)
    category = CategoryField(required=False, allow_null=True)
    service_regions = serializers.SlugRelatedField(
        slug_field="code", queryset=Region.objects.all(), many=True, required=False
    )
    certifications = serializers.ListField(
        child=serializers.CharField(max_length=60), required=False
    )
    price_min = serializers.DecimalField(
        max_digits=16, decimal_places=2, min_value=0, required=False, allow_null=True
    )
    price_max = serializers.DecimalField(
        max_digits=16, decimal_places=2, min_value=0, required=False, allow_null=True
    )
    monthly_capacity = serializers.DecimalField(
        max_digits=16, decimal_places=2, min_value=0, required=False, allow_null=True
    )

    class Meta:
        model = Product
        fields = [
            "id",
            "ref",
            "supplier",
            "supplier_name",
            "name",
            "category",
            "description",
            "specs",
            "certifications",
            "price_min",
            "price_max",
            "unit",
            "monthly_capacity",
            "lead_time_days",
            "service_regions",
            "status",
            "published_at",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["id", "status", "published_at", "created_at", "updated_at"]
        extra_kwargs: dict[str, Any] = {"ref": {"required": False, "validators": []}}


class ProductUpdateSerializer(ProductSerializer):
    supplier = serializers.PrimaryKeyRelatedField(read_only=True)

    class Meta(ProductSerializer.Meta):
        read_only_fields = [*ProductSerializer.Meta.read_only_fields, "supplier"]


class ProductFilter(filters.FilterSet):
    category = filters.CharFilter(
        method="filter_category", help_text="category code; includes its subtree"
    )
    region = filters.CharFilter(
        method="filter_region", help_text="GB/T 2260 code: products serving it (or nationwide)"
    )
    badge = filters.ChoiceFilter(choices=BadgeKind.choices, method="filter_badge")
    supplier = filters.NumberFilter(field_name="supplier_id")
    q = filters.CharFilter(method="filter_q", help_text="keywords, Chinese or English")
    price_max = filters.NumberFilter(field_name="price_min", lookup_expr="lte")

    class Meta:
        model = Product
        fields = ["status"]

    def filter_category(self, qs: QuerySet[Product], name: str, value: str) -> QuerySet[Product]:
        return qs.filter(category_filter("category__", value))

    def filter_region(self, qs: QuerySet[Product], name: str, value: str) -> QuerySet[Product]:
        prefix = region_prefix(value)
        # A product serving 成都市 serves 新都区; one serving nobody in particular serves all.
        covering = [value, value[:4] + "00", value[:2] + "0000"]
        return qs.filter(
            Q(service_regions__isnull=True)
            | Q(service_regions__code__in=covering)
            | Q(service_regions__code__startswith=prefix)
        ).distinct()

    def filter_badge(self, qs: QuerySet[Product], name: str, value: str) -> QuerySet[Product]:
        today = timezone.localdate()
        return qs.filter(
            Q(supplier__badges__kind=value, supplier__badges__awarded_on__lte=today)
            & (
                Q(supplier__badges__expires_on__isnull=True)
                | Q(supplier__badges__expires_on__gt=today)
            )
        ).distinct()

    def filter_q(self, qs: QuerySet[Product], name: str, value: str) -> QuerySet[Product]:
        return qs.filter(
            keyword_filter(
                ["name", "description", "specs", "category__name_zh", "supplier__name"], value
            )
        )


class UploadSerializer(serializers.Serializer[Any]):
    file = serializers.FileField()
    skip_invalid = serializers.BooleanField(default=False)


class ProductUploadSerializer(UploadSerializer):
    supplier = serializers.PrimaryKeyRelatedField(queryset=Organization.objects.all())
    publish = serializers.BooleanField(default=False)


class ProductViewSet(
    UserLanguageMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet[Product],
):
    """Suppliers' products. Published ones are public; drafts only to the supplier's members."""

    queryset = Product.objects.none()
    filterset_class = ProductFilter
    filter_backends = [filters.DjangoFilterBackend, OrderingFilter]
    ordering_fields = ["updated_at", "price_min", "name", "lead_time_days"]
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self) -> QuerySet[Product]:
        if getattr(self, "swagger_fake_view", False):
            return Product.objects.none()
        return product_visible_to(user=user_from_request(self.request)).order_by(
            "-updated_at", "pk"
        )

    def get_serializer_class(self) -> type[serializers.BaseSerializer[Any]]:
        if self.action in ("update", "partial_update"):
            return ProductUpdateSerializer
        return ProductSerializer

    @extend_schema(
        examples=[
            OpenApiExample(
                "A power cable",
                value={
                    "supplier": 12,
                    "ref": "S-0002",
                    "name": "35kV铜芯交联电力电缆",
                    "category": "电力电缆",
                    "specs": "YJV22 26/35kV 3×50~3×400mm²",
                    "certifications": ["CQC", "ISO14001"],
                    "price_min": "443.00",
                    "price_max": "570.00",
                    "unit": "米",
                    "monthly_capacity": "19600",
                    "lead_time_days": 5,
                    "service_regions": ["510100", "510600"],
                },
                request_only=True,
            )
        ]
    )
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = ProductSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        product = services.product_create(
            supplier=data.pop("supplier"), by=user_from_request(request), **data
        )
        return Response(ProductSerializer(product).data, status=status.HTTP_201_CREATED)

    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        product = self.get_object()
        serializer = ProductUpdateSerializer(product, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        product = services.product_update(
            product=product, by=user_from_request(request), **serializer.validated_data
        )
        return Response(ProductSerializer(product).data)

    @extend_schema(request=None, responses={200: ProductSerializer})
    @action(detail=True, methods=["post"])
    def publish(self, request: Request, pk: str | None = None) -> Response:
        product = services.product_publish(product=self.get_object(), by=user_from_request(request))
        return Response(ProductSerializer(product).data)

    @extend_schema(request=None, responses={200: ProductSerializer})
    @action(detail=True, methods=["post"])
    def archive(self, request: Request, pk: str | None = None) -> Response:
        product = services.product_archive(product=self.get_object(), by=user_from_request(request))
        return Response(ProductSerializer(product).data)

    @extend_schema(
        request={"multipart/form-data": ProductUploadSerializer},
        responses={201: None, 400: None},
        examples=[
            OpenApiExample(
                "A catalogue sheet",
                value={
                    "supplier": 12,
                    "file": "产品目录.xlsx",
                    "skip_invalid": False,
                    "publish": False,
                },
                request_only=True,
            )
        ],
        summary="Upload a catalogue spreadsheet (.xlsx or .csv); returns the validation report.",
    )
    @action(
        detail=False,
        methods=["post"],
        parser_classes=[parsers.MultiPartParser, parsers.FormParser],
    )
    def upload(self, request: Request) -> Response:
        from procurement.imports import products_import

        serializer = ProductUploadSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = user_from_request(request)
        supplier = serializer.validated_data["supplier"]
        services.ensure_member(user=user, organization=supplier)
        if serializer.validated_data["publish"]:
            services.ensure_can_publish(organization=supplier)
        upload = serializer.validated_data["file"]
        report = products_import(
            upload.file,
            filename=upload.name,
            supplier=supplier,
            by=user,
            skip_invalid=serializer.validated_data["skip_invalid"],
            publish=serializer.validated_data["publish"],
        )
        return report_response(report, status=201 if report.written else 400)

    @extend_schema(
        parameters=[OpenApiParameter("format", enum=["xlsx", "csv"], default="xlsx")],
        responses={(200, "application/octet-stream"): bytes},
    )
    @action(detail=False, methods=["get"])
    def export(self, request: Request) -> HttpResponse:
        """The products visible to you, with the current filters, as .xlsx or .csv."""
        fmt = export_format(request)
        products = self.filter_queryset(self.get_queryset())
        headers = [
            "编号",
            "供应商",
            "产品名称",
            "产品类别",
            "规格型号",
            "认证",
            "最低价",
            "最高价",
            "单位",
            "状态",
        ]
        rows = (
            [
                p.ref,
                p.supplier.name,
                p.name,
                p.category.name_zh if p.category else "",
                p.specs,
                p.certifications,
                p.price_min,
                p.price_max,
                p.unit,
                p.get_status_display(),
            ]
            for p in products
        )
        return export_response(filename="products", headers=headers, rows=rows, fmt=fmt)
