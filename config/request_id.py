"""A request id for every request, in its response, its log lines and the tasks it enqueues.

A caller's valid ``X-Request-ID`` (1-64 characters of ``A-Z a-z 0-9 . _ -``, as a load
balancer or another service sends) is kept, so one id follows a request across services;
anything else is replaced by a new uuid4 hex. The id lives in a context variable for the
request's duration: the logging filter (``config.logging.RequestIdFilter``) writes it in
every log line, Celery carries it in a message header into the tasks the request enqueues
(``config.celery``), and the 500 and 503 pages show it (``{% request_id %}``) so a user can
quote it.
"""

import re
import uuid
from collections.abc import Callable
from contextvars import ContextVar

from django.core.signals import request_finished
from django.http import HttpRequest, HttpResponse

HEADER = "X-Request-ID"
META_KEY = "HTTP_X_REQUEST_ID"
# The name of the Celery message header that carries the id into a task.
TASK_HEADER = "crit_request_id"

_VALID = re.compile(r"[A-Za-z0-9._-]{1,64}")

request_id_var: ContextVar[str | None] = ContextVar("request_id", default=None)


def current() -> str | None:
    """The id of the request (or task) being handled, None outside of one."""
    return request_id_var.get()


def accepted(value: str | None) -> str | None:
    """``value`` if it is a valid request id, else None."""
    if value and _VALID.fullmatch(value):
        return value
    return None


def new() -> str:
    return uuid.uuid4().hex


class RequestIdMiddleware:
    """First in the chain: every response, error pages included, carries the id."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request_id = accepted(request.META.get(META_KEY)) or new()
        request.request_id = request_id  # type: ignore[attr-defined]
        # Kept until the response is closed (``request_finished``), not only until the
        # chain returns: Django logs "Not Found" and "Internal Server Error" after it.
        request_id_var.set(request_id)
        response = self.get_response(request)
        response[HEADER] = request_id
        return response


def _forget(**kwargs: object) -> None:
    request_id_var.set(None)


request_finished.connect(_forget, dispatch_uid="crit-request-id-forget")
