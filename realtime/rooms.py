"""Live sections in this process: one room per section, in one registry.

Modelled on jupyter-collaboration's DocumentRoom. A room is loaded from PostgreSQL when its
first client joins and unloaded when its last client leaves (after a last save), whether
or not its load or its saves succeeded. It holds the section's Y document and the clients'
awareness (cursors, names), relays every change to its local clients directly and to the
rooms of the same section in other processes through the channel layer group
``ydoc.<section_id>``.

The channel layer delivers at most once and drops on full channels, so rooms repair gaps:
every CRIT_REALTIME_RESYNC_SECONDS a room sends its state vector to its peers, which answer
with whatever it lacks (sync step 1 and 2 between processes); every few rounds it sends its
state vector to its clients too. Every save merges the stored state under a row lock, so a
room also learns, at its next save, what it missed.

Saves are debounced: CRIT_REALTIME_SAVE_IDLE_SECONDS after the last change, at least every
CRIT_REALTIME_SAVE_MAX_SECONDS while changes keep coming, on the last client's leaving and
on shutdown. Each is a revision through designs' section_update (realtime.services).
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from typing import TYPE_CHECKING, Any

from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from django.conf import settings
from django.core.exceptions import ValidationError
from pycrdt import Awareness, Doc

from realtime import services
from realtime.ydoc import (
    EMPTY_UPDATE,
    MESSAGE_AWARENESS,
    MESSAGE_QUERY_AWARENESS,
    MESSAGE_SYNC,
    SYNC_STEP1,
    SYNC_STEP2,
    SYNC_UPDATE,
    ProtocolError,
    awareness_as,
    awareness_message,
    body_of,
    new_doc,
    read_payload,
    sync_message,
)

if TYPE_CHECKING:
    from realtime.consumers.document import DocumentConsumer

logger = logging.getLogger(__name__)


AWARENESS_TIMEOUT_MS = 30_000


class BodyTooLarge(Exception):
    """An update would make the section's text larger than CRIT_SECTION_BODY_MAX_BYTES."""


def _db(function: Any) -> Any:
    """``function`` in the process's database thread (where Channels runs every database
    call), with a stale connection replaced before and after."""
    return database_sync_to_async(function)


