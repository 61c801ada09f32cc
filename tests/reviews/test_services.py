import pytest
from django.core import mail
from django.core.exceptions import ValidationError

from designs import services as design_services
from designs.models import Design, DesignReader
from reviews import services
from reviews.models import Comment, IssueChange, Notification, ReviewRequest, Verdict
from tests.factories import MembershipFactory, UserFactory, add_comment, request_review
from tests.reviews.conftest import section_of

pytestmark = pytest.mark.django_db


def status_of(design) -> str:
    return Design.objects.values_list("status", flat=True).get(pk=design.pk)


def edit(section, user, body="Changed text"):
    section.refresh_from_db()
    return design_services.section_update(
        section=section, body=body, base_version=section.version, edited_by=user
    )


# Review requests ---------------------------------------------------------------------------


def test_requesting_a_review_grants_read_access_and_moves_draft_to_in_review(design, alice, bob):
    assert status_of(design) == "draft"
    services.review_request(design=design, reviewer=bob, requested_by=alice, message="Please")
    assert DesignReader.objects.filter(design=design, user=bob).exists()
    assert status_of(design) == "in_review"
    assert ReviewRequest.objects.get(design=design).message == "Please"


def test_requesting_a_review_notifies_the_reviewer(design, alice, bob):
    services.review_request(design=design, reviewer=bob, requested_by=alice)
    notification = Notification.objects.get(recipient=bob)
    assert notification.kind == "review_requested"
    assert "alice asked you to review" in notification.text


def test_only_team_members_can_request_reviews(reviewed, bob, carol):
    with pytest.raises(PermissionError):
        services.review_request(design=reviewed, reviewer=carol, requested_by=bob)


def test_you_cannot_request_a_review_from_yourself(design, alice):
    with pytest.raises(ValidationError):
        services.review_request(design=design, reviewer=alice, requested_by=alice)


# Comments ----------------------------------------------------------------------------------


def test_comment_is_rendered_and_remembers_the_section_version(reviewed, alice, bob):
    section = section_of(reviewed)
    edit(section, alice, "v1")
    comment = add_comment(section=section, author=bob, body="**Why** <script>x</script>")
    assert comment.section_version == 1
    assert "<strong>Why</strong>" in comment.body_html
    assert "<script>" not in comment.body_html


def test_empty_comment_is_refused_and_nothing_saved(reviewed, bob):
    with pytest.raises(ValidationError):
        add_comment(section=section_of(reviewed), author=bob, body="   ")
    assert not Comment.objects.exists()


def test_oversized_comment_is_refused(reviewed, bob, settings):
    settings.CRIT_COMMENT_BODY_MAX_BYTES = 10
    with pytest.raises(ValidationError):
        add_comment(section=section_of(reviewed), author=bob, body="x" * 11)


def test_outsider_cannot_comment(design, outsider):
    with pytest.raises(PermissionError):
        add_comment(section=section_of(design), author=outsider)


def test_reply_joins_the_thread(reviewed, alice, bob):
    thread = add_comment(section=section_of(reviewed), author=bob)
    reply = services.comment_reply(parent=thread, author=alice, body="Answered")
    assert reply.parent_id == thread.pk
    assert reply.section_id == thread.section_id


def test_replying_to_a_reply_is_refused(reviewed, alice, bob):
    thread = add_comment(section=section_of(reviewed), author=bob)
    reply = services.comment_reply(parent=thread, author=alice, body="Answered")
    with pytest.raises(ValidationError, match="one level"):
        services.comment_reply(parent=reply, author=bob, body="Nested")


def test_author_edits_a_comment_and_it_is_marked_edited(reviewed, bob):
    comment = add_comment(section=section_of(reviewed), author=bob, body="old")
    services.comment_edit(comment=comment, edited_by=bob, body="*new*")
    comment.refresh_from_db()
    assert comment.body == "*new*"
    assert "<em>new</em>" in comment.body_html
    assert comment.edited_at is not None


def test_someone_else_cannot_edit_a_comment(reviewed, alice, bob):
    comment = add_comment(section=section_of(reviewed), author=bob, body="old")
    with pytest.raises(PermissionError, match="author"):
        services.comment_edit(comment=comment, edited_by=alice, body="mine now")
    comment.refresh_from_db()
    assert comment.body == "old"


