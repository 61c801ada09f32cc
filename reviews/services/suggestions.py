"""Suggested edits: applied by the section's editors as a new revision crediting the
reviewer, or dismissed with a reply. A suggestion is made with ``comment_add``
(``replacement``)."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from designs import services as design_services
from designs.models import Section
from reviews.anchoring import Span, merge_replacement
from reviews.models import Comment, CommentAnchor, Suggestion
from reviews.services._common import on_team, require_reader
from reviews.services.comments import _threads_changed, comment_reply
from reviews.services.passages import anchor_move
from reviews.signals import suggestion_applied, suggestion_dismissed


class SuggestionConflict(ValidationError):
    """The passage changed since the suggestion was made, where the suggestion edits it:
    nothing was applied. ``version`` is the section's version now."""

    def __init__(self, *, version: int):
        super().__init__(
            {
                "replacement": (
                    f"The passage changed since this suggestion (the section is now at "
                    f"version {version}) and the edits overlap: nothing was applied. Edit "
                    "the section by hand, or dismiss the suggestion."
                )
            }
        )
        self.version = version


def _require_editor(*, suggestion: Suggestion, user: User, verb: str) -> None:
    require_reader(design=suggestion.design, user=user)
    if not on_team(design=suggestion.design, user=user):
        raise PermissionError(f"Only the design's team can {verb} suggestions.")


def _lock_open(suggestion: Suggestion) -> Suggestion:
    locked = Suggestion.objects.select_for_update().get(pk=suggestion.pk)
    if locked.status != Suggestion.Status.OPEN:
        raise ValidationError(
            {"status": f"This suggestion was already {locked.get_status_display().lower()}."}
        )
    return locked


def _touch_thread(comment_id: int) -> None:
    # The thread's stamp (reviews.selectors.threads_state_attach) reads comments' updated_at.
    Comment.objects.filter(pk=comment_id).update(updated_at=timezone.now())


@transaction.atomic
def suggestion_apply(*, suggestion: Suggestion, applied_by: User) -> Section:
    """Make the suggested edit a new revision of the section, saved by ``applied_by`` with
    the reviewer recorded as its co-author; the section as saved is returned.

    If the section changed since the suggestion, the edit is merged into the text as it is
    now when the changes do not touch the passage; otherwise SuggestionConflict is raised
    and nothing changes. A whole-section suggestion merges only into the text it was made
    on. The save goes through ``section_update`` like any other, so open live editors get
    the new text. Atomic; the suggestion and the section are locked, so it is applied at
    most once. Raises PermissionError unless ``applied_by`` is on the design's team,
    ValidationError for a suggestion already applied or dismissed.
    """
    _require_editor(suggestion=suggestion, user=applied_by, verb="apply")
    locked = _lock_open(suggestion)
    section = (
        Section.objects.select_for_update(of=("self",))
        .select_related("design")
        .get(pk=locked.section_id)
    )
    span = Span(locked.start, locked.end)
    if section.version == locked.base_version:
        body = locked.suggested_body
        new_span = Span(span.start, span.start + len(locked.replacement))
    else:
        merged = (
            None
            if locked.whole_section
            else merge_replacement(
                base=locked.base_body,
                span=span,
                replacement=locked.replacement,
                current=section.body,
            )
        )
        if merged is None:
            raise SuggestionConflict(version=section.version)
        body, new_span = merged.text, merged.span
    saved = design_services.section_update(
        section=section, body=body, base_version=section.version, edited_by=applied_by
    )
    author_id = Comment.objects.values_list("author_id", flat=True).get(pk=locked.pk)
    design_services.revision_co_authors_set(
        section_id=section.pk, version=saved.version, user_ids=[author_id]
    )
    anchor = CommentAnchor.objects.filter(pk=locked.pk).first()
    if anchor is not None:
        anchor_move(anchor=anchor, body=saved.body, span=new_span, version=saved.version)
    now = timezone.now()
    Suggestion.objects.filter(pk=locked.pk).update(
        status=Suggestion.Status.APPLIED,
        decided_by=applied_by,
        decided_at=now,
        applied_version=saved.version,
        updated_at=now,
    )
    suggestion.status, suggestion.decided_by, suggestion.decided_at = (
        Suggestion.Status.APPLIED,
        applied_by,
        now,
    )
    suggestion.applied_version = saved.version
    _touch_thread(locked.pk)
    _threads_changed(saved)
    suggestion_applied.send(
        sender=Suggestion,
        suggestion=suggestion,
        actor=applied_by,
        design=suggestion.design,
        section=saved,
    )
    return saved


@transaction.atomic
def suggestion_dismiss(*, suggestion: Suggestion, dismissed_by: User, reply: str) -> Comment:
    """Turn a suggestion down with a reply in its thread (required: say why); the reply is
    returned. Atomic. Raises PermissionError unless ``dismissed_by`` is on the design's
    team, ValidationError for an empty reply or a suggestion already applied or dismissed.
    """
    _require_editor(suggestion=suggestion, user=dismissed_by, verb="dismiss")
    locked = _lock_open(suggestion)
    if not reply.strip():
        raise ValidationError({"body": "Say why you dismiss it."})
    thread = Comment.objects.select_related("design", "section", "author").get(pk=locked.pk)
    answer = comment_reply(parent=thread, author=dismissed_by, body=reply)
    now = timezone.now()
    Suggestion.objects.filter(pk=locked.pk).update(
        status=Suggestion.Status.DISMISSED, decided_by=dismissed_by, decided_at=now, updated_at=now
    )
    suggestion.status, suggestion.decided_by, suggestion.decided_at = (
        Suggestion.Status.DISMISSED,
        dismissed_by,
        now,
    )
    _touch_thread(locked.pk)
    suggestion_dismissed.send(
        sender=Suggestion,
        suggestion=suggestion,
        actor=dismissed_by,
        design=suggestion.design,
        section=thread.section,
    )
    return answer
