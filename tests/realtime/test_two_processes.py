"""Two real ASGI processes sharing PostgreSQL and Redis (tests/asgi_pair.py): clients on
different processes co-edit one section and converge; a process killed with SIGKILL loses
nothing a client typed."""

import asyncio
import contextlib

import pytest
import websockets
from asgiref.sync import sync_to_async
from django.db import connections

from designs.models import Section
from tests.factories import MembershipFactory, UserFactory, make_design
from tests.realtime.conftest import run, session_cookie
from tests.realtime.yclient import YClient

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def quick(settings):
    settings.CRIT_REALTIME_SAVE_IDLE_SECONDS = 0.5
    settings.CRIT_REALTIME_SAVE_MAX_SECONDS = 2.0
    settings.CRIT_REALTIME_RESYNC_SECONDS = 1.0


class WsPeer:
    """A y-websocket client over a real socket; it keeps its document across reconnects
    (as y-indexeddb keeps a browser's), so text typed while offline is sent on reconnect."""

    def __init__(self, session: str) -> None:
        self.session = session
        self.y = YClient()
        self.ws = None
        self.reader: asyncio.Task | None = None

    async def connect(self, base: str, path: str) -> None:
        self.ws = await websockets.connect(
            base + path,
            origin="http://127.0.0.1",
            additional_headers={"Cookie": f"sessionid={self.session}"},
        )
        self.reader = asyncio.create_task(self._read(self.ws))
        await self.ws.send(self.y.hello())

    async def _read(self, ws) -> None:
        with contextlib.suppress(websockets.ConnectionClosed):
            async for message in ws:
                if isinstance(message, bytes):
                    reply = self.y.handle(message)
                    if reply is not None:
                        await ws.send(reply)

    @property
    def online(self) -> bool:
        return self.reader is not None and not self.reader.done()

    async def type(self, chars: str, *, at: int | None = None) -> None:
        message = self.y.append(chars) if at is None else self.y.type(at, chars)
        if self.online:
            with contextlib.suppress(websockets.ConnectionClosed):
                await self.ws.send(message)

    async def close(self) -> None:
        if self.ws is not None:
            await self.ws.close()
        if self.reader is not None:
            await self.reader


def _stored(pk: int) -> str:
    try:
        return Section.objects.get(pk=pk).body
    finally:
        connections.close_all()


async def _until(predicate, within: float) -> bool:
    deadline = asyncio.get_running_loop().time() + within
    while asyncio.get_running_loop().time() < deadline:
        if await predicate():
            return True
        await asyncio.sleep(0.1)
    return False


@pytest.fixture
def shared(alice, team):
    design = make_design(team=team, author=alice, title="Live")
    section = design.sections.order_by("position").first()
    bob = MembershipFactory(team=team, user=UserFactory(username="bobby")).user
    path = f"/ws/designs/{design.pk}/sections/{section.key}"
    return section, path, session_cookie(alice), session_cookie(bob)


def test_two_processes_converge_and_store_both_texts(quick, shared, asgi_pair):
    section, path, alice_session, bob_session = shared
    first, second = asgi_pair.ws_urls

    async def scenario():
        one, two = WsPeer(alice_session), WsPeer(bob_session)
        await one.connect(first, path)
        await two.connect(second, path)
        await asyncio.sleep(0.3)
        for n in range(15):  # at once, one at each end of the text
            await one.type(f"a{n} ")
            await two.type(f"b{n} ", at=0)
            await asyncio.sleep(0.03)

        async def converged() -> bool:
            return one.y.body == two.y.body

        same = await _until(converged, 10)

        async def stored() -> bool:
            return await sync_to_async(_stored)(section.pk) == one.y.body

        saved = await _until(stored, 10)
        body = one.y.body
        await one.close()
        await two.close()
        return same, saved, body

    same, saved, body = run(scenario())
    assert same, asgi_pair.log(0) + asgi_pair.log(1)
    assert saved
    for n in range(15):
        assert f"a{n} " in body and f"b{n} " in body


def test_killed_process_loses_nothing_typed(quick, shared, asgi_pair):
    section, path, alice_session, bob_session = shared
    first, second = asgi_pair.ws_urls

    async def scenario():
        writer, watcher = WsPeer(alice_session), WsPeer(bob_session)
        await writer.connect(first, path)
        await watcher.connect(second, path)
        await asyncio.sleep(0.3)
        for n in range(10):
            await writer.type(f"w{n} ")
            await asyncio.sleep(0.02)
        asgi_pair.kill(0)  # mid-typing: its last edits may not be saved
        for n in range(10, 20):
            await writer.type(f"w{n} ")  # offline: kept in the client's document
        await asyncio.sleep(0.2)
        assert not writer.online
        await writer.connect(second, path)  # reconnects to the surviving process
        expected = "".join(f"w{n} " for n in range(20))

        async def stored() -> bool:
            return await sync_to_async(_stored)(section.pk) == expected

        saved = await _until(stored, 15)

        async def watched() -> bool:
            return watcher.y.body == expected

        seen = await _until(watched, 5)
        await writer.close()
        await watcher.close()
        return saved, seen

    saved, seen = run(scenario())
    assert saved, asgi_pair.log(1)
    assert seen
