"""Writes for exports: asking for one, running it on a worker, and sweeping up after
workers that died or a broker that was down."""

import logging
import os
import tempfile
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import redis
from celery import Celery
from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files import File
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.text import slugify
from redis.backoff import NoBackoff
from redis.retry import Retry

from accounts.models import User
from config import metrics
from config.ratelimit import wait_words, window_hit
from designs.models import Design
from exports.models import ExportJob
from exports.renderers import markdown as markdown_renderer
from exports.selectors import export_source, source_digest
from exports.signals import export_requested, exports_changed

logger = logging.getLogger(__name__)

# A worker holds a job at most this long (the task's hard time limit); a running job
# whose heartbeat is older than that plus a margin (settings.CRIT_EXPORT_STALE_SECONDS)
# belongs to a worker that died.
RUN_SOFT_TIME_LIMIT = 150
RUN_TIME_LIMIT = 180
# A queued job nobody picked up within this long is handed to the broker again.
STALE_QUEUED = timedelta(minutes=2)
# A job that keeps losing its worker is given up after this many claims.
MAX_CLAIMS = 5
SWEEP_BATCH = 200

OPTION_NAMES = {"include_review"}


class ExportRetry(Exception):
    """A run failed and the job went back to the queue; the task retries it later."""


class _JobLost(Exception):
    """The sweep handed the job to another worker while this one was still at it."""


@dataclass(frozen=True)
class SweepResult:
    requeued_stale: int
    reenqueued: int
    given_up: int


def stale_heartbeat() -> timedelta:
    """How long a running job may go without a heartbeat before it counts as abandoned."""
    return timedelta(seconds=settings.CRIT_EXPORT_STALE_SECONDS)


def _clean_options(options: dict[str, Any]) -> dict[str, Any]:
    unknown = set(options) - OPTION_NAMES
    if unknown:
        raise ValidationError({"options": f"Unknown export option “{sorted(unknown)[0]}”."})
    return {"include_review": bool(options.get("include_review", False))}


def _broker_unreachable(app: Celery) -> bool:
    """One ping without retries, so a request never waits on the Redis client's own
    reconnect backoff (seconds) when the broker is down."""
    url = str(app.conf.broker_url or "")
    if app.conf.task_always_eager or not url.startswith(("redis://", "rediss://")):
        return False
    client = redis.Redis.from_url(
        url, socket_connect_timeout=1, socket_timeout=1, retry=Retry(NoBackoff(), 0)
    )
    try:
        client.ping()
    except redis.RedisError:
        return True
    finally:
        client.close()
    return False


def export_enqueue(*, job_id: int) -> bool:
    """Hand the job to the broker. Never raises and returns quickly: with the broker down
    the job stays queued (the page says so) until the sweep enqueues it again. Returns
    whether it was sent."""
    from exports.tasks import export_run_task

    if _broker_unreachable(export_run_task.app):
        logger.warning("broker unreachable; export job %s stays queued for the sweep", job_id)
        return False
    try:
        export_run_task.apply_async(args=[job_id], retry=False)
    except Exception:  # the broker's errors vary by transport; none may reach the user
        logger.warning("could not enqueue export job %s; the sweep will retry", job_id)
        return False
    now = timezone.now()
    ExportJob.objects.filter(pk=job_id).update(enqueued_at=now, updated_at=now)
    return True


def _export_allowance_take(*, user: User) -> None:
    """Count one new export job for ``user``; ValidationError once over
    CRIT_EXPORTS_PER_HOUR (0 turns the limit off). Asking again for an existing export is
    free."""
    limit = settings.CRIT_EXPORTS_PER_HOUR
    if not limit:
        return
    window = window_hit(f"exports:{user.pk}", window=60 * 60)
    if window.count > limit:
        metrics.rate_limited("exports")
        raise ValidationError(
            f"You have asked for {limit} new exports within the hour, the most there can be. "
            f"Try again in {wait_words(window.retry_after)}."
        )


