from django.urls import path

import config.converters  # noqa: F401 (registers the <id:> converter)
from designs import views

app_name = "designs"

section = "designs/<id:design_id>/sections/<slug:key>/"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("designs/new/", views.design_create, name="create"),
    path("designs/<id:design_id>/", views.design_detail, name="detail"),
    path("designs/<id:design_id>/edit/", views.design_edit, name="edit"),
    path("designs/<id:design_id>/links/", views.design_links, name="links"),
    path(
        "designs/<id:design_id>/links/<id:link_id>/remove/",
        views.design_link_remove,
        name="link_remove",
    ),
    path(section, views.section_detail, name="section"),
    path(section + "edit/", views.section_edit, name="section_edit"),
    path(section + "preview/", views.section_preview, name="section_preview"),
    path(section + "history/", views.section_history, name="section_history"),
    path(section + "diff/", views.section_diff, name="section_diff"),
    path(section + "restore/", views.section_restore, name="section_restore"),
]
