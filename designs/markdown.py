"""Markdown to safe HTML: CommonMark + GFM tables, task lists, strikethrough and autolinks.

Raw HTML is off in the parser, and everything the parser emits still goes through an nh3
allow-list, so no ``on*``, ``style``, ``hx-*`` attribute or non-http(s)/mailto link survives,
and images load only from this site (an image elsewhere keeps its alt text, not its source).
Code fences are highlighted with Pygments using CSS classes (no inline styles).

A text is rendered piece by piece, which gives the same HTML as the whole, and each process
remembers the HTML of the pieces it rendered last: saving a long section where one paragraph
changed renders that paragraph only. The pieces are found in two steps. A scan of the lines
cuts the text where a new top-level block certainly starts (``_chunks``); a piece that is
too long to remember is cut again into top-level blocks by the parser's block pass
(``_blocks``), and a text the scan cannot judge goes to the block pass whole. A text with
link reference definitions, which reach across blocks, is rendered whole.

Tables are the one construct whose work grows with what is not written: a header of a
hundred columns makes every following line a row of a hundred cells. A text's tables may
hold at most MAX_TABLE_CELLS cells in all; a table past that is shown as written, in a
preformatted block with a notice. A scan of the lines bounds the cells from above; a text
whose bound passes the limit is rendered whole, so the parser counts its tables in order.

Lines that run on without a blank line between them cost the parser most per character (a
paragraph of 100,000 one-letter lines takes seconds); a text with more than
MAX_JOINED_LINES of them is shown as written, with a notice.
"""

import html
import itertools
import re
from collections.abc import Callable
from functools import lru_cache

import nh3
from markdown_it import MarkdownIt
from markdown_it.common.utils import mdTrim
from markdown_it.rules_block import StateBlock
from markdown_it.rules_block.table import MAX_AUTOCOMPLETED_CELLS, escapedSplit, getLine, table
from markdown_it.rules_core import StateCore, normalize
from mdit_py_plugins.tasklists import tasklists_plugin
from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexers import get_lexer_by_name
from pygments.util import ClassNotFound

from designs import calc

ALLOWED_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "code", "del", "div", "em", "h1", "h2", "h3", "h4",
    "h5", "h6", "hr", "i", "img", "input", "kbd", "li", "ol", "p", "pre", "s", "span",
    "strong", "sub", "sup", "table", "tbody", "td", "th", "thead", "tr", "ul",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title"},
    "code": {"class"},
    "div": {"class"},
    "span": {"class"},
    "pre": {"class"},
    "ul": {"class"},
    "li": {"class"},
    "input": {"type", "checked", "disabled", "class"},
    "th": {"align"},
    "td": {"align"},
    "ol": {"start"},
}
ALLOWED_SCHEMES = {"http", "https", "mailto"}
# markdown-it stops parsing at this depth and silently drops the rest of the text, so text
# that reaches it (lists ten deep) is shown as written instead, with a notice. A higher cap
# makes nested brackets take seconds.
MAX_NESTING = 20
TOO_DEEP = (
    "<p><em>This text nests lists or quotes too deeply to lay out; "
    "it is shown as written.</em></p>\n"
)

# Cells (header included, rows padded to the header's width) a text's tables may hold in all;
# keeps the worst text at the size limit under a second (bench/markdown_pathological.py).
MAX_TABLE_CELLS = 5_000
TABLE_TOO_LARGE = (
    "<p><em>This table is too large to lay out (the tables of a text may hold "
    f"{MAX_TABLE_CELLS:,} cells in all); it is shown as written.</em></p>\n"
)

# Lines that follow a non-blank line. A real text of 200 KB has far fewer (its lines are
# longer); this many cost the parser about a quarter of a second.
MAX_JOINED_LINES = 10_000
TOO_MANY_LINES = (
    "<p><em>This text has too many lines without a blank line between them to lay out; "
    "it is shown as written.</em></p>\n"
)

_formatter = HtmlFormatter(nowrap=True, classprefix="hl-")


def _highlight(code: str, lang: str, _attrs: str) -> str:
    lang = (lang or "").strip().split()[0] if lang else ""
    if lang == "calc":  # estimates: the results are filled in by designs.calc.fill
        return calc.fence_html(code)
    try:
        lexer = get_lexer_by_name(lang) if lang else None
    except ClassNotFound:
        lexer = None
    if lexer is None:
        return ""  # markdown-it escapes the code itself
    return f'<pre class="highlight"><code class="language-{html.escape(lang)}">' + (
        highlight(code, lexer, _formatter) + "</code></pre>"
    )


def _build_parser() -> MarkdownIt:
    md = MarkdownIt(
        "commonmark",
        {"html": False, "linkify": True, "typographer": False, "highlight": _highlight},
    )
    md.enable(["table", "strikethrough", "linkify"])
    md.options["maxNesting"] = MAX_NESTING
    md.use(tasklists_plugin, enabled=False)
    md.block.ruler.at("table", _bounded_table(table))
    md.add_render_rule("table_too_large", _render_table_too_large)
    md.core.ruler.push("table_alignment", _table_alignment)
    md.validateLink = _validate_link  # type: ignore[method-assign]
    return md


