"""Who may open a design socket, and closing it when access ends."""

import asyncio

import pytest
from asgiref.sync import sync_to_async
from django.db import connections
from django.test import Client

from accounts.models import Membership
from realtime.consumers.base import CLOSE_ACCESS_LOST
from tests.factories import MembershipFactory, UserFactory, make_design, request_review
from tests.realtime.conftest import communicator, run, section_path, session_cookie

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def shared(alice, team):
    design = make_design(team=team, author=alice, title="Live")
    return design, design.sections.order_by("position").first().key


async def _handshake(path: str, **kwargs) -> tuple[bool, object]:
    client = communicator(path, **kwargs)
    connected, code = await client.connect(timeout=5)
    await client.disconnect()
    return connected, code


def test_member_opens_socket(alice, shared):
    design, key = shared
    connected, _ = run(_handshake(section_path(design, key), session=session_cookie(alice)))
    assert connected


def test_reviewer_opens_socket(alice, shared):
    design, key = shared
    reviewer = UserFactory(username="rita")
    request_review(design=design, reviewer=reviewer, requested_by=alice)
    connected, _ = run(_handshake(section_path(design, key), session=session_cookie(reviewer)))
    assert connected


def test_anonymous_socket_refused(shared):
    design, key = shared
    connected, _ = run(_handshake(section_path(design, key)))
    assert not connected


def test_bad_origin_refused(alice, shared):
    design, key = shared
    connected, _ = run(
        _handshake(
            section_path(design, key),
            session=session_cookie(alice),
            origin="https://evil.example",
        )
    )
    assert not connected


def test_outsider_refused_like_a_missing_design(alice, outsider, shared):
    design, key = shared
    session = session_cookie(outsider)
    outsider_answer = run(_handshake(section_path(design, key), session=session))
    missing_answer = run(
        _handshake(f"/ws/designs/{design.pk + 1000}/sections/{key}", session=session)
    )
    assert outsider_answer == missing_answer == (False, 1000)


def test_unknown_section_refused(alice, shared):
    design, _ = shared
    connected, _ = run(
        _handshake(section_path(design, "no-such-section"), session=session_cookie(alice))
    )
    assert not connected


async def _closed_after(path: str, session: str, action, *, within: float = 5.0):
    """Open a socket, run ``action`` (sync, in a worker thread), and answer the close code
    the socket got within ``within`` seconds (None if it stayed open)."""
    client = communicator(path, session=session)
    connected, _ = await client.connect(timeout=5)
    assert connected

    def act() -> None:
        try:
            action()
        finally:
            connections.close_all()

    await sync_to_async(act, thread_sensitive=False)()
    deadline = asyncio.get_running_loop().time() + within
    try:
        while asyncio.get_running_loop().time() < deadline:
            if await client.receive_nothing(timeout=0.2):
                continue
            message = await client.receive_output()
            if message["type"] == "websocket.close":
                return message.get("code")
        return None
    finally:
        await client.disconnect()


def test_removed_member_socket_closes(alice, team, shared):
    design, key = shared
    member = MembershipFactory(team=team, user=UserFactory(username="max")).user

    def remove() -> None:
        Membership.objects.filter(team=team, user=member).delete()

    code = run(_closed_after(section_path(design, key), session_cookie(member), remove))
    assert code == CLOSE_ACCESS_LOST


def test_withdrawn_reviewer_socket_closes(alice, shared):
    design, key = shared
    reviewer = UserFactory(username="rita")
    request_review(design=design, reviewer=reviewer, requested_by=alice)

    def withdraw() -> None:
        from reviews.services import review_request_withdraw

        review_request_withdraw(design=design, reviewer=reviewer, withdrawn_by=alice)

    code = run(_closed_after(section_path(design, key), session_cookie(reviewer), withdraw))
    assert code == CLOSE_ACCESS_LOST


def test_member_socket_stays_open_while_access_lasts(alice, team, shared, settings):
    design, key = shared
    settings.CRIT_REALTIME_RECHECK_SECONDS = 0.2
    member = MembershipFactory(team=team, user=UserFactory(username="max")).user
    other = UserFactory(username="other")

    def unrelated() -> None:
        from realtime.services import access_changed

        access_changed(user_ids=[member.pk, other.pk])

    code = run(
        _closed_after(section_path(design, key), session_cookie(member), unrelated, within=1.5)
    )
    assert code is None


def test_signed_out_socket_closes(alice, shared):
    design, key = shared
    client = Client()
    client.force_login(alice)
    session = client.cookies["sessionid"].value

    code = run(
        _closed_after(section_path(design, key), session, lambda: client.post("/accounts/logout/"))
    )
    assert code == CLOSE_ACCESS_LOST


def test_password_change_closes_socket(alice, shared):
    design, key = shared

    def change() -> None:
        alice.set_password("a whole new secret 123")
        alice.save()

    code = run(_closed_after(section_path(design, key), session_cookie(alice), change))
    assert code == CLOSE_ACCESS_LOST


def test_periodic_recheck_closes_socket_without_event(alice, team, shared, settings):
    design, key = shared
    settings.CRIT_REALTIME_RECHECK_SECONDS = 0.3
    member = MembershipFactory(team=team, user=UserFactory(username="max")).user

    def remove_quietly() -> None:
        # A raw delete sends no signal: only the periodic re-check can notice.
        Membership.objects.filter(team=team, user=member)._raw_delete("default")

    code = run(_closed_after(section_path(design, key), session_cookie(member), remove_quietly))
    assert code == CLOSE_ACCESS_LOST
