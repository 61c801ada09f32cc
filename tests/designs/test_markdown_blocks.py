"""Rendering block by block gives the HTML rendering the whole text gives, and a save that
changes one paragraph renders only that paragraph."""

import random
from pathlib import Path

import pytest

from designs import markdown
from tests.security.xss_vectors import TEXTS

ROOT = Path(__file__).resolve().parents[2]
DOCUMENTS = sorted((ROOT / "demo").rglob("*.md")) + sorted((ROOT / "bench").rglob("*.md"))

EDGE_CASES = [
    "A paragraph\nwith a lazy\ncontinuation\n\n    indented code\n\nafter",
    "Title\n=====\n\nSub\n---\ntext right after",
    "1. one\n2. two\n\n   still two\n3. three\n\n\n- a\n- b\n\n  loose b\n",
    "> quote\nlazy line\n> - list in quote\n\nout",
    "para\n| a | b |\n|---|---|\n| 1 | 2 |\n\nafter the table",
    "```python\nx = 1\n\n\ny = 2\n```\n~~~\nunclosed fence\n\nruns to the end",
    "- [ ] task\n- [x] done\n\n* other list\n+ third list",
    "tabs\there\n\n\tcode with a tab\n\n -\tlist with a tab",
    "line one\r\nline two\r\n\r\nwindows paragraph\rold mac",
    "a\u0000b null\n\nhttps://example.com/linkified and www.example.org",
    "*emphasis\n\nacross* blocks `code\n\nacross` blocks",
    "<div>raw html off</div>\n\n<!-- comment -->\n\ntext",
    "[ref] used before\n\n[ref]: https://example.com\n\nand [ref] after",
    "- " * 30 + "too deep",
    "> " * 30 + "too deep a quote",
    "",
    "\n\n\n",
    "# heading only",
]


@pytest.mark.parametrize("text", TEXTS + EDGE_CASES, ids=range(len(TEXTS) + len(EDGE_CASES)))
def test_blocks_render_as_the_whole_text(text):
    assert markdown.render_markdown(text) == (markdown._render(text) if text.strip() else "")


@pytest.mark.parametrize("path", DOCUMENTS, ids=lambda p: p.name)
def test_real_documents_render_as_the_whole_text(path):
    text = path.read_text(encoding="utf-8")
    assert markdown.render_markdown(text) == markdown._render(text)


def _shuffled_documents(count: int) -> list[str]:
    """Lines of every document and case above, cut and joined at random (seeded): lists,
    quotes, fences and tables broken off mid-way, lazy lines, indents in odd places."""
    lines = [line for p in DOCUMENTS for line in p.read_text(encoding="utf-8").splitlines()]
    lines += [line for text in EDGE_CASES + TEXTS for line in text.splitlines()]
    rng = random.Random(20261124)
    documents = []
    for _ in range(count):
        picked = [rng.choice(lines) for _ in range(rng.randint(2, 40))]
        documents.append(
            "".join(line + rng.choice(["\n", "\n", "\n\n", "\n    "]) for line in picked)
        )
    return documents


@pytest.mark.parametrize("text", _shuffled_documents(400), ids=range(400))
def test_shuffled_documents_render_as_the_whole_text(text):
    assert markdown.render_markdown(text) == markdown._render(text)


def test_reference_definitions_are_rendered_whole():
    text = "See [the runbook][rb].\n\n[rb]: https://example.com/runbook"
    assert markdown._blocks(text) is None
    assert 'href="https://example.com/runbook"' in markdown.render_markdown(text)


def test_a_changed_paragraph_is_the_only_block_rendered_again(monkeypatch):
    document = (DOCUMENTS[0]).read_text(encoding="utf-8")
    markdown.render_markdown(document)
    rendered = []
    real = markdown._render
    monkeypatch.setattr(markdown, "_render", lambda text: rendered.append(text) or real(text))
    edited = markdown.render_markdown(document + "\n\nOne *new* paragraph.")
    assert rendered == ["One *new* paragraph."]
    assert edited.endswith("<p>One <em>new</em> paragraph.</p>\n")


def test_long_blocks_are_not_remembered():
    table = "| a | b |\n|---|---|\n" + "| cell | cell |\n" * 400
    before = markdown._render_block.cache_info().currsize
    markdown.render_markdown(table + "\n\nshort")
    assert markdown._render_block.cache_info().currsize <= before + 1
