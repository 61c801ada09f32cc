"""What exports adds to the design page: the Export menu and the list of past exports."""

from typing import Any

from designs.page import PageRequest
from exports.forms import ExportForm
from exports.selectors import export_list


def design_page_loader(page_request: PageRequest) -> dict[str, Any]:
    """One query whatever the size of the design: the design's recent exports."""
    htmx = getattr(page_request.request, "htmx", None)
    if page_request.access is None or (htmx and not htmx.boosted):
        # A fragment of the page (one section) is being rendered: our panels are not on it.
        return {}
    return {
        "exports": export_list(design=page_request.access.design),
        "export_form": ExportForm(),
    }