class Room:
    def __init__(self, *, section_id: int) -> None:
        self.section_id = section_id
        self.group = services.document_group(section_id)
        self.doc: Doc = new_doc()
        # The server's own edits (meta after a save) are made in copies under this id.
        self.server_client_id = random.getrandbits(52)
        self.awareness = Awareness(self.doc)
        self.awareness.remove_awareness_states([self.awareness.client_id], origin=None)
        self.clients: set[DocumentConsumer] = set()
        self.client_awareness: dict[DocumentConsumer, set[int]] = {}
        self.body_bytes = 0
        self.channel: str | None = None
        self.layer = get_channel_layer()
        self.closing = False
        self.closed = asyncio.Event()
        self.loaded = False
        self.loading: asyncio.Task | None = None
        # Debounced saving: when changes began and last came, and who typed since.
        self.dirty_since: float | None = None
        self.last_change = 0.0
        self.authors: dict[int, None] = {}  # in order of their last edit
        self.save_lock = asyncio.Lock()
        self.save_task: asyncio.Task | None = None
        self.ticker: asyncio.Task | None = None
        self.listener: asyncio.Task | None = None
        self.dropped_updates = 0

    # Life cycle -------------------------------------------------------------------------

    async def load(self) -> None:
        state = await _db(services.document_load)(
            section_id=self.section_id, client_id=self.server_client_id
        )
        self.doc.apply_update(state)
        self.body_bytes = len(body_of(self.doc).encode("utf-8"))
        if self.layer is not None:
            self.channel = await self.layer.new_channel(prefix="ydoc-room.")
            await self.layer.group_add(self.group, self.channel)
            self.listener = asyncio.create_task(self._listen())
        self.ticker = asyncio.create_task(self._tick())
        self.loaded = True

    async def unload(self) -> None:
        """Save (if anything changed) and stop; never raises."""
        try:
            if self.loaded:
                await self.save()
        finally:
            for task in (self.ticker, self.listener, self.save_task):
                if task is not None and task is not asyncio.current_task():
                    task.cancel()
            if self.layer is not None and self.channel is not None:
                try:
                    await self.layer.group_discard(self.group, self.channel)
                except Exception:
                    logger.exception("room %s: leaving the group failed", self.section_id)
            self.closed.set()

    # Clients ----------------------------------------------------------------------------

    async def greet(self, client: DocumentConsumer) -> None:
        """What y-websocket's server sends a new client: sync step 1, and who is there."""
        await client.send(bytes_data=sync_message(SYNC_STEP1, self.doc.get_state()))
        others = [cid for cid in self.awareness.states if cid != self.awareness.client_id]
        if others:
            update = self.awareness.encode_awareness_update(others)
            await client.send(bytes_data=awareness_message(update))

    def user_ids(self) -> set[int]:
        """Who has this section open in this process."""
        return {client.user.pk for client in self.clients}

    async def forget_client(self, client: DocumentConsumer) -> None:
        """Remove the cursors a leaving client announced, here and in other processes."""
        ids = sorted(self.client_awareness.pop(client, set()))
        ids = [cid for cid in ids if cid in self.awareness.states]
        if not ids:
            return
        self.awareness.remove_awareness_states(ids, origin=client)
        message = awareness_message(self.awareness.encode_awareness_update(ids))
        await self._send_local(message, exclude=client)
        await self._publish({"type": "ydoc.awareness", "update": message})

    # Messages from a client -------------------------------------------------------------

    async def receive(self, client: DocumentConsumer, data: bytes) -> None:
        """Handle one y-websocket message from ``client``. Raises ProtocolError for what is
        not one, BodyTooLarge for an update past the body limit (not applied)."""
        if not data:
            raise ProtocolError("empty message")
        kind = data[0]
        if kind == MESSAGE_SYNC:
            if len(data) < 2:
                raise ProtocolError("sync message without a step")
            step = data[1]
            payload = read_payload(data, 2)
            if step == SYNC_STEP1:
                try:
                    reply = self.doc.get_update(payload)
                except BaseException as error:
                    raise _protocol_error(error) from None
                await client.send(bytes_data=sync_message(SYNC_STEP2, reply))
            elif step in (SYNC_STEP2, SYNC_UPDATE):
                if payload == EMPTY_UPDATE:
                    return
                if not client.can_edit:
                    self.dropped_updates += 1
                    client.dropped_updates += 1
                    if client.dropped_updates == 1:
                        logger.warning(
                            "realtime: dropped an edit from reader %s on section %s",
                            client.user.pk,
                            self.section_id,
                        )
                    return
                await self.apply_client_update(client, payload)
            else:
                raise ProtocolError(f"unknown sync step {step}")
        elif kind == MESSAGE_AWARENESS:
            # The name beside a cursor is the signed-in person's, never what a client says.
            user = client.user
            payload = awareness_as(
                read_payload(data, 1), {"id": str(user.pk), "name": user.display_name}
            )
            data = awareness_message(payload)
            before = set(self.awareness.states)
            try:
                self.awareness.apply_awareness_update(payload, origin=client)
            except BaseException as error:
                raise _protocol_error(error) from None
            announced = self.client_awareness.setdefault(client, set())
            announced.update(set(self.awareness.states) - before)
            if len(announced) > 10:  # one tab announces one client id
                raise ProtocolError("too many awareness clients on one socket")
            await self._send_local(data, exclude=client)
            await self._publish({"type": "ydoc.awareness", "update": data})
        elif kind == MESSAGE_QUERY_AWARENESS:
            ids = [cid for cid in self.awareness.states if cid != self.awareness.client_id]
            update = self.awareness.encode_awareness_update(ids)
            await client.send(bytes_data=awareness_message(update))
        else:
            raise ProtocolError(f"unknown message type {kind}")

    async def apply_client_update(self, client: DocumentConsumer, update: bytes) -> None:
        if update == EMPTY_UPDATE:
            return
        limit = settings.CRIT_SECTION_BODY_MAX_BYTES
        try:
            if self.body_bytes + len(update) > limit:
                # The update may carry more text than the limit allows: try it on a copy.
                trial = new_doc(self.doc.get_update())
                trial.apply_update(update)
                if len(body_of(trial).encode("utf-8")) > limit:
                    raise BodyTooLarge
            self.doc.apply_update(update)
        except BodyTooLarge:
            raise
        except BaseException as error:
            raise _protocol_error(error) from None
        self.body_bytes = len(body_of(self.doc).encode("utf-8"))
        self._changed([client.user.pk])
        await self._send_local(sync_message(SYNC_UPDATE, update), exclude=client)
        await self._publish({"type": "ydoc.update", "update": update, "authors": [client.user.pk]})

    # Other processes --------------------------------------------------------------------

    async def _publish(self, message: dict) -> None:
        if self.layer is None or self.channel is None:
            return
        try:
            await self.layer.group_send(self.group, {**message, "origin": self.channel})
        except Exception:  # at most once anyway: the resync repairs it
            logger.warning("room %s: publishing failed", self.section_id, exc_info=True)

    async def _listen(self) -> None:
        assert self.layer is not None and self.channel is not None
        while True:
            try:
                message = await self.layer.receive(self.channel)
            except asyncio.CancelledError:
                raise
            except Exception:
                logger.warning("room %s: channel layer receive failed", self.section_id)
                await asyncio.sleep(1)
                continue
            if message.get("origin") == self.channel:
                continue
            try:
                await self._from_peer(message)
            except asyncio.CancelledError:
                raise
            except BaseException:
                logger.exception("room %s: bad message from a peer", self.section_id)

    async def _from_peer(self, message: dict) -> None:
        kind = message.get("type")
        if kind == "ydoc.update":
            update = bytes(message["update"])
            before = self.doc.get_state()
            self.doc.apply_update(update)
            self.body_bytes = len(body_of(self.doc).encode("utf-8"))
            authors = [int(a) for a in message.get("authors", [])]
            if authors or self.doc.get_state() != before:
                self._changed(authors)
            await self._send_local(sync_message(SYNC_UPDATE, update))
        elif kind == "ydoc.awareness":
            data = bytes(message["update"])
            self.awareness.apply_awareness_update(read_payload(data, 1), origin=None)
            await self._send_local(data)
        elif kind == "ydoc.state":
            # A peer's state vector: answer what it lacks, straight to it.
            missing = self.doc.get_update(bytes(message["sv"]))
            reply_to = message.get("origin")
            if reply_to and _has_structs(missing, bytes(message["sv"]), self.doc):
                assert self.layer is not None
                await self.layer.send(
                    reply_to,
                    {"type": "ydoc.update", "update": missing, "origin": self.channel},
                )

    async def _tick(self) -> None:
        """Exchange state vectors with the peers (and, every fourth round, the clients)."""
        rounds = 0
        while True:
            await asyncio.sleep(settings.CRIT_REALTIME_RESYNC_SECONDS * random.uniform(0.8, 1.2))
            rounds += 1
            state = self.doc.get_state()
            await self._publish({"type": "ydoc.state", "sv": state})
            if rounds % 4 == 0:
                await self._send_local(sync_message(SYNC_STEP1, state))
            await self._forget_silent_cursors()

    async def _forget_silent_cursors(self) -> None:
        """Drop cursors not renewed for 30 s (clients renew theirs every 15 s): those of
        clients of a process that died."""
        now_ms = time.time() * 1000
        local = set().union(*self.client_awareness.values()) if self.client_awareness else set()
        silent = [
            cid
            for cid, meta in self.awareness.meta.items()
            if cid in self.awareness.states
            and cid not in local
            and now_ms - meta["lastUpdated"] > AWARENESS_TIMEOUT_MS
        ]
        if silent:
            self.awareness.remove_awareness_states(silent, origin=None)
            update = self.awareness.encode_awareness_update(silent)
            await self._send_local(awareness_message(update))

    async def _send_local(self, message: bytes, *, exclude: Any = None) -> None:
        clients = [client for client in self.clients if client is not exclude]
        if clients:
            await asyncio.gather(
                *(client.send_quietly(message) for client in clients), return_exceptions=True
            )

    # Saving -----------------------------------------------------------------------------

    def _changed(self, author_ids: list[int]) -> None:
        loop = asyncio.get_running_loop()
        now = loop.time()
        self.last_change = now
        if self.dirty_since is None:
            self.dirty_since = now
        for author in author_ids:
            self.authors.pop(author, None)
            self.authors[author] = None
        if self.save_task is None or self.save_task.done():
            self.save_task = asyncio.create_task(self._save_when_due())

    async def _save_when_due(self) -> None:
        while self.dirty_since is not None and not self.closing:
            now = asyncio.get_running_loop().time()
            due = min(
                self.last_change + settings.CRIT_REALTIME_SAVE_IDLE_SECONDS,
                self.dirty_since + settings.CRIT_REALTIME_SAVE_MAX_SECONDS,
            )
            if due > now:
                await asyncio.sleep(due - now)
                continue
            await self.save()

    async def save(self) -> None:
        """Save the room's text now if it changed; never raises (a failed save is logged
        and retried after the idle delay, the changes kept)."""
        async with self.save_lock:
            if self.dirty_since is None:
                return
            authors = list(self.authors)
            self.dirty_since, self.authors = None, {}
            snapshot = self.doc.get_update()
            try:
                result = await _db(services.document_save)(
                    section_id=self.section_id,
                    update=snapshot,
                    author_ids=authors,
                    client_id=self.server_client_id,
                )
            except ValidationError as error:
                logger.error("room %s: the shared text cannot be saved: %s", self.section_id, error)
                return
            except Exception:
                logger.exception("room %s: saving failed; retrying", self.section_id)
                for author in authors:
                    self.authors.setdefault(author, None)
                now = asyncio.get_running_loop().time()
                self.last_change = now
                self.dirty_since = self.dirty_since or now
                return
            if result.delta is not None:
                self.doc.apply_update(result.delta)
                self.body_bytes = len(body_of(self.doc).encode("utf-8"))
                message = sync_message(SYNC_UPDATE, result.delta)
                await self._send_local(message)
                await self._publish({"type": "ydoc.update", "update": result.delta, "authors": []})


