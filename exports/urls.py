from django.urls import path

import config.converters  # noqa: F401 (registers the <id:> converter)
from exports import views

app_name = "exports"

urlpatterns = [
    path("designs/<id:design_id>/exports/", views.design_exports, name="design"),
    path("exports/<id:job_id>/", views.export_job, name="job"),
    path("exports/<id:job_id>/download/", views.export_download, name="download"),
]
