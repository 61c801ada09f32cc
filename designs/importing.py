"""Markdown in: a document's headings split into parts, matched to a template's sections,
and a design created from them in one transaction.

Two readings of a document:

- a file Crit exported (it carries ``<!-- crit:section ... -->`` marks): read back exactly,
  title, summary, every section's body byte for byte, its state and its reason;
- any other Markdown: the first ``#`` heading may be the title, the text before the first
  section heading is the summary, and each heading of the shallowest level left starts a
  part (deeper headings stay inside its body).

Parts are matched to sections by key (exported files), then by the same title, then by a
close title (difflib ratio). Whatever is left unmatched goes into a section of its own
unless the person importing says otherwise.
"""

import difflib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils.text import slugify

from accounts.models import Team, User
from designs import services
from designs.models import SUMMARY_MAX_CHARS, Design, Section, Template

# An assignment that puts a part into a new section titled by its heading.
OWN_SECTION = "+own"
CLOSE_MATCH_RATIO = 0.75

_HEADING = re.compile(r"^ {0,3}(?P<hashes>#{1,6})(?:[ \t]+(?P<title>.*?))?(?:[ \t]+#+)?[ \t]*$")
_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
_NUMBERING = re.compile(r"^\s*\d+[.)]\s+")
_EXPORT_MARK = "<!-- crit:section key="


class ImportTooLarge(ValidationError):
    """The document is over CRIT_IMPORT_MAX_BYTES."""


def max_bytes() -> int:
    return settings.CRIT_IMPORT_MAX_BYTES


def _too_large(size: int) -> ImportTooLarge:
    return ImportTooLarge(
        {"markdown": f"The document is {size:,} bytes; the import limit is {max_bytes():,}."}
    )


def decode_upload(data: bytes) -> str:
    """The text of an uploaded file. ValidationError (ImportTooLarge over the limit) for
    anything that is not UTF-8 Markdown text."""
    if len(data) > max_bytes():
        raise _too_large(len(data))
    if b"\x00" in data:
        raise ValidationError(
            {"markdown": "This is a binary file (it contains NUL bytes), not Markdown text."}
        )
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ValidationError(
            {
                "markdown": f"The file is not UTF-8 text (byte {exc.start:,} cannot be read). "
                "Save it as UTF-8 and try again."
            }
        ) from exc


def check_text(text: str) -> str:
    """Pasted (or decoded) text: within the limit and no NUL characters."""
    size = len(text.encode("utf-8", "surrogatepass"))
    if size > max_bytes():
        raise _too_large(size)
    if "\x00" in text:
        raise ValidationError(
            {"markdown": "The text contains NUL characters: it looks like a binary file."}
        )
    if not text.strip():
        raise ValidationError({"markdown": "The document is empty."})
    return text


@dataclass(frozen=True)
class Part:
    """One heading and the text under it."""

    index: int
    heading: str
    body: str
    key: str = ""  # from an exported file
    state: str = ""  # from an exported file
    na_reason: str = ""


@dataclass(frozen=True)
class Document:
    title: str
    summary: str
    parts: tuple[Part, ...]
    exported: bool = False  # read back exactly from a file Crit exported


@dataclass(frozen=True)
class Match:
    part: Part
    key: str  # a template section key, or OWN_SECTION
    how: str  # "key", "exact", "close" or "" (nobody matched it)
    ratio: float = 0.0


@dataclass(frozen=True)
class ImportPlan:
    document: Document
    template: Template
    sections: tuple[tuple[str, str], ...]  # (key, title) of the template, in order
    matches: tuple[Match, ...] = field(default=())

    @property
    def unmatched(self) -> list[Match]:
        return [m for m in self.matches if not m.how]


# Reading a document ---------------------------------------------------------------------


def _headings(lines: list[str]) -> list[tuple[int, int, str]]:
    """(line number, level, title) of every ATX heading outside fenced code."""
    found = []
    fence: str | None = None
    for number, line in enumerate(lines):
        opened = _FENCE.match(line)
        if fence is not None:
            if opened and opened.group(1)[0] == fence[0] and len(opened.group(1)) >= len(fence):
                fence = None
            continue
        if opened:
            fence = opened.group(1)
            continue
        heading = _HEADING.match(line)
        if heading and (heading["title"] or "").strip():
            found.append((number, len(heading["hashes"]), heading["title"].strip()))
    return found


def _block(lines: list[str]) -> str:
    return "\n".join(lines).strip("\n")


