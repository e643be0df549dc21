from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from .models import AuditEvent, Deal, Interest


class AuditEventInline(admin.TabularInline[AuditEvent, Any]):
    model = AuditEvent
    fk_name = "interest"
    extra = 0
    can_delete = False
    fields = ["created_at", "verb", "actor", "organization", "data"]
    readonly_fields = ["created_at", "verb", "actor", "organization", "data"]

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Interest)
class InterestAdmin(admin.ModelAdmin[Interest]):
    list_display = [
        "match",
        "supplier",
        "buyer",
        "status",
        "unit_price",
        "total_price",
        "lead_time_days",
        "created_at",
    ]
    list_filter = ["status"]
    search_fields = ["supplier__name", "buyer__name", "item__name", "message"]
    raw_id_fields = ["match", "supplier", "buyer", "item", "created_by"]
    readonly_fields = ["created_at", "updated_at"]
    inlines = [AuditEventInline]


@admin.register(Deal)
class DealAdmin(admin.ModelAdmin[Deal]):
    list_display = ["contract_number", "buyer", "supplier", "amount", "signed_on", "created_at"]
    list_filter = ["signed_on"]
    search_fields = ["contract_number", "buyer__name", "supplier__name"]
    raw_id_fields = ["buyer", "supplier", "items", "interests", "created_by"]
    date_hierarchy = "signed_on"
    readonly_fields = ["created_at"]


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin[AuditEvent]):
    """The audit trail is append-only: read it here, never change it."""

    list_display = ["created_at", "verb", "actor", "organization", "match", "interest", "deal"]
    list_filter = ["verb"]
    search_fields = ["actor__email", "organization__name"]
    date_hierarchy = "created_at"
    list_select_related = ["actor", "organization", "match", "interest", "deal"]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return [f.name for f in AuditEvent._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
