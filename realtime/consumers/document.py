"""The document socket: one section's shared text, over the y-websocket protocol.

Thin like a view: it checks access (DesignConsumer), enforces the per-connection limits
and hands each message to the section's room (realtime.rooms), which holds the document.
Readers (a live review request) get the text, its updates and the cursors; their edits
are dropped and counted. Close codes: 4400 not a y-websocket message (or a text frame),
4403 access lost, 4413 a message over CRIT_REALTIME_MAX_MESSAGE_BYTES or an edit that would
pass the section body limit (nothing of it is kept), 4429 too many messages a second or
too many clients on the section, 4503 the section could not be loaded.
"""

import logging
import time

from channels.db import database_sync_to_async
from django.conf import settings

from designs.models import Section
from realtime import presence
from realtime.consumers.base import (
    CLOSE_BAD_MESSAGE,
    CLOSE_TOO_LARGE,
    CLOSE_TOO_MANY,
    DesignConsumer,
)
from realtime.rooms import BodyTooLarge, Room, RoomFull, registry
from realtime.ydoc import ProtocolError

logger = logging.getLogger(__name__)

CLOSE_UNAVAILABLE = 4503


class DocumentConsumer(DesignConsumer):
    """``/ws/designs/<design_id>/sections/<section_key>``."""

    room: Room | None = None

    async def authorize(self) -> bool:
        self.section_key = self.scope["url_route"]["kwargs"]["section_key"]
        section_id = await database_sync_to_async(_section_id)(
            design_id=self.design_id, key=self.section_key
        )
        if section_id is None:
            return False
        self.section_id = section_id
        self.dropped_updates = 0
        rate = settings.CRIT_REALTIME_MESSAGES_PER_SECOND
        self._allowance = 2.0 * rate
        self._allowance_at = time.monotonic()
        return True

    async def joined(self) -> None:
        try:
            self.room = await registry.join(self, section_id=self.section_id)
        except RoomFull:
            await self.close_with(CLOSE_TOO_MANY, "too many clients on the section")
            return
        except Exception:
            logger.exception("realtime: loading section %s failed", self.section_id)
            await self.close_with(CLOSE_UNAVAILABLE, "section could not be loaded")
            return
        await self.room.greet(self)
        await self.on_join()

    async def left(self) -> None:
        room, self.room = self.room, None
        if room is not None:
            await registry.leave(self, room)
            await self.on_leave()
        if self.dropped_updates:
            logger.warning(
                "realtime: %s edits from reader %s dropped on section %s",
                self.dropped_updates,
                self.user.pk,
                self.section_id,
            )

    async def live_inbox(self, event: dict) -> None:
        """``live.inbox`` reaches every socket on the user's group; a section's document
        shows no inbox count (the page's design socket does). Without this the socket of
        someone editing live failed as soon as they were notified (a comment, a mention)."""

    async def on_join(self) -> None:
        """Hook for presence (who is editing this section): called once the socket is in
        the room; ``registry.editors(self.section_id)`` then includes this user."""
        if self.can_edit:  # shown as editing on the design page; readers only read
            await presence.enter(self, section_key=self.section_key)

    async def on_leave(self) -> None:
        """Hook for presence: called once the socket has left the room."""
        await presence.leave(self, section_key=self.section_key)

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        if self.room is None or self._closing:
            return
        if bytes_data is None:
            await self.close_with(CLOSE_BAD_MESSAGE, "text frame")
            return
        if len(bytes_data) > settings.CRIT_REALTIME_MAX_MESSAGE_BYTES:
            await self.close_with(CLOSE_TOO_LARGE, "message too large")
            return
        if not self._take_allowance():
            await self.close_with(CLOSE_TOO_MANY, "too many messages")
            return
        try:
            await self.room.receive(self, bytes_data)
        except ProtocolError as error:
            await self.close_with(CLOSE_BAD_MESSAGE, f"bad message: {error}")
        except BodyTooLarge:
            await self.close_with(CLOSE_TOO_LARGE, "section text over the limit")

    def _take_allowance(self) -> bool:
        """A token bucket: CRIT_REALTIME_MESSAGES_PER_SECOND, bursts of twice that."""
        rate = settings.CRIT_REALTIME_MESSAGES_PER_SECOND
        now = time.monotonic()
        self._allowance = min(2.0 * rate, self._allowance + (now - self._allowance_at) * rate)
        self._allowance_at = now
        if self._allowance < 1:
            return False
        self._allowance -= 1
        return True

    async def send_quietly(self, message: bytes) -> None:
        """Send to this client; a client that has gone is the room's leave to handle."""
        if self._closing:
            return
        try:
            await self.send(bytes_data=message)
        except Exception:
            logger.debug("realtime: send to a closed socket", exc_info=True)


def _section_id(*, design_id: int, key: str) -> int | None:
    return Section.objects.filter(design_id=design_id, key=key).values_list("pk", flat=True).first()
