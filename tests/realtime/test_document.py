"""The document socket in one process: the y-websocket protocol, saving, readers, limits,
bad input, and other write paths joining the live text."""

import asyncio
import base64
import json
from unittest import mock

import pytest
from asgiref.sync import sync_to_async
from django.db import connections
from django.test import Client
from django.urls import reverse

from designs.models import Revision, Section
from designs.services import section_update
from realtime.consumers.base import CLOSE_BAD_MESSAGE, CLOSE_TOO_LARGE, CLOSE_TOO_MANY
from realtime.rooms import registry
from realtime.ydoc import body_of, new_doc, read_payload, read_var_uint, sha256_hex
from tests.factories import MembershipFactory, UserFactory, make_design, request_review
from tests.realtime.conftest import communicator, run, section_path, session_cookie
from tests.realtime.yclient import YClient

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _quick_saves(settings):
    settings.CRIT_REALTIME_SAVE_IDLE_SECONDS = 0.3
    settings.CRIT_REALTIME_SAVE_MAX_SECONDS = 1.0
    settings.CRIT_REALTIME_RESYNC_SECONDS = 0.5


@pytest.fixture
def live(alice, team):
    design = make_design(team=team, author=alice, title="Live")
    section = design.sections.order_by("position").first()
    return design, section


class Peer:
    """One socket and its Y client."""

    def __init__(self, path: str, session: str) -> None:
        self.socket = communicator(path, session=session)
        self.y = YClient()
        self.closed_with: int | None = None

    async def open(self) -> bool:
        connected, _ = await self.socket.connect(timeout=5)
        if connected:
            await self.socket.send_to(bytes_data=self.y.hello())
            await self.pump()
        return connected

    async def send(self, message: bytes) -> None:
        await self.socket.send_to(bytes_data=message)

    async def pump(self, quiet: float = 0.2) -> None:
        """Handle what the server sends until it is quiet for ``quiet`` seconds."""
        while self.closed_with is None and not await self.socket.receive_nothing(timeout=quiet):
            message = await self.socket.receive_output()
            if message["type"] == "websocket.close":
                self.closed_with = message.get("code")
                return
            if message.get("bytes") is not None:
                reply = self.y.handle(message["bytes"])
                if reply is not None:
                    await self.send(reply)

    async def close(self) -> None:
        if self.closed_with is None:
            await self.socket.disconnect()


def _db(function, *args, **kwargs):
    def call():
        try:
            return function(*args, **kwargs)
        finally:
            connections.close_all()

    return sync_to_async(call, thread_sensitive=False)()


def _section(pk: int) -> Section:
    return Section.objects.get(pk=pk)


async def _wait_for(predicate, *, within: float = 5.0, peers=()) -> bool:
    deadline = asyncio.get_running_loop().time() + within
    while asyncio.get_running_loop().time() < deadline:
        if await predicate():
            return True
        for peer in peers:
            await peer.pump(0.05)
        await asyncio.sleep(0.05)
    return False


def _saved_body(pk: int):
    async def check_for(expected: str) -> bool:
        return (await _db(_section, pk)).body == expected

    return check_for


def test_typing_is_saved_as_a_revision(alice, live):
    design, section = live
    path = section_path(design, section.key)

    async def scenario():
        peer = Peer(path, session_cookie(alice))
        assert await peer.open()
        await peer.send(peer.y.append("Hello, live world."))
        saved = await _wait_for(lambda: _saved_body(section.pk)("Hello, live world."), peers=[peer])
        await peer.pump(0.3)
        await peer.close()
        return saved, peer.y.doc.get("meta", type=__import__("pycrdt").Map).to_py()

    saved, meta = run(scenario())
    assert saved
    section.refresh_from_db()
    revision = Revision.objects.get(section=section, version=section.version)
    assert revision.body == "Hello, live world."
    assert revision.author == alice
    assert meta == {"saved_version": section.version, "saved_sha256": sha256_hex(section.body)}
    assert not registry.rooms