def test_deleting_a_comment_without_replies_removes_it(reviewed, bob):
    comment = add_comment(section=section_of(reviewed), author=bob)
    assert services.comment_delete(comment=comment, deleted_by=bob) is None
    assert not Comment.objects.filter(pk=comment.pk).exists()


def test_deleting_a_comment_with_replies_leaves_a_tombstone(reviewed, alice, bob):
    thread = add_comment(section=section_of(reviewed), author=bob, body="secret")
    services.comment_reply(parent=thread, author=alice, body="Answered")
    services.comment_delete(comment=thread, deleted_by=bob)
    thread.refresh_from_db()
    assert thread.is_deleted
    assert thread.body == "" and thread.body_html == ""
    assert Comment.objects.filter(parent=thread).count() == 1


def test_deleting_a_reply_removes_only_the_reply(reviewed, alice, bob):
    thread = add_comment(section=section_of(reviewed), author=bob)
    reply = services.comment_reply(parent=thread, author=alice, body="Answered")
    services.comment_delete(comment=reply, deleted_by=alice)
    assert list(Comment.objects.values_list("pk", flat=True)) == [thread.pk]


def test_someone_else_cannot_delete_a_comment(reviewed, alice, bob):
    comment = add_comment(section=section_of(reviewed), author=bob)
    with pytest.raises(PermissionError):
        services.comment_delete(comment=comment, deleted_by=alice)
    assert Comment.objects.filter(pk=comment.pk).exists()


def test_comment_becomes_outdated_when_its_section_changes(reviewed, alice, bob):
    from reviews import selectors

    section = section_of(reviewed)
    edit(section, alice, "first")
    add_comment(section=section, author=bob)
    section = edit(section, alice, "second")
    sections = [section]
    selectors.threads_attach(design=reviewed, sections=sections, viewer=bob, is_member=False)
    thread = sections[0].review_threads[0]
    assert thread.is_outdated
    assert thread.diff_url.endswith(f"/sections/{section.key}/diff/?from=1&to=2")


def test_comment_on_the_current_version_is_not_outdated(reviewed, alice, bob):
    from reviews import selectors

    section = section_of(reviewed)
    edit(section, alice, "first")
    add_comment(section=section, author=bob)
    sections = [section_of(reviewed)]
    selectors.threads_attach(design=reviewed, sections=sections, viewer=bob, is_member=False)
    assert not sections[0].review_threads[0].is_outdated


# Resolving threads -------------------------------------------------------------------------


def test_thread_starter_resolves_and_unresolves_a_thread(reviewed, bob):
    thread = add_comment(section=section_of(reviewed), author=bob)
    services.thread_resolve(comment=thread, resolved_by=bob)
    assert Comment.objects.get(pk=thread.pk).resolved_at is not None
    services.thread_resolve(comment=thread, resolved_by=bob, resolved=False)
    assert Comment.objects.get(pk=thread.pk).resolved_at is None


def test_author_resolves_a_reviewers_thread(reviewed, alice, bob):
    thread = add_comment(section=section_of(reviewed), author=bob)
    services.thread_resolve(comment=thread, resolved_by=alice)
    assert Comment.objects.get(pk=thread.pk).resolved_by == alice


def test_other_reviewer_cannot_resolve_a_thread(reviewed, alice, bob, carol):
    request_review(design=reviewed, reviewer=carol, requested_by=alice)
    thread = add_comment(section=section_of(reviewed), author=bob)
    with pytest.raises(PermissionError):
        services.thread_resolve(comment=thread, resolved_by=carol)


def test_issue_cannot_be_resolved_like_a_discussion(reviewed, bob):
    issue = add_comment(section=section_of(reviewed), author=bob, raise_issue=True)
    with pytest.raises(ValidationError):
        services.thread_resolve(comment=issue, resolved_by=bob)


# Issues ------------------------------------------------------------------------------------


@pytest.fixture
def issue(reviewed, bob):
    return add_comment(section=section_of(reviewed), author=bob, body="Broken", raise_issue=True)


def move(issue, to, user):
    return services.issue_status_change(comment=issue, to_status=to, changed_by=user)


def test_raising_an_issue_records_it_open(issue, bob):
    assert issue.issue_status == "open"
    change = IssueChange.objects.get(comment=issue)
    assert (change.from_status, change.to_status, change.changed_by) == ("", "open", bob)


