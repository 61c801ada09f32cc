"""Markdown's costliest constructs are bounded: the tables of one text hold at most
MAX_TABLE_CELLS cells, and a table past that is shown as written, with a notice, instead of
being laid out; a text of more than MAX_JOINED_LINES run-on lines is shown as written."""

import re

from designs import markdown
from designs.markdown import (
    MAX_JOINED_LINES,
    MAX_TABLE_CELLS,
    TABLE_TOO_LARGE,
    TOO_MANY_LINES,
    render_markdown,
)


def _table(columns: int, rows: int, cell: str = "c") -> str:
    return (
        "|"
        + "h|" * columns
        + "\n|"
        + "-|" * columns
        + "\n"
        + ("|" + f"{cell}|" * columns + "\n") * rows
    )


def test_a_table_within_the_limit_is_laid_out():
    out = render_markdown(_table(10, 100))
    assert out.count("<td>") == 1_000
    assert TABLE_TOO_LARGE not in out


def test_a_table_past_the_limit_is_shown_as_written_with_a_notice():
    text = _table(10, MAX_TABLE_CELLS // 10, cell="a <b> & c")
    out = render_markdown(text)
    assert "<table" not in out
    assert "<td" not in out
    assert out.startswith(TABLE_TOO_LARGE)
    assert "shown as written" in out
    assert "|a &lt;b&gt; &amp; c|" in out  # every row kept, escaped
    assert out.count("\n|a &lt;b&gt;") == MAX_TABLE_CELLS // 10


def test_rows_padded_to_a_wide_header_count_as_cells():
    """A header of 100 columns makes each following line, pipes or not, a row of 100."""
    text = "|" + "h|" * 100 + "\n|" + "-|" * 100 + "\n" + "x\n" * 60
    out = render_markdown(text)
    assert "<td" not in out
    assert TABLE_TOO_LARGE in out


def test_the_limit_counts_all_the_tables_of_a_text_in_order():
    small = _table(10, 99)  # 1,000 cells with the header
    text = "\n".join(f"Table {n}.\n\n{small}" for n in range(MAX_TABLE_CELLS // 1_000 + 2))
    out = render_markdown(text)
    assert out.count("<table>") == MAX_TABLE_CELLS // 1_000
    assert out.count(TABLE_TOO_LARGE) == 2
    assert "Table 6." in out


def test_text_around_a_table_past_the_limit_is_rendered_as_usual():
    text = "Intro *here*.\n\n" + _table(50, 200) + "\n## After\n\nMore **text**."
    out = render_markdown(text)
    assert "<em>here</em>" in out
    assert "<h2>After</h2>" in out
    assert "<strong>text</strong>" in out
    assert TABLE_TOO_LARGE in out


def test_a_table_in_a_quote_past_the_limit_is_shown_as_written():
    text = "".join("> " + line + "\n" for line in _table(20, 400).splitlines())
    out = render_markdown(text)
    assert "<blockquote>" in out
    assert "<td" not in out
    assert TABLE_TOO_LARGE in out


def test_the_line_scan_bounds_the_cells_the_parser_finds():
    """The scan that lets a text be rendered piece by piece never counts fewer cells than
    the parser lays out, or tables past the limit could slip through in pieces."""
    texts = [
        _table(10, 99),
        "> " + _table(3, 5).replace("\n", "\n> "),
        "- item\n\n  |a|b|\n  |-|-|\n  |1|2|\n  x\n",
        "|a|\n---\nrow\nrow\n\n|b|c|\n|:-:|--:|\n|1|2|3|\n# heading\n|x|y|\n",
        "para\n\n|a|b|\n|-|-|\n|c|d|\nno pipes\n> quote\n",
    ]
    for text in texts:
        cells = len(re.findall("<t[dh][ >]", render_markdown(text)))
        assert cells > 0
        assert markdown._table_cells_bound(text) >= cells, text


def test_pieces_and_the_whole_text_render_tables_alike():
    text = "\n".join(f"Part {n}.\n\n" + _table(5, 20) for n in range(10))
    assert render_markdown(text) == markdown._render(text)


def test_a_text_of_too_many_run_on_lines_is_shown_as_written():
    out = render_markdown("x <b>\n" * (MAX_JOINED_LINES + 2))
    assert out.startswith(TOO_MANY_LINES)
    assert out.count("x &lt;b&gt;\n") == MAX_JOINED_LINES + 2
    assert "<p>x" not in out


def test_run_on_lines_up_to_the_limit_are_laid_out():
    out = render_markdown("x\n" * (MAX_JOINED_LINES + 1))
    assert out.startswith("<p>x")
    assert TOO_MANY_LINES not in out


def test_lines_between_blank_lines_do_not_count_towards_the_limit():
    out = render_markdown("x\n\n" * (MAX_JOINED_LINES + 10))
    assert out.count("<p>x</p>") == MAX_JOINED_LINES + 10
