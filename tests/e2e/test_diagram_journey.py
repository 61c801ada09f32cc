"""A Mermaid diagram in a real browser under Crit's Content-Security-Policy: saved, drawn
in the background, and filled in on the page by itself as an image."""

from unittest import mock

import pytest
from django.urls import reverse

from designs import services as design_services
from designs.diagrams import renderer
from designs.diagrams import services as diagram_services
from designs.diagrams.models import Diagram
from designs.models import Section
from tests.factories import UserFactory, make_design
from tests.security.test_csp_browser import _violations, _watch

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

BODY = """Requests go through the cache first.

```mermaid
flowchart LR
  browser[Browser] --> web[Crit web]
  web --> cache[(Redis)]
  web --> db[(PostgreSQL)]
```
"""


@pytest.mark.skipif(not renderer.MERMAID_JS.exists(), reason="mermaid.min.js not vendored")
def test_a_diagram_fills_in_as_an_image_with_no_csp_violation(live_server, sign_in):
    alice = UserFactory(username="alice")
    design = make_design(author=alice, title="Cache")
    section = design.sections.order_by("position").first()
    with mock.patch.object(diagram_services, "diagrams_render_later"):  # not drawn yet
        design_services.section_update(
            section=section, body=BODY, state=Section.State.DRAFT, base_version=0, edited_by=alice
        )

    page = sign_in("alice")
    console = _watch(page)
    page.goto(live_server.url + reverse("designs:detail", args=[design.pk]))
    assert page.locator(f"#section-{section.key} .diagram-pending").is_visible()
    # Drawn now, on the live server's background thread; the card fills in by itself.
    diagram_services.diagrams_render_later(keys=list(Diagram.objects.values_list("key", flat=True)))
    image = page.locator(f"#section-{section.key} figure.diagram img")
    image.wait_for(timeout=60_000)  # a cold browser; the card polls until it is drawn
    page.wait_for_function(
        "(img) => img.complete && img.naturalWidth > 0", arg=image.element_handle()
    )
    assert image.evaluate("(img) => img.naturalWidth") > 0
    assert image.get_attribute("alt").startswith("Diagram (flowchart)")
    assert page.locator(".diagram-poll").count() == 0
    assert _violations(page, console) == []
    assert page.page_errors == []
