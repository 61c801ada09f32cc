from django.contrib import admin

from exports.models import ExportJob


@admin.register(ExportJob)
class ExportJobAdmin(admin.ModelAdmin):
    list_display = ["pk", "design", "format", "status", "progress", "attempts", "created_at"]
    list_filter = ["status", "format"]
    raw_id_fields = ["design", "requested_by"]
    readonly_fields = ["revision", "source_digest", "created_at", "updated_at"]
