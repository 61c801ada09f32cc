"""Celery tasks for activity. They take ids and call services; the rules live there."""

from celery import shared_task

from activity import services


@shared_task(
    name="activity.deliveries_sweep",
    acks_late=True,
    reject_on_worker_lost=True,
    soft_time_limit=50,
    time_limit=60,
    serializer="json",
)
def deliveries_sweep_task() -> int:
    return len(services.deliveries_sweep())


@shared_task(
    bind=True,
    name="activity.deliver",
    acks_late=True,
    reject_on_worker_lost=True,
    max_retries=services.MAX_ATTEMPTS - 1,
    soft_time_limit=60,
    time_limit=90,
    serializer="json",
)
def delivery_send_task(self, delivery_id: int) -> str:
    attempt = services.delivery_attempt(delivery_id=delivery_id)
    if attempt.retry_in is not None:
        raise self.retry(countdown=attempt.retry_in)
    return attempt.status


@shared_task(
    name="activity.webhooks_disable_failing",
    acks_late=True,
    reject_on_worker_lost=True,
    soft_time_limit=50,
    time_limit=60,
    serializer="json",
)
def webhooks_disable_failing_task() -> int:
    return len(services.webhooks_disable_failing())
