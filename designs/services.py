"""Writes for designs, sections and their history."""

import copy
import re
import unicodedata
from dataclasses import asdict, dataclass
from datetime import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import F, Q
from django.utils import timezone

from accounts.models import Membership, Team, User
from config.ratelimit import wait_words, window_hit
from designs.calc import involves as involves_estimates
from designs.calc import services as calc_services
from designs.checklists import install_default_template
from designs.diagrams.services import diagram_uses_update
from designs.markdown import render_markdown
from designs.merge import SectionText, merge_section
from designs.models import (
    SUMMARY_MAX_CHARS,
    Design,
    DesignLink,
    DesignReader,
    Revision,
    Section,
    Template,
    TemplateSection,
)
from designs.selectors import readable_design_ids
from designs.signals import design_created, section_saved


class SectionConflict(Exception):
    """The section changed since ``base_version``; ``current`` is the section as saved now."""

    def __init__(self, current: Section):
        super().__init__(
            f"Section “{current.title}” was saved by someone else (now version {current.version})."
        )
        self.current = current


class PreviewRateLimited(Exception):
    """Over the preview limit; ``retry_after`` says in how many seconds to try again."""

    def __init__(self, *, limit: int, retry_after: int):
        super().__init__(
            f"You are previewing very fast: at most {limit} previews a minute. "
            f"Try again in {wait_words(retry_after)}."
        )
        self.retry_after = retry_after


def preview_allowance_take(*, user: User) -> None:
    """Count one Markdown preview by ``user``; PreviewRateLimited once over
    CRIT_PREVIEWS_PER_MINUTE (0 turns the limit off). A preview renders text that is not
    saved, so nothing remembers it: the limit bounds what one person can make the server
    render."""
    limit = settings.CRIT_PREVIEWS_PER_MINUTE
    if not limit:
        return
    window = window_hit(f"previews:{user.pk}", window=60)
    if window.count > limit:
        raise PreviewRateLimited(limit=limit, retry_after=window.retry_after)


@dataclass(frozen=True)
class SectionInput:
    body: str
    state: str
    na_reason: str


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")  # all but tab, newline, return


def _check_text(value: str, *, field: str, max_bytes: int) -> None:
    size = len(value.encode("utf-8"))
    if size > max_bytes:
        raise ValidationError({field: f"This text is {size:,} bytes; the limit is {max_bytes:,}."})
    bad = _CONTROL.search(value)
    if bad:
        raise ValidationError(
            {field: f"Control character U+{ord(bad.group()):04X} is not allowed in text."}
        )


def _clean_title(title: str) -> str:
    title = title.strip()
    if not title:
        raise ValidationError({"title": "A design needs a title."})
    if len(title) > settings.CRIT_TITLE_MAX_CHARS:
        raise ValidationError(
            {"title": f"Titles are at most {settings.CRIT_TITLE_MAX_CHARS} characters."}
        )
    # A title is one line: it heads pages and is the subject of emails.
    for char in title:
        if unicodedata.category(char) in ("Cc", "Zl", "Zp"):
            raise ValidationError(
                {
                    "title": f"A title is one line: remove the line break or control "
                    f"character U+{ord(char):04X}."
                }
            )
    _check_text(title, field="title", max_bytes=4 * settings.CRIT_TITLE_MAX_CHARS)
    return title


def _clean_summary(summary: str) -> str:
    summary = summary.strip()
    _check_text(summary, field="summary", max_bytes=4 * SUMMARY_MAX_CHARS)
    if len(summary) > SUMMARY_MAX_CHARS:
        raise ValidationError(
            {"summary": f"Summaries are at most {SUMMARY_MAX_CHARS:,} characters."}
        )
    return summary


def resolve_state(*, body: str, state: str, na_reason: str) -> SectionInput:
    """Apply the section state rules and return what to store.

    - not applicable needs a reason (the body is kept as written);
    - an empty body is "empty" unless the section is marked not applicable;
    - "answered" needs a body; a body saved as "empty" becomes "draft".
    """
    na_reason = na_reason.strip()
    if state not in Section.State.values:
        raise ValidationError({"state": f"Unknown state “{state}”."})
    if state == Section.State.NOT_APPLICABLE:
        if not na_reason:
            raise ValidationError({"na_reason": "Say why this section does not apply."})
        return SectionInput(body=body, state=state, na_reason=na_reason)
    if not body.strip():
        if state == Section.State.ANSWERED:
            raise ValidationError({"body": "An answered section needs an answer."})
        return SectionInput(body=body, state=Section.State.EMPTY, na_reason="")
    if state == Section.State.EMPTY:
        state = Section.State.DRAFT
    return SectionInput(body=body, state=state, na_reason="")


