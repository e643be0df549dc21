"""REST API of accounts: registration, the current user, organizations, members, invitations."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import authenticate
from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from django_filters import rest_framework as filters
from drf_spectacular.utils import OpenApiExample, extend_schema, inline_serializer
from rest_framework import generics, mixins, permissions, serializers, status, viewsets
from rest_framework.authtoken.models import Token
from rest_framework.decorators import action
from rest_framework.pagination import PageNumberPagination
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from catalog.models import Region
from config.api import UserLanguageMixin

from . import selectors, services
from .models import Badge, BadgeKind, Invitation, Membership, Organization, Role, User

# --- Serializers -------------------------------------------------------------------


class RegionField(serializers.SlugRelatedField):
    """A region by its GB/T 2260 code; the name is accepted too (``德阳``, ``成都市新都区``)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(slug_field="code", queryset=Region.objects.all(), **kwargs)

    def to_internal_value(self, data: Any) -> Region:
        from catalog.selectors import region_resolve

        region = region_resolve(text=str(data))
        if region is None:
            raise serializers.ValidationError(
                _(
                    "Unknown region %(value)s: give a GB/T 2260 code such as 510100"
                    " or a name such as 成都市."
                )
                % {"value": data}
            )
        return region


class UserSerializer(serializers.ModelSerializer[User]):
    class Meta:
        model = User
        fields = ["id", "email", "name", "language", "is_email_verified", "date_joined"]
        read_only_fields = ["id", "email", "is_email_verified", "date_joined"]


class RegisterSerializer(serializers.Serializer[User]):
    email = serializers.EmailField()
    password = serializers.CharField(write_only=True, style={"input_type": "password"})
    name = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    language = serializers.ChoiceField(choices=User.Language.choices, default=User.Language.ZH_HANS)


class TokenRequestSerializer(serializers.Serializer[Any]):
    email = serializers.EmailField()
    password = serializers.CharField(write_only=True, style={"input_type": "password"})


class BadgeSerializer(serializers.ModelSerializer[Badge]):
    is_active = serializers.SerializerMethodField()

    class Meta:
        model = Badge
        fields = ["id", "kind", "awarded_on", "expires_on", "is_active"]
        read_only_fields = ["id", "is_active"]

    def get_is_active(self, badge: Badge) -> bool:
        from django.utils import timezone

        return badge.is_active_on(timezone.localdate())


class OrganizationSerializer(serializers.ModelSerializer[Organization]):
    region = RegionField()
    region_name = serializers.CharField(source="region.__str__", read_only=True)
    roles = serializers.ListField(
        child=serializers.ChoiceField(choices=Role.choices), allow_empty=False
    )
    badges = BadgeSerializer(many=True, read_only=True)

    class Meta:
        model = Organization
        fields = [
            "id",
            "name",
            "uscc",
            "region",
            "region_name",
            "roles",
            "industry_chain",
            "contact_email",
            "verification_status",
            "verification_reason",
            "verified_at",
            "badges",
            "created_at",
        ]
        read_only_fields = [
            "id",
            "verification_status",
            "verification_reason",
            "verified_at",
            "badges",
            "created_at",
        ]
        # Uniqueness and the check digit are the service's job (one clear message).
        extra_kwargs: dict[str, Any] = {"uscc": {"validators": []}}

    def to_representation(self, instance: Organization) -> dict[str, Any]:
        data = dict(super().to_representation(instance))
        if not _contact_visible(self.context.get("request"), instance):
            data["contact_email"] = ""
        return data


def _contact_visible(request: Request | None, organization: Organization) -> bool:
    """Staged disclosure: an organization's contact is for its members, operators, and the
    parties of an interest (a supplier sees a buyer's contact once it expressed interest in
    one of its lines; the buyer then sees the supplier's). Serializers built without a request
    (answers to an organization's own members and to operators) show it."""
    if request is None or not request.user.is_authenticated:
        return request is None
    from deals.selectors import contact_visible_org_ids

    cache_name = "_contact_visible_org_ids"
    if not hasattr(request, cache_name):
        setattr(request, cache_name, contact_visible_org_ids(user=request.user))
    visible: set[int] | None = getattr(request, cache_name)
    return visible is None or organization.pk in visible


class OrganizationUpdateSerializer(OrganizationSerializer):
    class Meta(OrganizationSerializer.Meta):
        read_only_fields = [*OrganizationSerializer.Meta.read_only_fields, "uscc"]


class VerificationSerializer(serializers.Serializer[Any]):
    status = serializers.ChoiceField(choices=Organization.Verification.choices)
    reason = serializers.CharField(required=False, allow_blank=True, default="")


