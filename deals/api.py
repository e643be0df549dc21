"""REST API of the deal workflow: matches and their interest, deals, and the programme's figures."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_filters import rest_framework as filters
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, extend_schema, extend_schema_field
from rest_framework import mixins, parsers, permissions, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.filters import OrderingFilter
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import Organization
from accounts.selectors import user_from_request, user_is_operator
from config.api import UserLanguageMixin
from matching.models import Match
from procurement.models import ProcurementItem

from . import services, stats
from .models import ATTACHMENT_EXTENSIONS, Deal, Interest
from .selectors import (
    contact_disclosed_list_ids,
    deal_visible_to,
    match_visible_to,
    member_org_ids,
)

# --- Serializers -----------------------------------------------------------------------------


class InterestSerializer(serializers.ModelSerializer[Interest]):
    supplier_name = serializers.CharField(source="supplier.name", read_only=True)
    attachment = serializers.SerializerMethodField(
        help_text="Where the parties download the attachment (signed-in, not a public URL)."
    )

    class Meta:
        model = Interest
        fields = [
            "id",
            "status",
            "supplier",
            "supplier_name",
            "message",
            "unit_price",
            "total_price",
            "lead_time_days",
            "valid_until",
            "attachment",
            "decline_reason",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    @extend_schema_field(OpenApiTypes.URI)
    def get_attachment(self, interest: Interest) -> str | None:
        if not interest.attachment:
            return None
        from django.urls import reverse

        path = reverse("deals:interest-attachment", args=[interest.pk])
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request is not None else path


class InterestRequestSerializer(serializers.Serializer[Any]):
    message = serializers.CharField(required=False, allow_blank=True, default="", max_length=5000)
    unit_price = serializers.DecimalField(
        max_digits=16, decimal_places=2, min_value=0, required=False, allow_null=True
    )
    total_price = serializers.DecimalField(
        max_digits=18, decimal_places=2, min_value=0, required=False, allow_null=True
    )
    lead_time_days = serializers.IntegerField(
        min_value=0, max_value=3650, required=False, allow_null=True
    )
    valid_until = serializers.DateField(required=False, allow_null=True)
    attachment = serializers.FileField(
        required=False,
        allow_null=True,
        help_text=f"≤ 10 MB; {', '.join(ATTACHMENT_EXTENSIONS)}",
    )

    def validate_attachment(self, value: Any) -> Any:
        from django.core.exceptions import ValidationError as DjangoValidationError

        from .models import attachment_validators

        if value is None:
            return value
        for validator in attachment_validators():
            try:
                validator(value)
            except DjangoValidationError as exc:
                raise serializers.ValidationError(exc.messages) from exc
        return value


class QuoteRequestSerializer(InterestRequestSerializer):
    message = serializers.CharField(required=False, allow_blank=True, max_length=5000)


class DeclineSerializer(serializers.Serializer[Any]):
    reason = serializers.CharField(max_length=2000)


class BuyerContactSerializer(serializers.Serializer[Any]):
    name = serializers.CharField()
    contact_email = serializers.EmailField()


class MatchSerializer(serializers.ModelSerializer[Match]):
    need_kind = serializers.SerializerMethodField()
    need_id = serializers.SerializerMethodField()
    need_title = serializers.SerializerMethodField()
    list_id = serializers.SerializerMethodField()
    list_title = serializers.SerializerMethodField()
    deadline = serializers.SerializerMethodField()
    quantity = serializers.DecimalField(
        source="need_item.quantity", max_digits=16, decimal_places=3, read_only=True, default=None
    )
    unit = serializers.CharField(source="need_item.unit", read_only=True, default="")
    budget = serializers.DecimalField(
        source="need_item.budget", max_digits=18, decimal_places=2, read_only=True, default=None
    )
    offer_kind = serializers.SerializerMethodField()
    offer_id = serializers.SerializerMethodField()
    offer_title = serializers.SerializerMethodField()
    buyer_name = serializers.CharField(source="buyer.name", read_only=True, default="")
    supplier_name = serializers.CharField(source="supplier.name", read_only=True, default="")
    interest = serializers.SerializerMethodField()
    buyer_contact = serializers.SerializerMethodField()

    class Meta:
        model = Match
        fields = [
            "id",
            "need_kind",
            "need_id",
            "need_title",
            "list_id",
            "list_title",
            "deadline",
            "quantity",
            "unit",
            "budget",
            "offer_kind",
            "offer_id",
            "offer_title",
            "buyer",
            "buyer_name",
            "supplier",
            "supplier_name",
            "score",
            "rank",
            "reasons",
            "notify",
            "status",
            "created_at",
            "interest",
            "buyer_contact",
        ]
        read_only_fields = fields

    def get_need_kind(self, match: Match) -> str:
        return "procurement_item" if match.need_item_id else "opportunity"

    def get_need_id(self, match: Match) -> int:
        return int(match.need_item_id or match.need_opportunity_id or 0)

    def get_need_title(self, match: Match) -> str:
        need = match.need_item or match.need_opportunity
        return str(need) if need else ""

    @extend_schema_field(OpenApiTypes.INT)
    def get_list_id(self, match: Match) -> int | None:
        return match.need_item.plist_id if match.need_item else None

    def get_list_title(self, match: Match) -> str:
        if match.need_item:
            return match.need_item.plist.title
        return match.need_opportunity.batch.title if match.need_opportunity else ""

    @extend_schema_field(OpenApiTypes.DATE)
    def get_deadline(self, match: Match) -> Any:
        if match.need_item:
            return match.need_item.plist.deadline
        return match.need_opportunity.deadline if match.need_opportunity else None

    def get_offer_kind(self, match: Match) -> str:
        return "product" if match.offer_product_id else "opportunity"

    def get_offer_id(self, match: Match) -> int:
        return int(match.offer_product_id or match.offer_opportunity_id or 0)

    def get_offer_title(self, match: Match) -> str:
        offer = match.offer_product or match.offer_opportunity
        return str(offer) if offer else ""

    @extend_schema_field(InterestSerializer(allow_null=True))
    def get_interest(self, match: Match) -> dict[str, Any] | None:
        interest = getattr(match, "interest", None)
        if interest is None:
            return None
        return dict(InterestSerializer(interest, context=self.context).data)

    @extend_schema_field(BuyerContactSerializer(allow_null=True))
    def get_buyer_contact(self, match: Match) -> dict[str, Any] | None:
        """Staged disclosure: the buyer's contact, once the supplier expressed interest."""
        if not _contact_visible(self.context, match):
            return None
        buyer = match.buyer
        if buyer is None:
            return None
        return {"name": buyer.name, "contact_email": buyer.contact_email}


