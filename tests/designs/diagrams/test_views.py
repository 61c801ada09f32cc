"""The diagram's SVG from the design's URL, the block on the page, the placeholder that
fills in by itself, and the preview."""

from unittest import mock

import pytest
from django.urls import reverse

from designs.diagrams import blocks, renderer, services
from designs.diagrams.models import Diagram
from designs.models import Section
from tests.designs.diagrams.conftest import FLOWCHART, fence, save
from tests.factories import UserFactory, make_design

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}
SVG = (
    '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10" width="10.00" height="10.00">'
    "<text>Browser</text></svg>"
)
KEY = blocks.diagram_key(FLOWCHART)


def drawn(svg: str = SVG):
    return mock.patch.object(renderer, "render", return_value=renderer.Rendered(svg, 12))


def svg_url(design, key=KEY):
    return reverse("diagrams:svg", args=[design.pk, key])


@pytest.fixture
def shown(section):
    """A section showing FLOWCHART, drawn."""
    save(section, "Our system:\n\n" + fence(FLOWCHART))
    with drawn():
        services.diagram_render(key=KEY)
    return section


def test_the_svg_is_served_with_its_own_headers(
    client, alice, shown, django_assert_max_num_queries
):
    client.force_login(alice)
    with django_assert_max_num_queries(6):
        response = client.get(svg_url(shown.design))
    assert response.status_code == 200
    assert response.content.decode() == SVG
    assert response["Content-Type"] == "image/svg+xml; charset=utf-8"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Security-Policy"] == "default-src 'none'; style-src 'unsafe-inline'"
    assert response["Cache-Control"].startswith("private")


def test_a_reader_asked_to_review_gets_the_svg(client, shown):
    reader = UserFactory(username="reader")
    from designs import services as design_services

    design_services.design_reader_grant(design=shown.design, user=reader)
    client.force_login(reader)
    assert client.get(svg_url(shown.design)).status_code == 200


def test_outsider_gets_404_for_the_svg(client, outsider, shown):
    client.force_login(outsider)
    assert client.get(svg_url(shown.design)).status_code == 404


def test_anonymous_visitor_is_sent_to_sign_in_for_the_svg(client, shown):
    assert client.get(svg_url(shown.design)).status_code == 302


def test_a_hash_the_design_does_not_show_is_404(client, alice, shown):
    client.force_login(alice)
    assert client.get(svg_url(shown.design, "0" * 64)).status_code == 404
    assert client.get(svg_url(shown.design, "not-a-hash")).status_code == 404


def test_a_diagram_of_another_design_is_404_under_this_one(client, alice, shown):
    mine = make_design(team=shown.design.team, author=alice, title="Mine, without diagrams")
    client.force_login(alice)
    assert client.get(svg_url(mine)).status_code == 404


def test_a_diagram_removed_from_the_design_is_404(client, alice, shown):
    save(shown, "No diagram now.")
    client.force_login(alice)
    assert client.get(svg_url(shown.design)).status_code == 404


def test_the_page_shows_a_drawn_diagram_as_an_image(client, alice, shown):
    client.force_login(alice)
    html = client.get(shown.design.get_absolute_url()).content.decode()
    assert f'<img src="{svg_url(shown.design)}" alt="Diagram (flowchart)' in html
    assert "diagram-poll" not in html


def test_a_pending_diagram_shows_a_placeholder_that_fills_in_by_itself(client, alice, section):
    save(section, fence(FLOWCHART))
    client.force_login(alice)
    page = client.get(section.design.get_absolute_url()).content.decode()
    card_url = reverse("designs:section", args=[section.design.pk, section.key])
    assert "Drawing this diagram…" in page
    assert f'href="{card_url}"' in page and f'hx-get="{card_url}"' in page
    assert 'hx-trigger="load delay:2s"' in page
    assert "<img" not in page.split(f'id="section-{section.key}"')[1].split("</article>")[0]

    card = client.get(card_url, **HTMX).content.decode()  # the poll, still pending
    assert "Drawing this diagram…" in card and "hx-get" in card

    with drawn():
        services.diagram_render(key=KEY)
    card = client.get(card_url, **HTMX).content.decode()
    assert f'<img src="{svg_url(section.design)}"' in card
    assert "diagram-poll" not in card
    page = client.get(section.design.get_absolute_url()).content.decode()  # the cached page
    assert f'<img src="{svg_url(section.design)}"' in page


