from django.contrib import admin

from activity.models import Delivery, Event, Webhook


@admin.register(Event)
class EventAdmin(admin.ModelAdmin):
    """Read-only: events are never changed or deleted."""

    list_display = ("created_at", "kind", "actor", "team", "design", "summary")
    list_filter = ("kind",)
    list_select_related = ("actor", "team", "design")

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Webhook)
class WebhookAdmin(admin.ModelAdmin):
    list_display = ("url", "team", "active", "failing_since", "created_at")
    list_select_related = ("team",)
    exclude = ("secret",)


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin):
    list_display = ("created_at", "webhook", "event", "status", "attempts", "response_code")
    list_select_related = ("webhook", "event")
    readonly_fields = [f.name for f in Delivery._meta.fields]
