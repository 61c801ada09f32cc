"""The live socket of the design page: updates rendered per reader, presence, catching up."""

import json
import time

import pytest
from asgiref.sync import sync_to_async
from django.test import Client

from designs import services as design_services
from designs.models import DesignReader
from realtime import live, presence
from realtime.consumers.base import CLOSE_ACCESS_LOST, CLOSE_BAD_MESSAGE
from reviews import services as review_services
from tests.factories import UserFactory, add_comment, make_design, request_review
from tests.realtime.conftest import communicator, run, section_path, session_cookie

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _quick_presence(settings):
    settings.CRIT_REALTIME_PRESENCE_TTL_SECONDS = 1.0
    settings.CRIT_REALTIME_PRESENCE_HEARTBEAT_SECONDS = 0.25


def live_path(design) -> str:
    return f"/ws/designs/{design.pk}/live"


async def until(client, found, *, timeout: float = 5.0) -> str:
    """The first message ``found(message)`` accepts; fails after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    seen = []
    while (left := deadline - time.monotonic()) > 0:
        try:
            message = await client.receive_from(timeout=left)
        except TimeoutError:
            break
        if found(message):
            return message
        seen.append(message[:200])
    raise AssertionError(f"nothing matched within {timeout}s; saw {seen}")


@pytest.fixture
def world(alice, team):
    design = make_design(team=team, author=alice, title="Live")
    reviewer = UserFactory(username="rita")
    request_review(design=design, reviewer=reviewer, requested_by=alice)
    key = design.sections.order_by("position").first().key
    return design, reviewer, key


def test_outsider_socket_refused(world, outsider):
    design, _, _ = world

    async def scenario():
        client = communicator(live_path(design), session=session_cookie(outsider))
        connected, _ = await client.connect(timeout=5)
        await client.disconnect()
        return connected

    assert not run(scenario())


def test_anonymous_socket_refused_and_user_socket_too(world):
    design, _, _ = world

    async def scenario():
        results = []
        for path in (live_path(design), "/ws/live"):
            client = communicator(path)
            connected, _ = await client.connect(timeout=5)
            await client.disconnect()
            results.append(connected)
        return results

    assert run(scenario()) == [False, False]


def test_reader_sees_a_comment_without_reload(alice, world):
    design, reviewer, key = world
    section = design.sections.get(key=key)

    async def scenario():
        client = communicator(live_path(design), session=session_cookie(reviewer))
        assert (await client.connect(timeout=5))[0]
        await sync_to_async(review_services.comment_add)(
            section=section, author=alice, body="Why **three** replicas?", raise_issue=True
        )
        message = await until(client, lambda m: f'id="threads-{key}"' in m)
        await client.disconnect()
        return message

    message = run(scenario())
    assert "<strong>three</strong>" in message
    assert 'id="issue-summary"' in message and 'id="design-status"' in message
    assert "1 open issue" in message


def test_each_reader_gets_the_card_as_they_may_see_it(alice, world):
    """The same save reaches a member with the Edit button and a reviewer without it."""
    design, reviewer, key = world
    section = design.sections.get(key=key)
    edit_url = f"/designs/{design.pk}/sections/{key}/edit"

    async def scenario():
        member = communicator(live_path(design), session=session_cookie(alice))
        reader = communicator(live_path(design), session=session_cookie(reviewer))
        assert (await member.connect(timeout=5))[0] and (await reader.connect(timeout=5))[0]
        await sync_to_async(design_services.section_update)(
            section=section, body="We keep **two** copies.", base_version=0, edited_by=alice
        )
        card = f'id="section-{key}"'
        member_card = await until(member, lambda m: card in m)
        reader_card = await until(reader, lambda m: card in m)
        await member.disconnect()
        await reader.disconnect()
        return member_card, reader_card

    member_card, reader_card = run(scenario())
    for card in (member_card, reader_card):
        assert "<strong>two</strong>" in card and 'id="toc-coverage"' in card
    assert edit_url in member_card
    assert edit_url not in reader_card


def test_a_save_that_changes_estimates_pushes_every_card_that_quotes_them(alice, world):
    """Saving the section that defines a value pushes the cards that quote it too: the
    open page shows the new value everywhere without a reload."""
    design, _reviewer, key = world
    quoting = design.sections.get(key=key)
    defining = design.sections.get(key="resource-estimation")
    design_services.section_update(
        section=defining, body="```calc\nqps = 10 / s\n```", base_version=0, edited_by=alice
    )
    design_services.section_update(
        section=quoting, body="Peak: {{ qps }}.", base_version=0, edited_by=alice
    )
    card = f'id="section-{key}"'

    async def scenario():
        page = communicator(live_path(design), session=session_cookie(alice))
        assert (await page.connect(timeout=5))[0]
        await sync_to_async(design_services.section_update)(
            section=design.sections.get(key="resource-estimation"),
            body="```calc\nqps = 20 / s\n```",
            base_version=1,
            edited_by=alice,
        )
        message = await until(page, lambda m: card in m)
        await page.disconnect()
        return message

    message = run(scenario())
    quoted = message[message.index(card) :]
    assert "20" in quoted.split("</article>")[0]


def test_verdict_and_review_request_reach_the_page(alice, world):
    design, reviewer, _ = world

    async def scenario():
        client = communicator(live_path(design), session=session_cookie(alice))
        assert (await client.connect(timeout=5))[0]
        await sync_to_async(review_services.verdict_submit)(
            design=design, reviewer=reviewer, kind="request_changes", summary="Not yet."
        )
        panel = await until(client, lambda m: 'id="review-panel"' in m)
        await client.disconnect()
        return panel

    panel = run(scenario())
    assert "verdict-request_changes" in panel and "<p>Not yet.</p>" in panel
    assert 'class="status status-changes_requested"' in panel


def test_inbox_count_reaches_every_page(alice, world):
    design, reviewer, key = world
    section = design.sections.get(key=key)

    async def scenario():
        anywhere = communicator("/ws/live", session=session_cookie(alice))
        assert (await anywhere.connect(timeout=5))[0]
        await sync_to_async(review_services.comment_add)(
            section=section, author=reviewer, body="A question."
        )
        message = await until(anywhere, lambda m: 'id="nav-inbox"' in m)
        await anywhere.disconnect()
        return message

    message = run(scenario())
    assert 'class="badge"' in message and "1 unread" in message


def test_withdrawn_reader_socket_closes(alice, world):
    design, reviewer, _ = world

    async def scenario():
        client = communicator(live_path(design), session=session_cookie(reviewer))
        assert (await client.connect(timeout=5))[0]
        await sync_to_async(review_services.review_request_withdraw)(
            design=design, reviewer=reviewer, withdrawn_by=alice
        )
        while True:
            output = await client.receive_output(timeout=5)
            if output["type"] == "websocket.close":
                return output["code"]

    assert run(scenario()) == CLOSE_ACCESS_LOST


def test_a_page_that_lost_access_gets_nothing_more(alice, world):
    """Even an update already on its way is not rendered for someone who lost access."""
    design, reviewer, key = world
    section = design.sections.get(key=key)

    async def scenario():
        client = communicator(live_path(design), session=session_cookie(reviewer))
        assert (await client.connect(timeout=5))[0]
        # Access ends without the access.changed event (lost, or not sent yet).
        readers = DesignReader.objects.filter(design=design)
        await sync_to_async(readers._raw_delete)(readers.db)
        await sync_to_async(design_services.section_update)(
            section=section, body="Secret plans.", base_version=0, edited_by=alice
        )
        messages = []
        while True:
            output = await client.receive_output(timeout=5)
            if output["type"] == "websocket.close":
                return output["code"], messages
            messages.append(output.get("text", ""))

    code, messages = run(scenario())
    assert code == CLOSE_ACCESS_LOST
    assert not any("Secret plans" in m for m in messages)


def test_catch_up_after_reconnect_sends_every_card(alice, world):
    design, _, _ = world

    async def scenario():
        client = communicator(live_path(design), session=session_cookie(alice))
        assert (await client.connect(timeout=5))[0]
        await client.send_to(text_data=json.dumps({"catch_up": True}))
        inbox = await until(client, lambda m: 'id="nav-inbox"' in m)
        cards = await until(client, lambda m: 'id="review-panel"' in m)
        await client.disconnect()
        return inbox, cards

    inbox, cards = run(scenario())
    assert 'class="nav-inbox"' in inbox
    assert cards.count('<article class="section') == design.sections.count()
    assert 'id="export-list"' in cards and 'id="design-meta"' in cards


def test_bad_message_closes_the_socket(alice, world):
    design, _, _ = world

    async def scenario():
        client = communicator(live_path(design), session=session_cookie(alice))
        assert (await client.connect(timeout=5))[0]
        await client.send_to(text_data='{"update": "<script>"}')
        while True:
            output = await client.receive_output(timeout=5)
            if output["type"] == "websocket.close":
                return output["code"]

    assert run(scenario()) == CLOSE_BAD_MESSAGE


# Presence ------------------------------------------------------------------------------------


def test_presence_appears_and_goes_when_a_person_leaves(alice, world):
    design, reviewer, _ = world

    async def scenario():
        mine = communicator(live_path(design), session=session_cookie(alice))
        assert (await mine.connect(timeout=5))[0]
        theirs = communicator(live_path(design), session=session_cookie(reviewer))
        assert (await theirs.connect(timeout=5))[0]
        started = time.monotonic()
        shown = await until(mine, lambda m: 'id="presence"' in m and "rita" in m, timeout=2)
        appeared = time.monotonic() - started
        await theirs.disconnect()
        await until(mine, lambda m: 'id="presence"' in m and "rita" not in m, timeout=2)
        await mine.disconnect()
        return shown, appeared

    shown, appeared = run(scenario())
    assert appeared < 1.0
    assert ">RI<" in shown.replace(" ", "").replace("\n", "")
    assert "presence-c" in shown


def test_presence_of_a_dead_process_expires(alice, world, settings):
    """A socket whose process was killed never says goodbye: its entry just stops being
    renewed and is gone after the time to live."""
    design, reviewer, _ = world

    class Ghost:  # what a socket on a killed process left behind
        design_id, user, channel_name = design.pk, reviewer, "specific.ghost!1"

    async def scenario():
        mine = communicator(live_path(design), session=session_cookie(alice))
        assert (await mine.connect(timeout=5))[0]
        await presence.enter(Ghost())
        presence._beats.pop((Ghost.channel_name, "")).task.cancel()  # the process dies
        await until(mine, lambda m: 'id="presence"' in m and "rita" in m, timeout=2)
        died = time.monotonic()
        await until(mine, lambda m: 'id="presence"' in m and "rita" not in m, timeout=5)
        gone = time.monotonic() - died
        await mine.disconnect()
        return gone

    gone = run(scenario())
    assert (
        gone
        <= settings.CRIT_REALTIME_PRESENCE_TTL_SECONDS
        + 2 * settings.CRIT_REALTIME_PRESENCE_HEARTBEAT_SECONDS
    )


def test_editing_presence_shows_on_the_section(alice, world):
    design, reviewer, key = world

    async def scenario():
        mine = communicator(live_path(design), session=session_cookie(reviewer))
        assert (await mine.connect(timeout=5))[0]
        editor = communicator(section_path(design, key), session=session_cookie(alice))
        assert (await editor.connect(timeout=5))[0]
        editing = await until(mine, lambda m: f'id="editors-{key}"' in m and "alice" in m)
        await editor.disconnect()
        await until(
            mine, lambda m: f'id="editors-{key}"' in m and "alice is editing" not in m, timeout=3
        )
        await mine.disconnect()
        return editing

    assert "alice is editing" in run(scenario())


# Rendering cost ------------------------------------------------------------------------------


def test_pushed_fragments_cost_the_same_queries_whatever_the_size(
    alice, world, django_assert_max_num_queries
):
    design, reviewer, key = world
    sections = list(design.sections.order_by("position"))
    for section in sections[:5]:
        for n in range(6):
            add_comment(section=section, author=reviewer, body=f"Comment {n}")
    client = Client()
    client.force_login(reviewer)
    request = live.request_for({"session": client.session, "cookies": {}}, reviewer)
    everything = live.Changes(
        sections={s.key for s in sections[:5]}, threads={key}, review=True, exports=True
    )
    # The design page's own budget (its links panel, section owners, required sign-offs and
    # review rounds included), whatever the size.
    with django_assert_max_num_queries(17):
        html = live.render_changes(request=request, design_id=design.pk, changes=everything)
    assert html.count('<article class="section') == 5
    # Rendered again (the cards and threads now cached), the cost does not grow.
    with django_assert_max_num_queries(16):
        live.render_changes(request=request, design_id=design.pk, changes=everything)


def test_inbox_socket_closes_when_its_session_signs_out(alice):
    client = Client()
    client.force_login(alice)
    session = client.cookies["sessionid"].value

    async def scenario():
        socket = communicator("/ws/live", session=session)
        assert (await socket.connect(timeout=5))[0]
        await sync_to_async(client.post)("/accounts/logout/")
        while True:
            output = await socket.receive_output(timeout=5)
            if output["type"] == "websocket.close":
                return output["code"]

    assert run(scenario()) == CLOSE_ACCESS_LOST
