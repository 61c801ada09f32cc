from django.urls import path

import config.converters  # noqa: F401 (registers the <id:> converter)
from activity import views

app_name = "activity"

hook = "teams/<id:team_id>/webhooks/<id:webhook_id>/"

urlpatterns = [
    path("designs/<id:design_id>/activity/", views.design_activity, name="design"),
    path("teams/<id:team_id>/activity/", views.team_activity, name="team"),
    path("teams/<id:team_id>/webhooks/", views.webhook_list, name="webhooks"),
    path(hook, views.webhook_detail, name="webhook"),
    path(hook + "secret/", views.webhook_secret, name="webhook_secret"),
    path(hook + "delete/", views.webhook_delete, name="webhook_delete"),
    path(
        hook + "deliveries/<id:delivery_id>/resend/",
        views.delivery_resend,
        name="delivery_resend",
    ),
]
