"""Where diagrams sit in a section's HTML, their keys, and what a block shows."""

from designs.diagrams import blocks, renderer
from designs.markdown import render_markdown
from tests.designs.diagrams.conftest import FLOWCHART, fence


def test_markdown_renders_a_mermaid_fence_as_the_block_diagrams_look_for():
    html = render_markdown("Before.\n\n" + fence(FLOWCHART) + "\nAfter.")
    assert blocks.sources(html) == [FLOWCHART]


def test_sources_survive_escaping_byte_for_byte():
    source = 'flowchart LR\n  a["x < y & \\"z\\""] --> b\n'
    assert blocks.sources(render_markdown(fence(source))) == [source]


def test_other_code_blocks_are_not_diagrams():
    html = render_markdown("```python\nprint(1)\n```\n\n    indented\n\n`mermaid`")
    assert blocks.sources(html) == []
    assert not blocks.has_blocks(html)


def test_the_same_source_twice_is_one_diagram():
    html = render_markdown(fence(FLOWCHART) + "\n" + fence(FLOWCHART))
    assert len(blocks.keys(html)) == 1


def test_the_key_changes_with_the_source_the_mermaid_version_and_the_settings(monkeypatch):
    key = blocks.diagram_key(FLOWCHART)
    assert len(key) == 64
    assert blocks.diagram_key(FLOWCHART + " ") != key
    monkeypatch.setitem(renderer.MERMAID_CONFIG, "theme", "dark")
    assert blocks.diagram_key(FLOWCHART) != key
    monkeypatch.undo()
    monkeypatch.setattr(renderer, "mermaid_version", lambda: "99.0.0")
    assert blocks.diagram_key(FLOWCHART) != key


def test_a_source_over_the_limit_has_no_key(settings):
    settings.CRIT_DIAGRAM_MAX_CHARS = 20
    assert blocks.keys(render_markdown(fence(FLOWCHART))) == {}


def test_an_error_and_the_source_are_shown_escaped():
    html = render_markdown(fence("flowchart LR\n  a[<b>x</b>]\n"))
    shown = blocks.show(
        html,
        lambda key, source: blocks.Shown(blocks.FAILED, error="<script>alert(1)</script>"),
        image=lambda key, shown: "",
    )
    assert "<script>" not in shown and "<b>" not in shown
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in shown
    assert "a[&lt;b&gt;x&lt;/b&gt;]" in shown
    assert "could not be drawn" in shown


def test_a_ready_diagram_is_an_image_with_its_source_and_an_alt_text():
    source = "flowchart LR\n  accTitle: Request path\n  a --> b\n"
    shown = blocks.show(
        render_markdown(fence(source)),
        lambda key, source: blocks.Shown(blocks.READY),
        image=lambda key, shown: f"/x/{key}.svg",
    )
    assert f'<img src="/x/{blocks.diagram_key(source)}.svg" alt="Request path"' in shown
    assert "<summary>Source</summary>" in shown