@transaction.atomic
def template_install_default() -> Template:
    """Create or refresh the shipped system-design checklist as the default template.

    Idempotent: sections are matched by key, so running it again changes nothing. Existing
    designs keep their own copies of the sections either way.
    """
    template: Template = install_default_template(Template, TemplateSection)
    return template


@transaction.atomic
def design_create(
    *,
    team: Team,
    title: str,
    created_by: User,
    summary: str = "",
    template: Template | None = None,
) -> Design:
    """Create a design in ``team`` with the sections copied from ``template`` (or the default).

    Atomic. Raises ValidationError for a bad title and PermissionError if the creator is
    not a member of the team.
    """
    if not Membership.objects.filter(team=team, user=created_by).exists():
        raise PermissionError("Only members of the team can create designs in it.")
    title = _clean_title(title)
    summary = _clean_summary(summary)
    if template is None:
        template = Template.objects.filter(is_default=True).first()
    if template is None:
        raise ValidationError({"template": "No template is available."})
    if template.team_id is not None and template.team_id != team.pk:
        raise ValidationError({"template": "That template belongs to another team."})
    template_sections = list(template.sections.order_by("position"))
    now = timezone.now()
    design = Design.objects.create(
        team=team,
        template=template,
        template_version=template.version,
        title=title,
        summary=summary,
        created_by=created_by,
        last_edited_by=created_by,
        last_edited_at=now,
        section_count=len(template_sections),
        covered_count=0,
    )
    Section.objects.bulk_create(
        Section(
            design=design,
            position=index,
            key=ts.key,
            title=ts.title,
            guidance=ts.guidance,
            guidance_html=render_markdown(ts.guidance),
        )
        for index, ts in enumerate(template_sections, start=1)
    )
    signoff_roles = {
        ts.key: tuple(ts.signoff_roles) for ts in template_sections if ts.signoff_roles
    }
    design_created.send(
        sender=Design, design=design, created_by=created_by, signoff_roles=signoff_roles
    )
    return design


@transaction.atomic
def design_update(*, design: Design, title: str, summary: str, edited_by: User) -> Design:
    """Change a design's title and summary. Raises ValidationError for a bad title (empty,
    too long, more than one line) or a summary over SUMMARY_MAX_CHARS."""
    design.title = _clean_title(title)
    design.summary = _clean_summary(summary)
    design.save(update_fields=["title", "summary", "updated_at"])
    return design


def _refresh_coverage(design_id: int) -> None:
    covered = Section.objects.filter(design_id=design_id, state__in=Section.COVERED_STATES).count()
    Design.objects.filter(pk=design_id).update(covered_count=covered, updated_at=timezone.now())


