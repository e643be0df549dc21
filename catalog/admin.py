from django.contrib import admin

from .models import Category, Product, Region


@admin.register(Region)
class RegionAdmin(admin.ModelAdmin[Region]):
    list_display = ["code", "name", "short_name", "level", "parent"]
    list_filter = ["level"]
    search_fields = ["code", "name", "short_name"]
    raw_id_fields = ["parent"]


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin[Category]):
    list_display = ["code", "name_zh", "name_en", "level", "parent"]
    list_filter = ["level"]
    search_fields = ["code", "name_zh", "name_en"]
    raw_id_fields = ["parent"]


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin[Product]):
    list_display = [
        "name",
        "supplier",
        "category",
        "status",
        "price_min",
        "price_max",
        "updated_at",
    ]
    list_filter = ["status", "category__parent"]
    search_fields = ["name", "ref", "supplier__name"]
    raw_id_fields = ["supplier", "category"]
    filter_horizontal = ["service_regions"]
