"""A design's estimates: the calc lines of all its sections as one dependency graph, and
the HTML that shows their results and the ``{{ name }}`` references to them.

Markdown renders a ```` ```calc ```` fence without its results (``fence_html``: an empty
``calc-out`` slot per line), so the HTML of a block stays the same whatever the values and
the Markdown memo keeps working. ``fill`` then puts each line's result in its slot, in
order, and replaces the references in the text (never inside code).
"""

import difflib
import html
import re
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from fractions import Fraction

from markdown_it import MarkdownIt
from markdown_it.rules_core import StateCore, normalize

from designs.calc.engine import Definition, Evaluator, parse_definition, unit_value
from designs.calc.units import COUNT_WORDS, UNITS, CalcError, Quantity, Shown, show, unit_named

MAX_LINES = 2_000  # calc lines in one design
MAX_REFERENCES = 1_000  # references in one section; the rest stay as written
TIME_BUDGET = 1.0  # seconds for one design's lines; the rest are reported, not computed

TOO_LONG = "this design's estimates took too long to compute"
_FENCE = re.compile(r"^[ \t>*+\-\d.)]*(`{3,}|~{3,})[ \t]*calc\b", re.M)
REFERENCE = re.compile(r"\{\{\s*([^{}<>\n]{1,200}?)\s*\}\}")
_blocks_parser = MarkdownIt("commonmark")


def involves(text: str) -> bool:
    """Whether a text may define or use estimates (cheap, may answer yes wrongly)."""
    return "{{" in text or bool(_FENCE.search(text))


def split_comment(raw: str) -> str:
    """The code of a line, without its ``#`` comment and spaces around."""
    return raw.split("#", 1)[0].strip()


@dataclass
class Line:
    section: str
    number: int  # in the section's text, from 1
    text: str  # the code, comment removed
    definition: Definition | None = None
    quantity: Quantity | None = None
    shown: Shown | None = None
    error: str = ""
    warnings: list[str] = field(default_factory=list)
    inputs: tuple[str, ...] = ()

    @property
    def name(self) -> str | None:
        if self.definition is not None:
            return self.definition.name
        head = self.text.split("=", 1)[0].strip()
        return head if head.isidentifier() else None

    @property
    def formula(self) -> str:
        if self.definition is None:
            return self.text
        target = f" -> {self.definition.target_text}" if self.definition.target_text else ""
        return f"{self.definition.name} = {self.definition.expr_text}{target}"


def section_lines(key: str, body: str) -> list[Line]:
    """The calc lines of a section, as Markdown finds its calc fences."""
    from designs.markdown import MAX_JOINED_LINES, _joined_lines  # it imports this module

    if not _FENCE.search(body) or _joined_lines(body) > MAX_JOINED_LINES:
        return []  # past that limit, the text is shown as written: no results to show
    env: dict = {}
    state = StateCore(body, _blocks_parser, env)
    normalize(state)
    tokens: list = []
    # The block pass only: fences are blocks, and the inline pass is what costs on long text.
    _blocks_parser.block.parse(state.src, _blocks_parser, env, tokens)
    lines = []
    for token in tokens:
        if token.type != "fence" or token.info.strip().split()[:1] != ["calc"]:
            continue
        first = (token.map[0] if token.map else 0) + 2
        for offset, raw in enumerate(token.content.split("\n")[:-1]):
            code = split_comment(raw)
            if code:
                lines.append(Line(section=key, number=first + offset, text=code))
    return lines


def fence_html(content: str) -> str:
    """A calc fence as HTML with an empty result slot after each line of code."""
    rows = []
    for raw in content.rstrip("\n").split("\n"):
        source = html.escape(raw)
        if split_comment(raw):
            rows.append(
                f'<span class="calc-row"><span class="calc-src">{source}</span>'
                '<span class="calc-out"></span></span>'
            )
        else:
            rows.append(f'<span class="calc-row"><span class="calc-src">{source}</span></span>')
    return (
        '<pre class="calc-block"><code class="language-calc">' + "\n".join(rows) + ("</code></pre>")
    )


@dataclass
class Evaluation:
    lines: list[Line]
    by_name: dict[str, Line]

    def for_section(self, key: str) -> list[Line]:
        return [line for line in self.lines if line.section == key]


def _where(line: Line, titles: dict[str, str]) -> str:
    return f"{titles.get(line.section, line.section)}, line {line.number}"


def _suggest(name: str, defined: Iterable[str]) -> str:
    """The closest of the design's names, else of the units."""
    for candidates in (set(defined), set(UNITS)):
        close = difflib.get_close_matches(name, sorted(candidates), n=1, cutoff=0.6)
        if close:
            return f"; did you mean “{close[0]}”?"
    return ""