@transaction.atomic
def section_update(
    *,
    section: Section,
    body: str,
    base_version: int,
    edited_by: User,
    state: str | None = None,
    na_reason: str | None = None,
    restored_from: int | None = None,
) -> Section:
    """Save a section if nobody saved it since ``base_version``; record a revision.

    Atomic and race-safe: the version check and the write are one conditional UPDATE, so
    of many concurrent saves from the same base exactly one wins (``section`` is the row as
    the caller read it; the section as saved is returned). Raises SectionConflict
    (with the current section) when the base is stale, ValidationError for bad input.
    A save that changes nothing returns the section unchanged and writes no revision.
    """
    _check_text(body, field="body", max_bytes=settings.CRIT_SECTION_BODY_MAX_BYTES)
    if na_reason is not None:
        _check_text(na_reason, field="na_reason", max_bytes=2000)
        if len(na_reason.strip()) > 500:
            raise ValidationError({"na_reason": "Keep the reason under 500 characters."})
    if state is None:
        state = section.state if section.state != Section.State.EMPTY else Section.State.DRAFT
    if na_reason is None:
        na_reason = section.na_reason
    resolved = resolve_state(body=body, state=state, na_reason=na_reason)

    unchanged = (resolved.body, resolved.state, resolved.na_reason)
    current = copy.copy(section)  # the caller's object stays as they read it
    if section.version != base_version or (
        (section.body, section.state, section.na_reason) == unchanged
    ):  # a stale base, or nothing to save: answer from the row as it is now
        current = Section.objects.select_for_update().get(pk=section.pk)
        if current.version != base_version:
            raise SectionConflict(current)
        if (current.body, current.state, current.na_reason) == unchanged:
            return current

    # A save that defines or uses estimates computes the design's values again: such saves
    # take turns on the design's row, taken before the section's (no deadlock).
    estimates = involves_estimates(resolved.body) or involves_estimates(current.body)
    if estimates:
        calc_services.design_values_lock(design_id=current.design_id)
    now = timezone.now()
    new_version = current.version + 1
    body_html = render_markdown(resolved.body)
    write = _SAVE_WRITERS.get(connection.vendor, _save_write_orm)
    counts = write(
        SaveWrite(
            section_id=current.pk,
            design_id=current.design_id,
            base_version=base_version,
            body=resolved.body,
            body_html=body_html,
            state=resolved.state,
            na_reason=resolved.na_reason,
            editor_id=edited_by.pk,
            now=now,
            restored_from=restored_from,
        )
    )
    if counts is None:  # saved by someone else since the caller read it
        raise SectionConflict(Section.objects.get(pk=current.pk))
    live_approval_count, live_signoff_count = counts
    estimates_changed: set[str] = set()
    if estimates:
        refresh = calc_services.design_values_refresh(design_id=current.design_id)
        body_html = refresh.rendered.get(current.pk, body_html)
        estimates_changed = refresh.changed - {current.key}
    if (current.state in Section.COVERED_STATES) != (resolved.state in Section.COVERED_STATES):
        _refresh_coverage(current.design_id)
    diagram_uses_update(section=current, body_html=body_html, previous_html=current.body_html)
    # As saved (the row is locked): spares a query, and callers that show who saved another.
    current.body, current.body_html = resolved.body, body_html
    current.state, current.na_reason = resolved.state, resolved.na_reason
    current.version, current.updated_by, current.updated_at = new_version, edited_by, now
    section_saved.send(
        sender=Section,
        section=current,
        previous_version=base_version,
        edited_by=edited_by,
        live_approval_count=live_approval_count,
        live_signoff_count=live_signoff_count,
        estimates_changed=frozenset(estimates_changed),
        restored_from=restored_from,
    )
    return current


@dataclass(frozen=True)
class SaveWrite:
    """What a section save writes once its input is checked and rendered."""

    section_id: int
    design_id: int
    base_version: int
    body: str
    body_html: str
    state: str
    na_reason: str
    editor_id: int
    now: datetime
    restored_from: int | None


def _save_write_orm(write: SaveWrite) -> tuple[int, int] | None:
    """A save's three writes: the section, if still at ``base_version`` (if not, nothing is
    written and the answer is None); its new revision; the design's last edit. Answers the
    design's live approval and sign-off counts, read from its row once the save has locked
    it."""
    updated = Section.objects.filter(pk=write.section_id, version=write.base_version).update(
        body=write.body,
        body_html=write.body_html,
        state=write.state,
        na_reason=write.na_reason,
        version=F("version") + 1,
        updated_by_id=write.editor_id,
        updated_at=write.now,
    )
    if updated != 1:
        return None
    Revision.objects.create(
        section_id=write.section_id,
        version=write.base_version + 1,
        body=write.body,
        state=write.state,
        na_reason=write.na_reason,
        author_id=write.editor_id,
        restored_from=write.restored_from,
    )
    designs = Design.objects.filter(pk=write.design_id)
    designs.update(
        last_edited_at=write.now, last_edited_by_id=write.editor_id, updated_at=write.now
    )
    return designs.values_list("live_approval_count", "live_signoff_count").get()


