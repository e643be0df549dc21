from __future__ import annotations

from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from . import services
from .models import Badge, Invitation, Membership, Organization, User
from .selectors import user_from_request


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    ordering = ["email"]
    list_display = ["email", "name", "language", "email_verified_at", "is_staff", "is_active"]
    list_filter = ["is_staff", "is_active", "language"]
    search_fields = ["email", "name"]
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        (_("Profile"), {"fields": ("name", "language", "email_verified_at")}),
        (
            _("Permissions"),
            {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")},
        ),
        (_("Dates"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("email", "password1", "password2")}),)


class MembershipInline(admin.TabularInline[Membership, Organization]):
    model = Membership
    extra = 0
    raw_id_fields = ["user"]


class BadgeInline(admin.TabularInline[Badge, Organization]):
    model = Badge
    extra = 0
    exclude = ["awarded_by"]


@admin.register(Organization)
class OrganizationAdmin(admin.ModelAdmin[Organization]):
    list_display = ["name", "uscc", "region", "roles", "verification_status", "created_at"]
    list_filter = ["verification_status"]
    search_fields = ["name", "uscc"]
    raw_id_fields = ["region", "verified_by"]
    readonly_fields = ["verified_at", "verified_by", "created_at", "updated_at"]
    inlines = [MembershipInline, BadgeInline]
    actions = ["verify_selected"]

    @admin.action(description=_("Verify the selected organizations"))
    def verify_selected(self, request: HttpRequest, queryset: QuerySet[Organization]) -> None:
        user = user_from_request(request)
        for org in queryset:
            services.organization_set_verification(
                organization=org, by=user, status=Organization.Verification.VERIFIED
            )
        self.message_user(
            request, _("Verified %(n)d organizations.") % {"n": queryset.count()}, messages.SUCCESS
        )


@admin.register(Badge)
class BadgeAdmin(admin.ModelAdmin[Badge]):
    list_display = ["organization", "kind", "awarded_on", "expires_on"]
    list_filter = ["kind"]
    search_fields = ["organization__name"]
    raw_id_fields = ["organization", "awarded_by"]


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin[Membership]):
    list_display = ["user", "organization", "role", "created_at"]
    list_filter = ["role"]
    search_fields = ["user__email", "organization__name"]
    raw_id_fields = ["user", "organization"]


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin[Invitation]):
    list_display = ["email", "organization", "role", "invited_by", "created_at", "accepted_at"]
    search_fields = ["email", "organization__name"]
    raw_id_fields = ["organization", "invited_by", "accepted_by"]
