from django.contrib import admin

from designs.models import Design, Revision, Section, Template, TemplateSection


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


@admin.register(Section)
class SectionAdmin(admin.ModelAdmin):
    list_display = ["design", "position", "title", "state", "version"]
    raw_id_fields = ["design", "updated_by"]


@admin.register(Revision)
class RevisionAdmin(admin.ModelAdmin):
    list_display = ["section", "version", "author", "created_at"]
    raw_id_fields = ["section", "author"]
