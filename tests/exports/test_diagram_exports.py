"""Diagrams in exports: the PDF embeds the same SVG the page shows (its labels are text in
the PDF), the Markdown export keeps the fenced source byte for byte."""

import pytest

from designs.diagrams import blocks
from designs.diagrams.models import Diagram
from exports.renderers import markdown as markdown_renderer
from exports.renderers import pdf as pdf_renderer
from exports.selectors import export_source
from tests.exports.conftest import fill
from tests.exports.test_renderers import export_file, pdf_text

pytestmark = pytest.mark.django_db

FLOW = """flowchart LR
  shortener[Shortener API] --> keygen[Key generator]
  shortener --> store[(Link store)]
"""
SEQUENCE = """sequenceDiagram
  participant Visitor
  participant Redirector
  Visitor->>Redirector: GET /abc123
  Redirector-->>Visitor: 301 Moved
"""
BODY = f"Paths:\n\n```mermaid\n{FLOW}```\n\nAnd in time:\n\n```mermaid\n{SEQUENCE}```\n"
LABELS = ["Shortener API", "Key generator", "Link store", "Visitor", "Redirector",
          "GET /abc123", "301 Moved"]  # fmt: skip


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def diagram_design(design, alice):
    fill(design, alice, {1: BODY})
    return design


def test_the_pdf_has_every_node_label_of_every_diagram(
    diagram_design, alice, django_capture_on_commit_callbacks
):
    job = export_file(diagram_design, alice, django_capture_on_commit_callbacks, "pdf")
    text = " ".join(pdf_text(job.file.path).split())
    for label in LABELS:
        assert label in text
    assert "mermaid" not in text and "-->" not in text  # pictures, not source
    # Drawn for the export and stored: the page shows the same SVG.
    assert set(Diagram.objects.values_list("status", flat=True)) == {Diagram.Status.READY}


def test_the_pdf_html_embeds_the_stored_svg(diagram_design):
    Diagram.objects.filter(key=blocks.diagram_key(FLOW)).update(
        status=Diagram.Status.READY,
        svg='<svg xmlns="http://www.w3.org/2000/svg"><text>x</text></svg>',
    )
    html = pdf_renderer.build_html(export_source(design=diagram_design))
    stored = Diagram.objects.get(key=blocks.diagram_key(FLOW)).svg
    assert f'<img src="{blocks.data_url(stored)}"' in html


def test_the_markdown_export_keeps_the_fenced_source_byte_for_byte(
    diagram_design, alice, django_capture_on_commit_callbacks
):
    job = export_file(diagram_design, alice, django_capture_on_commit_callbacks, "markdown")
    raw = job.file.read()
    assert BODY.encode() in raw
    assert next(iter(markdown_renderer.section_bodies(raw.decode()).values())) == BODY
