"""Celery task for diagrams. It takes a diagram's key and calls a service."""

import random

from celery import shared_task

from designs.diagrams import services

MAX_RETRIES = 3


@shared_task(
    bind=True,
    name="diagrams.render",
    acks_late=True,
    reject_on_worker_lost=True,
    max_retries=MAX_RETRIES,
    # One diagram at most CRIT_DIAGRAM_RENDER_TIMEOUT_SECONDS, plus a cold browser's start.
    soft_time_limit=60,
    time_limit=90,
    serializer="json",
)
def diagram_render(self, key: str) -> str:
    try:
        diagram = services.diagram_render(key=key)
    except Exception as exc:  # the browser crashed: the service raised for a retry
        if self.request.retries >= self.max_retries:
            services.diagram_render_failed(
                key=key, message="The diagram could not be drawn; save the section to try again."
            )
            return "failed"
        countdown = min(60, 5 * 2**self.request.retries) + random.randint(0, 3)
        raise self.retry(exc=exc, countdown=countdown) from exc
    return diagram.status if diagram is not None else "gone"


@shared_task(
    name="diagrams.sweep",
    acks_late=True,
    reject_on_worker_lost=True,
    soft_time_limit=50,
    time_limit=60,
    serializer="json",
)
def diagrams_sweep() -> int:
    return services.diagrams_sweep()
