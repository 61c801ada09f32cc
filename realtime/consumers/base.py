"""The consumer every design socket builds on: who may open it, and closing it when that ends.

A socket authenticates with the session cookie (AuthMiddlewareStack) and is refused before
the handshake completes unless its user may read the design: an anonymous visitor, an
outsider and a design that does not exist all get the same refusal (HTTP 403 on the
upgrade), so a socket reveals nothing a page would not.

Once open, the socket listens on the group ``user.<id>`` for ``access.changed`` (published
by ``realtime.services.access_changed`` when a membership or reader grant ends, on sign-out
and on a password change) and re-checks every CRIT_REALTIME_RECHECK_SECONDS as a backstop.
A socket whose session ended, whose password changed, or whose user lost the design is
closed with code 4403.
"""

import asyncio
import logging
from typing import Any

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from django.conf import settings
from django.http import Http404

from realtime import selectors

logger = logging.getLogger(__name__)

CLOSE_ACCESS_LOST = 4403
ACCESS_CHANGE_SETTLE_SECONDS = 1.0
CLOSE_BAD_MESSAGE = 4400
CLOSE_TOO_LARGE = 4413
CLOSE_TOO_MANY = 4429


def user_group(user_id: int) -> str:
    return f"user.{user_id}"


class DesignConsumer(AsyncWebsocketConsumer):
    """A socket about one design (``design_id`` in the URL).

    Subclasses override ``authorize`` (more checks, after the design's), ``joined`` (after
    the handshake) and ``left`` (always called once for a joined socket); they read
    ``self.user``, ``self.design_id`` and ``self.can_edit``.
    """

    user: Any
    design_id: int
    can_edit: bool = False

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._joined = False
        self._closing = False

    # The handshake --------------------------------------------------------------------

    async def connect(self) -> None:
        self.user = self.scope.get("user")
        session = self.scope.get("session")
        if self.user is None or not self.user.is_authenticated or session is None:
            await self.close()
            return
        self.session_key = session.session_key
        try:
            self.design_id = int(self.scope["url_route"]["kwargs"]["design_id"])
            access = await database_sync_to_async(selectors.design_access)(
                user=self.user, design_id=self.design_id
            )
            self.can_edit = access.can_edit
            if not await self.authorize():
                raise Http404
        except (Http404, ValueError, OverflowError):
            await self.close()
            return
        if self.channel_layer is not None:
            await self.channel_layer.group_add(user_group(self.user.pk), self.channel_name)
        await self.accept()
        self._joined = True
        watcher.add(self)
        await self.joined()

    async def authorize(self) -> bool:
        """More checks for a subclass, once the design is known readable; False refuses."""
        return True

    async def joined(self) -> None:
        """Called once the socket is open."""

    async def left(self) -> None:
        """Called once when an open socket closes, whatever closed it."""

    async def disconnect(self, code: int) -> None:
        watcher.discard(self)
        if not self._joined:
            return
        self._joined = False
        if self.channel_layer is not None:
            await self.channel_layer.group_discard(user_group(self.user.pk), self.channel_name)
        await self.left()

    async def close_with(self, code: int, reason: str) -> None:
        """Close the socket with ``code`` and run ``left`` at once (the server's close
        frame may not be answered by a dead or hostile client)."""
        if self._closing:
            return
        self._closing = True
        logger.info(
            "realtime socket closed: %s (user %s, design %s)",
            reason,
            getattr(self.user, "pk", None),
            getattr(self, "design_id", None),
        )
        await self.close(code=code)
        await self.disconnect(code)

    # Access that ends -------------------------------------------------------------------

    async def access_changed(self, event: dict) -> None:
        """``access.changed`` on the user's group: check again now, and once more a moment
        later (sign-out announces itself before it ends the session)."""
        await self._recheck()
        if self._joined and not self._closing:
            # A task: the socket's other messages are not held up meanwhile.
            self._settle = asyncio.create_task(self._recheck_after(ACCESS_CHANGE_SETTLE_SECONDS))

    async def _recheck_after(self, seconds: float) -> None:
        await asyncio.sleep(seconds)
        await self._recheck()

    async def _recheck(self) -> None:
        if not self._joined or self._closing:
            return
        try:
            still = await database_sync_to_async(selectors.socket_still_allowed)(
                user_id=self.user.pk,
                session_key=self.session_key,
                design_id=self.design_id,
                can_edit=self.can_edit,
            )
        except Exception:  # a database hiccup is not a lost access: check again later
            logger.exception("realtime access re-check failed")
            return
        if not still:
            await self.close_with(CLOSE_ACCESS_LOST, "access lost")


class Watcher:
    """Re-checks every open design socket of this process each
    CRIT_REALTIME_RECHECK_SECONDS, all in one go (a handful of queries whatever their
    number), and closes those whose session or access ended."""

    def __init__(self) -> None:
        self.sockets: set[DesignConsumer] = set()
        self.task: asyncio.Task | None = None

    def add(self, socket: DesignConsumer) -> None:
        self.sockets.add(socket)
        if self.task is None or self.task.done():
            self.task = asyncio.create_task(self._run())

    def discard(self, socket: DesignConsumer) -> None:
        self.sockets.discard(socket)

    async def _run(self) -> None:
        while self.sockets:
            await asyncio.sleep(settings.CRIT_REALTIME_RECHECK_SECONDS)
            sockets = [s for s in self.sockets if s._joined and not s._closing]
            checks = [
                selectors.SocketCheck(
                    key=index,
                    user_id=s.user.pk,
                    session_key=s.session_key,
                    design_id=s.design_id,
                    can_edit=s.can_edit,
                )
                for index, s in enumerate(sockets)
            ]
            try:
                allowed = await database_sync_to_async(selectors.sockets_still_allowed)(
                    checks=checks
                )
            except Exception:  # a database hiccup is not a lost access: check again later
                logger.exception("realtime: periodic access re-check failed")
                continue
            for index, socket in enumerate(sockets):
                if index not in allowed:
                    await socket.close_with(CLOSE_ACCESS_LOST, "access lost (periodic check)")


watcher = Watcher()