@transaction.atomic
def export_request(
    *, design: Design, format: str, requested_by: User, options: dict[str, Any] | None = None
) -> tuple[ExportJob, bool]:
    """Ask for an export of ``design`` as it is now. Returns (job, created).

    Atomic, and serialised per design by a row lock: asking again for the same source,
    format and options returns the existing done, queued or running job instead of doing
    the work twice. A new job is handed to the broker only after the transaction commits;
    if the broker is down the job stays queued. The caller checks read access to the
    design. Raises ValidationError for an unknown format or option.
    """
    if format not in ExportJob.Format.values:
        raise ValidationError({"format": f"Unknown export format “{format}”."})
    clean = _clean_options(options or {})
    locked = Design.objects.select_for_update().select_related("team", "created_by")
    design = locked.get(pk=design.pk)
    source = export_source(design=design, include_review=clean["include_review"])
    digest = source_digest(source=source, format=format, options=clean)
    existing = (
        ExportJob.objects.filter(
            design=design,
            format=format,
            source_digest=digest,
            status__in=[ExportJob.Status.DONE, *ExportJob.ACTIVE_STATUSES],
        )
        .select_related("requested_by")
        .order_by(F("finished_at").desc(nulls_last=True), "-created_at")
        .first()
    )
    if existing is not None and (
        existing.status != ExportJob.Status.DONE or default_storage.exists(existing.file.name or "")
    ):
        return existing, False
    _export_allowance_take(user=requested_by)
    try:
        with transaction.atomic():
            job = ExportJob.objects.create(
                design=design,
                format=format,
                options=clean,
                requested_by=requested_by,
                revision=source.revision,
                source_digest=digest,
            )
    except IntegrityError:  # the same export was asked for at the same moment
        job = ExportJob.objects.get(
            design=design,
            format=format,
            source_digest=digest,
            status__in=ExportJob.ACTIVE_STATUSES,
        )
        return job, False

    def enqueue() -> None:
        if export_enqueue(job_id=job.pk):
            job.refresh_from_db()

    transaction.on_commit(enqueue)
    _changed(job.design_id)
    export_requested.send(sender=ExportJob, job=job)
    return job, True


def _changed(*design_ids: int) -> None:
    if design_ids:
        exports_changed.send(sender=ExportJob, design_ids=list(design_ids))


def _claim(job_id: int) -> int | None:
    """Take the job with one conditional UPDATE: queued, or running under a dead worker.
    Returns this run's attempt number, or None if the job is not ours to run."""
    now = timezone.now()
    claimable = Q(status=ExportJob.Status.QUEUED) | Q(
        status=ExportJob.Status.RUNNING, heartbeat_at__lt=now - stale_heartbeat()
    )
    claimed = ExportJob.objects.filter(claimable, pk=job_id).update(
        status=ExportJob.Status.RUNNING,
        attempts=F("attempts") + 1,
        progress=5,
        started_at=now,
        heartbeat_at=now,
        updated_at=now,
    )
    if not claimed:
        return None
    return ExportJob.objects.filter(pk=job_id).values_list("attempts", flat=True).get()


def _owned(job_id: int, attempt: int):
    return ExportJob.objects.filter(pk=job_id, status=ExportJob.Status.RUNNING, attempts=attempt)


def _progress(job_id: int, attempt: int, percent: int) -> None:
    now = timezone.now()
    if not _owned(job_id, attempt).update(progress=percent, heartbeat_at=now, updated_at=now):
        raise _JobLost(job_id)
    _changed(*ExportJob.objects.filter(pk=job_id).values_list("design_id", flat=True))


def _readable(exc: BaseException, job: ExportJob) -> str:
    what = "PDF" if job.format == ExportJob.Format.PDF else "Markdown file"
    if isinstance(exc, SoftTimeLimitExceeded):
        return f"Making the {what} took too long and was stopped."
    detail = str(exc).strip().splitlines()[0][:300] if str(exc).strip() else type(exc).__name__
    return f"The {what} could not be made: {detail}"


def _render(job: ExportJob, attempt: int) -> str:
    """Render into a temporary file, then move it into storage; returns the stored name."""
    source = export_source(
        design=job.design, revision=job.revision, include_review=job.include_review
    )
    _progress(job.pk, attempt, 20)
    fd, tmp_name = tempfile.mkstemp(prefix="crit-export-", suffix=f".{job.extension}")
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        if job.format == ExportJob.Format.PDF:
            from exports.renderers import pdf as pdf_renderer  # WeasyPrint: workers only

            pdf_renderer.render(
                source, tmp, progress=lambda percent: _progress(job.pk, attempt, percent)
            )
        else:
            tmp.write_text(markdown_renderer.render(source), encoding="utf-8", newline="")
        _progress(job.pk, attempt, 95)
        slug = slugify(job.design.title)[:60] or "design"
        name = f"exports/{job.design_id}/{job.pk}-{slug}.{job.extension}"
        with tmp.open("rb") as handle:
            return default_storage.save(name, File(handle))
    finally:
        tmp.unlink(missing_ok=True)


