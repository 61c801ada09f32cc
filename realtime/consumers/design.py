"""The live sockets: ``/ws/designs/<id>/live`` on the design page, ``/ws/live`` elsewhere.

The design's live socket is a ``DesignConsumer`` (refused to outsiders, closed when access
ends) that joins the design's group and receives there what changed (``live.changed``) and
that presence moved (``live.presence``); it renders each for its own user
(``realtime.live``) and sends the HTML, which htmx's ws extension swaps in out of band. On
the person's own group it also receives ``live.inbox``. It holds no rule of its own.

The page may send one message: ``{"catch_up": true}`` after a reconnect, answered with
every part of the page that changes (delivery is at most once, so events may have been
missed while it was away).
"""

import asyncio
import json
import logging
import time
from typing import Any

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from django.http import Http404

from realtime import live, presence, selectors
from realtime.consumers.base import CLOSE_ACCESS_LOST, CLOSE_BAD_MESSAGE, DesignConsumer, user_group

logger = logging.getLogger(__name__)

# Events that arrive together (a comment's threads and its status) are rendered once.
COALESCE_SECONDS = 0.05
MAX_MESSAGE_BYTES = 200
# A catch-up renders the whole page: a page gets one at most this often.
CATCH_UP_EVERY_SECONDS = 5.0


def _catch_up_asked(text_data: str | None) -> bool:
    """Whether a page's message asks to catch up; ValueError for anything else."""
    if text_data is None or len(text_data) > MAX_MESSAGE_BYTES:
        raise ValueError("not a message a page sends")
    message = json.loads(text_data)
    if not isinstance(message, dict) or set(message) - {"catch_up", "HEADERS"}:
        raise ValueError("not a message a page sends")
    return message.get("catch_up") is True


class LiveDesignConsumer(DesignConsumer):
    """``/ws/designs/<design_id>/live``: live updates and presence for the design page."""

    watch_task: asyncio.Task | None = None
    flush_task: asyncio.Task | None = None
    caught_up_at = float("-inf")

    async def joined(self) -> None:
        self.request = live.request_for(self.scope, self.user)
        self.pending = live.Changes()
        self.shown: presence.Presence | None = None
        self.shown_keys: set[str] = set()
        assert self.channel_layer is not None
        await self.channel_layer.group_add(presence.design_group(self.design_id), self.channel_name)
        await presence.enter(self)
        await self.presence_send()
        self.watch_task = asyncio.create_task(self.presence_watch())

    async def left(self) -> None:
        for task in (self.watch_task, self.flush_task):
            if task is not None:
                task.cancel()
        if self.channel_layer is not None:
            await self.channel_layer.group_discard(
                presence.design_group(self.design_id), self.channel_name
            )
        await presence.leave(self)

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        try:
            catch_up = _catch_up_asked(text_data)
        except ValueError:
            await self.close_with(CLOSE_BAD_MESSAGE, "bad message")
            return
        now = time.monotonic()
        if catch_up and now - self.caught_up_at >= CATCH_UP_EVERY_SECONDS:
            self.caught_up_at = now
            self.queue(live.Changes.everything())
            await self.live_inbox({})

    # What the groups send --------------------------------------------------------------

    async def live_changed(self, event: dict[str, Any]) -> None:
        self.queue(live.Changes.from_message(event))

    async def live_inbox(self, event: dict[str, Any]) -> None:
        html = await database_sync_to_async(live.render_inbox)(request=self.request)
        await self.send(text_data=html)

    async def live_presence(self, event: dict[str, Any]) -> None:
        await self.presence_send()

    # Updates ---------------------------------------------------------------------------

    def queue(self, changes: live.Changes) -> None:
        self.pending.merge(changes)
        if self.flush_task is None:
            self.flush_task = asyncio.create_task(self.flush())

    async def flush(self) -> None:
        await asyncio.sleep(COALESCE_SECONDS)
        changes, self.pending, self.flush_task = self.pending, live.Changes(), None
        try:
            html = await database_sync_to_async(live.render_changes)(
                request=self.request, design_id=self.design_id, changes=changes
            )
        except Http404:
            await self.close_with(CLOSE_ACCESS_LOST, "access lost")
            return
        except Exception:
            logger.exception("live update of design %s not rendered", self.design_id)
            return
        if html:
            await self.send(text_data=html)
        if changes.sections:  # new cards came with empty editor slots
            await self.presence_send(force=True)

    # Presence --------------------------------------------------------------------------

    async def presence_watch(self) -> None:
        """Look again every heartbeat: how people whose connection died drop off."""
        while True:
            await asyncio.sleep(presence.heartbeat())
            await self.presence_send()

    async def presence_send(self, *, force: bool = False) -> None:
        now = (await presence.read(self.design_id)).without(self.user.pk)
        if now == self.shown and not force:
            return
        html = live.render_presence(presence=now, keys=self.shown_keys)
        self.shown, self.shown_keys = now, now.keys()
        await self.send(text_data=html)


class LiveUserConsumer(AsyncWebsocketConsumer):
    """``/ws/live``: the inbox count, on every page but a design's (whose live socket
    carries it). Open to any signed-in person; closed when their session ends."""

    async def connect(self) -> None:
        self.user = self.scope.get("user")
        session = self.scope.get("session")
        self.joined = False
        if self.user is None or not self.user.is_authenticated or session is None:
            await self.close()
            return
        self.session_key = session.session_key
        self.request = live.request_for(self.scope, self.user)
        assert self.channel_layer is not None
        await self.channel_layer.group_add(user_group(self.user.pk), self.channel_name)
        self.joined = True
        await self.accept()

    async def disconnect(self, code: int) -> None:
        if self.joined and self.channel_layer is not None:
            self.joined = False
            await self.channel_layer.group_discard(user_group(self.user.pk), self.channel_name)

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        try:
            catch_up = _catch_up_asked(text_data)
        except ValueError:
            await self.close(code=CLOSE_BAD_MESSAGE)
            return
        if catch_up:
            await self.live_inbox({})

    async def live_inbox(self, event: dict[str, Any]) -> None:
        if not await self.still_signed_in():
            return
        html = await database_sync_to_async(live.render_inbox)(request=self.request)
        await self.send(text_data=html)

    async def access_changed(self, event: dict[str, Any]) -> None:
        """Signed out or the password changed: check now, and again a moment later (a
        sign-out announces itself before its session ends)."""
        if await self.still_signed_in():
            await asyncio.sleep(1.0)
            await self.still_signed_in()

    async def still_signed_in(self) -> bool:
        """Whether the session still stands; if not, the socket closes (4403)."""
        if not self.joined:
            return False
        user = await database_sync_to_async(selectors.session_user)(session_key=self.session_key)
        if user is not None and user.pk == self.user.pk:
            return True
        await self.close(code=CLOSE_ACCESS_LOST)
        await self.disconnect(CLOSE_ACCESS_LOST)
        return False