def test_author_marks_an_issue_fixed_and_it_is_recorded(issue, alice):
    move(issue, "fixed", alice)
    assert Comment.objects.get(pk=issue.pk).issue_status == "fixed"
    last = IssueChange.objects.filter(comment=issue).last()
    assert (last.from_status, last.to_status, last.changed_by) == ("open", "fixed", alice)


def test_reviewer_who_raised_it_cannot_mark_it_fixed(issue, bob):
    with pytest.raises(PermissionError, match="authors"):
        move(issue, "fixed", bob)
    assert Comment.objects.get(pk=issue.pk).issue_status == "open"


def test_reviewer_who_raised_it_drops_it(issue, bob):
    move(issue, "dropped", bob)
    assert Comment.objects.get(pk=issue.pk).issue_status == "dropped"


def test_author_drops_an_issue(issue, alice):
    move(issue, "dropped", alice)
    assert Comment.objects.get(pk=issue.pk).issue_status == "dropped"


def test_other_reviewer_cannot_drop_an_issue(reviewed, issue, alice, carol):
    request_review(design=reviewed, reviewer=carol, requested_by=alice)
    with pytest.raises(PermissionError):
        move(issue, "dropped", carol)


def test_raiser_reopens_a_fixed_issue(issue, alice, bob):
    move(issue, "fixed", alice)
    move(issue, "open", bob)
    assert Comment.objects.get(pk=issue.pk).issue_status == "open"
    assert IssueChange.objects.filter(comment=issue).count() == 3


def test_author_reopens_a_dropped_issue(issue, alice, bob):
    move(issue, "dropped", bob)
    move(issue, "open", alice)
    assert Comment.objects.get(pk=issue.pk).issue_status == "open"


def test_other_reviewer_cannot_reopen_an_issue(reviewed, issue, alice, carol):
    request_review(design=reviewed, reviewer=carol, requested_by=alice)
    move(issue, "fixed", alice)
    with pytest.raises(PermissionError, match="reopen"):
        move(issue, "open", carol)


def test_fixed_issue_cannot_be_dropped_directly(issue, alice):
    move(issue, "fixed", alice)
    with pytest.raises(ValidationError, match="reopened"):
        move(issue, "dropped", alice)


def test_moving_an_issue_to_its_own_status_is_refused(issue, alice):
    with pytest.raises(ValidationError, match="already"):
        move(issue, "open", alice)


def test_plain_comment_has_no_issue_status_to_change(reviewed, alice, bob):
    comment = add_comment(section=section_of(reviewed), author=bob)
    with pytest.raises(ValidationError, match="not an issue"):
        move(comment, "fixed", alice)


def test_refused_move_records_nothing(issue, bob):
    with pytest.raises(PermissionError):
        move(issue, "fixed", bob)
    assert IssueChange.objects.filter(comment=issue).count() == 1


# Verdicts and status -----------------------------------------------------------------------


def verdict(design, user, kind, summary=""):
    return services.verdict_submit(design=design, reviewer=user, kind=kind, summary=summary)


def test_verdict_records_the_design_revision(reviewed, alice, bob):
    section = section_of(reviewed)
    edit(section, alice, "one")
    edit(section, alice, "two")
    given = verdict(reviewed, bob, "comment", "Fine")
    assert given.revision[section.key] == 2
    assert len(given.revision) == reviewed.section_count


def test_only_requested_reviewers_give_verdicts(design, alice, bob):
    with pytest.raises(PermissionError):
        verdict(design, bob, "approve")
    assert not Verdict.objects.exists()


def test_unknown_verdict_kind_is_refused(reviewed, bob):
    with pytest.raises(ValidationError):
        verdict(reviewed, bob, "lgtm")


def test_approval_without_open_issues_approves_the_design(reviewed, bob):
    verdict(reviewed, bob, "approve")
    assert status_of(reviewed) == "approved"


def test_request_changes_sets_changes_requested(reviewed, bob):
    verdict(reviewed, bob, "request_changes")
    assert status_of(reviewed) == "changes_requested"


def test_one_request_for_changes_outweighs_an_approval(reviewed, alice, bob, carol):
    request_review(design=reviewed, reviewer=carol, requested_by=alice)
    verdict(reviewed, bob, "approve")
    verdict(reviewed, carol, "request_changes")
    assert status_of(reviewed) == "changes_requested"


