"""Review rounds: round 1 starts with the first request, the authors ask for a re-review,
reviewers see what changed since their last review, and comments and verdicts carry the
round they were given in."""

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from designs import services as design_services
from reviews import selectors, services
from reviews.models import Notification, ReviewRequest, ReviewRound
from reviews.signals import round_started
from tests.factories import UserFactory, add_comment, request_review

from .conftest import section_of

pytestmark = pytest.mark.django_db


def _edit(design, position: int, body: str, user) -> None:
    section = section_of(design, position)
    design_services.section_update(
        section=section, body=body, base_version=section.version, edited_by=user
    )


def test_the_first_review_request_starts_round_1_and_later_ones_do_not(design, alice, bob, carol):
    assert not ReviewRound.objects.filter(design=design).exists()
    request_review(design=design, reviewer=bob, requested_by=alice)
    request_review(design=design, reviewer=carol, requested_by=alice)
    (round_,) = ReviewRound.objects.filter(design=design)
    assert (round_.number, round_.started_by) == (1, alice)
    assert round_.revision == dict(design.sections.values_list("key", "version"))


def test_comments_and_verdicts_carry_the_round_they_were_given_in(reviewed, alice, bob):
    first = add_comment(section=section_of(reviewed), author=bob, raise_issue=True)
    verdict_1 = services.verdict_submit(design=reviewed, reviewer=bob, kind="request_changes")
    services.review_round_start(design=reviewed, started_by=alice)
    second = add_comment(section=section_of(reviewed), author=bob)
    reply = services.comment_reply(parent=first, author=alice, body="Fixed in round 2.")
    verdict_2 = services.verdict_submit(design=reviewed, reviewer=bob, kind="approve")

    assert first.round.number == 1 and verdict_1.round.number == 1
    assert second.round.number == 2 and reply.round.number == 2 and verdict_2.round.number == 2


def test_a_comment_before_any_review_has_no_round(design, alice):
    comment = add_comment(section=section_of(design), author=alice)
    assert comment.round is None


def test_requesting_a_rereview_starts_the_next_round_and_notifies_every_reviewer(
    reviewed, alice, bob, carol, member
):
    request_review(design=reviewed, reviewer=carol, requested_by=alice)
    services.verdict_submit(design=reviewed, reviewer=bob, kind="comment")
    heard = []

    def receiver(sender, **kwargs):
        heard.append(kwargs)

    round_started.connect(receiver)
    try:
        round_ = services.review_round_start(design=reviewed, started_by=member)
    finally:
        round_started.disconnect(receiver)

    assert (round_.number, round_.started_by) == (2, member)
    notes = Notification.objects.filter(kind=Notification.Kind.REREVIEW_REQUESTED)
    assert sorted(n.recipient.username for n in notes) == ["bob", "carol"]
    assert {n.url for n in notes} == {reverse("reviews:changes", args=[reviewed.pk])}
    assert "round 2" in notes[0].text
    assert heard == [
        {
            "signal": round_started,
            "design_id": reviewed.pk,
            "round_id": round_.pk,
            "number": 2,
            "started_by_id": member.pk,
        }
    ]
    # Back on the reviewers' waiting list: the request is newer than bob's verdict.
    assert [r.design for r in selectors.designs_waiting_for_review(fetched_by=bob)] == [reviewed]


def test_only_the_team_can_request_a_rereview(reviewed, bob, outsider):
    for user in (bob, outsider):
        with pytest.raises(PermissionError):
            services.review_round_start(design=reviewed, started_by=user)
    assert ReviewRound.objects.filter(design=reviewed).count() == 1


def test_a_rereview_needs_a_reviewer(design, alice, bob):
    with pytest.raises(ValidationError, match="request a review first"):
        services.review_round_start(design=design, started_by=alice)
    request_review(design=design, reviewer=bob, requested_by=alice)
    services.review_request_withdraw(design=design, reviewer=bob, withdrawn_by=alice)
    with pytest.raises(ValidationError):
        services.review_round_start(design=design, started_by=alice)
    assert ReviewRound.objects.filter(design=design).count() == 1