def test_two_clients_converge_and_both_are_authors(alice, team, live):
    design, section = live
    bob = MembershipFactory(team=team, user=UserFactory(username="bobby")).user
    path = section_path(design, section.key)

    async def scenario():
        one, two = Peer(path, session_cookie(alice)), Peer(path, session_cookie(bob))
        assert await one.open() and await two.open()
        await one.send(one.y.append("alpha "))
        await two.pump()
        await two.send(two.y.append("beta"))
        await one.pump()
        ok = await _wait_for(
            lambda: _saved_body(section.pk)("alpha beta"), peers=[one, two], within=5
        )
        bodies = (one.y.body, two.y.body)
        await one.close()
        await two.close()
        return ok, bodies

    ok, bodies = run(scenario())
    assert ok
    assert bodies == ("alpha beta", "alpha beta")
    section.refresh_from_db()
    revisions = Revision.objects.filter(section=section).order_by("version")
    authors = {r.author_id for r in revisions} | {
        u.pk for r in revisions for u in r.co_authors.all()
    }
    assert authors == {alice.pk, bob.pk}


def test_saves_come_at_least_every_max_seconds_while_typing(alice, live, settings):
    settings.CRIT_REALTIME_SAVE_IDLE_SECONDS = 5.0
    settings.CRIT_REALTIME_SAVE_MAX_SECONDS = 0.6
    design, section = live

    async def scenario():
        peer = Peer(section_path(design, section.key), session_cookie(alice))
        assert await peer.open()
        for _ in range(12):
            await peer.send(peer.y.append("x"))
            await asyncio.sleep(0.15)
        version = (await _db(_section, section.pk)).version
        await peer.close()
        return version

    assert run(scenario()) >= 1  # saved while typing, though typing never paused 5 s


def test_last_client_leaving_saves_at_once(alice, live, settings):
    settings.CRIT_REALTIME_SAVE_IDLE_SECONDS = 60
    settings.CRIT_REALTIME_SAVE_MAX_SECONDS = 60
    design, section = live

    async def scenario():
        peer = Peer(section_path(design, section.key), session_cookie(alice))
        assert await peer.open()
        await peer.send(peer.y.append("left in a hurry"))
        await peer.pump(0.1)
        await peer.close()

    run(scenario())
    section.refresh_from_db()
    assert section.body == "left in a hurry"
    assert not registry.rooms


def test_shutdown_saves_open_rooms(alice, live, settings):
    settings.CRIT_REALTIME_SAVE_IDLE_SECONDS = 60
    settings.CRIT_REALTIME_SAVE_MAX_SECONDS = 60
    design, section = live

    async def scenario():
        peer = Peer(section_path(design, section.key), session_cookie(alice))
        assert await peer.open()
        await peer.send(peer.y.append("saved on shutdown"))
        await peer.pump(0.1)
        await registry.shutdown()
        await peer.close()

    run(scenario())
    section.refresh_from_db()
    assert section.body == "saved on shutdown"


def test_reader_edits_are_dropped(alice, live):
    design, section = live
    reviewer = UserFactory(username="rita")
    request_review(design=design, reviewer=reviewer, requested_by=alice)
    path = section_path(design, section.key)

    async def scenario():
        writer, reader = Peer(path, session_cookie(alice)), Peer(path, session_cookie(reviewer))
        assert await writer.open() and await reader.open()
        await writer.send(writer.y.append("by the author"))
        await reader.pump()
        await reader.send(reader.y.append(" and the reader"))
        await reader.pump(0.5)
        await writer.pump(0.5)
        dropped = registry.rooms[section.pk].dropped_updates
        still_open = reader.closed_with is None
        await writer.close()
        await reader.close()
        return writer.y.body, dropped, still_open

    writer_body, dropped, still_open = run(scenario())
    assert writer_body == "by the author"
    assert dropped >= 1
    assert still_open
    section.refresh_from_db()
    assert section.body == "by the author"


