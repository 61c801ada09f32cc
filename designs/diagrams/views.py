from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.utils.csp import CSP
from django.views.decorators.csp import csp_override
from django.views.decorators.http import require_GET

from config.http import HtmxHttpRequest
from designs.diagrams import selectors

# An SVG opened on its own runs nothing and loads nothing; its own styles apply.
SVG_CSP = {"default-src": [CSP.NONE], "style-src": [CSP.UNSAFE_INLINE]}


@login_required
@require_GET
@csp_override(SVG_CSP)
def diagram_svg(request: HtmxHttpRequest, design_id: int, diagram: str) -> HttpResponse:
    if len(diagram) != 64 or not all(c in "0123456789abcdef" for c in diagram):
        raise Http404("No such diagram.")
    svg = selectors.diagram_svg_for(request.user, design_id, diagram)
    response = HttpResponse(svg, content_type="image/svg+xml; charset=utf-8")
    response["X-Content-Type-Options"] = "nosniff"
    response["Cross-Origin-Resource-Policy"] = "same-origin"
    # Its content never changes (the key is its source's hash); access may, so not for long.
    response["Cache-Control"] = "private, max-age=600"
    return response
