from django.contrib import admin

from designs.admin import ServiceOwnedAdmin, ServiceOwnedInline
from reviews.models import (
    Comment,
    CommentAnchor,
    IssueChange,
    Notification,
    NotificationSettings,
    ReviewRequest,
    Suggestion,
    Verdict,
)


@admin.register(ReviewRequest)
class ReviewRequestAdmin(admin.ModelAdmin):
    list_display = ["design", "reviewer", "requested_by", "requested_at"]
    raw_id_fields = ["design", "reviewer", "requested_by"]


class IssueChangeInline(ServiceOwnedInline):
    model = IssueChange
    extra = 0
    raw_id_fields = ["changed_by"]


@admin.register(Comment)
class CommentAdmin(ServiceOwnedAdmin):
    """Bodies, edits, deletions and issue states change through the comment services,
    which render the HTML, keep the issue history and move the cached threads."""

    list_display = ["pk", "design", "section", "author", "issue_status", "created_at"]
    list_filter = ["issue_status"]
    raw_id_fields = ["design", "section", "parent", "author", "resolved_by"]
    inlines = [IssueChangeInline]


@admin.register(Verdict)
class VerdictAdmin(ServiceOwnedAdmin):
    """A verdict moves the design's live approval count and status: services only."""

    list_display = ["design", "reviewer", "kind", "stale_at", "created_at"]
    list_filter = ["kind"]
    raw_id_fields = ["design", "reviewer"]


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ["recipient", "kind", "text", "read_at", "email_status", "created_at"]
    list_filter = ["kind", "email_status"]
    raw_id_fields = ["recipient", "actor", "design", "section", "comment"]


@admin.register(NotificationSettings)
class NotificationSettingsAdmin(admin.ModelAdmin):
    list_display = ["user", "email_enabled"]
    raw_id_fields = ["user"]


@admin.register(CommentAnchor)
class CommentAnchorAdmin(ServiceOwnedAdmin):
    """Anchors follow every save of their section: services only."""

    list_display = ["comment", "section", "status", "section_version", "updated_at"]
    list_filter = ["status"]
    raw_id_fields = ["comment", "section"]


@admin.register(Suggestion)
class SuggestionAdmin(ServiceOwnedAdmin):
    """Applying a suggestion saves a revision: services only."""

    list_display = ["comment", "section", "status", "decided_by", "applied_version"]
    list_filter = ["status"]
    raw_id_fields = ["comment", "design", "section", "decided_by"]