def test_a_rereview_keeps_the_approval_rules(reviewed, alice, bob):
    services.verdict_submit(design=reviewed, reviewer=bob, kind="approve")
    reviewed.refresh_from_db()
    assert reviewed.status == "approved"
    services.review_round_start(design=reviewed, started_by=alice)
    reviewed.refresh_from_db()
    assert reviewed.status == "approved"  # nothing changed: the approval still holds


# Changes since your last review ----------------------------------------------------------------


def test_changes_since_the_last_verdict_are_exactly_the_sections_edited_after_it(
    reviewed, alice, bob
):
    _edit(reviewed, 1, "Before the verdict.", alice)
    services.verdict_submit(design=reviewed, reviewer=bob, kind="request_changes")
    _edit(reviewed, 2, "Second, changed.", alice)
    _edit(reviewed, 4, "Fourth, changed.", alice)
    _edit(reviewed, 4, "Fourth, changed twice.", alice)
    services.review_round_start(design=reviewed, started_by=alice)

    sections = list(reviewed.sections.order_by("position"))
    changes = selectors.changes_since_last_review(design=reviewed, sections=sections, viewer=bob)

    assert changes.since == "verdict" and changes.round_number == 1
    assert [c.section.position for c in changes.changed] == [2, 4]
    assert [(c.from_version, c.to_version) for c in changes.changed] == [(0, 1), (0, 2)]
    assert "Fourth, changed twice." in changes.changed[1].lines.as_html()
    assert [s.position for s in changes.unchanged] == [
        s.position for s in sections if s.position not in (2, 4)
    ]


def test_changes_diff_from_the_version_reviewed(reviewed, alice, bob):
    _edit(reviewed, 1, "The old text.", alice)
    services.verdict_submit(design=reviewed, reviewer=bob, kind="comment")
    _edit(reviewed, 1, "The new text.", alice)
    sections = list(reviewed.sections.order_by("position"))
    (change,) = selectors.changes_since_last_review(
        design=reviewed, sections=sections, viewer=bob
    ).changed
    assert (change.from_version, change.to_version) == (1, 2)
    assert [line.kind for line in change.lines] == ["delete", "insert"]


def test_without_a_verdict_changes_count_from_the_round_the_reviewer_was_asked_in(
    reviewed, alice, bob
):
    _edit(reviewed, 3, "After the request.", alice)
    sections = list(reviewed.sections.order_by("position"))
    changes = selectors.changes_since_last_review(design=reviewed, sections=sections, viewer=bob)
    assert changes.since == "round" and changes.round_number == 1
    assert [c.section.position for c in changes.changed] == [3]


def test_the_changes_page_shows_the_changed_sections_diff_and_lists_the_others(
    client, reviewed, alice, bob
):
    services.verdict_submit(design=reviewed, reviewer=bob, kind="comment")
    _edit(reviewed, 2, "A brand new paragraph.", alice)
    client.force_login(bob)
    page = client.get(reverse("reviews:changes", args=[reviewed.pk])).content.decode()
    second = section_of(reviewed, 2)
    assert f'id="changed-{second.key}"' in page
    assert "A brand new paragraph." in page
    assert page.count('class="card changed-section"') == 1
    assert page.count('id="unchanged-') == reviewed.sections.count() - 1


def test_the_changes_page_is_404_for_outsiders(client, reviewed, outsider):
    client.force_login(outsider)
    assert client.get(reverse("reviews:changes", args=[reviewed.pk])).status_code == 404


def test_the_changes_page_costs_the_same_with_1_or_all_sections_changed(
    client, reviewed, alice, bob
):
    services.verdict_submit(design=reviewed, reviewer=bob, kind="comment")
    client.force_login(bob)
    url = reverse("reviews:changes", args=[reviewed.pk])
    _edit(reviewed, 1, "One.", alice)
    client.get(url)
    with CaptureQueriesContext(connection) as one:
        client.get(url)
    for position in range(2, reviewed.sections.count() + 1):
        _edit(reviewed, position, f"Changed {position}.", alice)
    with CaptureQueriesContext(connection) as every:
        response = client.get(url)
    assert response.content.decode().count('class="card changed-section"') > 3
    assert len(every) == len(one)