def split_markdown(text: str) -> Document:
    """Any Markdown document as title, summary and parts. ValidationError if it has no
    heading to make a section from."""
    text = text.replace("\r\n", "\n").lstrip("\ufeff")
    lines = text.split("\n")
    headings = _headings(lines)
    if not headings:
        raise ValidationError(
            {
                "markdown": "The document has no headings: Crit makes sections from Markdown "
                "headings (lines starting with #, ## or ###)."
            }
        )
    title = ""
    preamble_end = headings[0][0]
    summary_lines = lines[:preamble_end]
    if headings[0][1] == 1 and (len(headings) == 1 or headings[1][1] > 1):
        # A lone first H1 is the document's title; what follows it, up to the next
        # heading, joins the summary.
        title = headings[0][2]
        start = headings[0][0] + 1
        headings = headings[1:]
        end = headings[0][0] if headings else len(lines)
        summary_lines = [*summary_lines, *lines[start:end]]
    if not headings:
        raise ValidationError(
            {"markdown": "The document has a title but no other headings to make sections from."}
        )
    level = min(h[1] for h in headings)
    tops = [h for h in headings if h[1] == level]
    parts = []
    for index, (number, _, heading) in enumerate(tops):
        end = tops[index + 1][0] if index + 1 < len(tops) else len(lines)
        parts.append(Part(index=index, heading=heading, body=_block(lines[number + 1 : end])))
    return Document(title=title, summary=_block(summary_lines).strip(), parts=tuple(parts))


_EXPORT_TITLE = re.compile(r"# (?P<title>[^\n]*)\n")
_EXPORT_META = re.compile(r"\n?(?:- \*\*[^*\n]+:\*\*[^\n]*\n)*\n")
_EXPORT_SUMMARY = re.compile(
    r"<!-- crit:summary -->\n(?P<summary>.*?)\n<!-- crit:end summary -->\n\n", re.DOTALL
)
_EXPORT_SECTION = re.compile(
    r"## \d+\. (?P<title>[^\n]*)\n\n<!-- crit:section key=(?P<key>[\w-]+) "
    r"state=(?P<state>\w+)(?: reason=(?P<reason>\"[^\n]*?\"))? -->\n\n"
    r"(?:> \*\*Not applicable:\*\*[^\n]*\n\n)?"
)
_EXPORT_NOT_ANSWERED = "*Not answered yet.*\n"


def _export_body(key: str) -> re.Pattern:
    return re.compile(
        rf"<!-- crit:body key={re.escape(key)} version=\d+ -->\n(?P<body>.*?)\n\n"
        rf"<!-- crit:end key={re.escape(key)} -->\n",
        re.DOTALL,
    )


def read_export(text: str) -> Document | None:
    """A file as Crit's Markdown export writes it, read back exactly; None if the text is
    not one (or was edited out of that shape)."""
    title = _EXPORT_TITLE.match(text)
    if title is None:
        return None
    pos = title.end()
    meta = _EXPORT_META.match(text, pos)
    if meta is None:
        return None
    pos = meta.end()
    summary = ""
    found = _EXPORT_SUMMARY.match(text, pos)
    if found:
        summary, pos = found["summary"], found.end()
    parts: list[Part] = []
    while (section := _EXPORT_SECTION.match(text, pos)) is not None:
        pos = section.end()
        body = ""
        block = _export_body(section["key"]).match(text, pos)
        if block:
            body, pos = block["body"], block.end()
        elif text.startswith(_EXPORT_NOT_ANSWERED, pos):
            pos += len(_EXPORT_NOT_ANSWERED)
        try:
            reason = json.loads(section["reason"]) if section["reason"] else ""
        except ValueError:
            return None
        parts.append(
            Part(
                index=len(parts),
                heading=section["title"],
                body=body,
                key=section["key"],
                state=section["state"],
                na_reason=reason if isinstance(reason, str) else "",
            )
        )
        if text.startswith("\n", pos):
            pos += 1
    if not parts:
        return None
    return Document(title=title["title"], summary=summary, parts=tuple(parts), exported=True)


def read_document(text: str) -> Document:
    """Crit's own export exactly; any other Markdown by its headings."""
    if _EXPORT_MARK in text:
        exported = read_export(text)
        if exported is not None:
            return exported
    return split_markdown(text)


# Matching -------------------------------------------------------------------------------


def normalise_title(title: str) -> str:
    title = _NUMBERING.sub("", title.casefold())
    return " ".join(re.sub(r"[^\w]+", " ", title).split())


def match_parts(parts: tuple[Part, ...], sections: tuple[tuple[str, str], ...]) -> list[Match]:
    """Each part's section: by key, then the same title, then the closest title at least
    CLOSE_MATCH_RATIO alike. A section takes at most one part by matching."""
    free = dict(sections)  # key -> title, those not taken yet
    found: dict[int, Match] = {}
    for part in parts:
        if part.key and part.key in free:
            found[part.index] = Match(part=part, key=part.key, how="key", ratio=1.0)
            del free[part.key]
    for part in parts:
        if part.index in found:
            continue
        wanted = normalise_title(part.heading)
        for key, title in list(free.items()):
            if normalise_title(title) == wanted:
                found[part.index] = Match(part=part, key=key, how="exact", ratio=1.0)
                del free[key]
                break
    candidates = []
    for part in parts:
        if part.index in found:
            continue
        wanted = normalise_title(part.heading)
        for key, title in free.items():
            ratio = difflib.SequenceMatcher(None, wanted, normalise_title(title)).ratio()
            if ratio >= CLOSE_MATCH_RATIO:
                candidates.append((ratio, part, key))
    for ratio, part, key in sorted(candidates, key=lambda c: (-c[0], c[1].index)):
        if part.index in found or key not in free:
            continue
        found[part.index] = Match(part=part, key=key, how="close", ratio=round(ratio, 3))
        del free[key]
    return [found.get(p.index) or Match(part=p, key=OWN_SECTION, how="") for p in parts]