def test_latest_verdict_counts_so_approving_after_requesting_changes_approves(reviewed, bob):
    verdict(reviewed, bob, "request_changes")
    verdict(reviewed, bob, "approve")
    assert status_of(reviewed) == "approved"


def test_comment_verdict_alone_keeps_the_design_in_review(reviewed, bob):
    verdict(reviewed, bob, "comment")
    assert status_of(reviewed) == "in_review"


def test_open_issue_blocks_approval(reviewed, issue, bob):
    verdict(reviewed, bob, "approve")
    assert status_of(reviewed) == "in_review"


def test_fixing_the_last_open_issue_approves_an_approved_design(reviewed, issue, alice, bob):
    verdict(reviewed, bob, "approve")
    move(issue, "fixed", alice)
    assert status_of(reviewed) == "approved"


def test_reopening_an_issue_takes_the_approval_back_to_in_review(reviewed, issue, alice, bob):
    move(issue, "fixed", alice)
    verdict(reviewed, bob, "approve")
    move(issue, "open", bob)
    assert status_of(reviewed) == "in_review"


def test_section_edit_after_approval_makes_it_stale_and_returns_to_in_review(reviewed, alice, bob):
    section = section_of(reviewed)
    approval = verdict(reviewed, bob, "approve")
    edit(section, alice, "changed after approval")
    approval.refresh_from_db()
    assert approval.is_stale
    assert status_of(reviewed) == "in_review"
    assert Notification.objects.filter(recipient=bob, kind="approval_stale").exists()


def test_approving_again_after_a_stale_approval_approves(reviewed, alice, bob):
    verdict(reviewed, bob, "approve")
    edit(section_of(reviewed), alice, "changed")
    verdict(reviewed, bob, "approve")
    assert status_of(reviewed) == "approved"


def test_reviewer_sees_the_diff_since_their_verdict_per_changed_section(reviewed, alice, bob):
    from reviews import selectors

    first, third = section_of(reviewed, 1), section_of(reviewed, 3)
    edit(first, alice, "before")
    given = verdict(reviewed, bob, "approve")
    edit(first, alice, "after")
    edit(third, alice, "new")
    sections = list(reviewed.sections.order_by("position"))
    changed = selectors.changed_since(verdict=given, sections=sections)
    assert [(c.section.key, c.from_version, c.to_version) for c in changed] == [
        (first.key, 1, 2),
        (third.key, 0, 1),
    ]
    assert changed[0].diff_url.endswith("?from=1&to=2")


def test_section_edit_leaves_requested_changes_in_place(reviewed, alice, bob):
    verdict(reviewed, bob, "request_changes")
    edit(section_of(reviewed), alice, "changed")
    assert status_of(reviewed) == "changes_requested"


def test_verdict_notifies_the_authors(reviewed, alice, bob):
    verdict(reviewed, bob, "request_changes", "Needs work")
    note = Notification.objects.get(recipient=alice, kind="verdict")
    assert "bob requested changes on" in note.text


# Mentions ----------------------------------------------------------------------------------


def test_mention_of_someone_who_can_see_the_design_links_and_notifies(reviewed, alice, bob, team):
    colleague = MembershipFactory(team=team, user=UserFactory(username="dana")).user
    comment = add_comment(section=section_of(reviewed), author=bob, body="@dana what do you think?")
    assert 'class="mention"' in comment.body_html
    assert "#person-dana" in comment.body_html
    assert Notification.objects.filter(recipient=colleague, kind="mention").count() == 1


def test_mention_of_someone_who_cannot_see_the_design_stays_plain_and_notifies_nobody(
    reviewed, bob, outsider
):
    comment = add_comment(section=section_of(reviewed), author=bob, body="ask @mallory")
    assert "mention" not in comment.body_html
    assert "@mallory" in comment.body_html
    assert not Notification.objects.filter(recipient=outsider).exists()


def test_mention_inside_code_is_not_a_mention(reviewed, alice, bob):
    comment = add_comment(section=section_of(reviewed), author=bob, body="`@alice` in code")
    assert "mention" not in comment.body_html
    assert not Notification.objects.filter(recipient=alice, kind="mention").exists()


def test_mentioned_author_gets_one_mention_rather_than_a_comment_notification(reviewed, alice, bob):
    add_comment(section=section_of(reviewed), author=bob, body="@alice look")
    kinds = list(Notification.objects.filter(recipient=alice).values_list("kind", flat=True))
    assert "mention" in kinds and "comment" not in kinds


