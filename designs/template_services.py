"""Writes for team templates: create (empty, copied, or from a Markdown checklist), edit,
and the version every change makes.

A team's owners edit its templates; the built-in checklist (no team) is never edited here.
Every change bumps ``Template.version`` and freezes the template as it now is in a
TemplateVersion row. Designs copy their sections when they are created and record the
version, so no change here ever reaches an existing design.
"""

import re
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils.text import slugify

from accounts.models import Membership, Team, User
from designs.checklists import parse_checklist
from designs.importing import check_text, section_key, split_markdown
from designs.models import Template, TemplateSection, TemplateVersion
from designs.services import _check_text

NAME_MAX_CHARS = 200
DESCRIPTION_MAX_CHARS = 2_000
GUIDANCE_MAX_BYTES = 20_000
SECTIONS_MAX = 60
ROLES_MAX = 10
ROLE_MAX_CHARS = 50
# A section key appears in URLs: the characters of the <slug:> converter only.
_KEY = re.compile(r"[-a-zA-Z0-9_]{1,100}")


@dataclass(frozen=True)
class SectionDraft:
    """A template section as asked for; ``key`` keeps an existing section's key."""

    title: str
    guidance: str = ""
    signoff_roles: tuple[str, ...] = ()
    key: str = ""


def _one_line(value: str, *, field: str, what: str, limit: int) -> str:
    value = value.strip()
    if not value:
        raise ValidationError({field: f"{what} cannot be empty."})
    if len(value) > limit:
        raise ValidationError({field: f"{what} is at most {limit} characters."})
    if len(value.splitlines()) > 1:
        raise ValidationError({field: f"{what} is one line."})
    _check_text(value, field=field, max_bytes=4 * limit)
    return value


def clean_roles(roles: Iterable[str]) -> list[str]:
    """Role names, trimmed, without blanks or repeats, in the order given."""
    cleaned: list[str] = []
    for role in roles:
        role = role.strip()
        if not role or role in cleaned:
            continue
        cleaned.append(
            _one_line(role, field="signoff_roles", what="A role name", limit=ROLE_MAX_CHARS)
        )
    if len(cleaned) > ROLES_MAX:
        raise ValidationError({"signoff_roles": f"At most {ROLES_MAX} roles a section."})
    return cleaned


def parse_roles(text: str) -> list[str]:
    """Roles typed as one line: separated by commas."""
    return clean_roles(text.split(","))


def _clean_section(draft: SectionDraft) -> SectionDraft:
    title = _one_line(draft.title, field="title", what="A section title", limit=200)
    guidance = draft.guidance.replace("\r\n", "\n").strip("\n")
    _check_text(guidance, field="guidance", max_bytes=GUIDANCE_MAX_BYTES)
    return SectionDraft(
        title=title,
        guidance=guidance,
        signoff_roles=tuple(clean_roles(draft.signoff_roles)),
        key=draft.key,
    )


def _require_owner(team: Team | None, user: User) -> None:
    if team is None:
        raise PermissionError(
            "The built-in checklist cannot be edited: copy it into a team template."
        )
    if not Membership.objects.filter(team=team, user=user, role=Membership.Role.OWNER).exists():
        raise PermissionError("Only a team owner can do that.")


def _snapshot(template: Template) -> dict:
    return {
        "name": template.name,
        "description": template.description,
        "sections": [
            {
                "key": s.key,
                "title": s.title,
                "guidance": s.guidance,
                "signoff_roles": list(s.signoff_roles),
            }
            for s in template.sections.order_by("position")
        ],
    }


def _record_version(template: Template, *, by: User, bump: bool = True) -> None:
    if bump:
        Template.objects.filter(pk=template.pk).update(version=F("version") + 1)
        template.refresh_from_db(fields=["version", "updated_at"])
    TemplateVersion.objects.create(
        template=template, version=template.version, snapshot=_snapshot(template), created_by=by
    )


def _sync(template: Template, locked: Template) -> Template:
    """The caller's object as saved now, so a design made from it records this version."""
    for name in ("name", "description", "version", "updated_at"):
        setattr(template, name, getattr(locked, name))
    return template


def _lock(template: Template, user: User) -> Template:
    _require_owner(template.team, user)
    return Template.objects.select_for_update().get(pk=template.pk)


