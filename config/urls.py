from django.contrib import admin
from django.urls import include, path

from config.health import healthz
from config.metrics import metrics_view

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("metrics", metrics_view, name="metrics"),
    path("admin/", admin.site.urls),
    path("accounts/", include("accounts.urls")),
    path("teams/", include("accounts.team_urls")),
    path("reviews/", include("reviews.urls")),
    path("accounts/tokens/", include("api.urls")),
    path("api/v1/", include("api.v1.urls")),
    path("", include("exports.urls")),
    path("", include("designs.urls")),
    path("", include("designs.diagrams.urls")),
    path("search/", include("search.urls")),
    path("", include("activity.urls")),
]
