"""The Celery app. Its settings are the CELERY_* names in config.settings.

Its signals carry a request's id into the tasks it enqueues (a message header, restored
before the task runs, so the task's log lines carry it too), count task runs for
``/metrics``, and give workers the same logging as the web (JSON lines in production).
"""

import logging.config
import os
from typing import Any

from celery import Celery, signals

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("crit")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# The request id each running task replaced, to put back when it ends (eager tasks run
# inside the request that enqueued them).
_previous_ids: dict[str, Any] = {}


@signals.setup_logging.connect
def _logging_as_configured(**kwargs: Any) -> None:
    """Workers log through settings.LOGGING, like the web, instead of Celery's own format."""
    from django.conf import settings

    logging.config.dictConfig(settings.LOGGING)


@signals.before_task_publish.connect
def _request_id_to_message(headers: dict[str, Any] | None = None, **kwargs: Any) -> None:
    from config import request_id

    current = request_id.current()
    if current is not None and headers is not None:
        headers.setdefault(request_id.TASK_HEADER, current)


@signals.task_prerun.connect
def _task_prerun(task_id: str = "", task: Any = None, **kwargs: Any) -> None:
    from config import metrics, request_id

    carried = request_id.accepted(getattr(task.request, request_id.TASK_HEADER, None))
    if carried is not None:
        _previous_ids[task_id] = request_id.request_id_var.set(carried)
    if metrics.enabled():
        metrics.task_started(task_id)


@signals.task_postrun.connect
def _task_postrun(
    task_id: str = "", task: Any = None, state: str | None = None, retval: Any = None, **kw: Any
) -> None:
    from config import metrics, request_id

    if metrics.enabled():
        metrics.task_finished(task_id, task.name, state, retval)
    token = _previous_ids.pop(task_id, None)
    if token is not None:
        request_id.request_id_var.reset(token)


@signals.worker_init.connect
def _metrics_files_cleaned(**kwargs: Any) -> None:
    from config import metrics

    metrics.multiprocess_dir_clean()
