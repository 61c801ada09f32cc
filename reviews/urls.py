from django.urls import path

import config.converters  # noqa: F401 (registers the <id:> converter)
from reviews import signoff_views, suggestion_views, views

app_name = "reviews"

comment = "comments/<id:comment_id>/"

urlpatterns = [
    path("designs/<id:design_id>/request/", views.review_request, name="request"),
    path(
        "designs/<id:design_id>/reviewers/<str:username>/withdraw/",
        views.review_withdraw,
        name="withdraw",
    ),
    path("designs/<id:design_id>/verdict/", views.verdict_submit, name="verdict"),
    path("designs/<id:design_id>/rounds/", views.review_round_start, name="round_start"),
    path("designs/<id:design_id>/changes/", views.review_changes, name="changes"),
    path(
        "designs/<id:design_id>/sections/<slug:key>/comments/",
        views.comment_add,
        name="comment_add",
    ),
    path(comment + "reply/", views.comment_reply, name="comment_reply"),
    path(comment + "edit/", views.comment_edit, name="comment_edit"),
    path(comment + "delete/", views.comment_delete, name="comment_delete"),
    path(comment + "issue/", views.issue_status_change, name="issue_status"),
    path(comment + "resolve/", views.thread_resolve, name="thread_resolve"),
    path(
        comment + "suggestion/apply/",
        suggestion_views.suggestion_apply,
        name="suggestion_apply",
    ),
    path(
        comment + "suggestion/dismiss/",
        suggestion_views.suggestion_dismiss,
        name="suggestion_dismiss",
    ),
    path(
        "designs/<id:design_id>/sections/<slug:key>/signoff/",
        signoff_views.signoff_give,
        name="signoff_give",
    ),
    path(
        "designs/<id:design_id>/sections/<slug:key>/signoff/withdraw/",
        signoff_views.signoff_withdraw,
        name="signoff_withdraw",
    ),
    path(
        "designs/<id:design_id>/sections/<slug:key>/signoff/settings/",
        signoff_views.signoff_settings,
        name="signoff_settings",
    ),
    path(
        "designs/<id:design_id>/sections/<slug:key>/signoff/panel/",
        signoff_views.signoff_panel,
        name="signoff_panel",
    ),
    path("notifications/", views.inbox, name="inbox"),
    path("notifications/read-all/", views.notifications_read_all, name="read_all"),
    path("notifications/settings/", views.notification_settings, name="settings"),
    path("notifications/<id:notification_id>/read/", views.notification_read, name="read"),
    path("notifications/<id:notification_id>/open/", views.notification_open, name="open"),
]
