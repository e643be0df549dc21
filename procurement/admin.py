from django.contrib import admin

from .models import (
    Opportunity,
    OpportunityBatch,
    ProcurementEvent,
    ProcurementItem,
    ProcurementList,
)


class ProcurementItemInline(admin.TabularInline[ProcurementItem, ProcurementList]):
    model = ProcurementItem
    extra = 0
    raw_id_fields = ["category", "delivery_region"]
    fields = [
        "ref",
        "line_no",
        "name",
        "category",
        "quantity",
        "unit",
        "budget",
        "delivery_region",
        "status",
    ]


@admin.register(ProcurementList)
class ProcurementListAdmin(admin.ModelAdmin[ProcurementList]):
    list_display = ["title", "buyer", "status", "deadline", "published_at"]
    list_filter = ["status"]
    search_fields = ["title", "buyer__name"]
    raw_id_fields = ["buyer", "created_by"]
    inlines = [ProcurementItemInline]


@admin.register(ProcurementItem)
class ProcurementItemAdmin(admin.ModelAdmin[ProcurementItem]):
    list_display = ["name", "plist", "category", "quantity", "unit", "budget", "status"]
    list_filter = ["status", "category_inferred"]
    search_fields = ["name", "ref", "plist__title"]
    raw_id_fields = ["plist", "category", "delivery_region"]


@admin.register(ProcurementEvent)
class ProcurementEventAdmin(admin.ModelAdmin[ProcurementEvent]):
    list_display = ["plist", "kind", "actor", "created_at"]
    list_filter = ["kind"]
    raw_id_fields = ["plist", "item", "actor"]

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False  # the audit trail is append-only


class OpportunityInline(admin.TabularInline[Opportunity, OpportunityBatch]):
    model = Opportunity
    extra = 0
    fields = ["ref", "direction", "type", "title", "amount", "deadline"]


@admin.register(OpportunityBatch)
class OpportunityBatchAdmin(admin.ModelAdmin[OpportunityBatch]):
    list_display = ["title", "batch_no", "publisher", "status", "published_at"]
    list_filter = ["status"]
    raw_id_fields = ["publisher"]
    inlines = [OpportunityInline]


@admin.register(Opportunity)
class OpportunityAdmin(admin.ModelAdmin[Opportunity]):
    list_display = ["title", "batch", "direction", "type", "amount", "region", "deadline"]
    list_filter = ["direction", "type"]
    search_fields = ["title", "ref", "description"]
    raw_id_fields = ["batch", "region", "organization", "category"]
