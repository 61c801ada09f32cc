"""Drawing with the real Chromium and Mermaid: one warm browser for the whole session."""

import re
import time
import xml.etree.ElementTree as ET

import pytest

from designs.diagrams import blocks, renderer, services
from designs.diagrams.models import Diagram
from tests.designs.diagrams.conftest import FLOWCHART, fence, save

pytestmark = pytest.mark.django_db


def draw(section, source: str) -> Diagram:
    save(section, fence(source))
    diagram = services.diagram_render(key=blocks.diagram_key(source))
    assert diagram is not None
    return diagram


def assert_inert(svg: str) -> None:
    """Nothing that runs or loads: checked on the parsed SVG (text may say anything)."""
    if not svg:
        return
    root = ET.fromstring(svg)  # noqa: S314 - our own sanitised output
    for element in root.iter():
        name = element.tag.rsplit("}", 1)[-1].lower()
        assert name not in ("script", "foreignobject", "iframe", "image", "a", "animate", "set")
        for attribute, value in element.attrib.items():
            assert not attribute.rsplit("}", 1)[-1].lower().startswith("on"), attribute
            assert "javascript:" not in value.lower()
            if "href" in attribute:
                assert value.startswith("#")
        css = (element.text or "") if name == "style" else element.get("style", "")
        assert "@import" not in css.lower()
        assert not re.search(r"url\(\s*['\"]?\s*(?!#)", css.lower())


def text_of(svg: str) -> str:
    return "".join(ET.fromstring(svg).itertext())  # noqa: S314


def test_a_flowchart_is_drawn_as_an_svg_with_its_labels(section):
    diagram = draw(section, FLOWCHART)
    assert diagram.status == Diagram.Status.READY, diagram.error
    for label in ("Browser", "Crit web", "PostgreSQL"):
        assert label in text_of(diagram.svg)
    assert diagram.svg.startswith("<svg") and 'width="' in diagram.svg
    assert "DejaVu Sans" in diagram.svg
    assert diagram.render_ms is not None
    assert_inert(diagram.svg)


def test_a_syntax_error_is_recorded_with_mermaids_message(section):
    diagram = draw(section, "flowchart LR\n  a -->\n")
    assert diagram.status == Diagram.Status.FAILED
    assert "Parse error" in diagram.error
    assert diagram.svg == ""


HOSTILE = {
    "img onerror label": 'flowchart LR\n  a["<img src=x onerror=alert(1)>"] --> b\n',
    "javascript click": 'flowchart LR\n  a --> b\n  click a "javascript:alert(1)"\n',
    "classDef injection": (
        "flowchart LR\n  a --> b\n  classDef evil fill:#f00,color:red;}</style>"
        "<script>alert(1)</script><style>{\n  class a evil\n"
    ),
    "themeCSS directive": (
        '%%{init: {"themeCSS": "} * { background: url(https://evil.example/x) } {", '
        '"securityLevel": "loose", "htmlLabels": true}}%%\n'
        'flowchart LR\n  a["<b onmouseover=alert(1)>x</b>"] --> b\n'
    ),
    "front matter config": (
        "---\nconfig:\n  securityLevel: loose\n  htmlLabels: true\n"
        "  themeCSS: '* { background: url(https://evil.example/y) }'\n---\n"
        'flowchart LR\n  a["<img src=x onerror=alert(2)>"] --> b\n'
    ),
    "sequence note": (
        "sequenceDiagram\n  Alice->>Bob: <img src=x onerror=alert(1)>\n"
        "  Note right of Bob: <script>alert(1)</script>\n"
    ),
}


@pytest.mark.parametrize("source", HOSTILE.values(), ids=HOSTILE.keys())
def test_hostile_diagrams_leave_nothing_that_runs_in_the_svg(section, source):
    diagram = draw(section, source)
    assert diagram.status in (Diagram.Status.READY, Diagram.Status.FAILED)
    assert_inert(diagram.svg)
    assert "evil.example" not in diagram.svg


def test_a_diagram_over_the_timeout_is_stopped_and_the_next_one_draws(section, settings):
    settings.CRIT_DIAGRAM_RENDER_TIMEOUT_SECONDS = 0.3
    huge = "flowchart TD\n" + "".join(f"  n{i} --> n{i + 1}\n" for i in range(300))
    started = time.monotonic()
    diagram = draw(section, huge)
    assert time.monotonic() - started < 0.3 + 5  # the timeout, and killing the browser
    assert diagram.status == Diagram.Status.FAILED
    assert "longer than 0.3 s" in diagram.error
    settings.CRIT_DIAGRAM_RENDER_TIMEOUT_SECONDS = 20
    assert draw(section, "flowchart LR\n  after --> restart\n").status == Diagram.Status.READY


def test_without_chromium_render_refuses_at_once(no_chromium):
    started = time.monotonic()
    with pytest.raises(renderer.RendererUnavailable):
        renderer.render(FLOWCHART)
    assert time.monotonic() - started < 0.1


@pytest.mark.parametrize(
    "header",
    [
        '%%{init: {"securityLevel": "loose", "htmlLabels": true, "flowchart": {"htmlLabels": '
        'true}, "themeVariables": {"primaryColor": "#ff0000"}, "fontFamily": "Comic Sans MS"}}%%\n',
        "---\nconfig:\n  securityLevel: loose\n  htmlLabels: true\n  flowchart:\n"
        "    htmlLabels: true\n  themeVariables:\n    primaryColor: '#ff0000'\n"
        "  fontFamily: Comic Sans MS\n---\n",
    ],
    ids=["init directive", "front matter"],
)
def test_a_diagram_cannot_change_the_renderers_settings(header):
    svg = renderer.render(header + 'flowchart LR\n  a["<b>bold</b>"] --> b\n').svg
    assert "foreignObject" not in svg  # labels stay text (and print)
    assert "#ff0000" not in svg.lower()
    assert "Comic Sans" not in svg