def _write_sections(template: Template, drafts: Sequence[SectionDraft]) -> None:
    """Make the template's sections exactly ``drafts``, in order; a draft with the key of
    an existing section keeps it (and its key), the others are removed."""
    if not drafts:
        raise ValidationError({"sections": "A template needs at least one section."})
    if len(drafts) > SECTIONS_MAX:
        raise ValidationError({"sections": f"A template has at most {SECTIONS_MAX} sections."})
    cleaned = [_clean_section(d) for d in drafts]
    existing = {s.key: s for s in template.sections.all()}
    wanted = {d.key for d in cleaned if d.key}
    TemplateSection.objects.filter(template=template).exclude(key__in=wanted).delete()
    # Out of the way of the unique positions before they are written again.
    TemplateSection.objects.filter(template=template).update(position=F("position") + 1000)
    taken = set(wanted)
    used: set[str] = set()
    for position, draft in enumerate(cleaned, start=1):
        fields = {
            "position": position,
            "title": draft.title,
            "guidance": draft.guidance,
            "signoff_roles": list(draft.signoff_roles),
        }
        if draft.key and draft.key in existing and draft.key not in used:
            TemplateSection.objects.filter(pk=existing[draft.key].pk).update(**fields)
            used.add(draft.key)
        else:
            fresh = (
                _KEY.fullmatch(draft.key) and draft.key not in existing and draft.key not in used
            )
            key = draft.key if fresh else section_key(draft.title, taken)
            used.add(key)
            TemplateSection.objects.create(template=template, key=key, **fields)


def _clean_meta(name: str, description: str) -> tuple[str, str]:
    name = _one_line(name, field="name", what="A template's name", limit=NAME_MAX_CHARS)
    description = description.replace("\r\n", "\n").strip()
    if len(description) > DESCRIPTION_MAX_CHARS:
        raise ValidationError(
            {"description": f"A description is at most {DESCRIPTION_MAX_CHARS:,} characters."}
        )
    _check_text(description, field="description", max_bytes=4 * DESCRIPTION_MAX_CHARS)
    return name, description


@transaction.atomic
def template_create(
    *,
    team: Team,
    name: str,
    created_by: User,
    description: str = "",
    sections: Sequence[SectionDraft],
) -> Template:
    """A new template of ``team``, at version 1. Atomic. PermissionError unless
    ``created_by`` owns the team; ValidationError for bad names, guidance or sections."""
    _require_owner(team, created_by)
    name, description = _clean_meta(name, description)
    slug = f"t{team.pk}-{slugify(name)[:60]}-{secrets.token_hex(3)}"
    template = Template.objects.create(
        team=team, name=name, description=description, slug=slug, version=1
    )
    _write_sections(template, sections)
    _record_version(template, by=created_by, bump=False)
    return template


def template_copy(*, source: Template, team: Team, created_by: User, name: str = "") -> Template:
    """A team template with ``source``'s sections (keys, titles, guidance, roles). The
    source must be the built-in checklist or a template of the same team."""
    if source.team_id is not None and source.team_id != team.pk:
        raise ValidationError({"source": "That template belongs to another team."})
    drafts = [
        SectionDraft(
            title=s.title, guidance=s.guidance, signoff_roles=tuple(s.signoff_roles), key=s.key
        )
        for s in source.sections.order_by("position")
    ]
    return template_create(
        team=team,
        name=name or f"{source.name} (copy)"[:NAME_MAX_CHARS],
        description=source.description,
        sections=drafts,
        created_by=created_by,
    )


def checklist_sections(text: str) -> tuple[str, list[SectionDraft]]:
    """A Markdown checklist in the shape of Crit's own (a heading per section, bullets of
    guidance; the list of ``[Title](#key)`` links before them is optional) as its title (a
    lone first ``#`` heading, or "") and sections. ValidationError when it has no headings."""
    text = check_text(text).replace("\r\n", "\n")
    try:
        parsed = parse_checklist(text)
    except ValueError:
        parsed = []
    document = split_markdown(text)
    if parsed and len(parsed) == len(document.parts):
        drafts = [SectionDraft(title=s.title, guidance=s.guidance, key=s.key) for s in parsed]
    else:
        drafts = [SectionDraft(title=p.heading, guidance=p.body) for p in document.parts]
    return document.title, drafts


