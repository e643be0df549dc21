"""REST API of notifications: the in-app inbox, preferences and watches of the caller."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import Organization
from accounts.selectors import user_from_request

from . import delivery, selectors, services
from .models import PREFERENCE_KINDS, Frequency, Notification, Watch


class NotificationSerializer(serializers.ModelSerializer[Notification]):
    headline = serializers.SerializerMethodField()
    unread = serializers.SerializerMethodField()

    class Meta:
        model = Notification
        fields = [
            "id",
            "kind",
            "headline",
            "match",
            "status",
            "unread",
            "read_at",
            "sent_at",
            "created_at",
        ]
        read_only_fields = fields

    def get_headline(self, obj: Notification) -> str:
        return delivery.headline(obj)

    def get_unread(self, obj: Notification) -> bool:
        return obj.read_at is None


class ReadManySerializer(serializers.Serializer[Any]):
    ids = serializers.ListField(child=serializers.IntegerField(min_value=1), required=False)


class NotificationViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet[Notification]
):
    """The caller's notifications, newest first. `?unread=1` lists only the unread ones."""

    serializer_class = NotificationSerializer
    queryset = Notification.objects.none()  # for the schema; get_queryset scopes to the caller

    def get_queryset(self) -> QuerySet[Notification]:
        rows = selectors.inbox_for(user=user_from_request(self.request))
        if self.request.query_params.get("unread") in ("1", "true"):
            rows = rows.filter(read_at__isnull=True)
        return rows

    @extend_schema(
        responses=inline_serializer("UnreadCount", {"unread": serializers.IntegerField()})
    )
    @action(detail=False, methods=["get"], url_path="unread-count")
    def unread_count(self, request: Request) -> Response:
        return Response({"unread": selectors.unread_count(user=user_from_request(request))})

    @extend_schema(
        request=None,
        responses=inline_serializer("Marked", {"marked": serializers.IntegerField()}),
    )
    @action(detail=True, methods=["post"])
    def read(self, request: Request, pk: str | None = None) -> Response:
        notification = self.get_object()
        marked = services.mark_read(user=user_from_request(request), ids=[notification.pk])
        return Response({"marked": marked})

    @extend_schema(
        request=ReadManySerializer,
        responses=inline_serializer("MarkedMany", {"marked": serializers.IntegerField()}),
    )
    @action(detail=False, methods=["post"], url_path="read-all")
    def read_all(self, request: Request) -> Response:
        body = ReadManySerializer(data=request.data)
        body.is_valid(raise_exception=True)
        ids = body.validated_data.get("ids")
        marked = services.mark_read(user=user_from_request(request), ids=ids)
        return Response({"marked": marked})


class PreferencesSerializer(serializers.Serializer[Any]):
    def get_fields(self) -> dict[str, serializers.Field[Any, Any, Any, Any]]:
        return {
            kind: serializers.ChoiceField(choices=Frequency.choices, required=False)
            for kind in PREFERENCE_KINDS
        }


class PreferencesView(APIView):
    """How often the caller hears about each kind: `instant`, `daily`, `weekly` or `off`."""

    @extend_schema(responses=PreferencesSerializer)
    def get(self, request: Request) -> Response:
        return Response(services.preferences_for(user_from_request(request)))

    @extend_schema(request=PreferencesSerializer, responses=PreferencesSerializer)
    def put(self, request: Request) -> Response:
        body = PreferencesSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        return Response(
            services.preferences_set(user=user_from_request(request), changes=body.validated_data)
        )

    patch = put


class WatchSerializer(serializers.ModelSerializer[Watch]):
    organization = serializers.PrimaryKeyRelatedField(queryset=Organization.objects.all())
    categories = serializers.ListField(
        child=serializers.CharField(max_length=60), required=False, default=list
    )
    regions = serializers.ListField(
        child=serializers.CharField(max_length=6), required=False, default=list
    )
    keywords = serializers.ListField(
        child=serializers.CharField(max_length=40), required=False, default=list
    )

    class Meta:
        model = Watch
        fields = [
            "id",
            "organization",
            "name",
            "mode",
            "categories",
            "regions",
            "keywords",
            "min_budget",
            "created_at",
        ]
        read_only_fields = ["id", "created_at"]


class WatchViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet[Watch],
):
    """Watches of the caller's organizations: needs to hear about beyond, or instead of, the
    matcher's picks."""

    serializer_class = WatchSerializer
    queryset = Watch.objects.none()  # for the schema; get_queryset scopes to the caller

    def get_queryset(self) -> QuerySet[Watch]:
        return selectors.watches_for(user=user_from_request(self.request))

    def perform_create(self, serializer: serializers.BaseSerializer[Watch]) -> None:
        serializer.instance = services.watch_create(
            by=user_from_request(self.request), **serializer.validated_data
        )

    def perform_destroy(self, instance: Watch) -> None:
        services.watch_delete(watch=instance, by=user_from_request(self.request))
