from django.urls import path

import config.converters  # noqa: F401 (registers the <id:> converter)
from designs import template_views, views

app_name = "designs"

section = "designs/<id:design_id>/sections/<slug:key>/"
template = "templates/<id:template_id>/"

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
    path("designs/import/", template_views.design_import, name="import"),
    path("templates/", template_views.template_list, name="templates"),
    path("templates/new/", template_views.template_create, name="template_create"),
    path(template, template_views.template_detail, name="template_detail"),
    path(template + "edit/", template_views.template_edit, name="template_edit"),
    path(template + "copy/", template_views.template_copy, name="template_copy"),
    path(template + "order/", template_views.template_reorder, name="template_reorder"),
    path(template + "sections/", template_views.template_section_add, name="template_section_add"),
    path(
        template + "sections/<slug:key>/",
        template_views.template_section_edit,
        name="template_section_edit",
    ),
    path(
        template + "sections/<slug:key>/move/",
        template_views.template_section_move,
        name="template_section_move",
    ),
    path(
        template + "sections/<slug:key>/remove/",
        template_views.template_section_remove,
        name="template_section_remove",
    ),
]