@transaction.atomic
def template_create_from_markdown(
    *, team: Team, text: str, created_by: User, name: str = "", description: str = ""
) -> Template:
    """A team template from a Markdown checklist (see ``checklist_sections``)."""
    title, drafts = checklist_sections(text)
    return template_create(
        team=team,
        name=name or title or "Imported checklist",
        description=description,
        sections=drafts,
        created_by=created_by,
    )


@transaction.atomic
def template_update(
    *,
    template: Template,
    name: str,
    description: str,
    edited_by: User,
    sections: Sequence[SectionDraft] | None = None,
) -> Template:
    """Rename and describe the template and, given ``sections``, make its sections exactly
    those (see ``_write_sections``). One new version; nothing changes if nothing differs."""
    locked = _lock(template, edited_by)
    before = _snapshot(locked)
    locked.name, locked.description = _clean_meta(name, description)
    locked.save(update_fields=["name", "description", "updated_at"])
    if sections is not None:
        _write_sections(locked, sections)
    if _snapshot(locked) != before:
        _record_version(locked, by=edited_by)
    return _sync(template, locked)


def _drafts(template: Template) -> list[SectionDraft]:
    return [
        SectionDraft(
            title=s.title, guidance=s.guidance, signoff_roles=tuple(s.signoff_roles), key=s.key
        )
        for s in template.sections.order_by("position")
    ]


def _change_sections(template: Template, edited_by: User, change) -> Template:
    locked = _lock(template, edited_by)
    drafts = _drafts(locked)
    new = change(drafts)
    if new != drafts:
        _write_sections(locked, new)
        _record_version(locked, by=edited_by)
    return _sync(template, locked)


def _index(drafts: list[SectionDraft], key: str) -> int:
    for index, draft in enumerate(drafts):
        if draft.key == key:
            return index
    raise ValidationError({"key": f"The template has no section “{key}”."})


@transaction.atomic
def template_section_add(
    *,
    template: Template,
    title: str,
    edited_by: User,
    guidance: str = "",
    signoff_roles: Sequence[str] = (),
) -> Template:
    """Add a section at the end. A new version."""
    draft = SectionDraft(title=title, guidance=guidance, signoff_roles=tuple(signoff_roles))
    return _change_sections(template, edited_by, lambda drafts: [*drafts, draft])


@transaction.atomic
def template_section_update(
    *,
    template: Template,
    key: str,
    title: str,
    guidance: str,
    signoff_roles: Sequence[str],
    edited_by: User,
) -> Template:
    """Retitle a section, change its guidance or roles; its key stays. A new version."""

    def change(drafts: list[SectionDraft]) -> list[SectionDraft]:
        index = _index(drafts, key)
        new = list(drafts)
        new[index] = _clean_section(
            SectionDraft(
                title=title, guidance=guidance, signoff_roles=tuple(signoff_roles), key=key
            )
        )
        return new

    return _change_sections(template, edited_by, change)


@transaction.atomic
def template_section_remove(*, template: Template, key: str, edited_by: User) -> Template:
    """Remove a section (a template keeps at least one). A new version."""

    def change(drafts: list[SectionDraft]) -> list[SectionDraft]:
        index = _index(drafts, key)
        return drafts[:index] + drafts[index + 1 :]

    return _change_sections(template, edited_by, change)


@transaction.atomic
def template_section_move(
    *, template: Template, key: str, offset: int, edited_by: User
) -> Template:
    """Move a section ``offset`` places (-1 up, +1 down), stopping at either end."""

    def change(drafts: list[SectionDraft]) -> list[SectionDraft]:
        index = _index(drafts, key)
        target = max(0, min(len(drafts) - 1, index + offset))
        new = list(drafts)
        new.insert(target, new.pop(index))
        return new

    return _change_sections(template, edited_by, change)


@transaction.atomic
def template_sections_reorder(
    *, template: Template, keys: Sequence[str], edited_by: User
) -> Template:
    """Put the sections in the order of ``keys``, which must name each exactly once."""

    def change(drafts: list[SectionDraft]) -> list[SectionDraft]:
        by_key = {d.key: d for d in drafts}
        if sorted(keys) != sorted(by_key):
            raise ValidationError(
                {"keys": "The new order must name every section of the template once."}
            )
        return [by_key[k] for k in keys]

    return _change_sections(template, edited_by, change)