def _save_write_postgresql(write: SaveWrite) -> tuple[int, int] | None:
    """The same three writes as ``_save_write_orm``, as one statement: one round trip to the
    database instead of three, and no ORM query to build. Saving a section is the write
    people make most, many times a minute while they type; ``tests/designs/test_save_write.py``
    holds the two ways to the same rows."""
    with connection.cursor() as cursor:
        cursor.execute(_SAVE_SQL, asdict(write))
        row = cursor.fetchone()
        return None if row is None else (row[0], row[1])


_SAVE_SQL = """
WITH saved AS (
    UPDATE designs_section
    SET body = %(body)s, body_html = %(body_html)s, state = %(state)s,
        na_reason = %(na_reason)s, version = version + 1, updated_by_id = %(editor_id)s,
        updated_at = %(now)s
    WHERE id = %(section_id)s AND version = %(base_version)s
    RETURNING id, version
), revision AS (
    INSERT INTO designs_revision (section_id, version, body, state, na_reason, author_id,
                                  restored_from, created_at, updated_at)
    SELECT id, version, %(body)s, %(state)s, %(na_reason)s, %(editor_id)s,
           %(restored_from)s, %(now)s, %(now)s
    FROM saved
), design AS (
    UPDATE designs_design
    SET last_edited_at = %(now)s, last_edited_by_id = %(editor_id)s, updated_at = %(now)s
    WHERE id = %(design_id)s AND EXISTS (SELECT FROM saved)
    RETURNING live_approval_count, live_signoff_count
)
SELECT live_approval_count, live_signoff_count FROM design
"""

_SAVE_WRITERS = {"postgresql": _save_write_postgresql}


@transaction.atomic
def section_restore(
    *, section: Section, version: int, base_version: int, restored_by: User
) -> Section:
    """Make an old revision's text the newest revision (history is never rewritten)."""
    revision = Revision.objects.filter(section=section, version=version).first()
    if revision is None:
        raise ValidationError({"version": f"Version {version} does not exist."})
    return section_update(
        section=section,
        body=revision.body,
        state=revision.state if revision.state != Section.State.EMPTY else Section.State.DRAFT,
        na_reason=revision.na_reason,
        base_version=base_version,
        edited_by=restored_by,
        restored_from=version,
    )


@transaction.atomic
def design_reader_grant(*, design: Design, user: User) -> None:
    """Let ``user`` read the design while a review request from them is live (on the team
    or not, so that leaving the team does not end it early). Idempotent."""
    DesignReader.objects.get_or_create(design=design, user=user)


@transaction.atomic
def design_reader_revoke(*, design: Design, user: User) -> None:
    """End the read access a review request gave (the request withdrawn), even for a team
    member: they still read the design as a member, and lose it with their membership.
    Idempotent."""
    DesignReader.objects.filter(design=design, user=user).delete()


@transaction.atomic
def design_status_set(
    *, design: Design, status: str, live_approval_count: int | None = None
) -> None:
    """Set the design status (and how many approvals are live, if given); the reviews app
    calls this after every verdict or issue change."""
    if status not in Design.Status.values:
        raise ValidationError({"status": f"Unknown status “{status}”."})
    changes: dict = {"status": status, "updated_at": timezone.now()}
    if live_approval_count is not None:
        changes["live_approval_count"] = live_approval_count
    Design.objects.filter(pk=design.pk).update(**changes)
    design.status = status
    if live_approval_count is not None:
        design.live_approval_count = live_approval_count


def design_signoff_count_set(*, design: Design, count: int) -> None:
    """Store how many section sign-offs of the design still count; the reviews app calls
    this after every sign-off given, withdrawn or reset."""
    Design.objects.filter(pk=design.pk).update(live_signoff_count=count)
    design.live_signoff_count = count


def design_lock(*, design: Design) -> None:
    """Lock the design's row until the transaction ends. Every section save locks it too
    (it updates the design's last edit), so what is read after this sees no save in
    progress: a verdict records the versions that are really saved."""
    Design.objects.select_for_update().filter(pk=design.pk).values_list("pk").first()


@dataclass(frozen=True)
class SectionSave:
    section: Section  # as saved
    merged: bool  # the save was made from an older version and merged with the newer saves


