"""Celery tasks for exports. They take ids and call services; the rules live there."""

import random

from celery import shared_task

from exports import services

MAX_RETRIES = 3


def _backoff(retries: int) -> int:
    """5 s, 10 s, 20 s... capped at a minute, with jitter so retries do not bunch up."""
    return min(60, 5 * 2**retries) + random.randint(0, 3)


@shared_task(
    bind=True,
    name="exports.run",
    acks_late=True,
    reject_on_worker_lost=True,
    max_retries=MAX_RETRIES,
    soft_time_limit=services.RUN_SOFT_TIME_LIMIT,
    time_limit=services.RUN_TIME_LIMIT,
    serializer="json",
)
def export_run_task(self, job_id: int) -> str:
    final = self.request.retries >= self.max_retries
    try:
        job = services.export_run(job_id=job_id, final_attempt=final)
    except services.ExportRetry as exc:
        raise self.retry(exc=exc, countdown=_backoff(self.request.retries)) from exc
    return job.status if job is not None else "skipped"


@shared_task(
    name="exports.sweep",
    acks_late=True,
    reject_on_worker_lost=True,
    soft_time_limit=50,
    time_limit=60,
    serializer="json",
)
def export_sweep_task() -> dict[str, int]:
    result = services.export_sweep()
    return {
        "requeued_stale": result.requeued_stale,
        "reenqueued": result.reenqueued,
        "given_up": result.given_up,
    }
