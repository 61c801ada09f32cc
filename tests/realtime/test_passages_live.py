"""Passages and suggestions with the live editor: a save from the live room re-anchors the
threads on passages, and an applied suggestion reaches the open live editors like any other
save that did not come from the room."""

import pytest

from designs.models import Section
from reviews import services as review_services
from reviews.models import CommentAnchor, Suggestion
from tests.factories import make_design, request_review
from tests.realtime.conftest import run, section_path, session_cookie
from tests.realtime.test_document import Peer, _db, _saved_body, _wait_for

pytestmark = pytest.mark.django_db(transaction=True)

PASSAGE = "Reads go to the replicas"


@pytest.fixture(autouse=True)
def _quick_saves(settings):
    settings.CRIT_REALTIME_SAVE_IDLE_SECONDS = 0.3
    settings.CRIT_REALTIME_SAVE_MAX_SECONDS = 1.0
    settings.CRIT_REALTIME_RESYNC_SECONDS = 0.5


@pytest.fixture
def live(alice, bob, team):
    design = make_design(team=team, author=alice, title="Live")
    request_review(design=design, reviewer=bob, requested_by=alice)
    section = design.sections.order_by("position").first()
    return design, section


def _anchor_on(bob, section_pk: int, *, replacement: str | None = None) -> int:
    section = Section.objects.select_related("design").get(pk=section_pk)
    comment = review_services.comment_add(
        section=section,
        author=bob,
        body="Which ones?",
        passage=review_services.PassageInput(exact=PASSAGE),
        replacement=replacement,
    )
    return comment.pk


def _apply(alice, suggestion_pk: int) -> None:
    suggestion = Suggestion.objects.select_related("design").get(pk=suggestion_pk)
    review_services.suggestion_apply(suggestion=suggestion, applied_by=alice)


def test_a_save_from_the_live_room_re_anchors_the_passages(alice, bob, live):
    design, section = live

    async def scenario():
        peer = Peer(section_path(design, section.key), session_cookie(alice))
        assert await peer.open()
        await peer.send(peer.y.append(PASSAGE + "."))
        assert await _wait_for(lambda: _saved_body(section.pk)(PASSAGE + "."), peers=[peer])
        thread_pk = await _db(_anchor_on, bob, section.pk)
        await peer.send(peer.y.append("\n\nMore, typed live."))
        saved = await _wait_for(
            lambda: _saved_body(section.pk)(PASSAGE + ".\n\nMore, typed live."), peers=[peer]
        )
        await peer.close()
        return thread_pk, saved

    thread_pk, saved = run(scenario())
    assert saved
    anchor = CommentAnchor.objects.get(pk=thread_pk)
    section.refresh_from_db()
    assert (anchor.status, anchor.exact, anchor.section_version) == (
        "anchored",
        PASSAGE,
        section.version,
    )


def test_an_applied_suggestion_reaches_the_open_live_editors(alice, bob, live):
    design, section = live
    expected = "Reads go to the nearest replica."

    async def scenario():
        peer = Peer(section_path(design, section.key), session_cookie(alice))
        assert await peer.open()
        await peer.send(peer.y.append(PASSAGE + "."))
        assert await _wait_for(lambda: _saved_body(section.pk)(PASSAGE + "."), peers=[peer])
        thread_pk = await _db(
            _anchor_on, bob, section.pk, replacement="Reads go to the nearest replica"
        )
        await _db(_apply, alice, thread_pk)
        await peer.pump(0.5)
        seen = peer.y.body
        await peer.close()
        return seen

    assert run(scenario()) == expected
    section.refresh_from_db()
    assert section.body == expected