def section_save(
    *,
    section: Section,
    body: str,
    base_version: int,
    edited_by: User,
    state: str | None = None,
    na_reason: str | None = None,
) -> SectionSave:
    """``section_update``, merging a save made from an older version with the saves since
    (designs/merge.py): edits that do not overlap are saved as one new revision (``merged``);
    overlapping ones raise SectionConflict as ``section_update`` does, with nothing saved.

    Atomic: the merge runs with the section's row locked, so no save slips in between the
    merge and its write. Raises ValidationError for bad input, merged or not.
    """
    try:
        return SectionSave(
            section_update(
                section=section,
                body=body,
                base_version=base_version,
                edited_by=edited_by,
                state=state,
                na_reason=na_reason,
            ),
            merged=False,
        )
    except SectionConflict as conflict:
        if not 0 <= base_version < conflict.current.version:
            raise
    with transaction.atomic():
        current = (
            Section.objects.select_for_update(of=("self",))
            .select_related("updated_by")
            .get(pk=section.pk)
        )
        base = SectionText("", Section.State.EMPTY, "")
        if base_version:
            found = Revision.objects.filter(section=current, version=base_version).first()
            if found is None:
                raise SectionConflict(current)
            base = SectionText(found.body, found.state, found.na_reason)
        merged = merge_section(
            base=base,
            theirs=SectionText(current.body, current.state, current.na_reason),
            body=body,
            state=state,
            na_reason=na_reason,
        )
        if merged is None:
            raise SectionConflict(current)
        saved = section_update(
            section=current,
            body=merged.body,
            state=merged.state,
            na_reason=merged.na_reason,
            base_version=current.version,
            edited_by=edited_by,
        )
        return SectionSave(saved, merged=True)


@transaction.atomic
def design_link_add(*, design: Design, target: Design, kind: str, added_by: User) -> DesignLink:
    """Link ``design`` to ``target`` ("relates to" or "supersedes").

    Raises PermissionError unless ``added_by`` is a member of ``design``'s team,
    ValidationError if they may not read ``target`` (told as "no such design", never
    revealing it exists), for a link to itself, an unknown kind, or a link of that kind
    already between the two (either way round). Atomic; two people adding the same link at
    once make one link and one ValidationError.
    """
    if not Membership.objects.filter(team_id=design.team_id, user=added_by).exists():
        raise PermissionError("Only members of the design's team can link it to others.")
    if kind not in DesignLink.Kind.values:
        raise ValidationError({"kind": f"Unknown kind of link “{kind}”."})
    if not readable_design_ids(user=added_by, design_ids=[target.pk]):
        raise ValidationError({"target": "No such design among those you can see."})
    if target.pk == design.pk:
        raise ValidationError({"target": "A design cannot link to itself."})
    label = DesignLink.Kind(kind).label.lower()
    taken = ValidationError({"target": f"These two designs are already linked as “{label}”."})
    pair = Q(from_design=design, to_design=target) | Q(from_design=target, to_design=design)
    if DesignLink.objects.filter(pair, kind=kind).exists():
        raise taken
    try:
        with transaction.atomic():
            return DesignLink.objects.create(
                from_design=design, to_design=target, kind=kind, created_by=added_by
            )
    except IntegrityError as exc:  # the same link added at the same moment
        raise taken from exc


@transaction.atomic
def design_link_remove(*, design: Design, link: DesignLink, removed_by: User) -> None:
    """Remove ``link`` from ``design``'s side (either end). Raises PermissionError unless
    ``removed_by`` is a member of ``design``'s team. Idempotent."""
    if not Membership.objects.filter(team_id=design.team_id, user=removed_by).exists():
        raise PermissionError("Only members of the design's team can remove its links.")
    if design.pk not in (link.from_design_id, link.to_design_id):
        raise ValidationError({"link": "That link is not one of this design's."})
    DesignLink.objects.filter(pk=link.pk).delete()


def revision_co_authors_set(*, section_id: int, version: int, user_ids: list[int]) -> None:
    """Record who else typed into the live save of ``section_id`` at ``version``
    (realtime/): the revision's author is the last to type, these the others."""
    revision = Revision.objects.filter(section_id=section_id, version=version).first()
    if revision is not None and user_ids:
        revision.co_authors.set([i for i in user_ids if i != revision.author_id])
