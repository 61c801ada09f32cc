from django.urls import path

import config.converters  # noqa: F401 (registers the <id:> converter)
from api import views

app_name = "api"

urlpatterns = [
    path("", views.token_list, name="tokens"),
    path("<id:token_id>/revoke/", views.token_revoke, name="token_revoke"),
]