def test_a_bad_diagram_shows_the_error_and_its_source_and_the_save_succeeds(client, alice, section):
    source = "flowchart LR\n  a[<b>bold</b>] -->\n"
    response = None
    client.force_login(alice)
    response = client.post(
        reverse("designs:section_edit", args=[section.design.pk, section.key]),
        {"body": fence(source), "state": "draft", "na_reason": "", "base_version": 0},
    )
    assert response.status_code == 302
    error = renderer.DiagramSyntaxError("Parse error on line 2: <got 'EOF'>")
    with mock.patch.object(renderer, "render", side_effect=error):
        services.diagram_render(key=blocks.diagram_key(source))
    html = client.get(section.design.get_absolute_url()).content.decode()
    assert (
        "This diagram could not be drawn: <code>Parse error on line 2: &lt;got &#x27;EOF&#x27;&gt;"
        in html
    )
    assert "a[&lt;b&gt;bold&lt;/b&gt;] --&gt;" in html


def test_without_chromium_the_block_shows_its_source_and_a_note(
    client, alice, section, no_chromium
):
    save(section, fence(FLOWCHART))
    client.force_login(alice)
    response = client.get(section.design.get_absolute_url())
    assert response.status_code == 200
    html = response.content.decode()
    assert "Diagrams are not rendered on this server" in html
    assert "client[Browser] --&gt; api[Crit web]" in html
    assert "diagram-poll" not in html


def test_the_page_query_count_does_not_grow_with_diagrams(
    client, alice, design, django_assert_max_num_queries
):
    client.force_login(alice)
    sections = list(Section.objects.filter(design=design).order_by("position"))
    for n, section in enumerate(sections[:6]):
        save(section, fence(f"flowchart LR\n  a{n} --> b{n}\n") + "\n" + fence(FLOWCHART))
    with drawn():
        for diagram in Diagram.objects.all():
            services.diagram_render(key=diagram.key)
    client.get(design.get_absolute_url())  # warm the caches of the page's own parts
    from django.core.cache import cache

    cache.clear()
    with django_assert_max_num_queries(20):
        assert client.get(design.get_absolute_url()).status_code == 200


def test_the_preview_shows_a_diagram_drawn_on_demand_as_a_data_image(client, alice, section):
    client.force_login(alice)
    with drawn() as render:
        response = client.post(
            reverse("designs:section_preview", args=[section.design.pk, section.key]),
            {"body": fence(FLOWCHART), "state": "draft", "na_reason": "", "base_version": 0},
        )
    assert response.status_code == 200
    assert '<img src="data:image/svg+xml;base64,' in response.content.decode()
    render.assert_called_once()
    assert Diagram.objects.get(key=KEY).status == Diagram.Status.READY  # kept for the save


def test_the_preview_reuses_a_stored_diagram(client, alice, shown):
    client.force_login(alice)
    with mock.patch.object(renderer, "render") as render:
        response = client.post(
            reverse("designs:section_preview", args=[shown.design.pk, shown.key]),
            {"body": fence(FLOWCHART), "state": "draft", "na_reason": "", "base_version": 1},
        )
    assert '<img src="data:image/svg+xml;base64,' in response.content.decode()
    render.assert_not_called()


def test_a_preview_survives_a_browser_that_fails(client, alice, section):
    client.force_login(alice)
    failure = renderer.RendererStuck("no answer")
    with mock.patch.object(renderer, "render", side_effect=failure):
        response = client.post(
            reverse("designs:section_preview", args=[section.design.pk, section.key]),
            {"body": fence(FLOWCHART), "state": "draft", "na_reason": "", "base_version": 0},
        )
    assert response.status_code == 200
    assert "Drawing this diagram…" in response.content.decode()
    assert Diagram.objects.get(key=KEY).status == Diagram.Status.PENDING


def test_a_section_is_shown_with_its_diagrams_once_however_often_the_page_asks(alice, shown):
    from django.test import RequestFactory

    from designs import page
    from designs.selectors import design_get_for

    request = RequestFactory().get("/")
    request.user = alice
    access = design_get_for(alice, shown.design.pk)
    section = Section.objects.get(pk=shown.pk)
    page_request = page.PageRequest(
        page="design", request=request, access=access, sections=[section]
    )
    page.page_context(page_request)
    once = section.body_html
    page.page_context(page_request)
    assert section.body_html == once and once.count("<figure") == 1
