"""Events recorded from the signals the lower apps send, in the transaction of the change.

Receivers only call ``event_record``; what an event says is decided here, from what the
signal carries, without reading the database again.
"""

from django.dispatch import receiver

from accounts.signals import membership_changed, role_changed
from activity.models import EventKind
from activity.services import event_record
from designs.signals import section_saved
from exports.signals import export_requested
from reviews.signals import (
    comment_posted,
    issue_moved,
    review_requested,
    review_withdrawn,
    round_started,
    signoff_given,
    signoff_reset,
    suggestion_applied,
    suggestion_dismissed,
    verdict_given,
)


def _quoted(text: str) -> str:
    return f"“{text}”"


@receiver(section_saved, dispatch_uid="activity.section_saved")
def on_section_saved(sender, *, section, edited_by, restored_from=None, **kwargs) -> None:
    data = {"section_key": section.key, "version": section.version}
    if restored_from is not None:
        data["restored_from"] = restored_from
        kind = EventKind.SECTION_RESTORED
        summary = (
            f"{edited_by.username} restored {_quoted(section.title)} to version {restored_from}"
        )
    else:
        kind = EventKind.SECTION_SAVED
        summary = f"{edited_by.username} saved {_quoted(section.title)} (version {section.version})"
    event_record(
        kind=kind,
        actor=edited_by,
        design_id=section.design_id,
        section_id=section.pk,
        summary=summary,
        data=data,
    )


@receiver(comment_posted, dispatch_uid="activity.comment_posted")
def on_comment_posted(sender, *, comment, **kwargs) -> None:
    section = comment.section
    if comment.parent_id is not None:
        what = "replied"
    elif comment.issue_status:
        what = "raised an issue"
    else:
        what = "commented"
    event_record(
        kind=EventKind.COMMENT_POSTED,
        actor=comment.author,
        team_id=comment.design.team_id,
        design_id=comment.design_id,
        section_id=section.pk,
        summary=f"{comment.author.username} {what} on {_quoted(section.title)}",
        data={
            "section_key": section.key,
            "comment_id": comment.pk,
            "reply_to": comment.parent_id,
            "issue": bool(comment.issue_status),
        },
    )


@receiver(issue_moved, dispatch_uid="activity.issue_moved")
def on_issue_moved(sender, *, comment, from_status, to_status, changed_by, **kwargs) -> None:
    did = {"fixed": "marked an issue fixed", "dropped": "dropped an issue"}.get(
        to_status, "reopened an issue"
    )
    event_record(
        kind=EventKind.ISSUE_MOVED,
        actor=changed_by,
        team_id=comment.design.team_id,
        design_id=comment.design_id,
        section_id=comment.section_id,
        summary=f"{changed_by.username} {did} on {_quoted(comment.section.title)}",
        data={
            "section_key": comment.section.key,
            "comment_id": comment.pk,
            "from": from_status,
            "to": to_status,
        },
    )


@receiver(verdict_given, dispatch_uid="activity.verdict_given")
def on_verdict_given(sender, *, verdict, **kwargs) -> None:
    label = {"approve": "approved", "request_changes": "requested changes on"}.get(
        verdict.kind, "left a review on"
    )
    event_record(
        kind=EventKind.VERDICT_GIVEN,
        actor=verdict.reviewer,
        team_id=verdict.design.team_id,
        design_id=verdict.design_id,
        summary=f"{verdict.reviewer.username} {label} the design",
        data={"verdict_id": verdict.pk, "verdict": verdict.kind},
    )


@receiver(signoff_given, dispatch_uid="activity.signoff_given")
def on_signoff_given(sender, *, signoff, section_key, **kwargs) -> None:
    capacity = f" as {signoff.role_name}" if signoff.role_name else ""
    event_record(
        kind=EventKind.SIGNOFF_GIVEN,
        actor=signoff.user,
        team_id=signoff.design.team_id,
        design_id=signoff.design_id,
        section_id=signoff.section_id,
        summary=f"{signoff.user.username} signed off {_quoted(signoff.section.title)}{capacity}",
        data={"section_key": section_key, "version": signoff.version, "role": signoff.role_name},
    )


@receiver(signoff_reset, dispatch_uid="activity.signoff_reset")
def on_signoff_reset(sender, *, signoffs, design_id, section_key, reason, by, **kwargs) -> None:
    # Resets by an edit are part of the save's own event.
    if reason != "withdrawn":
        return
    for signoff in signoffs:
        event_record(
            kind=EventKind.SIGNOFF_WITHDRAWN,
            actor=by,
            design_id=design_id,
            section_id=signoff.section_id,
            summary=f"{by.username} withdrew a sign-off of section {section_key}",
            data={"section_key": section_key, "role": signoff.role_name},
        )


