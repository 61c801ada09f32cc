"""Every kind of change is recorded as one event, in the transaction of the change."""

import pytest
from django.db import transaction

from accounts import services as account_services
from accounts.models import Invitation
from activity.models import Event, EventKind
from activity.services import event_record
from designs import services as design_services
from designs.models import Section
from exports import services as export_services
from reviews import services as review_services
from tests.factories import (
    UserFactory,
    add_comment,
    join_team,
    make_team_role,
    request_review,
    require_signoff,
)

pytestmark = pytest.mark.django_db


def _kinds() -> list[str]:
    return list(Event.objects.order_by("id").values_list("kind", flat=True))


@pytest.fixture
def section(design):
    return Section.objects.select_related("design").get(design=design, position=1)


@pytest.fixture
def reviewer(design, alice):
    bob = UserFactory(username="bob")
    request_review(design=design, reviewer=bob, requested_by=alice)
    Event.objects.all()._raw_delete(Event.objects.db)  # start each test from no events
    return bob


def test_a_section_save_records_one_event_with_who_what_and_where(design, section, alice):
    design_services.section_update(section=section, body="Hello", base_version=0, edited_by=alice)

    (event,) = Event.objects.all()
    assert event.kind == EventKind.SECTION_SAVED
    assert event.actor == alice
    assert event.team_id == design.team_id
    assert event.design_id == design.pk
    assert event.section_id == section.pk
    assert event.data == {"section_key": section.key, "version": 1}
    assert section.title in event.summary


def test_a_restore_is_told_apart_from_a_save(section, alice):
    saved = design_services.section_update(
        section=section, body="One", base_version=0, edited_by=alice
    )
    saved = design_services.section_update(
        section=saved, body="Two", base_version=1, edited_by=alice
    )
    design_services.section_restore(section=saved, version=1, base_version=2, restored_by=alice)

    assert _kinds() == ["section.saved", "section.saved", "section.restored"]
    assert Event.objects.latest("id").data["restored_from"] == 1


def test_a_save_that_changes_nothing_records_nothing(section, alice):
    saved = design_services.section_update(
        section=section, body="Same", base_version=0, edited_by=alice
    )
    design_services.section_update(section=saved, body="Same", base_version=1, edited_by=alice)
    assert Event.objects.count() == 1


def test_a_change_that_fails_leaves_no_event(section, alice):
    with pytest.raises(design_services.SectionConflict):
        design_services.section_update(section=section, body="x", base_version=7, edited_by=alice)
    assert not Event.objects.exists()


def test_an_event_is_rolled_back_with_its_change(section, alice):
    with transaction.atomic():
        design_services.section_update(section=section, body="x", base_version=0, edited_by=alice)
        transaction.set_rollback(True)
    assert not Event.objects.exists()


def test_comments_replies_and_issues_are_recorded(section, reviewer, alice):
    thread = add_comment(section=section, author=reviewer, body="Why?")
    review_services.comment_reply(parent=thread, author=alice, body="Because.")
    issue = add_comment(section=section, author=reviewer, body="Broken.", raise_issue=True)
    review_services.issue_status_change(comment=issue, to_status="fixed", changed_by=alice)

    events = list(Event.objects.order_by("id"))
    assert [e.kind for e in events] == [
        "comment.posted",
        "comment.posted",
        "comment.posted",
        "issue.moved",
    ]
    assert "commented" in events[0].summary and events[0].actor == reviewer
    assert "replied" in events[1].summary and events[1].data["reply_to"] == thread.pk
    assert "raised an issue" in events[2].summary and events[2].data["issue"] is True
    assert events[3].data == {
        "section_key": section.key,
        "comment_id": issue.pk,
        "from": "open",
        "to": "fixed",
    }


def test_verdicts_review_requests_withdrawals_and_rounds_are_recorded(design, reviewer, alice):
    review_services.verdict_submit(design=design, reviewer=reviewer, kind="approve")
    carol = UserFactory(username="carol")
    request_review(design=design, reviewer=carol, requested_by=alice)
    review_services.review_round_start(design=design, started_by=alice)
    review_services.review_request_withdraw(design=design, reviewer=carol, withdrawn_by=alice)

    assert _kinds() == [
        "verdict.given",
        "review.requested",
        "round.started",
        "review.withdrawn",
    ]
    verdict, requested, round_, withdrawn = Event.objects.order_by("id")
    assert verdict.actor == reviewer and verdict.data["verdict"] == "approve"
    assert requested.data == {"reviewer": "carol", "again": False}
    assert round_.actor == alice and round_.data == {"round": 2}
    assert round_.team_id == design.team_id
    assert withdrawn.data == {"reviewer": "carol"}


