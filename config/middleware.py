"""Turn a lost database connection into a clear 503 instead of a server error."""

import logging
from collections.abc import Callable

from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django_htmx.http import reswap, retarget
from django_htmx.middleware import HtmxDetails

logger = logging.getLogger(__name__)

MESSAGE = (
    "The database could not be reached, so nothing was saved. "
    "Please try again in a moment; your change was not applied."
)
RETRY_AFTER_SECONDS = 5


class DatabaseUnavailableMiddleware:
    """A view that fails because the database connection dropped or refused answers 503
    with a message: a page for browsers, a notice htmx puts at the top of the page, JSON
    for API clients. The failed transaction was rolled back by the database, and Django
    drops the broken connection when the request ends, so the next request reconnects.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not isinstance(exception, OperationalError | InterfaceError):
            return None
        logger.error(
            "database unavailable during %s %s: %s",
            request.method,
            request.path,
            exception,
        )
        response: HttpResponse
        htmx: HtmxDetails | None = getattr(request, "htmx", None)
        if htmx and not htmx.history_restore_request:
            # Shown above the page without replacing what the user was editing. (A history
            # restore asks for a whole page, as does a request without htmx.)
            response = HttpResponse(
                render_to_string("503.html#notice", {"message": MESSAGE}), status=503
            )
            retarget(response, "#main")
            reswap(response, "afterbegin")
        elif "text/html" in request.headers.get("Accept", ""):
            response = HttpResponse(render_to_string("503.html", {"message": MESSAGE}), status=503)
        else:
            response = JsonResponse({"detail": MESSAGE}, status=503)
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
        response["Cache-Control"] = "no-store"
        return response