def import_plan(*, text: str, template: Template) -> ImportPlan:
    """What importing ``text`` with ``template`` would create. Reads only. ValidationError
    (ImportTooLarge over the size limit) for text that cannot be imported."""
    document = read_document(check_text(text))
    sections = tuple(
        (key, title)
        for key, title in template.sections.order_by("position").values_list("key", "title")
    )
    return ImportPlan(
        document=document,
        template=template,
        sections=sections,
        matches=tuple(match_parts(document.parts, sections)),
    )


# Creating -------------------------------------------------------------------------------


def section_key(title: str, taken: set[str]) -> str:
    """A key for a section titled ``title``, unique among ``taken`` (which it joins)."""
    base = slugify(title)[:80].strip("-") or "section"
    key, n = base, 2
    while key in taken:
        key, n = f"{base}-{n}", n + 1
    taken.add(key)
    return key


@transaction.atomic
def design_import(
    *,
    team: Team,
    template: Template,
    text: str,
    created_by: User,
    title: str = "",
    assignments: Mapping[int, str] | None = None,
) -> Design:
    """Create a design from a Markdown document, all or nothing (one transaction).

    ``assignments`` maps a part's index to a template section key or OWN_SECTION; parts
    left out keep their match (an unmatched one gets a section of its own). Parts put into
    the same section are joined by a blank line. Raises ValidationError for a document that
    cannot be imported, an unknown section key, or what design_create and section_update
    refuse; PermissionError if ``created_by`` is not on the team.
    """
    plan = import_plan(text=text, template=template)
    document = plan.document
    keys = {key for key, _ in plan.sections}
    chosen: dict[int, str] = {m.part.index: m.key for m in plan.matches}
    for index, key in (assignments or {}).items():
        if index not in chosen:
            raise ValidationError({"assignments": f"The document has no heading {index}."})
        if key != OWN_SECTION and key not in keys:
            raise ValidationError(
                {"assignments": f"The template has no section “{key}” (heading {index})."}
            )
        chosen[index] = key
    title = (title or document.title).strip()
    if not title:
        raise ValidationError(
            {"title": "Give the design a title: the document has no # heading to take it from."}
        )
    if len(document.summary) > SUMMARY_MAX_CHARS:
        raise ValidationError(
            {
                "markdown": f"The text before the first section heading is "
                f"{len(document.summary):,} characters and becomes the summary, which holds "
                f"at most {SUMMARY_MAX_CHARS:,}: put a heading before most of it."
            }
        )
    design = services.design_create(
        team=team, title=title, summary=document.summary, template=template, created_by=created_by
    )
    sections = {s.key: s for s in design.sections.all()}
    grouped: dict[str, list[Part]] = {}
    own: list[Part] = []
    for part in document.parts:
        key = chosen[part.index]
        if key == OWN_SECTION:
            own.append(part)
        else:
            grouped.setdefault(key, []).append(part)
    if own:
        taken = set(sections)
        start = len(sections)
        created = Section.objects.bulk_create(
            Section(
                design=design,
                position=start + n,
                key=section_key(part.heading, taken),
                title=part.heading[:200],
            )
            for n, part in enumerate(own, start=1)
        )
        Design.objects.filter(pk=design.pk).update(section_count=F("section_count") + len(own))
        for section, part in zip(created, own, strict=True):
            sections[section.key] = section
            grouped[section.key] = [part]
    for key, parts in grouped.items():
        if len(parts) == 1 and document.exported:
            part = parts[0]
            body, state, reason = part.body, part.state, part.na_reason
        else:
            body = "\n\n".join(p.body for p in parts if p.body)
            state, reason = Section.State.DRAFT, ""
        if not body and state in ("", Section.State.EMPTY, Section.State.DRAFT):
            continue
        try:
            services.section_update(
                section=sections[key],
                body=body,
                state=state or Section.State.DRAFT,
                na_reason=reason,
                base_version=0,
                edited_by=created_by,
            )
        except ValidationError as exc:
            raise ValidationError(
                {"markdown": f"Section “{sections[key].title}”: " + " ".join(exc.messages)}
            ) from exc
    design.refresh_from_db()
    return design
