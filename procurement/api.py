"""REST API of procurement lists, their lines, and opportunity batches."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django_filters import rest_framework as filters
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema
from rest_framework import mixins, parsers, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.filters import OrderingFilter
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.api import RegionField
from accounts.models import Organization
from accounts.selectors import user_from_request
from catalog.api import CategoryField
from catalog.services import ensure_member
from config.api import (
    UserLanguageMixin,
    category_filter,
    export_format,
    region_prefix,
    report_response,
)

from . import services
from .exports import export_response
from .imports import procurement_list_import
from .models import (
    Opportunity,
    OpportunityBatch,
    ProcurementEvent,
    ProcurementItem,
    ProcurementList,
)
from .selectors import (
    keyword_filter,
    opportunity_batch_visible_to,
    opportunity_visible_to,
    procurement_item_visible_to,
    procurement_list_visible_to,
)

# --- Serializers -----------------------------------------------------------------------------


class ProcurementItemSerializer(serializers.ModelSerializer[ProcurementItem]):
    category = CategoryField(required=False, allow_null=True)
    delivery_region = RegionField(required=False, allow_null=True)
    delivery_region_name = serializers.CharField(
        source="delivery_region.__str__", read_only=True, default=""
    )
    required_certifications = serializers.ListField(
        child=serializers.CharField(max_length=60), required=False
    )
    quantity = serializers.DecimalField(
        max_digits=16, decimal_places=3, required=False, allow_null=True
    )
    budget = serializers.DecimalField(
        max_digits=18, decimal_places=2, min_value=0, required=False, allow_null=True
    )
    list_id = serializers.IntegerField(source="plist_id", read_only=True)

    class Meta:
        model = ProcurementItem
        fields = [
            "id",
            "list_id",
            "ref",
            "line_no",
            "name",
            "category",
            "category_inferred",
            "specs",
            "quantity",
            "unit",
            "budget",
            "delivery_region",
            "delivery_region_name",
            "delivery_date",
            "requirements",
            "required_certifications",
            "status",
        ]
        read_only_fields = ["id", "list_id", "category_inferred", "status"]
        extra_kwargs: dict[str, Any] = {
            "ref": {"required": False, "validators": []},
            "line_no": {"required": False},
        }

    def validate_quantity(self, value: Any) -> Any:
        from django.utils.translation import gettext as _

        if value is not None and value <= 0:
            raise serializers.ValidationError(_("The quantity must be greater than 0."))
        return value


class ProcurementListSerializer(serializers.ModelSerializer[ProcurementList]):
    buyer = serializers.PrimaryKeyRelatedField(queryset=Organization.objects.all())
    buyer_name = serializers.CharField(source="buyer.name", read_only=True)
    total_budget = serializers.DecimalField(max_digits=20, decimal_places=2, read_only=True)
    line_count = serializers.IntegerField(read_only=True)
    items = ProcurementItemSerializer(many=True, required=False)

    class Meta:
        model = ProcurementList
        fields = [
            "id",
            "buyer",
            "buyer_name",
            "title",
            "description",
            "deadline",
            "status",
            "published_at",
            "total_budget",
            "line_count",
            "items",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["id", "status", "published_at", "created_at", "updated_at"]


class ProcurementListSummarySerializer(ProcurementListSerializer):
    class Meta(ProcurementListSerializer.Meta):
        fields = [f for f in ProcurementListSerializer.Meta.fields if f != "items"]


class ProcurementListUpdateSerializer(serializers.ModelSerializer[ProcurementList]):
    class Meta:
        model = ProcurementList
        fields = ["title", "description", "deadline"]


class ProcurementEventSerializer(serializers.ModelSerializer[ProcurementEvent]):
    actor = serializers.CharField(source="actor.email", read_only=True, default=None)
    item_ref = serializers.CharField(source="item.ref", read_only=True, default=None)

    class Meta:
        model = ProcurementEvent
        fields = ["id", "kind", "actor", "item_ref", "changes", "created_at"]


class ListUploadSerializer(serializers.Serializer[Any]):
    file = serializers.FileField()
    buyer = serializers.PrimaryKeyRelatedField(queryset=Organization.objects.all())
    title = serializers.CharField(max_length=200)
    deadline = serializers.DateField(required=False, allow_null=True, default=None)
    description = serializers.CharField(required=False, allow_blank=True, default="")
    skip_invalid = serializers.BooleanField(default=False)


# --- Filters ---------------------------------------------------------------------------------


class ProcurementListFilter(filters.FilterSet):
    buyer = filters.NumberFilter(field_name="buyer_id")
    deadline_after = filters.DateFilter(field_name="deadline", lookup_expr="gte")
    deadline_before = filters.DateFilter(field_name="deadline", lookup_expr="lte")
    budget_min = filters.NumberFilter(field_name="total_budget", lookup_expr="gte")
    budget_max = filters.NumberFilter(field_name="total_budget", lookup_expr="lte")
    region = filters.CharFilter(method="filter_region", help_text="buyer's region, GB/T 2260 code")
    category = filters.CharFilter(
        method="filter_category", help_text="lists with a line in this category"
    )
    q = filters.CharFilter(method="filter_q", help_text="keywords, Chinese or English")

    class Meta:
        model = ProcurementList
        fields = ["status"]

    def filter_region(
        self, qs: QuerySet[ProcurementList], name: str, value: str
    ) -> QuerySet[ProcurementList]:
        return qs.filter(buyer__region__code__startswith=region_prefix(value))

    def filter_category(
        self, qs: QuerySet[ProcurementList], name: str, value: str
    ) -> QuerySet[ProcurementList]:
        ids = ProcurementItem.objects.filter(category_filter("category__", value)).values(
            "plist_id"
        )
        return qs.filter(pk__in=ids)

    def filter_q(
        self, qs: QuerySet[ProcurementList], name: str, value: str
    ) -> QuerySet[ProcurementList]:
        lines = ProcurementItem.objects.filter(
            keyword_filter(["name", "specs", "requirements"], value)
        )
        return qs.filter(
            keyword_filter(["title", "description", "buyer__name"], value)
            | Q(pk__in=lines.values("plist_id"))
        )


class ProcurementItemFilter(filters.FilterSet):
    list = filters.NumberFilter(field_name="plist_id")
    buyer = filters.NumberFilter(field_name="plist__buyer_id")
    category = filters.CharFilter(method="filter_category")
    region = filters.CharFilter(method="filter_region", help_text="delivery region, GB/T 2260 code")
    budget_min = filters.NumberFilter(field_name="budget", lookup_expr="gte")
    budget_max = filters.NumberFilter(field_name="budget", lookup_expr="lte")
    deadline_after = filters.DateFilter(field_name="plist__deadline", lookup_expr="gte")
    deadline_before = filters.DateFilter(field_name="plist__deadline", lookup_expr="lte")
    list_status = filters.ChoiceFilter(
        field_name="plist__status", choices=ProcurementList.Status.choices
    )
    q = filters.CharFilter(method="filter_q")

    class Meta:
        model = ProcurementItem
        fields = ["status"]

    def filter_category(
        self, qs: QuerySet[ProcurementItem], name: str, value: str
    ) -> QuerySet[ProcurementItem]:
        return qs.filter(category_filter("category__", value))

    def filter_region(
        self, qs: QuerySet[ProcurementItem], name: str, value: str
    ) -> QuerySet[ProcurementItem]:
        return qs.filter(delivery_region__code__startswith=region_prefix(value))

    def filter_q(
        self, qs: QuerySet[ProcurementItem], name: str, value: str
    ) -> QuerySet[ProcurementItem]:
        return qs.filter(keyword_filter(["name", "specs", "requirements", "plist__title"], value))


# --- Views -----------------------------------------------------------------------------------


class ProcurementListViewSet(
    UserLanguageMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet[ProcurementList],
):
    """Procurement lists (采购清单) with their lines. Drafts are visible only to the buyer."""

    queryset = ProcurementList.objects.none()
    filterset_class = ProcurementListFilter
    filter_backends = [filters.DjangoFilterBackend, OrderingFilter]
    ordering_fields = ["created_at", "deadline", "total_budget", "published_at"]
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self) -> QuerySet[ProcurementList]:
        if getattr(self, "swagger_fake_view", False):
            return ProcurementList.objects.none()
        qs = procurement_list_visible_to(user=user_from_request(self.request))
        if self.action == "retrieve":
            qs = qs.prefetch_related(
                "items__category", "items__delivery_region", "items__delivery_region__parent"
            )
        return qs.order_by("-created_at", "pk")

    def get_serializer_class(self) -> type[serializers.BaseSerializer[Any]]:
        if self.action == "list":
            return ProcurementListSummarySerializer
        if self.action in ("update", "partial_update"):
            return ProcurementListUpdateSerializer
        return ProcurementListSerializer

    def _detail(self, plist: ProcurementList) -> Response:
        fresh = self.get_queryset().prefetch_related("items").get(pk=plist.pk)
        return Response(ProcurementListSerializer(fresh).data)

    @extend_schema(
        request=ProcurementListSerializer,
        responses={201: ProcurementListSerializer},
        examples=[
            OpenApiExample(
                "A list with one line",
                value={
                    "buyer": 3,
                    "title": "2027年第一季度房建项目物资集中采购清单",
                    "deadline": "2027-01-10",
                    "items": [
                        {
                            "name": "消防水带",
                            "specs": "DN65 25米 10型",
                            "quantity": "480",
                            "unit": "盘",
                            "budget": "97630",
                            "delivery_region": "成都市金牛区",
                            "required_certifications": ["消防产品认证"],
                        }
                    ],
                },
                request_only=True,
            )
        ],
    )
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        from django.db import transaction

        serializer = ProcurementListSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        items = data.pop("items", [])
        user = user_from_request(request)
        with transaction.atomic():
            plist = services.procurement_list_create(buyer=data.pop("buyer"), by=user, **data)
            for line in items:
                services.procurement_item_add(plist=plist, by=user, **line)
        return Response(self._detail(plist).data, status=status.HTTP_201_CREATED)

    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        plist = self.get_object()
        serializer = ProcurementListUpdateSerializer(plist, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        services.procurement_list_update(
            plist=plist, by=user_from_request(request), **serializer.validated_data
        )
        return self._detail(plist)

    @extend_schema(request=None, responses={200: ProcurementListSerializer})
    @action(detail=True, methods=["post"])
    def publish(self, request: Request, pk: str | None = None) -> Response:
        plist = services.procurement_list_publish(
            plist=self.get_object(), by=user_from_request(request)
        )
        return self._detail(plist)

    @extend_schema(request=None, responses={200: ProcurementListSerializer})
    @action(detail=True, methods=["post"])
    def close(self, request: Request, pk: str | None = None) -> Response:
        plist = services.procurement_list_close(
            plist=self.get_object(), by=user_from_request(request)
        )
        return self._detail(plist)

    @extend_schema(request=None, responses={200: ProcurementListSerializer})
    @action(detail=True, methods=["post"])
    def cancel(self, request: Request, pk: str | None = None) -> Response:
        plist = services.procurement_list_cancel(
            plist=self.get_object(), by=user_from_request(request)
        )
        return self._detail(plist)

    @extend_schema(request=ProcurementItemSerializer, responses={201: ProcurementItemSerializer})
    @action(detail=True, methods=["post"])
    def items(self, request: Request, pk: str | None = None) -> Response:
        """Add a line to the list (drafts and published lists)."""
        plist = self.get_object()
        serializer = ProcurementItemSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        item = services.procurement_item_add(
            plist=plist, by=user_from_request(request), **serializer.validated_data
        )
        return Response(ProcurementItemSerializer(item).data, status=status.HTTP_201_CREATED)

    @extend_schema(responses={200: ProcurementEventSerializer(many=True)})
    @action(detail=True, methods=["get"])
    def events(self, request: Request, pk: str | None = None) -> Response:
        """The audit trail: who changed what, when (members of the buyer and operators)."""
        plist = self.get_object()
        user = user_from_request(request)
        from accounts.selectors import membership_get, user_is_operator

        if membership_get(user=user, organization=plist.buyer) is None and not user_is_operator(
            user=user
        ):
            from rest_framework.exceptions import NotFound

            raise NotFound()
        events = plist.events.select_related("actor", "item")
        return Response(ProcurementEventSerializer(events, many=True).data)

    @extend_schema(
        request={"multipart/form-data": ListUploadSerializer},
        responses={201: None, 400: None},
        summary="Upload a buyer's sheet as a draft list: the report and how each column was read.",
    )
    @action(
        detail=False, methods=["post"], parser_classes=[parsers.MultiPartParser, parsers.FormParser]
    )
    def upload(self, request: Request) -> Response:
        serializer = ListUploadSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        user = user_from_request(request)
        ensure_member(user=user, organization=data["buyer"])
        upload = data["file"]
        report, plist = procurement_list_import(
            upload.file,
            filename=upload.name,
            buyer=data["buyer"],
            title=data["title"],
            deadline=data["deadline"],
            description=data["description"],
            by=user,
            skip_invalid=data["skip_invalid"],
        )
        if plist is None:
            return report_response(report, status=400, list=None)
        return report_response(report, status=201, list=self._detail(plist).data)

    @extend_schema(
        parameters=[OpenApiParameter("format", enum=["xlsx", "csv"], default="xlsx")],
        responses={(200, "application/octet-stream"): bytes},
    )
    @action(detail=True, methods=["get"])
    def export(self, request: Request, pk: str | None = None) -> HttpResponse:
        """The list's lines as .xlsx or .csv."""
        fmt = export_format(request)
        plist = self.get_object()
        headers = [
            "序号",
            "物资名称",
            "类别",
            "规格型号",
            "数量",
            "单位",
            "预算金额（元）",
            "交货地点",
            "交货日期",
            "技术要求",
            "资质要求",
            "状态",
        ]
        rows = (
            [
                item.ref,
                item.name,
                item.category.name_zh if item.category else "",
                item.specs,
                item.quantity,
                item.unit,
                item.budget,
                str(item.delivery_region) if item.delivery_region else "",
                item.delivery_date,
                item.requirements,
                item.required_certifications,
                item.get_status_display(),
            ]
            for item in plist.items.select_related(
                "category", "delivery_region", "delivery_region__parent"
            )
        )
        return export_response(
            filename=f"procurement-list-{plist.pk}", headers=headers, rows=rows, fmt=fmt
        )


