"""Line diffs of two section bodies, with word marks inside changed lines, in bounded time.

Both levels use diff-match-patch (Myers' O(ND) diff) on sequences of lines or words, each
line or word stood for by one character, so a few scattered changes in a long body cost
little. Two limits keep any pair of bodies, however built, cheap to compare:

- a time budget for the whole diff (``BUDGET_SECONDS``): past it diff-match-patch stops
  looking for the smallest diff and reports what is left as one removed and one added
  block, which is still a true diff;
- a cap on the words marked (``WORD_MARK_LIMIT``): changed lines past it, or left when
  the budget ran out, are shown whole, and the diff says so (``whole_lines``);
- a cap on the lines shown (``ROW_LIMIT``), past which the diff is cut (``cut``).
"""

import html
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import NamedTuple

import fast_diff_match_patch
from django.utils.safestring import SafeString, mark_safe

BUDGET_SECONDS = 0.3
# Words (and the spaces and marks between them) of the changed line pairs marked word by
# word in one diff, counting both sides: a 21 KB line pair is about 14,000.
WORD_MARK_LIMIT = 200_000
# Lines shown: a 200 KB body of blank lines against one of short lines is 300,000 rows,
# 36 MB of page; 50,000 rows are more than a 200 KB body of text ever has.
ROW_LIMIT = 50_000

_TOKEN = re.compile(r"\s+|\w+|[^\w\s]", re.UNICODE)


class DiffLine(NamedTuple):  # a tuple: a diff may have 100,000s of them
    kind: str  # "equal", "delete", "insert"
    html: SafeString


_MARKS = {"insert": "+", "delete": "\u2212", "equal": "&nbsp;"}


class TextDiff(list[DiffLine]):
    """The lines of a diff, in order. ``whole_lines`` is True when some changed lines are
    shown whole, without word marks, because the diff was too large to mark word by word."""

    whole_lines: bool = False
    cut: bool = False  # True when the diff has more than ROW_LIMIT lines and shows those

    def as_html(self) -> SafeString:
        """The rows of the diff table. Built here in one join rather than by a template
        loop, which takes ten times as long on the longest diffs (a row per line)."""
        return mark_safe(  # noqa: S308 (each line's html is escaped text and our marks)
            "".join(
                f'<div class="diff-line diff-{line.kind}" role="row">'
                f'<span class="diff-mark" aria-hidden="true">{_MARKS[line.kind]}</span>'
                f'<span class="diff-text">{line.html}</span></div>'
                for line in self
            )
        )


@dataclass(frozen=True)
class _Block:
    kind: str  # "equal" or "change"
    old: list[str]
    new: list[str]


def _blocks(old: list[str], new: list[str], deadline: float) -> list[_Block]:
    """``old`` and ``new`` (lists of lines or words) cut into equal runs and changed runs."""
    return list(_cut(old, new, deadline))


def _cut(old: list[str], new: list[str], deadline: float) -> Iterator[_Block]:
    codes: dict[str, str] = {}

    def encode(items: list[str]) -> str:
        return "".join(codes.setdefault(item, chr(len(codes))) for item in items)

    a, b = encode(old), encode(new)
    seconds = max(deadline - time.time(), 0.001)
    i = j = 0
    removed: list[str] = []
    added: list[str] = []
    steps = fast_diff_match_patch.diff(a, b, timelimit=seconds, checklines=False, cleanup="No")
    for op, n in steps:
        if op == "=":
            if removed or added:
                yield _Block("change", removed, added)
                removed, added = [], []
            yield _Block("equal", old[i : i + n], new[j : j + n])
            i, j = i + n, j + n
        elif op == "-":
            removed += old[i : i + n]
            i += n
        else:
            added += new[j : j + n]
            j += n
    if removed or added:
        yield _Block("change", removed, added)


def _escaped(text: str) -> SafeString:
    return SafeString(html.escape(text))  # not mark_safe: its lazy wrapper costs more


def _word_marks(old: list[str], new: list[str], deadline: float) -> tuple[str, str]:
    old_out: list[str] = []
    new_out: list[str] = []
    for block in _blocks(old, new, deadline):
        old_part, new_part = html.escape("".join(block.old)), html.escape("".join(block.new))
        if block.kind == "equal":
            old_out.append(old_part)
            new_out.append(new_part)
            continue
        if old_part:
            old_out.append(f"<del>{old_part}</del>")
        if new_part:
            new_out.append(f"<ins>{new_part}</ins>")
    return "".join(old_out), "".join(new_out)


def text_diff(old: str, new: str) -> TextDiff:
    """An inline line diff; a changed line pair is shown with word-level marks while the
    diff stays within its limits, and whole past them. At most ``ROW_LIMIT`` lines."""
    deadline = time.time() + BUDGET_SECONDS
    words_left = WORD_MARK_LIMIT
    lines = TextDiff()
    blocks = _blocks(old.splitlines(), new.splitlines(), deadline)
    # Out of time already: the blocks are true but may be larger than they need be.
    lines.whole_lines = time.time() >= deadline
    for block in blocks:
        # Each block adds at most one row past the limit, so that a cut shows at the end.
        room = ROW_LIMIT + 1 - len(lines)
        if room <= 0:
            break
        if block.kind == "equal":
            lines.extend(DiffLine("equal", _escaped(t)) for t in block.old[:room])
            continue
        if len(block.old) == len(block.new):
            for before, after in zip(block.old[: room // 2 + 1], block.new, strict=False):
                if words_left > 0 and time.time() < deadline:
                    a, b = _TOKEN.findall(before), _TOKEN.findall(after)
                    words_left -= len(a) + len(b)
                    if words_left >= 0:
                        marked_old, marked_new = _word_marks(a, b, deadline)
                        if time.time() < deadline:
                            lines.append(DiffLine("delete", SafeString(marked_old)))
                            lines.append(DiffLine("insert", SafeString(marked_new)))
                            continue
                lines.whole_lines = True
                lines.append(DiffLine("delete", _escaped(before)))
                lines.append(DiffLine("insert", _escaped(after)))
            continue
        removed = block.old[:room]
        lines.extend(DiffLine("delete", _escaped(t)) for t in removed)
        lines.extend(DiffLine("insert", _escaped(t)) for t in block.new[: room - len(removed)])
    if len(lines) > ROW_LIMIT:
        del lines[ROW_LIMIT:]
        lines.cut = True
    return lines
