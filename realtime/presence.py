"""Who has a design open, and who is editing which section: presence with a time to live.

Every open socket is an entry that lives CRIT_REALTIME_PRESENCE_TTL_SECONDS and is renewed
by a heartbeat every CRIT_REALTIME_PRESENCE_HEARTBEAT_SECONDS. A socket that closes removes
its entry at once; one whose process died (``kill -9``, a lost host) simply stops renewing
it, so it is gone within the time to live, whatever happened to the disconnect handler.
Entries are kept per design in a Redis sorted set scored by expiry time (shared by every
process, under the channel layer's prefix), or in this process's memory without REDIS_URL
(one process serves everything then).

An entry is ``<section key>|<user id>|<username>|<channel name>``: the section key is
empty for a page that has the design open, and names the section for an editor socket. One
person with two tabs is shown once.

Sockets call ``enter`` when they open and ``leave`` when they close; both tell the design's
live sockets (``live.presence`` on the design's group) to look again, and each live socket
also looks on every heartbeat, which is how an expired entry disappears from the pages.
"""

import asyncio
import logging
import re
import time
import weakref
from dataclasses import dataclass, field
from typing import Any

from channels.layers import get_channel_layer
from django.conf import settings

logger = logging.getLogger(__name__)

# Colours are fixed CSS classes (presence-c0 ... presence-c7): inline styles are blocked.
COLOURS = 8


def design_group(design_id: int) -> str:
    """The group of every live socket on a design (``realtime.consumers.design``)."""
    return f"live.design.{design_id}"


def ttl() -> float:
    return float(settings.CRIT_REALTIME_PRESENCE_TTL_SECONDS)


def heartbeat() -> float:
    return float(settings.CRIT_REALTIME_PRESENCE_HEARTBEAT_SECONDS)


@dataclass(frozen=True, order=True)
class Person:
    username: str
    user_id: int

    @property
    def initials(self) -> str:
        """Two letters: the first of the first two words of the username (``ada.l`` AL),
        or its first two letters."""
        words = [w for w in re.split(r"[._\-\s]+", self.username) if w]
        if len(words) >= 2:
            return (words[0][0] + words[1][0]).upper()
        return self.username[:2].upper()

    @property
    def colour(self) -> str:
        """The same colour for a person on every page and for everyone."""
        return f"presence-c{self.user_id % COLOURS}"


@dataclass(frozen=True)
class Presence:
    """Who has the design open (``viewing``) and who edits each section (``editing``)."""

    viewing: tuple[Person, ...] = ()
    editing: dict[str, tuple[Person, ...]] = field(default_factory=dict)

    def without(self, user_id: int) -> "Presence":
        """As a person sees it: others only."""
        return Presence(
            viewing=tuple(p for p in self.viewing if p.user_id != user_id),
            editing={
                key: people
                for key, people in (
                    (k, tuple(p for p in v if p.user_id != user_id))
                    for k, v in self.editing.items()
                )
                if people
            },
        )

    def keys(self) -> set[str]:
        return set(self.editing)


def _entry(section_key: str, user: Any, channel: str) -> str:
    return f"{section_key}|{user.pk}|{user.get_username()}|{channel}"


def _parse(entries: list[str]) -> Presence:
    viewing: set[Person] = set()
    editing: dict[str, set[Person]] = {}
    for entry in entries:
        try:
            key, user_id, username, _ = entry.split("|", 3)
            person = Person(username=username, user_id=int(user_id))
        except ValueError:
            continue
        if key:
            editing.setdefault(key, set()).add(person)
        else:
            viewing.add(person)
    return Presence(
        viewing=tuple(sorted(viewing)),
        editing={key: tuple(sorted(people)) for key, people in sorted(editing.items())},
    )


# Stores --------------------------------------------------------------------------------------


class _MemoryStore:
    """One process's presence, for the embedded set-up without Redis."""

    def __init__(self) -> None:
        self.entries: dict[int, dict[str, float]] = {}

    async def put(self, design_id: int, entry: str, expires: float) -> None:
        self.entries.setdefault(design_id, {})[entry] = expires

    async def remove(self, design_id: int, entry: str) -> None:
        self.entries.get(design_id, {}).pop(entry, None)

    async def read(self, design_id: int, now: float) -> list[str]:
        entries = self.entries.get(design_id, {})
        for entry in [e for e, expires in entries.items() if expires <= now]:
            del entries[entry]
        if not entries:
            self.entries.pop(design_id, None)
        return sorted(entries)