def test_cursor_names_are_the_signed_in_persons_whatever_a_client_claims(alice, team, live):
    design, section = live
    bob = MembershipFactory(team=team, user=UserFactory(username="bobby", first_name="")).user
    path = section_path(design, section.key)
    claim = json.dumps({"user": {"id": str(alice.pk), "name": "Alice (really)"}, "cursor": 1})

    async def scenario():
        one, two = Peer(path, session_cookie(alice)), Peer(path, session_cookie(bob))
        assert await one.open() and await two.open()
        await two.send(two.y.cursor(two.y.doc.client_id, 1, claim))
        await one.pump(0.5)
        seen = list(one.y.awareness_seen)
        await one.close()
        await two.close()
        return seen

    seen = run(scenario())
    states = [_awareness_states(message) for message in seen]
    announced = [state for each in states for state in each if state is not None]
    assert announced == [{"user": {"id": str(bob.pk), "name": bob.display_name}, "cursor": 1}]


def _awareness_states(message: bytes) -> list:
    payload = read_payload(message, 1)
    count, pos = read_var_uint(payload, 0)
    states = []
    for _ in range(count):
        _client, pos = read_var_uint(payload, pos)
        _clock, pos = read_var_uint(payload, pos)
        length, pos = read_var_uint(payload, pos)
        states.append(json.loads(payload[pos : pos + length]))
        pos += length
    return states


def _closing_code(alice, design, section, *messages, text: str | None = None):
    async def scenario():
        peer = Peer(section_path(design, section.key), session_cookie(alice))
        assert await peer.open()
        if text is not None:
            await peer.socket.send_to(text_data=text)
        for message in messages:
            await peer.send(message)
        await peer.pump(0.5)
        code = peer.closed_with
        await peer.close()
        return code

    return run(scenario())


def test_text_frame_closes_cleanly(alice, live):
    design, section = live
    assert _closing_code(alice, design, section, text="hello") == CLOSE_BAD_MESSAGE


@pytest.mark.parametrize(
    "garbage",
    [
        b"\x00",
        b"\x00\x01\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff",
        b"\x00\x02\x05abc",
        b"\x00\x02\x04\xff\xfe\xfd\xfc",
        b"\x00\x00\x03\xff\xff\xff",
        b"\x01\x03abc",
        b"\x01\x06\x01\x01\x01\x02{x",
        b"\x01\x07\x01\x01\x01\x03[1]",  # a state that is not an object
        b"\x01\x07\x01\x01\x01\x02{}!",  # bytes after the states
        b"\x09hello",
        b"\x00\x07\x00",
    ],
)
def test_garbage_closes_cleanly(alice, live, garbage):
    design, section = live
    assert _closing_code(alice, design, section, garbage) == CLOSE_BAD_MESSAGE
    assert not registry.rooms


def test_oversized_message_closes(alice, live, settings):
    settings.CRIT_REALTIME_MAX_MESSAGE_BYTES = 1000
    design, section = live
    y = YClient()
    assert _closing_code(alice, design, section, y.append("x" * 2000)) == CLOSE_TOO_LARGE


def test_update_past_body_limit_is_refused_and_nothing_saved(alice, live, settings):
    settings.CRIT_SECTION_BODY_MAX_BYTES = 500
    design, section = live
    y = YClient()
    first = y.append("a" * 300)
    second = y.append("b" * 300)
    assert _closing_code(alice, design, section, first, second) == CLOSE_TOO_LARGE
    section.refresh_from_db()
    assert section.body == "a" * 300  # the first fitted; the second never reached the text


def test_too_many_messages_close(alice, live, settings):
    settings.CRIT_REALTIME_MESSAGES_PER_SECOND = 5
    design, section = live
    y = YClient()
    flood = [y.append("x") for _ in range(30)]
    assert _closing_code(alice, design, section, *flood) == CLOSE_TOO_MANY


