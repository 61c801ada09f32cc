"""Three-way merge of section text, for saves made from an older version, in bounded time.

A save names the version it was edited from (``base_version``). When someone else saved
since, the two edits are merged line by line against that base, the way ``diff3`` and
``git merge-file`` do it:

- each side is diffed against the base (diff-match-patch, Myers' O(ND) diff, on lines, as
  in ``designs/diff.py``);
- base lines that neither side changed are *stable*; the runs between them are chunks;
- a chunk changed on one side only takes that side; changed identically on both, either;
  changed differently on both, the merge fails: a conflict, which the caller shows.

Edits on adjacent lines (no unchanged line between them), and two insertions at the same
place, are conflicts, as in git: nothing tells which order the person meant, so nothing
overlapping is ever merged silently. Lines are compared with their line endings, so text
is stored exactly as each side wrote it (a CRLF side against an LF base changes every line
and conflicts rather than guessing).

Bounds: the whole merge has a time budget (``BUDGET_SECONDS``); past it diff-match-patch
stops looking for the smallest diff and answers a larger but still true one, which can only
turn a clean merge into a conflict, never the other way round. Bodies are at most
CRIT_SECTION_BODY_MAX_BYTES, checked before a merge is tried.
"""

import time
from dataclasses import dataclass

import fast_diff_match_patch

BUDGET_SECONDS = 0.3


@dataclass(frozen=True)
class ScalarMerge:
    """A merged value, or ``conflict`` when both sides changed it differently."""

    value: str
    conflict: bool = False


def _codes(texts: list[list[str]]) -> list[str]:
    """Each text as a string with one character per line, equal lines the same character
    (skipping the surrogate range, which is not valid text)."""
    table: dict[str, str] = {}

    def code(line: str) -> str:
        found = table.get(line)
        if found is None:
            n = len(table)
            found = table[line] = chr(n if n < 0xD800 else n + 0x800)
        return found

    return ["".join(code(line) for line in text) for text in texts]


def _matches(base: str, other: str, deadline: float) -> list[int]:
    """For each base line, the index of the same line in ``other``, or -1 if changed."""
    match = [-1] * len(base)
    seconds = max(deadline - time.time(), 0.001)
    steps = fast_diff_match_patch.diff(
        base, other, timelimit=seconds, checklines=False, cleanup="No"
    )
    i = j = 0
    for op, n in steps:
        if op == "=":
            for k in range(n):
                match[i + k] = j + k
            i, j = i + n, j + n
        elif op == "-":
            i += n
        else:
            j += n
    return match


def merge_text(base: str, mine: str, theirs: str) -> str | None:
    """``base`` with the edits of ``mine`` and of ``theirs`` both applied, or None when
    they overlap or touch (a conflict). Pure: no database, no side effect."""
    if mine == theirs or theirs == base:
        return mine
    if mine == base:
        return theirs
    deadline = time.time() + BUDGET_SECONDS
    o_lines, a_lines, b_lines = (t.splitlines(keepends=True) for t in (base, mine, theirs))
    o_codes, a_codes, b_codes = _codes([o_lines, a_lines, b_lines])
    match_a = _matches(o_codes, a_codes, deadline)
    match_b = _matches(o_codes, b_codes, deadline)
    out: list[str] = []
    o = a = b = 0
    n_o = len(o_lines)
    while True:
        # Stable lines: unchanged on both sides, in step.
        while o < n_o and match_a[o] == a and match_b[o] == b:
            out.append(o_lines[o])
            o, a, b = o + 1, a + 1, b + 1
        # The next base line both sides kept ends the chunk (or the end of the texts).
        o2 = o
        while o2 < n_o and (match_a[o2] < 0 or match_b[o2] < 0):
            o2 += 1
        a2, b2 = (match_a[o2], match_b[o2]) if o2 < n_o else (len(a_lines), len(b_lines))
        chunk_o, chunk_a, chunk_b = o_lines[o:o2], a_lines[a:a2], b_lines[b:b2]
        if not (chunk_o or chunk_a or chunk_b):
            break
        if chunk_a == chunk_o:
            out += chunk_b
        elif chunk_b == chunk_o or chunk_a == chunk_b:
            out += chunk_a
        else:
            return None
        o, a, b = o2, a2, b2
    return "".join(out)


def merge_value(base: str, mine: str, theirs: str) -> ScalarMerge:
    """A field merged as one piece (a state, a reason): a side that kept the base value
    takes the other side's; both changed it differently is a conflict."""
    if mine in (theirs, base):
        return ScalarMerge(theirs)
    if theirs == base:
        return ScalarMerge(mine)
    return ScalarMerge(theirs, conflict=True)


@dataclass(frozen=True)
class SectionText:
    """What a save changes in a section: its body, state and reason."""

    body: str
    state: str
    na_reason: str


def _editing_state(state: str) -> str:
    # An empty section is edited as a draft (the editor offers no "empty"), so a side that
    # left the state alone says "draft" where the base said "empty".
    return "draft" if state == "empty" else state


def merge_section(
    *, base: SectionText, theirs: SectionText, body: str, state: str | None, na_reason: str | None
) -> SectionText | None:
    """A stale save (``body``, ``state``, ``na_reason``; None keeps what is saved) merged
    with ``theirs`` (the section as saved now) against ``base`` (the version the save was
    edited from). None when any part of the two edits overlaps."""
    text = merge_text(base.body, body, theirs.body)
    if text is None:
        return None
    merged_state = ScalarMerge(theirs.state)
    if state is not None:
        merged_state = merge_value(
            _editing_state(base.state), _editing_state(state), _editing_state(theirs.state)
        )
    reason = ScalarMerge(theirs.na_reason)
    if na_reason is not None:
        reason = merge_value(base.na_reason.strip(), na_reason.strip(), theirs.na_reason.strip())
    if merged_state.conflict or reason.conflict:
        return None
    return SectionText(body=text, state=merged_state.value, na_reason=reason.value)