def evaluate(sections: Iterable[tuple[str, str]], titles: dict[str, str] | None = None):
    """Every calc line of ``sections`` (key, body), in any order of definition."""
    titles = titles or {}
    started = time.monotonic()
    lines: list[Line] = []
    for key, body in sections:
        lines.extend(section_lines(key, body))
    for index, line in enumerate(lines):
        if index >= MAX_LINES:
            line.error = f"a design may hold {MAX_LINES:,} calc lines; this one is past that"
            continue
        if time.monotonic() - started > TIME_BUDGET:
            line.error = TOO_LONG
            continue
        try:
            line.definition = parse_definition(line.text)
        except CalcError as error:
            line.error = str(error)
        except Exception:  # a line, whatever it holds, never breaks the save or the page
            line.error = "cannot read this line"
    defined: dict[str, list[Line]] = {}
    for line in lines:
        if line.definition is not None:
            defined.setdefault(line.definition.name, []).append(line)
    for name, places in defined.items():
        if name in UNITS and name not in COUNT_WORDS:
            for line in places:
                line.error = f"“{name}” is a unit; give the value another name"
        elif len(places) > 1:
            where = "; ".join(_where(line, titles) for line in places)
            for line in places:
                line.error = f"“{name}” is defined {len(places)} times ({where})"
    by_name = {
        name: places[0]
        for name, places in defined.items()
        if len(places) == 1 and not places[0].error
    }
    _mark_cycles(by_name, titles)
    for line in _order(by_name):
        if time.monotonic() - started > TIME_BUDGET:
            line.error = TOO_LONG
            continue
        _evaluate_line(line, by_name, set(defined))
    return Evaluation(lines=lines, by_name=by_name)


def _dependencies(line: Line, by_name: dict[str, Line]) -> list[str]:
    assert line.definition is not None
    return sorted(name for name in line.definition.names if name in by_name)


def _order(by_name: dict[str, Line]) -> list[Line]:
    """The lines without an error so far, each after the lines it uses."""
    ordered, state = [], {}
    for root in by_name:
        if root in state:
            continue
        stack = [(root, iter(_dependencies(by_name[root], by_name)))]
        state[root] = "open"
        while stack:
            name, pending = stack[-1]
            following = next(pending, None)
            if following is None:
                stack.pop()
                state[name] = "done"
                ordered.append(by_name[name])
            elif following not in state:
                state[following] = "open"
                stack.append((following, iter(_dependencies(by_name[following], by_name))))
    return ordered