def _contact_visible(context: Mapping[str, Any], match: Match) -> bool:
    if context.get("is_operator"):
        return True
    orgs: set[int] = context.get("member_orgs", set())
    if match.buyer_id in orgs:
        return True
    if match.need_item is None:
        return False
    return match.need_item.plist_id in context.get("disclosed_lists", set())


class DealSerializer(serializers.ModelSerializer[Deal]):
    buyer_name = serializers.CharField(source="buyer.name", read_only=True)
    supplier_name = serializers.CharField(source="supplier.name", read_only=True)
    items: Any = serializers.PrimaryKeyRelatedField(many=True, read_only=True)
    interests: Any = serializers.PrimaryKeyRelatedField(many=True, read_only=True)

    class Meta:
        model = Deal
        fields = [
            "id",
            "buyer",
            "buyer_name",
            "supplier",
            "supplier_name",
            "items",
            "interests",
            "amount",
            "signed_on",
            "contract_number",
            "created_at",
        ]
        read_only_fields = fields


class DealCreateSerializer(serializers.Serializer[Any]):
    supplier = serializers.PrimaryKeyRelatedField(queryset=Organization.objects.all())
    items = serializers.ListField(child=serializers.IntegerField(), allow_empty=False)
    interests = serializers.ListField(
        child=serializers.IntegerField(), required=False, allow_null=True, default=None
    )
    amount = serializers.DecimalField(max_digits=18, decimal_places=2, min_value=0)
    signed_on = serializers.DateField()
    contract_number = serializers.CharField(max_length=100)


class StatsColumnSerializer(serializers.Serializer[Any]):
    key = serializers.CharField()
    label = serializers.CharField()  # type: ignore[assignment]
    kind = serializers.ChoiceField(choices=["text", "int", "money"])


class StatsTableSerializer(serializers.Serializer[Any]):
    key = serializers.CharField()
    title = serializers.CharField()
    columns = StatsColumnSerializer(many=True)
    rows = serializers.ListField(child=serializers.DictField())


class StatsSerializer(serializers.Serializer[Any]):
    generated_at = serializers.DateTimeField()
    tables = StatsTableSerializer(many=True)


# --- Filters ---------------------------------------------------------------------------------


