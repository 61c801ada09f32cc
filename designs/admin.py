"""The admin shows every row, but text and the counts kept beside it change only through
the services, which also record revisions, render the stored HTML and move the keys of
cached pages and cards. Rows the services own are view-only here (``ServiceOwnedAdmin``),
and the design's own service-kept fields are read-only."""

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from designs.models import Design, Revision, Section, Template, TemplateSection


class ViewOnly:
    """No add, change or delete, whoever asks (superusers included)."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class ServiceOwnedAdmin(ViewOnly, admin.ModelAdmin):
    """A list and a view of rows only the services write."""


class ServiceOwnedInline(ViewOnly, admin.TabularInline):
    """The same, inline."""


class TemplateSectionInline(admin.TabularInline):
    model = TemplateSection
    extra = 0


@admin.register(Template)
class TemplateAdmin(admin.ModelAdmin):
    list_display = ["name", "team", "is_default"]
    inlines = [TemplateSectionInline]


@admin.register(Design)
class DesignAdmin(admin.ModelAdmin):
    list_display = ["title", "team", "status", "last_edited_at"]
    list_filter = ["status"]
    search_fields = ["title"]
    raw_id_fields = ["created_by", "last_edited_by"]
    # Set by saves, verdicts and the status rules (design_status_set), never by hand.
    readonly_fields = [
        "status",
        "section_count",
        "covered_count",
        "live_approval_count",
        "live_signoff_count",
        "last_edited_at",
        "last_edited_by",
        "created_at",
        "updated_at",
    ]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # design_create makes the sections from a template


@admin.register(Section)
class SectionAdmin(ServiceOwnedAdmin):
    """Text changes through section_update and section_restore, each a new revision."""

    list_display = ["design", "position", "title", "state", "version"]
    raw_id_fields = ["design", "updated_by"]


@admin.register(Revision)
class RevisionAdmin(ServiceOwnedAdmin):
    """The history: never rewritten."""

    list_display = ["section", "version", "author", "created_at"]
    raw_id_fields = ["section", "author"]
