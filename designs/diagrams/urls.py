from django.urls import path

import config.converters  # noqa: F401 (registers the <id:> converter)
from designs.diagrams import views

app_name = "diagrams"

urlpatterns = [
    path("designs/<id:design_id>/diagrams/<slug:diagram>.svg", views.diagram_svg, name="svg"),
]
