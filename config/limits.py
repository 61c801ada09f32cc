"""Limits on a request's size, applied before anything reads its body.

``RequestLimitsMiddleware`` refuses a body announced larger than ``DATA_UPLOAD_MAX_MEMORY_SIZE``
with 413 from its Content-Length alone, and a query string or form with more than
``DATA_UPLOAD_MAX_NUMBER_FIELDS`` fields with 400, both with a page (or JSON for the API)
rather than Django's error handling. ``BodyLimit`` wraps the ASGI application: it counts a
streamed body (one without Content-Length) as it arrives and answers 413 once it passes
the limit, before Django spools it. Under WSGI a body without Content-Length is never read.
"""

import json
from collections.abc import Awaitable, Callable
from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string


def too_large_message() -> str:
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    return (
        f"That request is too large: a request may carry at most {limit:,} bytes. "
        "Nothing was saved."
    )


def too_many_fields_message() -> str:
    limit = settings.DATA_UPLOAD_MAX_NUMBER_FIELDS
    return f"That request has too many fields: at most {limit:,}. Nothing was saved."


def _refusal(request: HttpRequest, message: str, status: int) -> HttpResponse:
    if request.path.startswith("/api/"):
        response = HttpResponse(json.dumps({"detail": message}), status=status)
        response["Content-Type"] = "application/json"
    else:
        response = HttpResponse(render_to_string("400.html", {"message": message}), status=status)
    response["Cache-Control"] = "no-store"
    return response


class RequestLimitsMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        length = request.META.get("CONTENT_LENGTH") or "0"
        if not length.isascii() or not length.isdigit():
            return _refusal(request, "That request's Content-Length is not a number.", 400)
        if int(length) > settings.DATA_UPLOAD_MAX_MEMORY_SIZE:
            return _refusal(request, too_large_message(), 413)
        try:
            request.GET  # noqa: B018 (parsed here, so a flood of fields is a clear 400)
            if request.method == "POST":
                request.POST  # noqa: B018
        except (TooManyFieldsSent, TooManyFilesSent):
            return _refusal(request, too_many_fields_message(), 400)
        except RequestDataTooBig:
            return _refusal(request, too_large_message(), 413)
        return self.get_response(request)


Scope = dict[str, Any]
Message = dict[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]


class BodyLimit:
    """ASGI wrapper: a request body past DATA_UPLOAD_MAX_MEMORY_SIZE, announced or streamed,
    is answered 413 without being read further; a body within it is handed on unchanged."""

    def __init__(self, app: Callable[..., Awaitable[None]]) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        headers = dict(scope.get("headers") or [])
        length = headers.get(b"content-length", b"0")
        if length.isdigit() and int(length) > limit:
            await self._refuse(send)
            return
        messages: list[Message] = []
        size = 0
        while True:
            message = await receive()
            messages.append(message)
            if message["type"] != "http.request":
                break
            size += len(message.get("body", b""))
            if size > limit:
                await self._refuse(send)
                return
            if not message.get("more_body", False):
                break

        async def replay() -> Message:
            return messages.pop(0) if messages else await receive()

        await self.app(scope, replay, send)

    @staticmethod
    async def _refuse(send: Send) -> None:
        body = too_large_message().encode()
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", b"text/plain; charset=utf-8"),
                    (b"content-length", str(len(body)).encode()),
                    (b"connection", b"close"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})
