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


def test_long_blocks_are_not_remembered(monkeypatch):
    table = "| a | b |\n|---|---|\n" + "| cell | cell |\n" * 400
    assert len(table) > markdown.BLOCK_MEMO_CHARS
    markdown._render_block.cache_clear()  # earlier tests filled the memo
    markdown.render_markdown(table + "\n\nshort")
    assert markdown._render_block.cache_info().currsize == 1  # "short" only
    rendered = []
    real = markdown._render
    monkeypatch.setattr(markdown, "_render", lambda text: rendered.append(text) or real(text))
    markdown.render_markdown(table + "\n\nshort")
    assert rendered == [table]  # the table is rendered again; "short" was remembered


# Lines that open, continue, interrupt or close blocks, for texts built to trip the line scan
# that cuts a text into pieces before parsing (``markdown._chunks``).
TRICKY_LINES = [
    "", "", "", " ", "\t", "Plain words", "Another line", "# Heading", "#not a heading",
    "Title", "=====", "---", "***", "- item", "* item", "+ item", "1. item", "2) item",
    "  indented continuation", "    indented code", "\tcode after a tab", "> quote",
    "> - list in a quote", ">", "| a | b |", "|---|---|", "a | b", "--|--", "```", "```python",
    "````", "~~~", "~~~ info", "   ```", "  ~~~", "    ```", "- ```", "> ```", "``` inline ```",
    "text with ``` inside", "   ````", "```` ", "- [ ] task", "Ünïcode words", "_under_",
    "`code`", "*emphasis", "across*", "[link](/designs/)", "<div>", "\\", "  ", "a  ",
]  # fmt: skip


def _tricky_documents(count: int) -> list[str]:
    """Seeded; most leave out the lines that make the scan give up, so that it cuts them."""
    scanned = [line for line in TRICKY_LINES if markdown._chunks(line + "\n\nx") is not None]
    rng = random.Random(2026_11_24)
    documents = []
    for _ in range(count):
        vocabulary = scanned if rng.random() < 0.8 else TRICKY_LINES
        lines = [rng.choice(vocabulary) for _ in range(rng.randint(1, 30))]
        end = rng.choice(["", "\n", "\n\n"])
        documents.append(rng.choice(["", "\n", "\n\n"]) + "\n".join(lines) + end)
    return documents


def test_pieces_cut_by_the_line_scan_render_as_the_whole_text():
    documents = _tricky_documents(3000)
    cut = 0
    for text in documents:
        chunks = markdown._chunks(text)
        cut += chunks is not None and len(chunks) > 1
        assert markdown.render_markdown(text) == (markdown._render(text) if text.strip() else ""), (
            text
        )
    assert cut > len(documents) // 10  # the scan cut hundreds: the check means something


def test_the_line_scan_cuts_only_before_a_new_top_level_block():
    text = "Intro\n\n- a\n\n- b\n\n> q\n\n    code\n\n```\nfenced\n\nstill fenced\n```\n\nAfter\n"
    # Not before a list item, a quote, code or a fence: those may belong to what is above.
    assert markdown._chunks(text) == [
        "Intro\n\n- a\n\n- b\n\n> q\n\n    code\n\n```\nfenced\n\nstill fenced\n```\n",
        "After\n",
    ]
    assert markdown._chunks("- list\n   ```\n   code\n\nout") is None  # a fence it cannot place
    assert markdown._chunks("[a]: /designs/\n\n[a]") is None  # a reference definition


def test_windows_line_ends_are_cut_as_the_parser_reads_them():
    text = "One\r\n\r\nTwo\r\n\r\n```\r\nx\r\n\r\ny\r\n```"
    assert markdown._chunks(text) == ["One\n", "Two\n\n```\nx\n\ny\n```"]
    assert markdown.render_markdown(text) == markdown._render(text)
