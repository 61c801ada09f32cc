"""Writes and reads of a design's estimates: computed on save, never during a page view."""

import hashlib
import json
from dataclasses import dataclass, field

from django.db import transaction

from designs.calc.document import Evaluation, evaluate, fill, involves, values_data
from designs.markdown import render_markdown
from designs.models import Design, DesignValues, Section


def _digest(evaluation: Evaluation) -> str:
    lines = [(line.section, line.number, line.text) for line in evaluation.lines]
    return hashlib.sha256(json.dumps(lines, ensure_ascii=False).encode()).hexdigest()


@dataclass
class ValuesRefresh:
    """What ``design_values_refresh`` did: the HTML of every section that uses estimates
    (by section id), and the keys of those whose stored HTML it changed."""

    rendered: dict[int, str] = field(default_factory=dict)
    changed: set[str] = field(default_factory=set)


@transaction.atomic
def design_values_refresh(*, design_id: int) -> ValuesRefresh:
    """Compute the design's estimates from its sections as saved, store them, and store
    again the HTML of every section whose results or references changed (only if the
    section is still at the version read).

    The caller holds the design's row lock (``section_update`` takes it before writing a
    section that defines or uses estimates), so refreshes of one design take turns and
    the last one sees every section as saved.
    """
    sections = list(
        Section.objects.filter(design_id=design_id)
        .order_by("position")
        .values_list("pk", "key", "title", "body", "body_html", "version")
    )
    titles = {key: title for _pk, key, title, *_rest in sections}
    evaluation = evaluate(((key, body) for _pk, key, _t, body, *_rest in sections), titles)
    refresh = ValuesRefresh()
    for pk, key, _title, body, stored_html, version in sections:
        if not involves(body):
            continue
        html = fill(render_markdown(body), key, evaluation)
        refresh.rendered[pk] = html
        stored = html == stored_html
        if not stored and Section.objects.filter(pk=pk, version=version).update(body_html=html):
            refresh.changed.add(key)
    digest, values = _digest(evaluation), values_data(evaluation)
    current = DesignValues.objects.filter(design_id=design_id).first()
    if current is None:
        DesignValues.objects.create(design_id=design_id, digest=digest, values=values)
    elif (current.digest, current.values) != (digest, values):
        current.digest, current.values = digest, values
        current.save(update_fields=["digest", "values", "updated_at"])
    return refresh


def design_values_lock(*, design_id: int) -> None:
    """Lock the design's row: saves that touch estimates take turns (see
    ``design_values_refresh``)."""
    Design.objects.select_for_update().filter(pk=design_id).values_list("pk").first()


def preview_html(*, design_id: int, key: str, body: str) -> str:
    """The HTML of ``body`` as section ``key`` would show it once saved: its estimates
    computed with the design's other sections as saved. Reads the sections only when the
    text defines or uses estimates."""
    html = render_markdown(body)
    if not involves(body):
        return html
    rows = Section.objects.filter(design_id=design_id).order_by("position")
    rows_read = list(rows.values_list("key", "title", "body"))
    titles = {row_key: title for row_key, title, _body in rows_read}
    sections = [(row_key, body if row_key == key else other) for row_key, _t, other in rows_read]
    evaluation = evaluate(sections, titles)
    return fill(html, key, evaluation)


def design_values(*, design: Design) -> list[dict]:
    """The design's values as last stored (one query; an empty list if it has none)."""
    row = DesignValues.objects.filter(design=design).values_list("values", flat=True).first()
    return row or []
