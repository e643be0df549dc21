"""REST API of the catalogue: regions (categories come with the listings)."""

from __future__ import annotations

from django.db.models import QuerySet
from django_filters import rest_framework as filters
from rest_framework import permissions, serializers, viewsets

from .models import Region


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


class RegionViewSet(viewsets.ReadOnlyModelViewSet[Region]):
    """GB/T 2260 regions: every province, and Sichuan down to districts and counties."""

    serializer_class = RegionSerializer
    lookup_field = "code"
    permission_classes = [permissions.AllowAny]
    filterset_class = RegionFilter

    def get_queryset(self) -> QuerySet[Region]:
        return Region.objects.order_by("code")
