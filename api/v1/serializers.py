"""Model rows to the plain data the response schemas describe. Each function reads only
what its caller already loaded (see the select_related in the selectors), so a list costs
the same number of queries whatever its length."""

from typing import Any

from accounts.models import Invitation, Team, User
from designs.models import Design, Revision, Section
from exports.models import ExportJob
from reviews.models import Comment, ReviewRequest, Verdict
from reviews.selectors import suggestion_diff
from reviews.selectors.threads import passage_of, suggestion_of


def user_ref(user: User) -> dict[str, Any]:
    return {"id": user.pk, "username": user.username}


def team_ref(team: Team) -> dict[str, Any]:
    return {"id": team.pk, "name": team.name}


def team_data(team: Team) -> dict[str, Any]:
    return {"id": team.pk, "name": team.name, "member_count": team.member_count}  # type: ignore[attr-defined]


def invitation_data(invitation: Invitation) -> dict[str, Any]:
    return {
        "id": invitation.pk,
        "team": team_ref(invitation.team),
        "invited_by": user_ref(invitation.invited_by),
        "role": invitation.role,
        "created_at": invitation.created_at,
    }


def section_data(section: Section) -> dict[str, Any]:
    return {
        "key": section.key,
        "position": section.position,
        "title": section.title,
        "guidance": section.guidance,
        "body": section.body,
        "html": section.body_html,
        "state": section.state,
        "na_reason": section.na_reason,
        "version": section.version,
        "updated_at": section.updated_at,
        "updated_by": section.updated_by.username if section.updated_by else None,
    }


def design_summary_data(design: Design) -> dict[str, Any]:
    return {
        "id": design.pk,
        "title": design.title,
        "summary": design.summary,
        "status": design.status,
        "team": team_ref(design.team),
        "coverage": {
            "percent": design.coverage_percent,
            "covered": design.covered_count,
            "total": design.section_count,
        },
        "last_edited_at": design.last_edited_at,
        "last_edited_by": design.last_edited_by.username,
    }


def design_data(
    design: Design, *, can_edit: bool, sections: list[Section], values: list[dict] | None = None
) -> dict[str, Any]:
    return {
        **design_summary_data(design),
        "created_by": design.created_by.username,
        "created_at": design.created_at,
        "can_edit": can_edit,
        "sections": [section_data(s) for s in sections],
        "values": values or [],
    }


def revision_data(revision: Revision) -> dict[str, Any]:
    return {
        "version": revision.version,
        "body": revision.body,
        "state": revision.state,
        "na_reason": revision.na_reason,
        "author": revision.author.username,
        "restored_from": revision.restored_from,
        "created_at": revision.created_at,
    }


def review_request_data(request: ReviewRequest, *, design: Design) -> dict[str, Any]:
    return {
        "reviewer": user_ref(request.reviewer),
        "requested_by": request.requested_by.username,
        "message": request.message,
        "requested_at": request.requested_at,
        "design_status": design.status,
    }


def comment_data(comment: Comment, *, section_version: int) -> dict[str, Any]:
    return {
        "id": comment.pk,
        "parent_id": comment.parent_id,
        "author": comment.author.username,
        "body": comment.body,
        "html": comment.body_html,
        "issue_status": comment.issue_status or None,
        "section_version": comment.section_version,
        "is_outdated": comment.section_version < section_version,
        "resolved": comment.resolved_at is not None,
        "deleted": comment.is_deleted,
        "created_at": comment.created_at,
        "edited_at": comment.edited_at,
        "round": comment.round.number if comment.round_id and comment.round else None,
        "anchor": anchor_data(comment),
        "suggestion": suggestion_data(comment),
    }


def anchor_data(comment: Comment) -> dict[str, Any] | None:
    anchor = passage_of(comment)
    if anchor is None:
        return None
    return {
        "exact": anchor.exact,
        "prefix": anchor.prefix,
        "suffix": anchor.suffix,
        "start": anchor.start,
        "end": anchor.end,
        "quote": anchor.quote,
        "status": anchor.status,
        "section_version": anchor.section_version,
    }


def suggestion_data(comment: Comment) -> dict[str, Any] | None:
    suggestion = suggestion_of(comment)
    if suggestion is None:
        return None
    anchor = passage_of(comment)
    current = None
    if suggestion.is_open and anchor is not None and not anchor.is_removed:
        current = anchor.exact
    diff = suggestion_diff(suggestion, current=current)
    return {
        "status": suggestion.status,
        "whole_section": suggestion.whole_section,
        "original": suggestion.original,
        "replacement": suggestion.replacement,
        "base_version": suggestion.base_version,
        "diff": [{"kind": part.kind, "text": part.text} for part in diff],
        "decided_by": suggestion.decided_by.username if suggestion.decided_by else None,
        "decided_at": suggestion.decided_at,
        "applied_version": suggestion.applied_version,
    }


def thread_data(thread: Comment, *, section_version: int) -> dict[str, Any]:
    """A thread as ``reviews.selectors.threads_attach`` loaded it, replies included."""
    replies = thread.thread_replies  # type: ignore[attr-defined]
    return {
        **comment_data(thread, section_version=section_version),
        "replies": [comment_data(r, section_version=section_version) for r in replies],
    }


def verdict_data(verdict: Verdict, *, design: Design) -> dict[str, Any]:
    return {
        "id": verdict.pk,
        "verdict": verdict.kind,
        "summary": verdict.summary,
        "html": verdict.summary_html,
        "reviewer": verdict.reviewer.username,
        "created_at": verdict.created_at,
        "design_status": design.status,
        "round": verdict.round.number if verdict.round else None,
    }


def export_data(job: ExportJob, *, download_url: str | None) -> dict[str, Any]:
    return {
        "id": job.pk,
        "design_id": job.design_id,
        "format": job.format,
        "include_review": job.include_review,
        "status": job.status,
        "progress": job.progress,
        "error": job.error,
        "download_url": download_url,
        "created_at": job.created_at,
        "finished_at": job.finished_at,
    }
