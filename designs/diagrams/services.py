"""Writes for diagrams: which sections use which diagram, and drawing them."""

import logging
import threading
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

from django.conf import settings
from django.db import close_old_connections, connection, transaction
from django.utils import timezone

from config.celery import app as celery_app
from designs.diagrams import blocks, renderer
from designs.diagrams.models import Diagram, DiagramUse
from designs.diagrams.sanitize import UnsafeSVG, sanitize_svg
from designs.models import Section

logger = logging.getLogger(__name__)


def diagram_uses_update(*, section: Section, body_html: str, previous_html: str) -> None:
    """Record the diagrams ``section`` shows now (``body_html`` as just saved) and have the
    new ones drawn once the transaction commits. Called by every section save; costs no
    query when neither the old nor the new text has a diagram.

    A design shows at most CRIT_DIAGRAMS_PER_DESIGN different diagrams: past that, new ones
    are not recorded (their blocks show their source). Never raises for a bad diagram: the
    save always succeeds.
    """
    if not (blocks.has_blocks(body_html) or blocks.has_blocks(previous_html)):
        return
    wanted = blocks.keys(body_html)
    uses = DiagramUse.objects.filter(design_id=section.design_id)
    elsewhere = set(
        uses.exclude(section_id=section.pk).values_list("diagram__key", flat=True).distinct()
    )
    room = max(settings.CRIT_DIAGRAMS_PER_DESIGN - len(elsewhere), 0)
    new = [key for key in wanted if key not in elsewhere]
    chosen = {key: wanted[key] for key in [k for k in wanted if k in elsewhere] + new[:room]}
    Diagram.objects.bulk_create(
        [Diagram(key=key, source=source) for key, source in chosen.items()],
        ignore_conflicts=True,
    )
    diagrams = dict(Diagram.objects.filter(key__in=chosen).values_list("key", "pk"))
    uses.filter(section_id=section.pk).exclude(diagram__key__in=chosen).delete()
    DiagramUse.objects.bulk_create(
        [
            DiagramUse(design_id=section.design_id, section_id=section.pk, diagram_id=pk)
            for pk in diagrams.values()
        ],
        ignore_conflicts=True,
    )
    pending = list(
        Diagram.objects.filter(key__in=chosen, status=Diagram.Status.PENDING).values_list(
            "key", flat=True
        )
    )
    if pending:
        transaction.on_commit(lambda: diagrams_render_later(keys=pending))


def diagrams_render_later(*, keys: Iterable[str]) -> None:
    """Draw these diagrams in the background: one Celery task each, or, in the embedded
    default (tasks run in the process that asks), on this process's renderer thread, so
    that a save never waits for the browser."""
    from designs.diagrams import tasks

    keys = list(keys)
    if not keys or not renderer.available():
        return
    if celery_app.conf.task_always_eager:
        _in_process().submit(_render_in_thread, keys)
        return
    for key in keys:
        tasks.diagram_render.delay(key)


_executor: ThreadPoolExecutor | None = None
_executor_lock = threading.Lock()


def _in_process() -> ThreadPoolExecutor:
    global _executor
    with _executor_lock:
        if _executor is None:
            _executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="diagrams")
        return _executor


def _render_in_thread(keys: list[str]) -> None:
    try:
        for key in keys:
            diagram_render(key=key)
    except Exception:
        logger.exception("drawing diagrams in the background failed")
    finally:
        close_old_connections()
        connection.close()


def diagram_render(*, key: str) -> Diagram | None:
    """Draw a pending diagram and store its sanitised SVG, or the reason it has none.

    Idempotent: a diagram that is no longer pending is left as it is. A syntax error or a
    render over the timeout is recorded on the row (FAILED, with a message a person can
    read). Without Chromium nothing is written (the diagram stays pending). A renderer that
    does not answer (RendererStuck) or an unexpected failure of the browser is raised, for
    the task to retry.
    """
    diagram = Diagram.objects.filter(key=key).first()
    if diagram is None or diagram.status != Diagram.Status.PENDING:
        return diagram
    svg, error, milliseconds = "", "", None
    try:
        rendered = renderer.render(diagram.source)
        svg, milliseconds = sanitize_svg(rendered.svg), rendered.milliseconds
    except renderer.RendererUnavailable:
        return diagram
    except renderer.DiagramSyntaxError as exc:
        error = str(exc)[:2000]
    except renderer.RenderTimeout:
        seconds = renderer.timeout_seconds()
        error = f"Drawing it took longer than {seconds:g} s and was stopped; simplify it."
    except UnsafeSVG:
        logger.warning("diagram %s: the SVG could not be sanitised", key, exc_info=True)
        error = "Its picture could not be checked as safe."
    status = Diagram.Status.READY if svg else Diagram.Status.FAILED
    now = timezone.now()
    with transaction.atomic():
        updated = Diagram.objects.filter(pk=diagram.pk, status=Diagram.Status.PENDING).update(
            svg=svg, error=error, status=status, render_ms=milliseconds, updated_at=now
        )
        if updated:
            # The pages that show it change: their stamp moves (designs.diagrams.page).
            DiagramUse.objects.filter(diagram_id=diagram.pk).update(updated_at=now)
    diagram.refresh_from_db()
    return diagram


# A pending diagram untouched this long lost its task (a worker or process that died, a
# broker that was down): the sweep asks for it again.
SWEEP_AFTER_SECONDS = 120
SWEEP_BATCH = 200


def diagrams_sweep(*, now=None) -> int:
    """Ask again for diagrams still pending long after their save; answers how many.
    Idempotent, and safe beside running renders (drawing checks the status first)."""
    now = now or timezone.now()
    if not renderer.available():
        return 0
    stale = (
        Diagram.objects.filter(
            status=Diagram.Status.PENDING,
            updated_at__lt=now - timedelta(seconds=SWEEP_AFTER_SECONDS),
            uses__isnull=False,
        )
        .values_list("key", flat=True)
        .distinct()[:SWEEP_BATCH]
    )
    keys = list(stale)
    if keys:
        Diagram.objects.filter(key__in=keys).update(updated_at=now)
        diagrams_render_later(keys=keys)
    return len(keys)


def diagram_render_failed(*, key: str, message: str) -> None:
    """Record a diagram the task gave up on, so its block stops waiting."""
    now = timezone.now()
    with transaction.atomic():
        updated = Diagram.objects.filter(key=key, status=Diagram.Status.PENDING).update(
            status=Diagram.Status.FAILED, error=message, updated_at=now
        )
        if updated:
            DiagramUse.objects.filter(diagram__key=key).update(updated_at=now)


def diagram_get_or_render(*, source: str, render_now: bool) -> Diagram | None:
    """The stored diagram of ``source``; if it has none yet and ``render_now``, drawn now
    (for a preview, which the preview limit bounds). None without Chromium or when the
    source is too large."""
    if len(source) > settings.CRIT_DIAGRAM_MAX_CHARS:
        return None
    key = blocks.diagram_key(source)
    diagram = Diagram.objects.filter(key=key).first()
    if diagram is not None and diagram.status != Diagram.Status.PENDING:
        return diagram
    if not render_now or not renderer.available():
        return diagram
    Diagram.objects.bulk_create([Diagram(key=key, source=source)], ignore_conflicts=True)
    return diagram_render(key=key)