def test_clients_per_document_limit(alice, live, settings):
    settings.CRIT_REALTIME_CLIENTS_PER_DOCUMENT = 2
    design, section = live
    path = section_path(design, section.key)

    async def scenario():
        peers = [Peer(path, session_cookie(alice)) for _ in range(3)]
        for peer in peers:
            await peer.open()
        codes = [peer.closed_with for peer in peers]
        for peer in peers:
            await peer.close()
        return codes

    assert run(scenario()) == [None, None, CLOSE_TOO_MANY]


def test_room_unloaded_after_a_failed_load(alice, live):
    design, section = live
    with mock.patch("realtime.services.document_load", side_effect=RuntimeError("db down")):
        code = run(_open_and_close(alice, design, section))
    assert code == 4503
    assert not registry.rooms
    assert _closing_code(alice, design, section) is None  # and the next load works


async def _open_and_close(alice, design, section):
    peer = Peer(section_path(design, section.key), session_cookie(alice))
    await peer.open()
    await peer.pump(0.3)
    code = peer.closed_with
    await peer.close()
    return code


def test_room_unloaded_after_a_failed_save(alice, live):
    design, section = live

    async def scenario():
        peer = Peer(section_path(design, section.key), session_cookie(alice))
        assert await peer.open()
        with mock.patch("realtime.services.document_save", side_effect=RuntimeError("db down")):
            await peer.send(peer.y.append("lost?"))
            await peer.pump(0.6)
            await peer.close()

    run(scenario())
    assert not registry.rooms


def test_form_save_joins_the_live_text_and_is_never_overwritten(alice, live):
    """A save by another path (form, API, restore) while a room is open: the room's
    clients receive it, and the room's next save keeps it beside what they typed."""
    design, section = live

    def form_save(body: str) -> None:
        current = Section.objects.get(pk=section.pk)
        section_update(section=current, body=body, base_version=current.version, edited_by=alice)

    async def scenario():
        peer = Peer(section_path(design, section.key), session_cookie(alice))
        assert await peer.open()
        await peer.send(peer.y.append("Intro.\n\nMiddle."))
        assert await _wait_for(lambda: _saved_body(section.pk)("Intro.\n\nMiddle."), peers=[peer])
        await _db(form_save, "Intro, from the form.\n\nMiddle.")
        await peer.pump(0.5)
        seen = peer.y.body
        await peer.send(peer.y.append("\n\nEnd, typed live."))
        expected = "Intro, from the form.\n\nMiddle.\n\nEnd, typed live."
        ok = await _wait_for(lambda: _saved_body(section.pk)(expected), peers=[peer])
        await peer.close()
        return seen, ok

    seen, ok = run(scenario())
    assert seen == "Intro, from the form.\n\nMiddle."
    assert ok


def test_form_save_while_room_holds_unsaved_typing_keeps_both(alice, live, settings):
    settings.CRIT_REALTIME_SAVE_IDLE_SECONDS = 60
    settings.CRIT_REALTIME_SAVE_MAX_SECONDS = 60
    design, section = live

    def form_save(body: str) -> None:
        current = Section.objects.get(pk=section.pk)
        section_update(section=current, body=body, base_version=current.version, edited_by=alice)

    async def scenario():
        peer = Peer(section_path(design, section.key), session_cookie(alice))
        assert await peer.open()
        await peer.send(peer.y.append("one two"))
        await peer.close()  # saved on leave
        peer = Peer(section_path(design, section.key), session_cookie(alice))
        assert await peer.open()
        await peer.send(peer.y.append(" three"))  # not saved yet
        await peer.pump(0.2)
        # The room missed the broadcast: only the database carries the form's change.
        with mock.patch("realtime.services.document_broadcast"):
            await _db(form_save, "zero one two")
        await peer.close()  # the room's save merges the stored state

    run(scenario())
    section.refresh_from_db()
    assert section.body == "zero one two three"


