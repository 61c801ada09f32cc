from django.urls import path

from exports import views

app_name = "exports"

urlpatterns = [
    path("designs/<int:design_id>/exports/", views.design_exports, name="design"),
    path("exports/<int:job_id>/", views.export_job, name="job"),
    path("exports/<int:job_id>/download/", views.export_download, name="download"),
]