def _mark_cycles(by_name: dict[str, Line], titles: dict[str, str]) -> None:
    """Flag every line on a cycle, at each of its places (Tarjan's algorithm, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    components: list[list[str]] = []
    for root in by_name:
        if root in index:
            continue
        work = [(root, iter(_dependencies(by_name[root], by_name)))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            name, pending = work[-1]
            following = next(pending, None)
            if following is not None:
                if following not in index:
                    index[following] = low[following] = len(index)
                    stack.append(following)
                    on_stack.add(following)
                    work.append((following, iter(_dependencies(by_name[following], by_name))))
                elif following in on_stack:
                    low[name] = min(low[name], index[following])
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[name])
            if low[name] == index[name]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == name:
                        break
                looped = name in _dependencies(by_name[name], by_name)
                if len(component) > 1 or looped:
                    components.append(component)
    for component in components:
        members = sorted(component)
        path = " → ".join([*members, members[0]])
        for name in members:
            by_name[name].error = f"“{name}” depends on itself: {path}"
    for component in components:
        for name in component:
            by_name.pop(name, None)


def _evaluate_line(line: Line, by_name: dict[str, Line], defined: set[str]) -> None:
    definition = line.definition
    assert definition is not None
    used: list[str] = []

    def resolve(name: str) -> Quantity:
        value_line = by_name.get(name)
        if value_line is not None and value_line is not line:
            if value_line.quantity is None:
                raise CalcError(f"uses “{name}”, which has an error")
            used.append(name)
            return value_line.quantity
        unit = unit_named(name)
        if unit is not None and name not in by_name:
            if unit.warning and unit.warning not in line.warnings:
                line.warnings.append(unit.warning)
            return Quantity(unit.factor, unit.dims)
        if name in defined:
            raise CalcError(f"uses “{name}”, which has an error")
        raise CalcError(f"unknown name “{name}”{_suggest(name, defined - {definition.name})}")

    try:
        quantity = Evaluator(line.text, resolve)(definition.expr)
        target = None
        if definition.target is not None:
            target = (definition.target_text, _target(definition.target_text, line.warnings))
        line.shown = show(quantity, target)
        line.quantity = quantity
    except CalcError as error:
        line.error = str(error)
    except Exception:  # a line, whatever it holds, never breaks the save or the page
        line.error = "cannot compute this line"
    line.inputs = tuple(dict.fromkeys(used))


def _target(text: str, warnings: list[str]) -> Quantity:
    quantity = unit_value(text)
    for word in re.findall(r"[A-Za-z_µμ][\w]*", text):
        unit = unit_named(word)
        if unit is not None and unit.warning and unit.warning not in warnings:
            warnings.append(unit.warning)
    return quantity


# ---------------------------------------------------------------------------------------
# HTML


_SLOT = '<span class="calc-out"></span>'
# Code (left as written) or a tag, whose quoted attribute values may hold ">".
_CODE_OR_TAG = re.compile(r"""<(pre|code)\b.*?</\1>|<(?:[^>"']|"[^"]*"|'[^']*')*>""", re.S)


def line_html(line: Line) -> str:
    if line.error:
        message = html.escape(line.error)
        return f'<span class="calc-out calc-error">⚠ {message}</span>'
    assert line.shown is not None
    result = html.escape(line.shown.display)
    if line.warnings:
        note = html.escape("; ".join(line.warnings))
        return f'<span class="calc-out calc-warning">= {result} <em>⚠ {note}</em></span>'
    return f'<span class="calc-out">= {result}</span>'


def reference_html(text: str, evaluation: Evaluation) -> str:
    """``{{ name }}`` or ``{{ name -> unit }}`` (``text`` is what is between the braces, as
    written) as its value, with the formula and its inputs shown on hover and focus."""
    name, arrow, target_text = text.partition("->")
    name, target_text = name.strip(), target_text.strip()
    line = evaluation.by_name.get(name)
    warnings: list[str] = []
    try:
        if not name.isidentifier():
            raise CalcError(f"“{name}” is not a name")
        if line is None:
            known = set(evaluation.by_name) | {
                n for n in (ln.name for ln in evaluation.lines) if n is not None
            }
            if name in known:
                raise CalcError(f"“{name}” has an error")
            raise CalcError(f"unknown name “{name}”{_suggest(name, known)}")
        if line.quantity is None:
            raise CalcError(f"“{name}” has an error: {line.error}")
        if arrow:
            shown = show(line.quantity, (target_text, _target(target_text, warnings)))
        else:
            shown = line.shown or show(line.quantity)
    except Exception as error:  # a reference never breaks the save or the page
        reason = str(error) if isinstance(error, CalcError) else "cannot show this value"
        written = html.escape("{{ " + text + " }}")
        message = html.escape(reason)
        return (
            f'<span class="calc-ref calc-error" tabindex="0">{written}'
            f'<span class="calc-tip" role="tooltip">⚠ {message}</span></span>'
        )
    tip = [line.formula]
    for used in line.inputs:
        source = evaluation.by_name.get(used)
        if source is not None and source.shown is not None:
            tip.append(f"{used} = {source.shown.display}")
    tip.extend(f"⚠ {warning}" for warning in warnings)
    tip_html = html.escape(" · ".join(tip))
    value = html.escape(shown.display)
    return (
        f'<span class="calc-ref" tabindex="0">{value}'
        f'<span class="calc-tip" role="tooltip">{tip_html}</span></span>'
    )


def fill(body_html: str, key: str, evaluation: Evaluation) -> str:
    """A section's rendered HTML with its results and references filled in."""
    if "calc-out" not in body_html and "{{" not in body_html:
        return body_html
    results = iter(evaluation.for_section(key))
    parts = body_html.split(_SLOT)
    filled = parts[0] + "".join(_slot_html(next(results, None)) + part for part in parts[1:])
    if "{{" not in filled:
        return filled
    budget = [MAX_REFERENCES]
    pieces, position = [], 0
    for match in _CODE_OR_TAG.finditer(filled):
        pieces.append(_references(filled[position : match.start()], evaluation, budget))
        pieces.append(match.group(0))
        position = match.end()
    pieces.append(_references(filled[position:], evaluation, budget))
    return "".join(pieces)


def _slot_html(line: Line | None) -> str:
    return line_html(line) if line is not None else ""


def _references(text: str, evaluation: Evaluation, budget: list[int]) -> str:
    """The references in a run of text (HTML-escaped); past the budget they stay as
    written."""
    if "{{" not in text:
        return text

    def replace(match: re.Match) -> str:
        budget[0] -= 1
        if budget[0] < 0:
            return match.group(0)
        return reference_html(html.unescape(match.group(1)), evaluation)

    return REFERENCE.sub(replace, text)


def values_data(evaluation: Evaluation) -> list[dict]:
    """The design's values as the API shows them (one per calc line that names one)."""
    data = []
    for line in evaluation.lines:
        shown = line.shown if not line.error else None
        data.append(
            {
                "name": line.name,
                "value": _float(shown.number) if shown else None,
                "unit": shown.unit if shown else None,
                "display": shown.display if shown else None,
                "error": line.error or None,
                "warning": "; ".join(line.warnings) or None,
                "section": line.section,
                "line": line.number,
                "formula": line.formula,
            }
        )
    return data


def _float(value: Fraction) -> float | None:
    try:
        return float(value)
    except OverflowError:
        return None