def _bounded_table(
    table: Callable[[StateBlock, int, int, bool], bool],
) -> Callable[[StateBlock, int, int, bool], bool]:
    """The parser's table rule, but a table that would take the text's tables past
    MAX_TABLE_CELLS becomes one ``table_too_large`` token holding its lines. The rows are
    counted as the table rule finds them, without making their tokens."""

    def rule(state: StateBlock, start: int, end: int, silent: bool) -> bool:
        if silent or not table(state, start, end, True):
            return silent and table(state, start, end, True)
        columns = len(_table_cells(getLine(state, start)))
        terminators = state.md.block.ruler.getRules("blockquote")
        line, padded = start + 2, 0
        while line < end and state.sCount[line] >= state.blkIndent:
            if any(terminate(state, line, end, True) for terminate in terminators):
                break
            text = mdTrim(getLine(state, line))
            if not text or state.is_code_block(line):
                break
            padded += columns - len(_table_cells(text))
            if padded > MAX_AUTOCOMPLETED_CELLS:
                break
            line += 1
        cells = columns * (line - start - 1)
        used = state.env.get("table_cells", 0) + cells
        if used <= MAX_TABLE_CELLS:
            state.env["table_cells"] = used
            return table(state, start, end, False)
        token = state.push("table_too_large", "pre", 0)
        token.map = [start, line]
        token.content = state.getLines(start, line, state.blkIndent, False)
        state.line = line
        return True

    return rule


def _table_cells(line: str) -> list[str]:
    cells = escapedSplit(mdTrim(line))
    if cells and cells[0] == "":
        cells.pop(0)
    if cells and cells[-1] == "":
        cells.pop()
    return cells


def _render_table_too_large(self, tokens, idx, options, env) -> str:
    text = html.escape(tokens[idx].content, quote=False)
    return f"{TABLE_TOO_LARGE}<pre><code>{text}</code></pre>\n"


_LINE_BREAK = re.compile(r"\r\n|\r|\n")
# What a table's second line may be: pipes, colons, spaces and at least one dash.
_DELIMITER_ROW = re.compile(r"[-:|\s]*-[-:|\s]*")


def _joined_lines(text: str) -> int:
    """How many lines follow a line that is not blank."""
    joined, previous = 0, False
    for line in _LINE_BREAK.split(text):
        current = bool(line.strip())
        joined += previous and current
        previous = current
    return joined


def _table_cells_bound(text: str) -> int:
    """At least as many cells as the text's tables hold, found without parsing: for each
    line that may be a table's delimiter row under a line with a pipe, its columns (runs
    of dashes) times the lines up to the next blank one, quotes' ``>`` ignored."""
    lines = [line.lstrip(" \t>") for line in _LINE_BREAK.split(text)]
    next_blank = [len(lines)] * (len(lines) + 1)
    for number in range(len(lines) - 1, -1, -1):
        next_blank[number] = number if not lines[number].strip() else next_blank[number + 1]
    total = 0
    for number in range(1, len(lines)):
        if "|" in lines[number - 1] and _DELIMITER_ROW.fullmatch(lines[number]):
            columns = len(re.findall("-+", lines[number]))
            total += columns * (next_blank[number] - number)
    return total


def _table_alignment(state: StateCore) -> None:
    """A column's alignment (``|--:|``) as the cells' ``align`` attribute: the parser writes
    it as a style, which the allow-list removes."""
    for token in state.tokens:
        if token.type in ("th_open", "td_open") and token.attrs.get("style"):
            token.attrs["align"] = str(token.attrs.pop("style")).removeprefix("text-align:")


def _validate_link(url: str) -> bool:
    scheme = url.strip().split(":", 1)[0].lower() if ":" in url else ""
    if not scheme or "/" in scheme or "?" in scheme or "#" in scheme:
        return True  # relative link
    return scheme in ALLOWED_SCHEMES


_parser = _build_parser()


def _same_site(url: str) -> bool:
    """A path on this site: no scheme, no host (``//host``, or ``/\\host`` that browsers
    read as one)."""
    url = url.strip()
    if "\\" in url or url.startswith("//"):
        return False
    head = url.split("/", 1)[0].split("?", 1)[0].split("#", 1)[0]
    return ":" not in head


def _attribute_filter(tag: str, attr: str, value: str) -> str | None:
    if tag == "img" and attr == "src":
        # Images from elsewhere would tell their host who reads a design, and when.
        return value if _same_site(value) else None
    if attr == "class":
        classes = [c for c in value.split() if c.startswith(("hl-", "language-", "task-list"))]
        classes += [c for c in value.split() if c in {"highlight", "contains-task-list"}]
        classes += [c for c in value.split() if c.startswith("calc-")]
        return " ".join(classes) or None
    if tag == "input" and attr == "type":
        return value if value == "checkbox" else None
    if attr == "align":
        return value if value in {"left", "center", "right"} else None
    return value