@receiver(review_requested, dispatch_uid="activity.review_requested")
def on_review_requested(sender, *, design, reviewer, requested_by, created, **kwargs) -> None:
    again = "" if created else " again"
    event_record(
        kind=EventKind.REVIEW_REQUESTED,
        actor=requested_by,
        team_id=design.team_id,
        design_id=design.pk,
        summary=f"{requested_by.username} asked {reviewer.username} to review{again}",
        data={"reviewer": reviewer.username, "again": not created},
    )


@receiver(review_withdrawn, dispatch_uid="activity.review_withdrawn")
def on_review_withdrawn(sender, *, design, reviewer, withdrawn_by, **kwargs) -> None:
    event_record(
        kind=EventKind.REVIEW_WITHDRAWN,
        actor=withdrawn_by,
        team_id=design.team_id,
        design_id=design.pk,
        summary=f"{withdrawn_by.username} withdrew the review request of {reviewer.username}",
        data={"reviewer": reviewer.username},
    )


@receiver(round_started, dispatch_uid="activity.round_started")
def on_round_started(sender, *, design_id, round_id, number, started_by_id, **kwargs) -> None:
    event_record(
        kind=EventKind.ROUND_STARTED,
        actor_id=started_by_id,
        design_id=design_id,
        summary=f"Review round {number} started",
        data={"round": number},
    )


@receiver(export_requested, dispatch_uid="activity.export_requested")
def on_export_requested(sender, *, job, **kwargs) -> None:
    event_record(
        kind=EventKind.EXPORT_REQUESTED,
        actor=job.requested_by,
        team_id=job.design.team_id,
        design_id=job.design_id,
        summary=f"{job.requested_by.username} exported the design as {job.get_format_display()}",
        data={"job_id": job.pk, "format": job.format},
    )


@receiver(membership_changed, dispatch_uid="activity.membership_changed")
def on_membership_changed(sender, *, team, member, action, role, changed_by, **kwargs) -> None:
    summary = {
        "joined": f"{member.username} joined the team as {role}",
        "left": f"{member.username} left the team",
        "removed": f"{changed_by.username} removed {member.username} from the team",
        "role_changed": f"{changed_by.username} made {member.username} {role}",
    }.get(action, f"{member.username}'s membership changed")
    event_record(
        kind=EventKind.MEMBERSHIP_CHANGED,
        actor=changed_by,
        team_id=team.pk,
        summary=summary,
        data={"member": member.username, "action": action, "role": role},
    )


@receiver(role_changed, dispatch_uid="activity.role_changed")
def on_role_changed(sender, *, team, role, action, member, changed_by, **kwargs) -> None:
    who = member.username if member is not None else ""
    summary = {
        "added": f"{changed_by.username} added the role {role.name}",
        "removed": f"{changed_by.username} removed the role {role.name}",
        "assigned": f"{changed_by.username} gave {who} the role {role.name}",
        "unassigned": f"{changed_by.username} took the role {role.name} from {who}",
    }.get(action, f"The role {role.name} changed")
    event_record(
        kind=EventKind.TEAM_ROLE_CHANGED,
        actor=changed_by,
        team_id=team.pk,
        summary=summary,
        data={"role": role.name, "action": action, "member": who or None},
    )


def _suggestion_event(*, kind: str, verb: str, suggestion, actor, design, section) -> None:
    """An applied or dismissed suggested edit: who decided, whose suggestion, which section."""
    by = suggestion.comment.author
    data = {
        "section_key": section.key,
        "comment_id": suggestion.comment_id,
        "suggested_by": by.username if by is not None else None,
        "whole_section": suggestion.whole_section,
    }
    if kind == EventKind.SUGGESTION_APPLIED:
        data["version"] = suggestion.applied_version
    credit = f" by {by.username}" if by is not None else ""
    event_record(
        kind=kind,
        actor=actor,
        team_id=design.team_id,
        design_id=design.pk,
        section_id=section.pk,
        summary=f"{actor.username} {verb} a suggested edit{credit} on {_quoted(section.title)}",
        data=data,
    )


@receiver(suggestion_applied, dispatch_uid="activity.suggestion_applied")
def on_suggestion_applied(sender, **kwargs) -> None:
    kwargs.pop("signal", None)
    _suggestion_event(kind=EventKind.SUGGESTION_APPLIED, verb="applied", **kwargs)


@receiver(suggestion_dismissed, dispatch_uid="activity.suggestion_dismissed")
def on_suggestion_dismissed(sender, **kwargs) -> None:
    kwargs.pop("signal", None)
    _suggestion_event(kind=EventKind.SUGGESTION_DISMISSED, verb="dismissed", **kwargs)
