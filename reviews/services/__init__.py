"""Writes for reviews: review requests, comments and issues, verdicts, notifications.

Every service is keyword-only and atomic. Bad input raises ValidationError; an action the
user may not take raises PermissionError with a message that can be shown as it is.
"""

from reviews.services._common import CommentRateLimited, ReviewRequestRateLimited
from reviews.services.comments import (
    comment_add,
    comment_delete,
    comment_edit,
    comment_reply,
    issue_status_change,
    thread_resolve,
)
from reviews.services.digests import digest_send, digests_claim
from reviews.services.notifications import (
    delivery_for,
    notification_email_failed,
    notification_email_send,
    notification_mark_read,
    notification_settings_update,
    notifications_mark_all_read,
    wants_email,
)
from reviews.services.passages import PassageInput, anchors_follow
from reviews.services.requests import review_request, review_request_withdraw
from reviews.services.rounds import current_round, review_round_start
from reviews.services.signoffs import (
    section_signoff_settings_set,
    signoff_give,
    signoff_requirements_from_template,
    signoff_withdraw,
    signoffs_reset,
)
from reviews.services.status import design_review_status_refresh, review_status_for
from reviews.services.suggestions import (
    SuggestionConflict,
    suggestion_apply,
    suggestion_dismiss,
)
from reviews.services.verdicts import approvals_mark_stale, verdict_submit

__all__ = [
    "CommentRateLimited",
    "PassageInput",
    "ReviewRequestRateLimited",
    "SuggestionConflict",
    "anchors_follow",
    "approvals_mark_stale",
    "comment_add",
    "comment_delete",
    "comment_edit",
    "comment_reply",
    "current_round",
    "delivery_for",
    "design_review_status_refresh",
    "digest_send",
    "digests_claim",
    "issue_status_change",
    "notification_email_failed",
    "notification_email_send",
    "notification_mark_read",
    "notification_settings_update",
    "notifications_mark_all_read",
    "review_request",
    "review_request_withdraw",
    "review_round_start",
    "review_status_for",
    "section_signoff_settings_set",
    "signoff_give",
    "signoff_requirements_from_template",
    "signoff_withdraw",
    "signoffs_reset",
    "suggestion_apply",
    "suggestion_dismiss",
    "thread_resolve",
    "verdict_submit",
    "wants_email",
]