def sanitize(raw_html: str) -> str:
    """Clean HTML with the allow-list; safe to mark as safe afterwards."""
    return nh3.clean(
        raw_html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=ALLOWED_SCHEMES,
        link_rel="nofollow noopener noreferrer",
        attribute_filter=_attribute_filter,
        strip_comments=True,
    )


def render_markdown(text: str) -> str:
    """Render Markdown to sanitised HTML. Pure: same text, same HTML."""
    if not text.strip():
        return ""
    if _joined_lines(text) > MAX_JOINED_LINES:
        return TOO_MANY_LINES + f"<pre><code>{html.escape(text, quote=False)}</code></pre>\n"
    if _table_cells_bound(text) > MAX_TABLE_CELLS:
        return _render(text)  # the tables are counted in order, across the whole text
    chunks = _chunks(text)
    if chunks is None:
        return _render_by_blocks(text)
    parts = [
        _render_block(chunk) if len(chunk) <= BLOCK_MEMO_CHARS else _render_by_blocks(chunk)
        for chunk in chunks
    ]
    if len(parts) > 1 and any(part.startswith(TOO_DEEP) for part in parts):
        return _render(text)  # the notice shows the whole text as written, as before
    return "".join(parts)


def _render_by_blocks(text: str) -> str:
    blocks = _blocks(text)
    if blocks is None:
        return _render(text)
    return "".join(
        _render_block(block) if len(block) <= BLOCK_MEMO_CHARS else _render(block)
        for block in blocks
    )


# Blocks longer than this are rendered every time rather than remembered: a process keeps at
# most BLOCK_MEMO_SIZE blocks of at most this size (about 10 MB with their HTML).
BLOCK_MEMO_CHARS = 4_000
BLOCK_MEMO_SIZE = 1_024


# A fence that opens at the start of a line: its marker, and (for backticks) an info string
# without backticks, else the line is a paragraph with inline code.
_FENCE_OPEN = re.compile(r"(`{3,})[^`]*|(~{3,}).*")
_FENCE_CLOSE = re.compile(r" {0,3}(`{3,}|~{3,})[ \t]*")
_FENCE_MARK = re.compile(r"`{3}|~{3}")


def _chunks(text: str) -> list[str] | None:
    """The text cut before each line that certainly starts a new top-level block, found
    without parsing; None when the scan cannot tell (then the block pass decides).

    A line starts a new top-level block when it follows a blank line, begins with a letter
    or ``#`` (no list marker, quote, indent or table pipe that could continue a list or
    quote above), and no fence is open. Only fences at the start of a line are followed;
    a text with a fence mark elsewhere (in a list, a quote or an indent) or what may be a
    link reference definition is left to the block pass.
    """
    if "]:" in text:
        return None
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")  # as the parser reads
    starts = [0]
    fence = ""  # the marker of the open fence, if one is open
    after_blank = False  # the line before was blank, with text before it
    seen_text = False
    for number, line in enumerate(lines):
        blank = not line.strip(" \t")
        if fence:
            closing = _FENCE_CLOSE.fullmatch(line)
            if closing and closing.group(1).startswith(fence):
                fence = ""
        elif opened := _FENCE_OPEN.fullmatch(line):
            fence = opened.group(1) or opened.group(2)
        elif _FENCE_MARK.search(line):
            return None
        elif after_blank and (line[:1].isalpha() or line[:1] == "#"):
            starts.append(number)
        after_blank = blank and seen_text and not fence
        seen_text = seen_text or not blank
    chunks = []
    for start, end in itertools.pairwise(starts):
        while not lines[end - 1].strip(" \t"):  # the blank lines between do not count
            end -= 1
        chunks.append("\n".join(lines[start:end]) + "\n")
    chunks.append("\n".join(lines[starts[-1] :]))
    return chunks


def _blocks(text: str) -> list[str] | None:
    """The text's top-level blocks, as the parser's block pass finds them; None when they
    cannot be rendered apart (link reference definitions, or nesting too deep)."""
    env: dict = {}
    state = StateCore(text, _parser, env)
    normalize(state)
    tokens: list = []
    _parser.block.parse(state.src, _parser, env, tokens)
    if env.get("references") or any(t.level >= MAX_NESTING - 1 for t in tokens):
        return None
    lines = state.src.split("\n")
    blocks = []
    for token in tokens:
        if token.level == 0 and token.nesting >= 0 and token.map is not None:
            start, end = token.map
            # As in the whole text: the last line keeps its newline only if it had one.
            blocks.append("\n".join(lines[start:end]) + ("\n" if end < len(lines) else ""))
    return blocks


@lru_cache(maxsize=BLOCK_MEMO_SIZE)
def _render_block(block: str) -> str:
    return _render(block)


def _render(text: str) -> str:
    env: dict = {}
    tokens = _parser.parse(text, env)
    if any(token.level >= MAX_NESTING - 1 for token in tokens):
        return TOO_DEEP + f"<pre><code>{html.escape(text, quote=False)}</code></pre>\n"
    return sanitize(_parser.renderer.render(tokens, _parser.options, env))


def highlight_css() -> str:
    return _formatter.get_style_defs(".highlight")