def test_sign_offs_given_and_withdrawn_are_recorded(team, design, section, alice, member):
    role = make_team_role(team=team, name="security", holders=(member,))
    require_signoff(section=section, roles=[role])
    Event.objects.all()._raw_delete(Event.objects.db)
    section.refresh_from_db()
    review_services.signoff_give(section=section, given_by=member, role=role)
    review_services.signoff_withdraw(section=section, withdrawn_by=member, role=role)

    assert _kinds() == ["signoff.given", "signoff.withdrawn"]
    given = Event.objects.order_by("id").first()
    assert given.actor == member and given.data["role"] == "security"


def test_an_export_request_is_recorded_once(design, member, django_capture_on_commit_callbacks):
    export_services.export_request(design=design, format="markdown", requested_by=member)
    export_services.export_request(design=design, format="markdown", requested_by=member)
    (event,) = Event.objects.filter(kind=EventKind.EXPORT_REQUESTED)
    assert event.actor == member and event.data["format"] == "markdown"


def test_membership_and_role_changes_are_recorded_for_the_team(team, alice):
    carol = UserFactory(username="carol")
    join_team(team=team, user=carol)
    account_services.team_member_role_set(team=team, user=carol, role="owner", changed_by=alice)
    role = make_team_role(team=team, name="SRE", holders=(carol,))
    account_services.team_role_remove(team=team, role=role, removed_by=alice)
    account_services.team_member_remove(team=team, user=carol, removed_by=carol)

    events = list(Event.objects.order_by("id"))
    assert [(e.kind, e.data.get("action")) for e in events] == [
        ("membership.changed", "joined"),
        ("membership.changed", "role_changed"),
        ("team_role.changed", "added"),
        ("team_role.changed", "assigned"),
        ("team_role.changed", "removed"),
        ("membership.changed", "left"),
    ]
    assert all(e.team_id == team.pk and e.design_id is None for e in events)
    assert events[0].actor == carol
    assert events[1].actor == alice and events[1].data["role"] == "owner"


def test_a_declined_invitation_records_nothing(team, alice):
    carol = UserFactory(username="carol")
    account_services.team_invite(team=team, identifier="carol", invited_by=alice)
    invitation = Invitation.objects.get(invitee=carol)
    account_services.invitation_decline(invitation=invitation, declined_by=carol)
    assert not Event.objects.exists()


def test_events_cannot_be_changed_or_deleted(section, alice):
    design_services.section_update(section=section, body="x", base_version=0, edited_by=alice)
    event = Event.objects.get()
    event.summary = "rewritten"
    with pytest.raises(TypeError):
        event.save()
    with pytest.raises(TypeError):
        event.delete()
    with pytest.raises(TypeError):
        Event.objects.update(summary="rewritten")
    with pytest.raises(TypeError):
        Event.objects.all().delete()
    assert Event.objects.get().summary != "rewritten"


def test_events_go_with_their_design(design, section, alice):
    design_services.section_update(section=section, body="x", base_version=0, edited_by=alice)
    design.delete()
    assert not Event.objects.exists()


def test_event_record_is_a_public_service_for_other_receivers(design, alice):
    """The lead wires suggestion_applied to it: kind, actor and design are enough."""
    event = event_record(
        kind=EventKind.SUGGESTION_APPLIED, actor=alice, design_id=design.pk, summary="Applied"
    )
    event.refresh_from_db()
    assert event.team_id == design.team_id
    with pytest.raises(ValueError):
        event_record(kind="nonsense", actor=alice, design_id=design.pk, summary="x")


def test_suggested_edits_applied_and_dismissed_are_recorded(section, reviewer, alice):
    body = "We serve developers who shorten links."
    section = design_services.section_update(
        section=section, body=body, base_version=section.version, edited_by=alice
    )
    first = review_services.comment_add(
        section=section,
        author=reviewer,
        body="Sharper?",
        passage=review_services.PassageInput(exact="developers"),
        replacement="engineers",
    )
    second = review_services.comment_add(
        section=section,
        author=reviewer,
        body="",
        passage=review_services.PassageInput(exact="shorten links"),
        replacement="share links",
    )
    Event.objects.all()._raw_delete(Event.objects.db)  # start counting here
    review_services.suggestion_apply(suggestion=first.suggestion, applied_by=alice)
    review_services.suggestion_dismiss(
        suggestion=second.suggestion, dismissed_by=alice, reply="Shortening is the point."
    )

    kinds = _kinds()
    assert kinds == [
        "section.saved",
        "suggestion.applied",
        "comment.posted",
        "suggestion.dismissed",
    ]
    applied = Event.objects.get(kind="suggestion.applied")
    assert applied.actor == alice and applied.section_id == section.pk
    assert applied.data["suggested_by"] == reviewer.username
    assert applied.data["version"] == section.version + 1
    assert f"by {reviewer.username}" in applied.summary
    dismissed = Event.objects.get(kind="suggestion.dismissed")
    assert dismissed.actor == alice and dismissed.data["comment_id"] == second.pk