def _has_structs(update: bytes, peer_state: bytes, doc: Doc) -> bool:
    """Whether ``doc`` holds anything past ``peer_state`` (not only a delete set both have)."""
    return update != EMPTY_UPDATE and doc.get_state() != peer_state


def _protocol_error(error: BaseException) -> BaseException:
    if isinstance(error, (asyncio.CancelledError, KeyboardInterrupt, SystemExit)):
        return error
    return ProtocolError(f"{type(error).__name__}: {error}")


class RoomRegistry:
    """The rooms of this process, by section id."""

    def __init__(self) -> None:
        self.rooms: dict[int, Room] = {}

    async def join(self, client: DocumentConsumer, *, section_id: int) -> Room:
        """Add ``client`` to the section's room, loading it first if needed. Raises
        RoomFull past CRIT_REALTIME_CLIENTS_PER_DOCUMENT; a failed load raises (and leaves
        no room behind)."""
        while True:
            room = self.rooms.get(section_id)
            if room is None:
                room = Room(section_id=section_id)
                self.rooms[section_id] = room
                room.loading = asyncio.create_task(room.load())
            if room.closing:
                await room.closed.wait()
                continue
            assert room.loading is not None
            try:
                await asyncio.shield(room.loading)
            except Exception:
                if self.rooms.get(section_id) is room:
                    del self.rooms[section_id]
                    await room.unload()
                raise
            if room.closing:
                continue
            if len(room.clients) >= settings.CRIT_REALTIME_CLIENTS_PER_DOCUMENT:
                raise RoomFull
            room.clients.add(client)
            return room

    async def leave(self, client: DocumentConsumer, room: Room) -> None:
        """Remove ``client``; the last one out saves and unloads the room."""
        room.clients.discard(client)
        try:
            await room.forget_client(client)
        except Exception:
            logger.exception("room %s: forgetting a client failed", room.section_id)
        if room.clients or room.closing:
            return
        room.closing = True
        try:
            await room.unload()
        finally:
            if self.rooms.get(room.section_id) is room:
                del self.rooms[room.section_id]

    def editors(self, section_id: int) -> set[int]:
        """Ids of the people who have the section open in this process."""
        room = self.rooms.get(section_id)
        return room.user_ids() if room is not None else set()

    async def shutdown(self) -> None:
        """Save every room and unload it (the ASGI lifespan's shutdown)."""
        rooms = list(self.rooms.values())
        for room in rooms:
            room.closing = True
        await asyncio.gather(*(room.unload() for room in rooms), return_exceptions=True)
        self.rooms.clear()


class RoomFull(Exception):
    """The section has CRIT_REALTIME_CLIENTS_PER_DOCUMENT clients in this process."""


registry = RoomRegistry()