class ProcurementItemViewSet(
    UserLanguageMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet[ProcurementItem],
):
    """Lines of every visible list, filterable: what suppliers browse."""

    queryset = ProcurementItem.objects.none()
    serializer_class = ProcurementItemSerializer
    filterset_class = ProcurementItemFilter
    filter_backends = [filters.DjangoFilterBackend, OrderingFilter]
    ordering_fields = ["budget", "delivery_date", "plist__deadline", "line_no"]
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self) -> QuerySet[ProcurementItem]:
        if getattr(self, "swagger_fake_view", False):
            return ProcurementItem.objects.none()
        return procurement_item_visible_to(user=user_from_request(self.request)).order_by(
            "plist_id", "line_no", "pk"
        )

    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        item = self.get_object()
        serializer = ProcurementItemSerializer(item, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        item = services.procurement_item_update(
            item=item, by=user_from_request(request), **serializer.validated_data
        )
        return Response(ProcurementItemSerializer(item).data)

    @extend_schema(request=None, responses={200: ProcurementItemSerializer})
    @action(detail=True, methods=["post"])
    def cancel(self, request: Request, pk: str | None = None) -> Response:
        item = services.procurement_item_cancel(
            item=self.get_object(), by=user_from_request(request)
        )
        return Response(ProcurementItemSerializer(item).data)


class OpportunitySerializer(serializers.ModelSerializer[Opportunity]):
    batch = serializers.PrimaryKeyRelatedField(queryset=OpportunityBatch.objects.all())
    region = RegionField(required=False, allow_null=True)
    category = CategoryField(required=False, allow_null=True)
    amount = serializers.DecimalField(
        max_digits=18, decimal_places=2, min_value=0, required=False, allow_null=True
    )

    class Meta:
        model = Opportunity
        fields = [
            "id",
            "batch",
            "ref",
            "direction",
            "type",
            "type_label",
            "title",
            "description",
            "industry_chain",
            "category",
            "region",
            "amount",
            "organization",
            "deadline",
            "contact_email",
        ]
        read_only_fields = ["id"]
        extra_kwargs: dict[str, Any] = {"ref": {"required": False, "validators": []}}


class OpportunityUpdateSerializer(OpportunitySerializer):
    batch = serializers.PrimaryKeyRelatedField(read_only=True)

    class Meta(OpportunitySerializer.Meta):
        read_only_fields = ["id", "batch"]


class OpportunityBatchSerializer(serializers.ModelSerializer[OpportunityBatch]):
    publisher = serializers.PrimaryKeyRelatedField(queryset=Organization.objects.all())
    opportunity_count = serializers.IntegerField(read_only=True)
    total_amount = serializers.DecimalField(max_digits=20, decimal_places=2, read_only=True)

    class Meta:
        model = OpportunityBatch
        fields = [
            "id",
            "publisher",
            "title",
            "batch_no",
            "status",
            "published_at",
            "opportunity_count",
            "total_amount",
        ]
        read_only_fields = ["id", "status", "published_at"]


class OpportunityFilter(filters.FilterSet):
    batch = filters.NumberFilter(field_name="batch_id")
    region = filters.CharFilter(method="filter_region")
    category = filters.CharFilter(method="filter_category")
    amount_min = filters.NumberFilter(field_name="amount", lookup_expr="gte")
    amount_max = filters.NumberFilter(field_name="amount", lookup_expr="lte")
    deadline_after = filters.DateFilter(field_name="deadline", lookup_expr="gte")
    deadline_before = filters.DateFilter(field_name="deadline", lookup_expr="lte")
    chain = filters.CharFilter(field_name="industry_chain", lookup_expr="icontains")
    q = filters.CharFilter(method="filter_q")

    class Meta:
        model = Opportunity
        fields = ["direction", "type"]

    def filter_region(
        self, qs: QuerySet[Opportunity], name: str, value: str
    ) -> QuerySet[Opportunity]:
        return qs.filter(region__code__startswith=region_prefix(value))

    def filter_category(
        self, qs: QuerySet[Opportunity], name: str, value: str
    ) -> QuerySet[Opportunity]:
        return qs.filter(category_filter("category__", value))

    def filter_q(self, qs: QuerySet[Opportunity], name: str, value: str) -> QuerySet[Opportunity]:
        return qs.filter(keyword_filter(["title", "description", "industry_chain"], value))


class OpportunityBatchViewSet(
    UserLanguageMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet[OpportunityBatch],
):
    """Opportunity-list batches (机会清单). Operators create and publish them whole."""

    queryset = OpportunityBatch.objects.none()
    serializer_class = OpportunityBatchSerializer

    def get_queryset(self) -> QuerySet[OpportunityBatch]:
        if getattr(self, "swagger_fake_view", False):
            return OpportunityBatch.objects.none()
        return opportunity_batch_visible_to(user=user_from_request(self.request)).order_by(
            "-created_at", "pk"
        )

    @extend_schema(
        examples=[
            OpenApiExample(
                "A batch",
                value={"publisher": 1, "title": "成都市2027年第一批城市机会清单", "batch_no": 1},
                request_only=True,
            )
        ]
    )
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = OpportunityBatchSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        batch = services.opportunity_batch_create(
            by=user_from_request(request), **serializer.validated_data
        )
        return Response(
            OpportunityBatchSerializer(self.get_queryset().get(pk=batch.pk)).data, status=201
        )

    @extend_schema(request=None, responses={200: OpportunityBatchSerializer})
    @action(detail=True, methods=["post"])
    def publish(self, request: Request, pk: str | None = None) -> Response:
        batch = services.opportunity_batch_publish(
            batch=self.get_object(), by=user_from_request(request)
        )
        return Response(OpportunityBatchSerializer(self.get_queryset().get(pk=batch.pk)).data)


class OpportunityViewSet(
    UserLanguageMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet[Opportunity],
):
    """Opportunities of published batches; operators add and edit them."""

    queryset = Opportunity.objects.none()
    filterset_class = OpportunityFilter
    filter_backends = [filters.DjangoFilterBackend, OrderingFilter]
    ordering_fields = ["amount", "deadline", "created_at"]
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_serializer_class(self) -> type[serializers.BaseSerializer[Any]]:
        if self.action in ("update", "partial_update"):
            return OpportunityUpdateSerializer
        return OpportunitySerializer

    def get_queryset(self) -> QuerySet[Opportunity]:
        if getattr(self, "swagger_fake_view", False):
            return Opportunity.objects.none()
        return opportunity_visible_to(user=user_from_request(self.request)).order_by(
            "batch_id", "pk"
        )

    @extend_schema(
        examples=[
            OpenApiExample(
                "A financing demand",
                value={
                    "batch": 1,
                    "ref": "O-0007",
                    "direction": "demand",
                    "type": "financing",
                    "type_label": "融资需求",
                    "title": "锂电正极材料扩产项目股权融资",
                    "industry_chain": "新能源·锂电",
                    "region": "510600",
                    "amount": "50000000",
                    "deadline": "2027-06-30",
                },
                request_only=True,
            )
        ]
    )
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = OpportunitySerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        batch = get_object_or_404(
            opportunity_batch_visible_to(user=user_from_request(request)), pk=data.pop("batch").pk
        )
        opportunity = services.opportunity_create(
            batch=batch, by=user_from_request(request), **data
        )
        return Response(OpportunitySerializer(opportunity).data, status=201)

    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        opportunity = self.get_object()
        serializer = OpportunityUpdateSerializer(opportunity, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        opportunity = services.opportunity_update(
            opportunity=opportunity, by=user_from_request(request), **serializer.validated_data
        )
        return Response(OpportunitySerializer(opportunity).data)

    @extend_schema(
        parameters=[OpenApiParameter("format", enum=["xlsx", "csv"], default="xlsx")],
        responses={(200, "application/octet-stream"): bytes},
    )
    @action(detail=False, methods=["get"])
    def export(self, request: Request) -> HttpResponse:
        fmt = export_format(request)
        rows = (
            [
                o.ref,
                o.batch.title,
                o.get_direction_display(),
                o.type_label or o.get_type_display(),
                o.title,
                o.description,
                o.industry_chain,
                str(o.region) if o.region else "",
                o.amount,
                o.deadline,
            ]
            for o in self.filter_queryset(self.get_queryset())
        )
        headers = [
            "编号",
            "批次名称",
            "供需方向",
            "机会类型",
            "机会名称",
            "机会内容",
            "产业链",
            "所在地区",
            "金额（元）",
            "截止日期",
        ]
        return export_response(filename="opportunities", headers=headers, rows=rows, fmt=fmt)