def _typed_once(user, design, section: Section, text: str) -> None:
    """Open the section live, type ``text`` and leave (the room saves it)."""

    async def scenario():
        peer = Peer(section_path(design, section.key), session_cookie(user))
        assert await peer.open()
        await peer.send(peer.y.append(text))
        await peer.close()

    run(scenario())


def test_api_and_restore_keep_the_stored_state_equal_to_the_body(alice, live):
    design, section = live

    _typed_once(alice, design, section, "first")
    from designs.services import section_restore
    from realtime.ydoc import body_of, new_doc

    current = Section.objects.get(pk=section.pk)
    current = section_update(
        section=current, body="second", base_version=current.version, edited_by=alice
    )
    current = section_restore(
        section=current, version=1, base_version=current.version, restored_by=alice
    )
    state = Section.objects.filter(pk=section.pk).values_list("ystate", flat=True).get()
    assert body_of(new_doc(bytes(state))) == current.body == "first"


def _editor_save(user, section: Section, body: str, yupdate: str | None, base_version: int):
    """The section form's Save, as the live editor posts it (with its Y document)."""
    client = Client()
    client.force_login(user)
    data = {"body": body, "state": "draft", "na_reason": "", "base_version": base_version}
    if yupdate is not None:
        data["yupdate"] = yupdate
    try:
        return client.post(
            reverse("designs:section_edit", args=[section.design_id, section.key]),
            data,
            headers={"HX-Request": "true"},
        )
    finally:
        connections.close_all()


def test_live_editor_save_before_the_room_saved_never_doubles_text(alice, live, settings):
    """Save in the live editor while the room still holds typing it has not saved: the
    editor's Y document is merged (the room's copy of the same typing is the same Y items),
    so the text is saved once, by the form and again by the room's later save."""
    settings.CRIT_REALTIME_SAVE_IDLE_SECONDS = 60
    settings.CRIT_REALTIME_SAVE_MAX_SECONDS = 60
    design, section = live

    async def scenario():
        peer = Peer(section_path(design, section.key), session_cookie(alice))
        assert await peer.open()
        await peer.send(peer.y.append("one two"))
        await peer.close()  # saved on leave
        peer = Peer(section_path(design, section.key), session_cookie(alice))
        assert await peer.open()
        await peer.send(peer.y.append(" three"))  # in the room, not saved yet
        await peer.pump(0.2)
        version = (await _db(_section, section.pk)).version
        document = base64.b64encode(peer.y.doc.get_update()).decode()
        response = await sync_to_async(_editor_save, thread_sensitive=False)(
            alice, section, peer.y.body, document, version
        )
        assert response.status_code == 200, response.content
        assert (await _db(_section, section.pk)).body == "one two three"
        # The same Save again (a retry) changes nothing.
        again = await sync_to_async(_editor_save, thread_sensitive=False)(
            alice, section, peer.y.body, document, version + 1
        )
        assert again.status_code == 200, again.content
        await peer.pump(0.3)
        await peer.close()  # the room's save merges the stored state

    run(scenario())
    section.refresh_from_db()
    assert section.body == "one two three"
    state = Section.objects.filter(pk=section.pk).values_list("ystate", flat=True).get()
    assert body_of(new_doc(bytes(state))) == "one two three"


@pytest.mark.parametrize("garbage", ["not base64!", base64.b64encode(b"\x01\x02garbage").decode()])
def test_live_editor_save_with_an_unreadable_document_is_refused_whole(alice, live, garbage):
    design, section = live

    _typed_once(alice, design, section, "kept")
    section.refresh_from_db()
    stored = bytes(Section.objects.filter(pk=section.pk).values_list("ystate", flat=True).get())
    response = _editor_save(alice, section, "replaced", garbage, section.version)
    assert response.status_code == 400
    assert "could not be read" in response.content.decode()
    section.refresh_from_db()
    assert section.body == "kept"
    assert bytes(Section.objects.filter(pk=section.pk).values_list("ystate", flat=True).get()) == (
        stored
    )
