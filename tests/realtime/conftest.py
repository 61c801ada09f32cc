"""Fixtures for socket tests.

Sockets run in an event loop of their own thread (``run``): the browser tests keep a loop
running in the main thread. The consumers reach the database from worker threads, so socket
tests use ``transactional_db``. Each test gets a channel layer prefix of its own on the real
Redis pub/sub layer, so concurrent runs on one Redis never hear each other.
"""

import asyncio
import threading
import uuid
from collections.abc import Coroutine
from typing import Any

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.db import connections
from django.test import Client

from tests.asgi_pair import asgi_pair  # noqa: F401 (the two-process fixture)


@pytest.fixture(autouse=True)
def _channel_layer_of_its_own(settings):
    if settings.REDIS_URL:
        settings.CHANNEL_LAYERS = {
            "default": {
                "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
                "CONFIG": {"hosts": [settings.REDIS_URL], "prefix": f"t{uuid.uuid4().hex[:12]}"},
            }
        }
    settings.CRIT_REALTIME_RECHECK_SECONDS = 30


@pytest.fixture(autouse=True)
def _rooms_emptied():
    """No room outlives its test (a test that fails mid-way leaves none behind)."""
    from realtime.rooms import registry

    yield
    registry.rooms.clear()


def run(coroutine: Coroutine[Any, Any, Any]) -> Any:
    """Run ``coroutine`` to the end in a fresh event loop on a thread of its own."""
    result: dict[str, Any] = {}

    async def main() -> Any:
        try:
            return await coroutine
        finally:
            # The consumers' database connections live in the loop's sync thread.
            await sync_to_async(connections.close_all)()

    def target() -> None:
        try:
            result["value"] = asyncio.run(main())
        except BaseException as error:
            result["error"] = error

    thread = threading.Thread(target=target)
    thread.start()
    thread.join()
    if "error" in result:
        raise result["error"]
    return result.get("value")


def session_cookie(user) -> str:
    client = Client()
    client.force_login(user)
    return client.cookies["sessionid"].value


def communicator(
    path: str, *, session: str | None = None, origin: str = "http://127.0.0.1"
) -> WebsocketCommunicator:
    """A client of the whole ASGI application (origin check, session auth, routing)."""
    from config.asgi import application

    headers = [(b"origin", origin.encode()), (b"host", b"127.0.0.1")]
    if session:
        headers.append((b"cookie", f"sessionid={session}".encode()))
    return WebsocketCommunicator(application, path, headers=headers)


def section_path(design, key: str = "context") -> str:
    return f"/ws/designs/{design.pk}/sections/{key}"