class MatchFilter(filters.FilterSet):
    need_item = filters.NumberFilter(field_name="need_item_id")
    need_opportunity = filters.NumberFilter(field_name="need_opportunity_id")
    offer_product = filters.NumberFilter(field_name="offer_product_id")
    offer_opportunity = filters.NumberFilter(field_name="offer_opportunity_id")
    need = filters.CharFilter(field_name="need_key", help_text="procurement_item:12, opportunity:3")
    offer = filters.CharFilter(field_name="offer_key", help_text="product:7, opportunity:9")
    plist = filters.NumberFilter(field_name="need_item__plist_id")
    min_score = filters.NumberFilter(field_name="score", lookup_expr="gte")
    notify = filters.BooleanFilter()
    interest_status = filters.MultipleChoiceFilter(
        field_name="interest__status", choices=Interest.Status.choices
    )
    has_interest = filters.BooleanFilter(field_name="interest", lookup_expr="isnull", exclude=True)

    class Meta:
        model = Match
        fields = ["status"]


class DealFilter(filters.FilterSet):
    buyer = filters.NumberFilter(field_name="buyer_id")
    supplier = filters.NumberFilter(field_name="supplier_id")
    item = filters.NumberFilter(field_name="items")
    signed_after = filters.DateFilter(field_name="signed_on", lookup_expr="gte")
    signed_before = filters.DateFilter(field_name="signed_on", lookup_expr="lte")

    class Meta:
        model = Deal
        fields: list[str] = []


# --- Views -----------------------------------------------------------------------------------


class IsOperator(permissions.BasePermission):
    message = gettext_lazy("Only the programme office can see the programme's figures.")

    def has_permission(self, request: Request, view: Any) -> bool:
        user = request.user
        return bool(user and user.is_authenticated and user_is_operator(user=user))


class MatchViewSet(
    UserLanguageMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet[Match],
):
    """Matches of the caller's organizations: a supplier's offers, a buyer's needs.

    The buyer's contact (``buyer_contact``) is disclosed to a supplier only after it expressed
    interest in a line of that list. A buyer ranks the interested suppliers of a line with
    ``?need_item=<line>&has_interest=true&ordering=rank``; each match carries its
    interest and quote.
    """

    queryset = Match.objects.none()
    serializer_class = MatchSerializer
    filterset_class = MatchFilter
    filter_backends = [filters.DjangoFilterBackend, OrderingFilter]
    ordering_fields = ["score", "rank", "created_at"]

    def get_queryset(self) -> QuerySet[Match]:
        if getattr(self, "swagger_fake_view", False):
            return Match.objects.none()
        return match_visible_to(user=user_from_request(self.request)).order_by(
            "need_key", "rank", "pk"
        )

    def get_serializer_context(self) -> dict[str, Any]:
        context = dict(super().get_serializer_context())
        if getattr(self, "swagger_fake_view", False) or not self.request.user.is_authenticated:
            return context
        user = user_from_request(self.request)
        context["is_operator"] = user_is_operator(user=user)
        context["member_orgs"] = set(member_org_ids(user))
        context["disclosed_lists"] = contact_disclosed_list_ids(user=user)
        return context

    def _detail(self, match: Match) -> Response:
        match = self.get_queryset().get(pk=match.pk)
        return Response(MatchSerializer(match, context=self.get_serializer_context()).data)

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        match = self.get_object()
        services.match_mark_viewed(match=match, by=user_from_request(request))
        return Response(MatchSerializer(match, context=self.get_serializer_context()).data)

    def _interest(self, match: Match) -> Interest:
        interest = getattr(match, "interest", None)
        if interest is None:
            from rest_framework.exceptions import NotFound

            raise NotFound(_("No supplier has expressed interest in this match."))
        return interest

    @extend_schema(
        request={
            "application/json": InterestRequestSerializer,
            "multipart/form-data": InterestRequestSerializer,
        },
        responses={201: MatchSerializer, 409: None},
        examples=[
            OpenApiExample(
                "Interest with a quote",
                value={
                    "message": "我司可按期供货，附报价单。",
                    "unit_price": "268.00",
                    "total_price": "536000.00",
                    "lead_time_days": 30,
                    "valid_until": "2027-03-31",
                },
                request_only=True,
            )
        ],
        summary="The supplier expresses interest, optionally with a quote and an attachment.",
    )
    @action(
        detail=True,
        methods=["post"],
        parser_classes=[parsers.JSONParser, parsers.MultiPartParser, parsers.FormParser],
    )
    def interest(self, request: Request, pk: str | None = None) -> Response:
        match = self.get_object()
        serializer = InterestRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.interest_express(
            match=match, by=user_from_request(request), **serializer.validated_data
        )
        response = self._detail(match)
        response.status_code = status.HTTP_201_CREATED
        return response

    @extend_schema(
        request={
            "application/json": QuoteRequestSerializer,
            "multipart/form-data": QuoteRequestSerializer,
        },
        responses={200: MatchSerializer, 409: None},
        summary="The supplier changes its message or quote.",
    )
    @action(
        detail=True,
        methods=["post"],
        parser_classes=[parsers.JSONParser, parsers.MultiPartParser, parsers.FormParser],
    )
    def quote(self, request: Request, pk: str | None = None) -> Response:
        match = self.get_object()
        serializer = QuoteRequestSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        attachment = data.pop("attachment", None)
        services.interest_quote(
            interest=self._interest(match),
            by=user_from_request(request),
            attachment=attachment,
            **data,
        )
        return self._detail(match)

    @extend_schema(request=None, responses={200: MatchSerializer, 409: None})
    @action(detail=True, methods=["post"])
    def withdraw(self, request: Request, pk: str | None = None) -> Response:
        match = self.get_object()
        services.interest_withdraw(interest=self._interest(match), by=user_from_request(request))
        return self._detail(match)

    @extend_schema(request=None, responses={200: MatchSerializer, 409: None})
    @action(detail=True, methods=["post"])
    def shortlist(self, request: Request, pk: str | None = None) -> Response:
        match = self.get_object()
        services.interest_shortlist(interest=self._interest(match), by=user_from_request(request))
        return self._detail(match)

    @extend_schema(request=DeclineSerializer, responses={200: MatchSerializer, 409: None})
    @action(detail=True, methods=["post"])
    def decline(self, request: Request, pk: str | None = None) -> Response:
        match = self.get_object()
        serializer = DeclineSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.interest_decline(
            interest=self._interest(match),
            by=user_from_request(request),
            reason=serializer.validated_data["reason"],
        )
        return self._detail(match)


