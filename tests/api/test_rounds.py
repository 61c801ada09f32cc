"""The API's review rounds: request a re-review, list rounds, changes since my last review."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from designs import services as design_services
from reviews import services
from reviews.models import Notification, ReviewRound
from tests.factories import UserFactory, add_comment, request_review

pytestmark = pytest.mark.django_db


@pytest.fixture
def bob_reviews(design, alice, bob):
    request_review(design=design, reviewer=bob, requested_by=alice)
    return design


def _edit(design, position: int, body: str, user) -> None:
    section = design.sections.get(position=position)
    design_services.section_update(
        section=section, body=body, base_version=section.version, edited_by=user
    )


def test_a_member_requests_a_rereview(owner_client, bob_reviews, bob):
    services.verdict_submit(design=bob_reviews, reviewer=bob, kind="request_changes")
    response = owner_client.post_json(f"/api/v1/designs/{bob_reviews.pk}/rounds")
    assert response.status_code == 201, response.content
    data = response.json()
    assert (data["number"], data["started_by"]) == (2, "alice")
    assert data["verdicts"] == [] and data["waiting"] == ["bob"]
    assert Notification.objects.filter(recipient=bob, kind="rereview_requested").count() == 1


def test_a_reviewer_cannot_request_a_rereview(api_for, bob_reviews, bob):
    response = api_for(bob).post_json(f"/api/v1/designs/{bob_reviews.pk}/rounds")
    assert response.status_code == 403
    assert ReviewRound.objects.filter(design=bob_reviews).count() == 1


def test_an_outsider_gets_404(api_for, bob_reviews, outsider):
    client = api_for(outsider)
    assert client.post_json(f"/api/v1/designs/{bob_reviews.pk}/rounds").status_code == 404
    assert client.get(f"/api/v1/designs/{bob_reviews.pk}/rounds").status_code == 404
    assert client.get(f"/api/v1/designs/{bob_reviews.pk}/changes").status_code == 404


def test_a_rereview_with_nobody_reviewing_is_a_422(owner_client, design):
    response = owner_client.post_json(f"/api/v1/designs/{design.pk}/rounds")
    assert response.status_code == 422
    assert "request a review first" in response.content.decode()


def test_rounds_are_listed_newest_first_with_their_verdicts(api_for, bob_reviews, alice, bob):
    services.verdict_submit(design=bob_reviews, reviewer=bob, kind="request_changes")
    services.review_round_start(design=bob_reviews, started_by=alice)
    services.verdict_submit(design=bob_reviews, reviewer=bob, kind="approve")
    data = api_for(bob).get(f"/api/v1/designs/{bob_reviews.pk}/rounds").json()
    assert [r["number"] for r in data] == [2, 1]
    assert [(v["reviewer"], v["verdict"]) for v in data[0]["verdicts"]] == [("bob", "approve")]
    assert [(v["reviewer"], v["verdict"]) for v in data[1]["verdicts"]] == [
        ("bob", "request_changes")
    ]


def test_comments_and_verdicts_say_their_round(api_for, owner_client, bob_reviews, alice, bob):
    section = bob_reviews.sections.get(position=1)
    add_comment(section=section, author=bob, body="Round one.")
    services.review_round_start(design=bob_reviews, started_by=alice)
    verdict = api_for(bob).post_json(
        f"/api/v1/designs/{bob_reviews.pk}/reviews", {"verdict": "comment"}
    )
    assert verdict.json()["round"] == 2
    threads = owner_client.get(
        f"/api/v1/designs/{bob_reviews.pk}/sections/{section.key}/comments"
    ).json()["items"]
    assert [t["round"] for t in threads] == [1]


def test_changes_since_my_last_review_as_json(api_for, bob_reviews, alice, bob):
    _edit(bob_reviews, 1, "Old line.", alice)
    services.verdict_submit(design=bob_reviews, reviewer=bob, kind="comment")
    _edit(bob_reviews, 1, "New line.", alice)
    _edit(bob_reviews, 3, "Added <b>here</b>.", alice)
    data = api_for(bob).get(f"/api/v1/designs/{bob_reviews.pk}/changes").json()
    assert data["since"] == "verdict" and data["round"] == 1
    keys = [s.key for s in bob_reviews.sections.order_by("position")]
    assert [c["key"] for c in data["changed"]] == [keys[0], keys[2]]
    first, third = data["changed"]
    assert (first["from_version"], first["to_version"]) == (1, 2)
    assert first["lines"] == [
        {"op": "delete", "text": "Old line."},
        {"op": "insert", "text": "New line."},
    ]
    assert third["lines"] == [{"op": "insert", "text": "Added <b>here</b>."}]
    assert [u["key"] for u in data["unchanged"]] == [
        k for k in keys if k not in first["key"] + third["key"]
    ]


def test_rounds_and_changes_cost_the_same_with_1_or_8_rounds(api_for, bob_reviews, alice, bob):
    client = api_for(bob)

    def costs() -> tuple[int, int]:
        out = []
        for path in ("rounds", "changes"):
            client.get(f"/api/v1/designs/{bob_reviews.pk}/{path}")
            with CaptureQueriesContext(connection) as queries:
                assert client.get(f"/api/v1/designs/{bob_reviews.pk}/{path}").status_code == 200
            out.append(len(queries))
        return out[0], out[1]

    _edit(bob_reviews, 1, "Reviewed.", alice)
    services.verdict_submit(design=bob_reviews, reviewer=bob, kind="comment")
    _edit(bob_reviews, 1, "Changed after the review.", alice)
    small = costs()  # one round, one changed section
    for n in range(7):
        extra = UserFactory(username=f"extra{n}")
        request_review(design=bob_reviews, reviewer=extra, requested_by=alice)
        services.verdict_submit(design=bob_reviews, reviewer=extra, kind="approve")
        services.review_round_start(design=bob_reviews, started_by=alice)
        _edit(bob_reviews, n + 1, f"Edit {n}.", alice)
    services.verdict_submit(design=bob_reviews, reviewer=bob, kind="comment")
    _edit(bob_reviews, 2, "After bob's verdict.", alice)
    _edit(bob_reviews, 5, "After bob's verdict.", alice)
    assert costs() == small
