"""Comments on a passage: the anchor a thread keeps to its passage, found again after every
save of the section (``reviews.anchoring``)."""

from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone

from designs.models import Revision, Section
from reviews.anchoring import CONTEXT, Edits, Quote, Span, locate, quote_of
from reviews.models import Comment, CommentAnchor

# A passage longer than this is a comment on the section.
PASSAGE_MAX_CHARS = 5000


@dataclass(frozen=True)
class PassageInput:
    """A passage as the browser or the API names it: the selected text with some text
    before and after it, and where it starts and ends (a hint; the text decides)."""

    exact: str
    prefix: str = ""
    suffix: str = ""
    start: int = 0
    end: int = 0


def _clean(value: str, *, field: str, limit: int) -> str:
    value = value.replace("\r\n", "\n")
    if len(value) > limit:
        raise ValidationError({field: f"Keep the {field} under {limit:,} characters."})
    if any((ord(ch) < 32 and ch not in "\t\n") or ord(ch) == 0x7F for ch in value):
        raise ValidationError({field: "Control characters are not allowed."})
    return value


def passage_find(*, body: str, passage: PassageInput) -> Quote:
    """The passage in the section's text ``body``, as stored: the quote as it is in the
    source with its context. Raises ValidationError when the passage is not there."""
    exact = _clean(passage.exact, field="exact", limit=PASSAGE_MAX_CHARS)
    prefix = _clean(passage.prefix, field="prefix", limit=CONTEXT * 8)
    suffix = _clean(passage.suffix, field="suffix", limit=CONTEXT * 8)
    if not exact.strip():
        raise ValidationError({"exact": "Select some text to comment on."})
    if passage.start < 0 or passage.end < passage.start:
        raise ValidationError({"start": "The passage's position is not valid."})
    # The browser quotes the rendered text; outer white space differs from the source.
    exact = exact.strip()
    span = locate(
        body, exact=exact, prefix=prefix[-CONTEXT:], suffix=suffix[:CONTEXT], hint=passage.start
    )
    if span is None:
        raise ValidationError(
            {
                "exact": "That passage is not in the section's current text: "
                "reload and select it again."
            }
        )
    return quote_of(body, _balanced(body, span))


def _balanced(body: str, span: Span) -> Span:
    """The span widened over Markdown emphasis or code marks left open at one of its ends:
    a selection of rendered text never shows them, so it may stop short of them."""
    start, end = span.start, span.end
    for mark in ("**", "__", "`", "*", "_"):
        if body[start:end].count(mark) % 2 == 0:
            continue
        if body[end : end + len(mark)] == mark:
            end += len(mark)
        elif body[max(0, start - len(mark)) : start] == mark:
            start -= len(mark)
    return Span(start, end)


def anchor_create(
    *, comment: Comment, section: Section, quote: Quote, version: int
) -> CommentAnchor:
    return CommentAnchor.objects.create(
        comment=comment,
        section=section,
        quote=quote.exact,
        exact=quote.exact,
        prefix=quote.prefix,
        suffix=quote.suffix,
        start=quote.start,
        end=quote.end,
        section_version=version,
    )


def anchors_follow(*, section: Section, previous_version: int | None = None) -> list[CommentAnchor]:
    """Find every anchored passage of ``section`` again in its text as saved; a passage
    that is gone is marked removed (its last quote kept). A passage still there word for
    word is found by its quote and context; one that was edited is carried through the
    diff from the text at ``previous_version`` (read once, only then). One read of the
    section's anchors still in place and one bulk update, whatever their number. Answers
    the anchors that changed. Called inside the saving transaction."""
    anchors = list(
        CommentAnchor.objects.filter(section_id=section.pk, status=CommentAnchor.Status.ANCHORED)
    )
    changed: list[CommentAnchor] = []
    now = timezone.now()
    edits: list[Edits | None] = []  # the previous text and the diff: at most once
    for anchor in anchors:
        span = _exact_again(section.body, anchor)
        if span is None and previous_version is not None:
            if not edits:
                old = (
                    Revision.objects.filter(section_id=section.pk, version=previous_version)
                    .values_list("body", flat=True)
                    .first()
                )
                edits.append(None if old is None else Edits(old, section.body))
            since = edits[0]
            if since is not None and since.old[anchor.start : anchor.end] == anchor.exact:
                span = since.follow(Span(anchor.start, anchor.end))
            else:
                span = locate(section.body, exact=anchor.exact, hint=anchor.start)
        if span is None:
            anchor.status = CommentAnchor.Status.REMOVED
        else:
            found = quote_of(section.body, span)
            anchor.exact, anchor.prefix, anchor.suffix = found.exact, found.prefix, found.suffix
            anchor.start, anchor.end = found.start, found.end
            anchor.section_version = section.version
        anchor.updated_at = now
        changed.append(anchor)
    if changed:
        CommentAnchor.objects.bulk_update(
            changed,
            [
                "exact",
                "prefix",
                "suffix",
                "start",
                "end",
                "status",
                "section_version",
                "updated_at",
            ],
        )
    return changed


def _exact_again(body: str, anchor: CommentAnchor) -> Span | None:
    """The quote word for word, where its context agrees best (nearest its old place)."""
    if anchor.exact not in body:
        return None
    return locate(
        body, exact=anchor.exact, prefix=anchor.prefix, suffix=anchor.suffix, hint=anchor.start
    )


def anchor_move(*, anchor: CommentAnchor, body: str, span: Span, version: int) -> None:
    """Point ``anchor`` at ``span`` of ``body`` (an applied suggestion's new text); an
    empty span (the passage deleted) marks it removed."""
    if span.start == span.end:
        anchor.status = CommentAnchor.Status.REMOVED
    else:
        found = quote_of(body, span)
        anchor.status = CommentAnchor.Status.ANCHORED
        anchor.exact, anchor.prefix, anchor.suffix = found.exact, found.prefix, found.suffix
        anchor.start, anchor.end = found.start, found.end
        anchor.section_version = version
    anchor.save()


def suggestion_text_clean(replacement: str, *, original: str) -> str:
    """A suggested text, checked: within the section's size limit, no control characters,
    and different from what it replaces (ValidationError otherwise)."""
    replacement = replacement.replace("\r\n", "\n")
    limit = settings.CRIT_SECTION_BODY_MAX_BYTES
    size = len(replacement.encode("utf-8"))
    if size > limit:
        raise ValidationError(
            {"replacement": f"This text is {size:,} bytes; the limit is {limit:,}."}
        )
    if any((ord(ch) < 32 and ch not in "\t\n") or ord(ch) == 0x7F for ch in replacement):
        raise ValidationError({"replacement": "Control characters are not allowed."})
    if replacement == original:
        raise ValidationError({"replacement": "The suggestion changes nothing: edit the text."})
    return replacement