class BadgeAwardSerializer(serializers.Serializer[Any]):
    kind = serializers.ChoiceField(choices=BadgeKind.choices)
    awarded_on = serializers.DateField()
    expires_on = serializers.DateField(required=False, allow_null=True, default=None)


class MembershipSerializer(serializers.ModelSerializer[Membership]):
    user = UserSerializer(read_only=True)

    class Meta:
        model = Membership
        fields = ["id", "user", "role", "created_at"]


class InvitationSerializer(serializers.ModelSerializer[Invitation]):
    class Meta:
        model = Invitation
        fields = ["id", "email", "role", "created_at", "accepted_at"]
        read_only_fields = ["id", "created_at", "accepted_at"]


class TokenSerializer(serializers.Serializer[Any]):
    token = serializers.CharField()


# --- Views ---------------------------------------------------------------------------


class RegisterView(UserLanguageMixin, APIView):
    permission_classes = [permissions.AllowAny]
    throttle_scope = "register"

    @extend_schema(
        request=RegisterSerializer,
        responses={201: UserSerializer},
        examples=[
            OpenApiExample(
                "Register",
                value={
                    "email": "zhang.wei@example.com",
                    "password": "蜀缆-2026-secure",
                    "name": "张伟",
                },
                request_only=True,
            )
        ],
        summary="Register an account; a verification email is sent.",
    )
    def post(self, request: Request) -> Response:
        serializer = RegisterSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = services.user_register(**serializer.validated_data)
        return Response(UserSerializer(user).data, status=status.HTTP_201_CREATED)


class VerifyEmailView(UserLanguageMixin, APIView):
    permission_classes = [permissions.AllowAny]

    @extend_schema(request=TokenSerializer, responses={200: UserSerializer})
    def post(self, request: Request) -> Response:
        serializer = TokenSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = services.user_verify_email(token=serializer.validated_data["token"])
        return Response(UserSerializer(user).data)


class ObtainTokenView(UserLanguageMixin, APIView):
    """Exchange email and password for an API token (``Authorization: Token …``)."""

    permission_classes = [permissions.AllowAny]

    @extend_schema(
        request=TokenRequestSerializer,
        responses={200: inline_serializer("TokenResponse", {"token": serializers.CharField()})},
    )
    def post(self, request: Request) -> Response:
        serializer = TokenRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = authenticate(
            request._request,
            username=serializer.validated_data["email"].lower(),
            password=serializer.validated_data["password"],
        )
        if user is None:
            raise serializers.ValidationError(
                {"non_field_errors": [_("Wrong email address or password.")]}
            )
        if not isinstance(user, User) or not user.is_email_verified:
            raise serializers.ValidationError(
                {"non_field_errors": [_("Verify your email address before signing in.")]}
            )
        token, _created = Token.objects.get_or_create(user=user)
        return Response({"token": token.key})


class MeView(UserLanguageMixin, generics.RetrieveUpdateAPIView[User]):
    serializer_class = UserSerializer
    http_method_names = ["get", "patch", "head", "options"]

    def get_object(self) -> User:
        return selectors.user_from_request(self.request)

    def perform_update(self, serializer: serializers.BaseSerializer[User]) -> None:
        services.user_update(user=self.get_object(), **serializer.validated_data)


class OrganizationFilter(filters.FilterSet):
    role = filters.ChoiceFilter(choices=Role.choices, method="filter_role")
    region = filters.CharFilter(
        method="filter_region", help_text="GB/T 2260 code; includes sub-regions"
    )
    mine = filters.BooleanFilter(method="filter_mine", help_text="Only organizations I belong to")
    q = filters.CharFilter(field_name="name", lookup_expr="icontains")

    class Meta:
        model = Organization
        fields = ["verification_status"]

    def filter_role(
        self, qs: QuerySet[Organization], name: str, value: str
    ) -> QuerySet[Organization]:
        return qs.filter(roles__contains=[value])

    def filter_region(
        self, qs: QuerySet[Organization], name: str, value: str
    ) -> QuerySet[Organization]:
        prefix = value.rstrip("0")
        prefix = prefix[: 2 if len(prefix) <= 2 else 4 if len(prefix) <= 4 else 6]
        return qs.filter(region__code__startswith=prefix)

    def filter_mine(
        self, qs: QuerySet[Organization], name: str, value: bool
    ) -> QuerySet[Organization]:
        return qs.filter(memberships__user=self.request.user) if value else qs


