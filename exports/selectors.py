"""Reads for exports. Access to a job is access to its design: outsiders get Http404."""

import hashlib
import json
from dataclasses import replace
from datetime import UTC
from typing import Any

from django.db.models import Min
from django.http import Http404

from accounts.models import User
from designs import calc
from designs.markdown import render_markdown
from designs.models import Design, Revision, Section
from designs.selectors import DesignAccess, design_get_for
from exports.models import ExportJob
from exports.renderers import ExportSource, SectionSnapshot
from reviews.selectors import review_record

RECENT_EXPORTS = 10


def export_list(*, design: Design, limit: int = RECENT_EXPORTS) -> list[ExportJob]:
    """The design's most recent exports, newest first, in one query."""
    return list(
        ExportJob.objects.filter(design=design)
        .select_related("requested_by")
        .order_by("-created_at", "-pk")[:limit]
    )


def export_get_for(user: User, job_id: int) -> tuple[DesignAccess, ExportJob]:
    """A job and the caller's access to its design; Http404 to anyone who cannot read it."""
    job = ExportJob.objects.filter(pk=job_id).select_related("requested_by").first()
    if job is None:
        raise Http404("No such export.")
    access = design_get_for(user, job.design_id)
    job.design = access.design
    return access, job


def _authors(design: Design) -> tuple[str, ...]:
    """Everyone who saved a section, in order of their first save; the creator first."""
    firsts = (
        Revision.objects.filter(section__design=design)
        .values("author__username")
        .annotate(first=Min("created_at"))
        .order_by("first", "author__username")
    )
    names = [design.created_by.username]
    names += [row["author__username"] for row in firsts if row["author__username"] not in names]
    return tuple(names)


def _snapshot(section: Section, body: str, body_html: str, version: int) -> SectionSnapshot:
    return SectionSnapshot(
        position=section.position,
        key=section.key,
        title=section.title,
        state=section.state,
        state_label=section.get_state_display(),
        na_reason=section.na_reason,
        version=version,
        body=body,
        body_html=body_html,
    )


def _with_estimates(snapshots: list[SectionSnapshot]) -> list[SectionSnapshot]:
    """Sections of past versions with the estimates those versions give: every section
    that defines or uses one is filled in again from the texts being exported."""
    if not any(calc.involves(snapshot.body) for snapshot in snapshots):
        return snapshots
    evaluation = calc.evaluate((snapshot.key, snapshot.body) for snapshot in snapshots)
    return [
        replace(
            snapshot,
            body_html=calc.fill(render_markdown(snapshot.body), snapshot.key, evaluation),
        )
        if calc.involves(snapshot.body)
        else snapshot
        for snapshot in snapshots
    ]


def export_source(
    *,
    design: Design,
    revision: dict[str, int] | None = None,
    include_review: bool = False,
) -> ExportSource:
    """The design frozen for export, in a fixed number of queries.

    With ``revision`` ({section key: version}) the section texts are those versions, read
    from the history, so a job renders exactly what was asked for even if someone saved
    since. Without it, the sections as they are now.
    """
    sections = list(Section.objects.filter(design=design).order_by("position"))
    old: dict[tuple[int, int], Revision] = {}
    if revision:
        wanted = [
            (s.pk, revision[s.key])
            for s in sections
            if s.key in revision and revision[s.key] != s.version and revision[s.key] > 0
        ]
        if wanted:
            rows = Revision.objects.filter(
                section_id__in=[pk for pk, _ in wanted], version__in={v for _, v in wanted}
            )
            old = {(r.section_id, r.version): r for r in rows}
    snapshots = []
    for section in sections:
        version = revision.get(section.key, section.version) if revision else section.version
        if version == section.version:
            snapshots.append(_snapshot(section, section.body, section.body_html, version))
        elif version == 0:
            snapshot = _snapshot(section, "", "", 0)
            snapshots.append(snapshot)
        elif (section.pk, version) in old:
            past = old[(section.pk, version)]
            snapshot = _snapshot(section, past.body, render_markdown(past.body), version)
            snapshots.append(
                SectionSnapshot(
                    **{**snapshot.__dict__, "state": past.state, "na_reason": past.na_reason}
                )
            )
        else:
            snapshots.append(_snapshot(section, section.body, section.body_html, section.version))
    if any(s.version != section.version for s, section in zip(snapshots, sections, strict=True)):
        snapshots = _with_estimates(snapshots)
    review = review_record(design=design) if include_review else None
    return ExportSource(
        design_id=design.pk,
        title=design.title,
        summary=design.summary,
        team=design.team.name,
        authors=_authors(design),
        status=design.status,
        status_label=design.get_status_display(),
        covered_count=design.covered_count,
        section_count=design.section_count,
        last_edited_at=design.last_edited_at.astimezone(UTC),
        sections=tuple(snapshots),
        review=review,
    )


def _jsonable(value: Any) -> Any:
    if hasattr(value, "__dataclass_fields__"):
        return {name: _jsonable(getattr(value, name)) for name in value.__dataclass_fields__}
    if isinstance(value, tuple | list):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def source_digest(*, source: ExportSource, format: str, options: dict[str, Any]) -> str:
    """A hash of everything the file is made from: equal digests give equal files."""
    payload = {
        "format": format,
        "options": options,
        "source": _jsonable(source),
    }
    # Rendered HTML follows from the bodies; leave it out so the digest is cheap and stable.
    for section in payload["source"]["sections"]:
        section.pop("body_html", None)
    canonical = json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()