def test_editing_in_a_new_mention_notifies_only_the_newly_mentioned(reviewed, alice, bob, team):
    dana = MembershipFactory(team=team, user=UserFactory(username="dana")).user
    comment = add_comment(section=section_of(reviewed), author=bob, body="@alice look")
    services.comment_edit(comment=comment, edited_by=bob, body="@alice @dana look")
    assert Notification.objects.filter(recipient=alice, kind="mention").count() == 1
    assert Notification.objects.filter(recipient=dana, kind="mention").count() == 1


# Notifications and email -------------------------------------------------------------------


def test_new_comment_notifies_the_authors_but_not_the_commenter(reviewed, alice, bob):
    add_comment(section=section_of(reviewed), author=bob)
    assert Notification.objects.filter(recipient=alice, kind="comment").count() == 1
    assert not Notification.objects.filter(recipient=bob, kind="comment").exists()


def test_reply_notifies_people_in_the_thread(reviewed, alice, bob, carol):
    request_review(design=reviewed, reviewer=carol, requested_by=alice)
    thread = add_comment(section=section_of(reviewed), author=bob)
    services.comment_reply(parent=thread, author=carol, body="+1")
    assert Notification.objects.filter(recipient=bob, kind="reply").count() == 1
    assert Notification.objects.filter(recipient=alice, kind="reply").count() == 1


def test_issue_change_notifies_the_raiser(issue, alice, bob):
    move(issue, "fixed", alice)
    note = Notification.objects.get(recipient=bob, kind="issue_changed")
    assert "alice marked an issue fixed" in note.text


def test_notification_links_to_the_exact_section(reviewed, alice, bob):
    section = section_of(reviewed, 10)
    add_comment(section=section, author=bob)
    note = Notification.objects.get(recipient=alice)
    assert note.url == f"/designs/{reviewed.pk}/#section-{section.key}"


def test_notification_is_emailed_after_commit_with_a_link_to_the_section(
    design, alice, bob, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        services.review_request(design=design, reviewer=bob, requested_by=alice)
    section = section_of(design, 10)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        add_comment(section=section, author=bob, body="How many shards?")
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["alice@example.com"]
    assert f"/designs/{design.pk}/#section-{section.key}" in message.body
    assert "How many shards?" in message.body
    assert Notification.objects.get(recipient=alice).email_status == "sent"


def test_no_email_is_sent_for_an_event_the_user_switched_off(
    reviewed, alice, bob, django_capture_on_commit_callbacks
):
    services.notification_settings_update(user=alice, delivery={"comment": "none"})
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        add_comment(section=section_of(reviewed), author=bob)
    assert mail.outbox == []
    note = Notification.objects.get(recipient=alice)
    assert note.email_status == "skipped"
    assert note.read_at is None  # still in the inbox


def test_no_email_at_all_when_email_is_off(
    reviewed, alice, bob, django_capture_on_commit_callbacks
):
    services.notification_settings_update(user=alice, email_enabled=False)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.verdict_submit(design=reviewed, reviewer=bob, kind="approve")
    assert mail.outbox == []


def test_emailing_a_notification_twice_sends_one_email(reviewed, alice, bob):
    add_comment(section=section_of(reviewed), author=bob)
    note = Notification.objects.get(recipient=alice)
    mail.outbox.clear()
    services.notification_email_send(notification_id=note.pk)
    services.notification_email_send(notification_id=note.pk)
    assert len(mail.outbox) == 1


def test_mark_one_and_all_read(reviewed, alice, bob):
    add_comment(section=section_of(reviewed), author=bob)
    add_comment(section=section_of(reviewed, 2), author=bob)
    first, _second = Notification.objects.filter(recipient=alice)
    services.notification_mark_read(notification=first, user=alice)
    assert Notification.objects.filter(recipient=alice, read_at__isnull=True).count() == 1
    assert services.notifications_mark_all_read(user=alice) == 1
    assert not Notification.objects.filter(recipient=alice, read_at__isnull=True).exists()


def test_cannot_mark_someone_elses_notification_read(reviewed, alice, bob):
    add_comment(section=section_of(reviewed), author=bob)
    note = Notification.objects.get(recipient=alice)
    with pytest.raises(PermissionError):
        services.notification_mark_read(notification=note, user=bob)