def export_run(*, job_id: int, final_attempt: bool = True) -> ExportJob | None:
    """Run one export job. Called by the worker task with the job id.

    Idempotent: the job is claimed with a conditional UPDATE, so a second delivery of the
    same task (or a second worker) finds it running or finished and does nothing
    (returns None). Every later write is conditional on still owning this attempt. The
    file is written to a temporary file and then moved into the default storage.
    On failure: when ``final_attempt`` the job is marked failed with a message a user can
    read; otherwise it goes back to the queue and ExportRetry is raised for the task to
    retry with backoff. Not atomic as a whole: each state change is its own statement.
    """
    attempt = _claim(job_id)
    if attempt is None:
        logger.info("export job %s is not claimable; skipping this delivery", job_id)
        return None
    job = ExportJob.objects.select_related("design__team", "design__created_by").get(pk=job_id)
    metrics.export_started(job)
    _changed(job.design_id)
    try:
        stored = _render(job, attempt)
    except _JobLost:
        logger.warning("export job %s was handed to another worker; stopping", job_id)
        return None
    except Exception as exc:
        message = _readable(exc, job)
        logger.exception("export job %s attempt %s failed", job_id, attempt)
        now = timezone.now()
        if final_attempt or isinstance(exc, SoftTimeLimitExceeded):
            _owned(job_id, attempt).update(
                status=ExportJob.Status.FAILED, error=message, finished_at=now, updated_at=now
            )
            _changed(job.design_id)
            job.refresh_from_db()
            return job
        _owned(job_id, attempt).update(
            status=ExportJob.Status.QUEUED, error=message, progress=0, updated_at=now
        )
        _changed(job.design_id)
        raise ExportRetry(message) from exc
    now = timezone.now()
    if not _owned(job_id, attempt).update(
        status=ExportJob.Status.DONE,
        file=stored,
        progress=100,
        error="",
        finished_at=now,
        heartbeat_at=now,
        updated_at=now,
    ):
        default_storage.delete(stored)
        return None
    _remove_leftovers(job, keep=stored)
    _changed(job.design_id)
    job.refresh_from_db()
    return job


def _remove_leftovers(job: ExportJob, *, keep: str) -> None:
    """Delete files an earlier attempt of this job stored before its worker died, so a
    finished job has exactly one file. Best effort: a file left over is only wasted space."""
    folder = f"exports/{job.design_id}"
    try:
        _, names = default_storage.listdir(folder)
        for name in names:
            path = f"{folder}/{name}"
            if name.startswith(f"{job.pk}-") and path != keep:
                default_storage.delete(path)
                logger.info("export job %s: removed %s left by an earlier attempt", job.pk, path)
    except OSError:
        logger.warning("export job %s: could not look for files of earlier attempts", job.pk)


def export_sweep(*, now=None) -> SweepResult:
    """Put work left behind back in the queue. Safe to run at any time and concurrently
    with workers: every re-queue is a conditional UPDATE and claims stay exclusive.

    - running jobs whose heartbeat stopped (their worker died) go back to queued;
    - queued jobs nobody picked up (the broker was down, or the message was lost) are
      handed to the broker again;
    - a job that lost its worker MAX_CLAIMS times is marked failed.
    """
    now = now or timezone.now()
    stale = Q(status=ExportJob.Status.RUNNING, heartbeat_at__lt=now - stale_heartbeat())
    given_up = ExportJob.objects.filter(stale, attempts__gte=MAX_CLAIMS).update(
        status=ExportJob.Status.FAILED,
        error="The export kept stopping before it finished. Try again later.",
        finished_at=now,
        updated_at=now,
    )
    stale_ids = list(
        ExportJob.objects.filter(stale)
        .order_by("heartbeat_at")
        .values_list("pk", flat=True)[:SWEEP_BATCH]
    )
    requeued = ExportJob.objects.filter(stale, pk__in=stale_ids).update(
        status=ExportJob.Status.QUEUED, progress=0, updated_at=now
    )
    waiting = Q(status=ExportJob.Status.QUEUED) & (
        Q(enqueued_at__isnull=True, created_at__lt=now - timedelta(seconds=10))
        | Q(enqueued_at__lt=now - STALE_QUEUED)
        | Q(pk__in=stale_ids)
    )
    ids = list(
        ExportJob.objects.filter(waiting)
        .order_by("created_at")
        .values_list("pk", flat=True)[:SWEEP_BATCH]
    )
    sent = sum(1 for job_id in ids if export_enqueue(job_id=job_id))
    if requeued or sent or given_up:
        logger.info(
            "export sweep: %s stale running jobs re-queued, %s queued jobs enqueued, %s given up",
            requeued,
            sent,
            given_up,
        )
    return SweepResult(requeued_stale=requeued, reenqueued=sent, given_up=given_up)