def test_changes_page_query_budget(client, reviewed, alice, bob, django_assert_max_num_queries):
    services.verdict_submit(design=reviewed, reviewer=bob, kind="comment")
    for position in range(1, 4):
        _edit(reviewed, position, f"Changed {position}.", alice)
    client.force_login(bob)
    with django_assert_max_num_queries(9):
        assert client.get(reverse("reviews:changes", args=[reviewed.pk])).status_code == 200


# The rounds panel and the re-review button -----------------------------------------------------


def test_the_design_page_lists_each_round_with_its_verdicts(client, reviewed, alice, bob, carol):
    request_review(design=reviewed, reviewer=carol, requested_by=alice)
    services.verdict_submit(design=reviewed, reviewer=bob, kind="request_changes")
    services.review_round_start(design=reviewed, started_by=alice)
    services.verdict_submit(design=reviewed, reviewer=bob, kind="approve")
    client.force_login(alice)
    page = client.get(reviewed.get_absolute_url()).content.decode()
    panel = page[page.index('id="review-rounds"') :]
    round_2 = panel[panel.index('id="round-2"') : panel.index('id="round-1"')]
    round_1 = panel[panel.index('id="round-1"') :]
    assert "bob:" in round_2 and "Approved" in round_2
    assert "carol:" in round_2 and "Waiting" in round_2
    assert "Changes requested" in round_1
    assert "Request re-review" in panel


def test_the_design_page_shows_the_round_of_each_comment(client, reviewed, alice, bob):
    add_comment(section=section_of(reviewed), author=bob, body="In the first round.")
    services.review_round_start(design=reviewed, started_by=alice)
    add_comment(section=section_of(reviewed), author=bob, body="In the second round.")
    client.force_login(alice)
    page = client.get(reviewed.get_absolute_url()).content.decode()
    assert page.count('class="round-tag tag">round 1<') == 1
    assert page.count('class="round-tag tag">round 2<') == 1


def test_reviewers_see_no_rereview_button(client, reviewed, bob):
    client.force_login(bob)
    page = client.get(reviewed.get_absolute_url()).content.decode()
    assert 'id="review-rounds"' in page and "Request re-review" not in page


def test_request_rereview_with_htmx_answers_the_rounds_panel(client, reviewed, alice):
    client.force_login(alice)
    response = client.post(
        reverse("reviews:round_start", args=[reviewed.pk]), HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert body.lstrip().startswith('<section class="review-rounds"')
    assert 'id="round-2"' in body and "Round 2 started" in body


def test_request_rereview_without_htmx_goes_back_to_the_rounds(client, reviewed, alice):
    client.force_login(alice)
    response = client.post(reverse("reviews:round_start", args=[reviewed.pk]))
    assert response.status_code == 302
    assert response["Location"].endswith("#review-rounds")
    assert ReviewRound.objects.filter(design=reviewed).count() == 2


def test_a_reviewer_cannot_request_a_rereview(client, reviewed, bob):
    client.force_login(bob)
    response = client.post(reverse("reviews:round_start", args=[reviewed.pk]))
    assert response.status_code == 403
    assert ReviewRound.objects.filter(design=reviewed).count() == 1


def test_request_rereview_with_nobody_to_ask_is_a_clear_400(client, design, alice):
    client.force_login(alice)
    response = client.post(reverse("reviews:round_start", args=[design.pk]))
    assert response.status_code == 400
    assert "request a review first" in response.content.decode()


def test_the_design_page_costs_the_same_with_1_or_8_rounds(client, reviewed, alice, bob):
    from tests.perf.test_queries import _page_costs

    client.force_login(alice)
    small = _page_costs(client, reviewed.get_absolute_url())
    for n in range(7):
        services.verdict_submit(design=reviewed, reviewer=bob, kind="comment")
        extra = UserFactory(username=f"extra{n}")
        request_review(design=reviewed, reviewer=extra, requested_by=alice)
        services.verdict_submit(design=reviewed, reviewer=extra, kind="approve")
        services.review_round_start(design=reviewed, started_by=alice)
    assert ReviewRequest.objects.filter(design=reviewed).count() == 8
    assert _page_costs(client, reviewed.get_absolute_url()) == small
