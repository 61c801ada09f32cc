"""Finding a passage in a section's text again, and merging a suggested edit into a text
that changed since. Pure functions over strings: no database.

A passage is a W3C Web Annotation TextQuoteSelector, as Hypothesis stores one: the quote
(``exact``), up to ``CONTEXT`` characters before and after it, and where it was
(``start``). It is found again exactly where possible (the occurrence whose context agrees
best, then the nearest) and otherwise fuzzily with diff-match-patch's Bitap ``match_main``,
which finds at most 32 characters at a time: a long quote's first and last 32 characters
are found apart and the text between them must still resemble the quote.
"""

from dataclasses import dataclass

from diff_match_patch import diff_match_patch

CONTEXT = 32
# How much of the quote must survive (1 - edit distance / length) for a fuzzy match.
MIN_SIMILARITY = 0.6
# How far (in characters) from its hint an exact quote is searched for before giving up on
# the hint: every occurrence is scored, so this only bounds the work on huge texts.
MAX_OCCURRENCES = 200


@dataclass(frozen=True)
class Span:
    start: int
    end: int


@dataclass(frozen=True)
class Quote:
    """A passage of ``text`` in the TextQuoteSelector form."""

    exact: str
    prefix: str
    suffix: str
    start: int
    end: int


def quote_of(text: str, span: Span) -> Quote:
    return Quote(
        exact=text[span.start : span.end],
        prefix=text[max(0, span.start - CONTEXT) : span.start],
        suffix=text[span.end : span.end + CONTEXT],
        start=span.start,
        end=span.end,
    )


def _matcher() -> diff_match_patch:
    dmp = diff_match_patch()
    dmp.Match_Threshold = 0.4
    dmp.Match_Distance = 2000
    return dmp


def _context_score(text: str, start: int, end: int, prefix: str, suffix: str) -> int:
    """How many characters of the context agree, next to the quote outwards."""
    score = 0
    before = text[max(0, start - len(prefix)) : start]
    for a, b in zip(reversed(before), reversed(prefix), strict=False):
        if a != b:
            break
        score += 1
    after = text[end : end + len(suffix)]
    for a, b in zip(after, suffix, strict=False):
        if a != b:
            break
        score += 1
    return score


def _exact(text: str, exact: str, prefix: str, suffix: str, hint: int) -> Span | None:
    best: tuple[int, int] | None = None
    best_start = -1
    index = text.find(exact)
    seen = 0
    while index != -1 and seen < MAX_OCCURRENCES:
        score = (
            _context_score(text, index, index + len(exact), prefix, suffix),
            -abs(index - hint),
        )
        if best is None or score > best:
            best, best_start = score, index
        index = text.find(exact, index + 1)
        seen += 1
    if best is None:
        return None
    return Span(best_start, best_start + len(exact))


def _similarity(dmp: diff_match_patch, a: str, b: str) -> float:
    if not a and not b:
        return 1.0
    diffs = dmp.diff_main(a, b, False)
    return 1 - dmp.diff_levenshtein(diffs) / max(len(a), len(b))


def _best_end(dmp: diff_match_patch, text: str, exact: str, start: int, near: int) -> Span | None:
    """The end near ``near`` whose passage from ``start`` is most like ``exact``."""
    best_end, best = -1, 0.0
    for end in range(max(start + 1, near - 12), min(len(text), near + 12) + 1):
        similarity = _similarity(dmp, exact, text[start:end])
        if similarity > best:
            best_end, best = end, similarity
    if best < MIN_SIMILARITY:
        return None
    return Span(start, best_end)


def _fuzzy(text: str, exact: str, hint: int) -> Span | None:
    dmp = _matcher()
    bits = dmp.Match_MaxBits
    hint = max(0, min(hint, len(text)))
    if len(exact) <= bits:
        start = dmp.match_main(text, exact, hint)
        if start == -1:
            return None
        # Bitap finds where the pattern starts; its length may have changed.
        return _best_end(dmp, text, exact, start, start + len(exact))
    head, tail = exact[:bits], exact[-bits:]
    start = dmp.match_main(text, head, hint)
    if start == -1:
        return None
    tail_at = dmp.match_main(text, tail, start + len(exact) - bits)
    if tail_at == -1 or tail_at < start:
        return None
    found = _best_end(dmp, text, exact, start, tail_at + bits)
    if found is None or not 0.5 <= (found.end - found.start) / len(exact) <= 2:
        return None
    return found


class Edits:
    """The edits from ``old`` to ``new`` (a character diff, computed once for every passage
    carried through them; at most ``DIFF_SECONDS`` of work, as a save waits for it)."""

    DIFF_SECONDS = 1.0

    def __init__(self, old: str, new: str):
        self.dmp = diff_match_patch()
        self.dmp.Diff_Timeout = self.DIFF_SECONDS
        self.old, self.new = old, new
        # Character by character, with no semantic cleanup: that would fold the small
        # equalities between nearby edits into one large change and lose passages in it.
        self.diffs = self.dmp.diff_main(old, new, False)

    def follow(self, span: Span) -> Span | None:
        """Where the passage ``span`` of the old text is in the new one; None when what is
        there now is too little like it."""
        start = self.dmp.diff_xIndex(self.diffs, span.start)
        end = self.dmp.diff_xIndex(self.diffs, span.end)
        if end <= start:
            return None
        found = self.new[start:end]
        stripped = found.strip()
        if not stripped:
            return None
        start += len(found) - len(found.lstrip())
        end = start + len(stripped)
        before = self.old[span.start : span.end]
        if _similarity(self.dmp, before, stripped) < MIN_SIMILARITY - 0.1:
            return None
        return Span(start, end)


def locate(
    text: str, *, exact: str, prefix: str = "", suffix: str = "", hint: int = 0
) -> Span | None:
    """Where the passage is in ``text`` now, or None when it is gone."""
    if not exact:
        return None
    found = _exact(text, exact, prefix, suffix, hint)
    if found is not None:
        return found
    return _fuzzy(text, exact, hint)


@dataclass(frozen=True)
class Merged:
    text: str
    span: Span  # where the replacement is in ``text``


def merge_replacement(*, base: str, span: Span, replacement: str, current: str) -> Merged | None:
    """``current`` with the passage ``span`` of ``base`` replaced by ``replacement``, where
    ``current`` is ``base`` edited since. None when an edit since touched the passage (it
    changed, or something was inserted inside it): the two edits overlap.

    The edits since are read from a character diff of ``base`` against ``current``; the
    passage's position is carried through the ones before it (``diff_xIndex``)."""
    dmp = diff_match_patch()
    diffs = dmp.diff_main(base, current, False)
    dmp.diff_cleanupEfficiency(diffs)
    position = 0  # in base
    empty = span.start == span.end
    for op, chunk in diffs:
        if op == dmp.DIFF_INSERT:
            # An insertion strictly inside the passage overlaps it; so does one exactly
            # where an empty passage (an insertion suggested) is.
            if span.start < position < span.end or (empty and position == span.start):
                return None
            continue
        chunk_end = position + len(chunk)
        if op == dmp.DIFF_DELETE and (
            (chunk_end > span.start and position < span.end)
            or (empty and position <= span.start < chunk_end)
        ):
            return None
        position = chunk_end
    start = dmp.diff_xIndex(diffs, span.start)
    end = start + (span.end - span.start)
    if current[start:end] != base[span.start : span.end]:
        return None
    return Merged(
        text=current[:start] + replacement + current[end:],
        span=Span(start, start + len(replacement)),
    )
