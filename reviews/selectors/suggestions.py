"""Suggested edits and passages as the pages and the API show them."""

import re
from dataclasses import dataclass

from diff_match_patch import diff_match_patch
from django.http import Http404

from accounts.models import User
from designs.selectors import DesignAccess
from reviews.models import Suggestion
from reviews.selectors.access import comment_get_for


def suggestion_get_for(user: User, comment_id: int) -> tuple[DesignAccess, Suggestion]:
    """The suggestion a thread makes, on a design the caller can see (Http404 otherwise,
    and for a thread that suggests nothing)."""
    access, comment = comment_get_for(user, comment_id)
    suggestion = Suggestion.objects.filter(pk=comment.pk).first()
    if suggestion is None:
        raise Http404("No such suggestion.")
    suggestion.comment = comment
    suggestion.design = access.design
    suggestion.section = comment.section
    return access, suggestion


@dataclass(frozen=True)
class DiffPart:
    kind: str  # "same", "removed" or "added"
    text: str


_WORDS = re.compile(r"\w+|\s+|[^\w\s]")


def _words_to_chars(a: str, b: str) -> tuple[str, str, list[str]]:
    """Each word, run of spaces or sign as one character, so that the diff is by words."""
    tokens: list[str] = []
    index: dict[str, int] = {}

    def encode(text: str) -> str:
        out = []
        for token in _WORDS.findall(text):
            if token not in index:
                index[token] = len(tokens)
                tokens.append(token)
            out.append(chr(index[token] + 0x100))
        return "".join(out)

    return encode(a), encode(b), tokens


def suggestion_diff(suggestion: Suggestion, *, current: str | None = None) -> list[DiffPart]:
    """The suggestion as a word-level diff against the text it replaces: the passage as it
    is now (``current``, when it is still anchored) or as it was quoted."""
    dmp = diff_match_patch()
    before = suggestion.original if current is None else current
    a, b, tokens = _words_to_chars(before, suggestion.replacement)
    diffs = dmp.diff_main(a, b, False)
    dmp.diff_cleanupSemantic(diffs)
    kinds = {0: "same", -1: "removed", 1: "added"}
    return [
        DiffPart(kinds[op], "".join(tokens[ord(ch) - 0x100] for ch in chunk)) for op, chunk in diffs
    ]