class OrganizationViewSet(
    UserLanguageMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet[Organization],
):
    """Organizations: verified ones are public; pending ones only to their members and operators."""

    queryset = Organization.objects.none()  # for the schema; requests use get_queryset
    filterset_class = OrganizationFilter
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def get_queryset(self) -> QuerySet[Organization]:
        if getattr(self, "swagger_fake_view", False):
            return Organization.objects.none()
        user = selectors.user_from_request(self.request)
        return selectors.organization_visible_to(user=user).order_by("name", "pk")

    def get_serializer_class(self) -> type[serializers.BaseSerializer[Any]]:
        if self.action in ("update", "partial_update"):
            return OrganizationUpdateSerializer
        return OrganizationSerializer

    def _user(self) -> User:
        return selectors.user_from_request(self.request)

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = OrganizationSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        org = services.organization_create(by=self._user(), **serializer.validated_data)
        return Response(OrganizationSerializer(org).data, status=status.HTTP_201_CREATED)

    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        org = self.get_object()
        serializer = OrganizationUpdateSerializer(org, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        org = services.organization_update(
            organization=org, by=self._user(), **serializer.validated_data
        )
        return Response(OrganizationSerializer(org).data)

    @extend_schema(request=VerificationSerializer, responses={200: OrganizationSerializer})
    @action(detail=True, methods=["post"])
    def verify(self, request: Request, pk: str | None = None) -> Response:
        """Operators only: verify or reject (with a reason)."""
        serializer = VerificationSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        org = services.organization_set_verification(
            organization=self.get_object(), by=self._user(), **serializer.validated_data
        )
        return Response(OrganizationSerializer(org).data)

    @extend_schema(request=BadgeAwardSerializer, responses={201: BadgeSerializer})
    @action(detail=True, methods=["post"])
    def badges(self, request: Request, pk: str | None = None) -> Response:
        """Operators only: award a badge (成都工业精品 expires after two years by default)."""
        serializer = BadgeAwardSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        badge = services.badge_award(
            organization=self.get_object(), by=self._user(), **serializer.validated_data
        )
        return Response(BadgeSerializer(badge).data, status=status.HTTP_201_CREATED)

    def _member_org(self) -> Organization:
        org = self.get_object()
        if selectors.membership_get(user=self._user(), organization=org) is None and not (
            selectors.user_is_operator(user=self._user())
        ):
            from rest_framework.exceptions import NotFound

            raise NotFound()
        return org

    @extend_schema(responses={200: MembershipSerializer(many=True)})
    @action(detail=True, methods=["get"])
    def members(self, request: Request, pk: str | None = None) -> Response:
        org = self._member_org()
        return _paginated(
            request, selectors.membership_list(organization=org), MembershipSerializer
        )

    @extend_schema(responses={204: None})
    @action(detail=True, methods=["delete"], url_path=r"members/(?P<membership_id>\d+)")
    def remove_member(
        self, request: Request, pk: str | None = None, membership_id: str = ""
    ) -> Response:
        org = self._member_org()
        membership = get_object_or_404(Membership, pk=membership_id, organization=org)
        services.membership_remove(membership=membership, by=self._user())
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        methods=["post"], request=InvitationSerializer, responses={201: InvitationSerializer}
    )
    @extend_schema(methods=["get"], responses={200: InvitationSerializer(many=True)})
    @action(detail=True, methods=["get", "post"])
    def invitations(self, request: Request, pk: str | None = None) -> Response:
        org = self._member_org()
        if request.method == "GET":
            pending = selectors.invitation_pending_list(organization=org)
            return _paginated(request, pending, InvitationSerializer)
        serializer = InvitationSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        invitation = services.invitation_create(
            organization=org, by=self._user(), **serializer.validated_data
        )
        return Response(InvitationSerializer(invitation).data, status=status.HTTP_201_CREATED)


def _paginated(
    request: Request,
    queryset: QuerySet[Any],
    serializer_class: type[serializers.BaseSerializer[Any]],
) -> Response:
    """A page of a sub-collection (members, invitations) in the API's usual envelope."""
    paginator = PageNumberPagination()
    page = paginator.paginate_queryset(queryset, request)
    return paginator.get_paginated_response(serializer_class(page, many=True).data)


class InvitationAcceptView(UserLanguageMixin, APIView):
    @extend_schema(request=TokenSerializer, responses={200: MembershipSerializer})
    def post(self, request: Request) -> Response:
        serializer = TokenSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = selectors.user_from_request(request)
        membership = services.invitation_accept(token=serializer.validated_data["token"], user=user)
        return Response(MembershipSerializer(membership).data)