class DealViewSet(
    UserLanguageMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet[Deal],
):
    """Signed deals: the buyer records them; both parties and operators read them."""

    queryset = Deal.objects.none()
    serializer_class = DealSerializer
    filterset_class = DealFilter
    filter_backends = [filters.DjangoFilterBackend, OrderingFilter]
    ordering_fields = ["signed_on", "amount", "created_at"]

    def get_queryset(self) -> QuerySet[Deal]:
        if getattr(self, "swagger_fake_view", False):
            return Deal.objects.none()
        return deal_visible_to(user=user_from_request(self.request)).order_by("-signed_on", "-pk")

    @extend_schema(
        request=DealCreateSerializer,
        responses={201: DealSerializer, 409: None},
        examples=[
            OpenApiExample(
                "A deal",
                value={
                    "supplier": 7,
                    "items": [101, 102],
                    "amount": "1250000.00",
                    "signed_on": "2027-02-15",
                    "contract_number": "CDJT-2027-0042",
                },
                request_only=True,
            )
        ],
    )
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = DealCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        user = user_from_request(request)
        orgs = member_org_ids(user)
        # Only lines of the caller's own lists can be named: others answer "unknown".
        items = list(
            ProcurementItem.objects.select_related("plist", "plist__buyer").filter(
                pk__in=data["items"], plist__buyer_id__in=orgs
            )
        )
        missing = sorted(set(data["items"]) - {i.pk for i in items})
        if missing:
            raise serializers.ValidationError(
                {"items": [_("Unknown lines: %(ids)s.") % {"ids": missing}]}
            )
        interests = None
        if data["interests"] is not None:
            interests = list(Interest.objects.filter(pk__in=data["interests"], buyer_id__in=orgs))
            missing = sorted(set(data["interests"]) - {i.pk for i in interests})
            if missing:
                raise serializers.ValidationError(
                    {"interests": [_("Unknown interests: %(ids)s.") % {"ids": missing}]}
                )
        deal = services.deal_record(
            by=user,
            supplier=data["supplier"],
            items=items,
            amount=data["amount"],
            signed_on=data["signed_on"],
            contract_number=data["contract_number"],
            interests=interests,
        )
        return Response(
            DealSerializer(self.get_queryset().get(pk=deal.pk)).data,
            status=status.HTTP_201_CREATED,
        )


class StatsView(UserLanguageMixin, APIView):
    """The programme's figures (operators only): the same tables as the dashboard."""

    permission_classes = [permissions.IsAuthenticated, IsOperator]

    @extend_schema(responses={200: StatsSerializer})
    def get(self, request: Request) -> Response:
        report = stats.programme_stats()
        return Response(report.as_dict())
