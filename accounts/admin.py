from django.contrib import admin
from django.contrib.auth.admin import UserAdmin

from accounts.models import Invitation, Membership, Team, User


@admin.register(User)
class CritUserAdmin(UserAdmin):
    """Django's user admin, with whether the address is confirmed."""

    fieldsets = (
        *(UserAdmin.fieldsets or ()),  # type: ignore[misc]
        ("Email", {"fields": ("email_verified",)}),
    )
    list_display = ("username", "email", "email_verified", "first_name", "last_name", "is_staff")
    list_filter = ("is_staff", "is_superuser", "is_active", "email_verified", "groups")


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    raw_id_fields = ["user"]


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ["name", "created_at"]
    search_fields = ["name"]
    inlines = [MembershipInline]


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):
    list_display = ["team", "invitee", "role", "status", "invited_by", "created_at"]
    list_filter = ["status"]
    raw_id_fields = ["team", "invitee", "invited_by"]