class _RedisStore:
    """Presence shared by every process: a sorted set per design, scored by expiry."""

    def __init__(self, url: str) -> None:
        import redis.asyncio as aioredis

        self.client = aioredis.Redis.from_url(
            url, decode_responses=True, socket_connect_timeout=2, socket_timeout=2
        )

    @staticmethod
    def key(design_id: int) -> str:
        # Under the channel layer's prefix: installations sharing a Redis stay apart.
        layer: dict[str, Any] = settings.CHANNEL_LAYERS["default"]
        config: dict[str, Any] = layer.get("CONFIG", {})
        return f"{config.get('prefix', 'crit')}:presence:{design_id}"

    async def put(self, design_id: int, entry: str, expires: float) -> None:
        key = self.key(design_id)
        async with self.client.pipeline(transaction=False) as pipe:
            pipe.zadd(key, {entry: expires})
            pipe.expire(key, int(ttl() * 2) + 1)  # a design nobody has open leaves nothing
            await pipe.execute()

    async def remove(self, design_id: int, entry: str) -> None:
        await self.client.zrem(self.key(design_id), entry)

    async def read(self, design_id: int, now: float) -> list[str]:
        key = self.key(design_id)
        async with self.client.pipeline(transaction=False) as pipe:
            pipe.zremrangebyscore(key, "-inf", now)
            pipe.zrangebyscore(key, now, "+inf")
            _, entries = await pipe.execute()
        return sorted(entries)


_memory = _MemoryStore()
# A Redis client belongs to the event loop that made it: one per loop.
_redis: "weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _RedisStore]" = (
    weakref.WeakKeyDictionary()
)


def _store() -> _MemoryStore | _RedisStore:
    url = settings.REDIS_URL
    if not url:
        return _memory
    loop = asyncio.get_running_loop()
    store = _redis.get(loop)
    if store is None:
        store = _redis[loop] = _RedisStore(url)
    return store


# What sockets call -------------------------------------------------------------------------


async def read(design_id: int) -> Presence:
    """Everyone on the design now. Empty (and logged) if the store cannot be reached."""
    try:
        return _parse(await _store().read(design_id, time.time()))
    except Exception:
        logger.warning("presence of design %s could not be read", design_id, exc_info=True)
        return Presence()


async def _put(design_id: int, entry: str) -> None:
    try:
        await _store().put(design_id, entry, time.time() + ttl())
    except Exception:
        logger.warning("presence of design %s could not be written", design_id, exc_info=True)


async def _remove(design_id: int, entry: str) -> None:
    try:
        await _store().remove(design_id, entry)
    except Exception:
        logger.warning("presence of design %s could not be removed", design_id, exc_info=True)


async def announce(design_id: int) -> None:
    """Ask the design's live sockets to look at presence again now."""
    layer = get_channel_layer()
    if layer is None:
        return
    try:
        await layer.group_send(design_group(design_id), {"type": "live.presence"})
    except Exception:
        logger.warning("presence change of design %s not announced", design_id, exc_info=True)


class _Beat:
    """An entry and the task that renews it."""

    def __init__(self, design_id: int, entry: str) -> None:
        self.design_id, self.entry = design_id, entry
        self.task = asyncio.create_task(self._renew())

    async def _renew(self) -> None:
        while True:
            await asyncio.sleep(heartbeat())
            await _put(self.design_id, self.entry)


_beats: dict[tuple[str, str], _Beat] = {}


async def enter(consumer: Any, *, section_key: str = "") -> None:
    """``consumer`` (a socket on a design: ``design_id``, ``user``, ``channel_name``) is
    there, on the page (no ``section_key``) or editing ``section_key``, until ``leave``.
    Renewed by a heartbeat; tells the design's live sockets at once."""
    entry = _entry(section_key, consumer.user, consumer.channel_name)
    await leave(consumer, section_key=section_key, announcing=False)
    await _put(consumer.design_id, entry)
    _beats[(consumer.channel_name, section_key)] = _Beat(consumer.design_id, entry)
    await announce(consumer.design_id)


async def leave(consumer: Any, *, section_key: str = "", announcing: bool = True) -> None:
    """``consumer`` is gone from where ``enter`` put it. Idempotent."""
    beat = _beats.pop((consumer.channel_name, section_key), None)
    if beat is None:
        return
    beat.task.cancel()
    await _remove(beat.design_id, beat.entry)
    if announcing:
        await announce(beat.design_id)
