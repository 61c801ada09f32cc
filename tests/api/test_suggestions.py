"""The API's passages and suggested edits: anchors in and out of threads; create, list,
apply and dismiss suggestions."""

import pytest

from designs import services as design_services
from designs.models import Revision, Section
from reviews.models import CommentAnchor, Suggestion
from tests.factories import request_review

pytestmark = pytest.mark.django_db

KEY = "who-is-your-customer"
TEXT = "Reads go to the replicas; writes go to the primary.\n\nSessions live in Redis."
PASSAGE = "Reads go to the replicas"


@pytest.fixture
def section(design, alice):
    section = design.sections.get(key=KEY)
    return design_services.section_update(
        section=section, body=TEXT, base_version=section.version, edited_by=alice
    )


@pytest.fixture
def bob_client(api_for, design, alice, bob):
    request_review(design=design, reviewer=bob, requested_by=alice)
    return api_for(bob)


def url(design, what="suggestions") -> str:
    return f"/api/v1/designs/{design.pk}/sections/{KEY}/{what}"


ANCHOR = {"exact": PASSAGE, "prefix": "", "suffix": "; writes", "start": 0, "end": 24}


def test_a_comment_on_a_passage_returns_its_anchor(bob_client, design, section):
    response = bob_client.post_json(url(design, "comments"), {"body": "Why?", "anchor": ANCHOR})
    assert response.status_code == 201, response.content
    anchor = response.json()["anchor"]
    assert anchor["exact"] == PASSAGE and anchor["status"] == "anchored"
    assert anchor["section_version"] == section.version
    listed = bob_client.get(url(design, "comments")).json()["items"][0]
    assert listed["anchor"]["exact"] == PASSAGE
    assert listed["suggestion"] is None


def test_an_anchor_not_in_the_text_is_a_422_on_anchor(bob_client, design, section):
    response = bob_client.post_json(
        url(design, "comments"),
        {"body": "Why?", "anchor": {"exact": "Nobody wrote anything like this at all"}},
    )
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "anchor"]
    assert not CommentAnchor.objects.exists()


def test_a_reply_cannot_carry_an_anchor(bob_client, design, section):
    thread = bob_client.post_json(url(design, "comments"), {"body": "Why?"}).json()
    response = bob_client.post_json(
        url(design, "comments"), {"body": "Re", "parent_id": thread["id"], "anchor": ANCHOR}
    )
    assert response.status_code == 422


def test_create_list_and_apply_a_suggestion(bob_client, owner_client, design, section, alice, bob):
    created = bob_client.post_json(
        url(design), {"replacement": "Reads go to the nearest replica", "anchor": ANCHOR}
    )
    assert created.status_code == 201, created.content
    thread = created.json()
    assert thread["suggestion"]["status"] == "open"
    assert {"kind": "added", "text": "nearest replica"} in thread["suggestion"]["diff"]

    listed = bob_client.get(url(design)).json()
    assert [t["id"] for t in listed["items"]] == [thread["id"]]

    applied = owner_client.post_json(f"/api/v1/suggestions/{thread['id']}/apply")
    assert applied.status_code == 200, applied.content
    suggestion = applied.json()["suggestion"]
    assert suggestion["status"] == "applied" and suggestion["decided_by"] == "alice"
    revision = Revision.objects.get(section=section, version=suggestion["applied_version"])
    assert revision.author == alice and list(revision.co_authors.all()) == [bob]


def test_a_reviewer_cannot_apply(bob_client, design, section):
    thread = bob_client.post_json(url(design), {"replacement": "All new."}).json()
    assert bob_client.post_json(f"/api/v1/suggestions/{thread['id']}/apply").status_code == 403
    assert Suggestion.objects.get().status == "open"


def test_apply_after_the_passage_changed_is_a_409(bob_client, owner_client, design, section, alice):
    thread = bob_client.post_json(
        url(design), {"replacement": "Reads go anywhere", "anchor": ANCHOR}
    ).json()
    current = Section.objects.get(pk=section.pk)
    changed = design_services.section_update(
        section=current,
        body=TEXT.replace("the replicas", "any replica"),
        base_version=current.version,
        edited_by=alice,
    )
    response = owner_client.post_json(f"/api/v1/suggestions/{thread['id']}/apply")
    assert response.status_code == 409
    assert response.json()["section_version"] == changed.version
    assert Section.objects.get(pk=section.pk).version == changed.version


def test_dismiss_with_a_reply(bob_client, owner_client, design, section):
    thread = bob_client.post_json(url(design), {"replacement": "All new."}).json()
    path = f"/api/v1/suggestions/{thread['id']}/dismiss"
    assert owner_client.post_json(path, {"body": ""}).status_code == 422
    response = owner_client.post_json(path, {"body": "Not this time."})
    assert response.status_code == 200
    body = response.json()
    assert body["suggestion"]["status"] == "dismissed"
    assert body["replies"][0]["body"] == "Not this time."


def test_a_thread_without_a_suggestion_is_404_to_apply(bob_client, owner_client, design, section):
    thread = bob_client.post_json(url(design, "comments"), {"body": "Hi"}).json()
    assert owner_client.post_json(f"/api/v1/suggestions/{thread['id']}/apply").status_code == 404


def test_outsiders_get_404(api_for, other_team_user, bob_client, design, section):
    thread = bob_client.post_json(url(design), {"replacement": "All new."}).json()
    outsider = api_for(other_team_user)
    assert outsider.get(url(design)).status_code == 404
    assert outsider.post_json(f"/api/v1/suggestions/{thread['id']}/apply").status_code == 404
