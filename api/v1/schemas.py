"""Request and response shapes. Text comes back exactly as it was stored."""

from datetime import datetime
from typing import Annotated, Literal

from django.conf import settings
from ninja import Schema
from pydantic import AfterValidator, Field
from pydantic_core import PydanticCustomError

from api.v1.errors import PayloadTooLarge
from config.converters import MAX_ID
from designs.models import SUMMARY_MAX_CHARS

# Ids are 64-bit in the database; a larger number can only be "no such row".
MAX_VERSION = 2**31 - 1
SLUG_PATTERN = r"^[-a-zA-Z0-9_]+$"


def _valid_unicode(value: str) -> str:
    # JSON can carry lone surrogates ("\ud800") and NUL; neither is storable text.
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise PydanticCustomError(
            "unicode", "Text must be valid Unicode (no unpaired surrogates)."
        ) from exc
    if "\x00" in value:
        raise PydanticCustomError("nul", "Text cannot contain the NUL character (U+0000).")
    return value


def _untrimmed(value: str) -> str:
    # Crit trims these fields; refuse rather than silently change what was sent.
    if value != value.strip():
        raise PydanticCustomError("whitespace", "Remove the leading and trailing whitespace.")
    return value


def _no_carriage_return(value: str) -> str:
    # Review text is stored with \n line breaks; refuse \r rather than convert it.
    if "\r" in value:
        raise PydanticCustomError("newline", "Use \\n for line breaks, not \\r.")
    return value


Text = Annotated[str, AfterValidator(_valid_unicode)]
Line = Annotated[str, AfterValidator(_valid_unicode), AfterValidator(_untrimmed)]
ReviewText = Annotated[
    str,
    AfterValidator(_valid_unicode),
    AfterValidator(_untrimmed),
    AfterValidator(_no_carriage_return),
]


def limit_bytes(value: str | None, *, field: str, limit: int) -> None:
    if value is None:
        return
    size = len(value.encode("utf-8"))
    if size > limit:
        raise PayloadTooLarge(field=field, limit=limit, unit="bytes", size=size)


def limit_chars(value: str | None, *, field: str, limit: int) -> None:
    if value is not None and len(value) > limit:
        raise PayloadTooLarge(field=field, limit=limit, unit="characters", size=len(value))


def section_body_limit() -> int:
    return settings.CRIT_SECTION_BODY_MAX_BYTES


def title_limit() -> int:
    return settings.CRIT_TITLE_MAX_CHARS


def comment_limit() -> int:
    return settings.CRIT_COMMENT_BODY_MAX_BYTES


# People and teams ------------------------------------------------------------------------


class UserRef(Schema):
    id: int
    username: str


class MeOut(Schema):
    id: int
    username: str
    email: str
    display_name: str
    auth: Literal["token", "session"]


class TeamOut(Schema):
    id: int
    name: str
    member_count: int


class TeamIn(Schema):
    name: Line = Field(
        description="At most 100 characters; unique (ignoring case) among the teams you created."
    )


class InviteIn(Schema):
    username: Line = Field(description="Username or email of the person to invite.")
    role: Literal["owner", "member"] = "member"


class InviteOut(Schema):
    detail: str


class MemberRoleIn(Schema):
    role: Literal["owner", "member"]


class MemberOut(Schema):
    user: UserRef
    role: str


class TeamRef(Schema):
    id: int
    name: str


class InvitationOut(Schema):
    id: int
    team: TeamRef
    invited_by: UserRef
    role: str
    created_at: datetime


class JoinedOut(Schema):
    team: TeamRef
    role: str


# Designs ---------------------------------------------------------------------------------

StatusName = Literal["draft", "in_review", "approved", "changes_requested"]
StateName = Literal["empty", "draft", "answered", "not_applicable"]


class Coverage(Schema):
    percent: int
    covered: int
    total: int


class SectionOut(Schema):
    key: str
    position: int
    title: str
    guidance: str
    body: str
    html: str = Field(description="The body rendered from Markdown and sanitised.")
    state: StateName
    na_reason: str
    version: int
    updated_at: datetime
    updated_by: str | None


class SectionSavedOut(SectionOut):
    merged: bool = Field(
        description="True when the save was made from an older version and merged with the "
        "saves since (edits that do not overlap)."
    )


class DesignSummaryOut(Schema):
    id: int
    title: str
    summary: str
    status: StatusName
    team: TeamRef
    coverage: Coverage
    last_edited_at: datetime
    last_edited_by: str


class ValueOut(Schema):
    name: str | None = Field(description="The name the calc line defines.")
    value: float | None = Field(description="The result in `unit`; null when it has an error.")
    unit: str | None = Field(
        description="The unit of `value` and `display`: the line's target unit if it gives one."
    )
    display: str | None = Field(
        description="The result as the page shows it (3 significant figures)."
    )
    error: str | None
    warning: str | None
    section: str = Field(description="The key of the section that defines it.")
    line: int = Field(description="The line of the section's text, from 1.")
    formula: str


class DesignOut(DesignSummaryOut):
    created_by: str
    created_at: datetime
    can_edit: bool
    sections: list[SectionOut]
    values: list[ValueOut] = Field(
        default_factory=list, description="The estimates of the design's calc blocks."
    )


class DesignIn(Schema):
    team_id: int = Field(ge=1, le=MAX_ID)
    title: Line = Field(
        description="At most 200 characters (413 above).",
        json_schema_extra={"maxLength": 200},
    )
    summary: Line = Field(
        "",
        description=f"At most {SUMMARY_MAX_CHARS:,} characters (413 above).",
        json_schema_extra={"maxLength": SUMMARY_MAX_CHARS},
    )
    template_id: int | None = Field(
        None, ge=1, le=MAX_ID, description="Defaults to the default checklist."
    )


class SectionPatchIn(Schema):
    body: Text | None = Field(
        None,
        description=(
            "Markdown, stored exactly as sent. At most 200,000 bytes of UTF-8 (413 above). "
            "Control characters other than tab, newline and carriage return are refused (422). "
            "Omitted: the body stays as it is."
        ),
        json_schema_extra={"x-max-bytes": 200_000},
    )
    state: StateName | None = Field(
        None,
        description=(
            "Omitted: keeps the state (an empty section with a body becomes draft). "
            "not_applicable needs na_reason; answered needs a body."
        ),
    )
    na_reason: Line | None = Field(None, description="Why the section does not apply.")
    base_version: int = Field(
        ge=0,
        le=MAX_VERSION,
        description="The version you edited; 409 if the section was saved since.",
    )


class ConflictOut(Schema):
    detail: str
    current: SectionOut


class RevisionOut(Schema):
    version: int
    body: str
    state: StateName
    na_reason: str
    author: str
    restored_from: int | None
    created_at: datetime


# Reviews ---------------------------------------------------------------------------------

REVIEW_TEXT = (
    "Markdown with @mentions, stored exactly as sent: at most 50,000 bytes of UTF-8 (413 "
    "above); no leading or trailing whitespace and \\n line breaks (422 otherwise)."
)


class ReviewerIn(Schema):
    username: Line = Field(description="Username or email of the person to ask.")
    message: ReviewText = Field("", description="At most 2,000 characters.")


class ReviewRequestOut(Schema):
    reviewer: UserRef
    requested_by: str
    message: str
    requested_at: datetime
    design_status: StatusName


class AnchorIn(Schema):
    """A passage of the section's text, as a W3C Web Annotation TextQuoteSelector: the
    quoted text with some text before and after it, and where it starts and ends (a hint).
    It is found in the section's Markdown as it is now (fuzzily: a quote of the rendered
    text, without the Markdown's marks, is found too)."""

    exact: Text = Field(min_length=1, max_length=5000, description="The quoted passage.")
    prefix: Text = Field("", max_length=256, description="Text just before it.")
    suffix: Text = Field("", max_length=256, description="Text just after it.")
    start: int = Field(0, ge=0, le=MAX_VERSION, description="Where it starts (a hint).")
    end: int = Field(0, ge=0, le=MAX_VERSION, description="Where it ends (a hint).")


class AnchorOut(Schema):
    exact: str = Field(description="The passage as it is now (its last quote once removed).")
    prefix: str
    suffix: str
    start: int = Field(description="Offset in the section's Markdown at `section_version`.")
    end: int
    quote: str = Field(description="The passage as first commented on.")
    status: Literal["anchored", "removed"] = Field(
        description="`removed`: the passage is no longer in the text."
    )
    section_version: int = Field(description="The section's version it was last found in.")


class DiffPartOut(Schema):
    kind: Literal["same", "removed", "added"]
    text: str


class SuggestionOut(Schema):
    status: Literal["open", "applied", "dismissed"]
    whole_section: bool
    original: str = Field(description="The text it replaces, as it was when suggested.")
    replacement: str
    base_version: int = Field(description="The section's version it was made on.")
    diff: list[DiffPartOut] = Field(description="Word diff against the text it replaces now.")
    decided_by: str | None
    decided_at: datetime | None
    applied_version: int | None = Field(description="The revision it made, once applied.")


class CommentIn(Schema):
    body: ReviewText = Field(description=REVIEW_TEXT, json_schema_extra={"x-max-bytes": 50_000})
    parent_id: int | None = Field(
        None, ge=1, le=MAX_ID, description="Reply to this thread (replies are one level deep)."
    )
    is_issue: bool = Field(False, description="Raise an issue (top-level comments only).")
    anchor: AnchorIn | None = Field(
        None, description="Comment on this passage of the section (top-level comments only)."
    )


class CommentPatchIn(Schema):
    body: ReviewText | None = Field(
        None,
        description="New text (the author only). " + REVIEW_TEXT,
        json_schema_extra={"x-max-bytes": 50_000},
    )
    issue_status: Literal["open", "fixed", "dropped"] | None = Field(
        None,
        description=(
            "Move an issue: authors mark it fixed; the raiser or the authors drop or reopen it."
        ),
    )


class CommentOut(Schema):
    id: int
    parent_id: int | None
    author: str
    body: str
    html: str
    issue_status: Literal["open", "fixed", "dropped"] | None
    section_version: int = Field(description="The section's version when it was written.")
    is_outdated: bool
    resolved: bool
    deleted: bool
    created_at: datetime
    edited_at: datetime | None
    round: int | None = Field(None, description="The review round it was written in.")
    anchor: AnchorOut | None = Field(None, description="The passage a thread is on.")
    suggestion: SuggestionOut | None = Field(None, description="The edit a thread suggests.")


class ThreadOut(CommentOut):
    replies: list[CommentOut]


VerdictName = Literal["approve", "request_changes", "comment"]


class VerdictIn(Schema):
    verdict: VerdictName
    summary: ReviewText = Field(
        "", description=REVIEW_TEXT, json_schema_extra={"x-max-bytes": 50_000}
    )


class VerdictOut(Schema):
    id: int
    verdict: VerdictName
    summary: str
    html: str
    reviewer: str
    created_at: datetime
    design_status: StatusName
    round: int | None = Field(None, description="The review round it was given in.")


# Exports ---------------------------------------------------------------------------------


class ExportIn(Schema):
    format: Literal["markdown", "pdf"]
    include_review: bool = False


class ExportOut(Schema):
    id: int
    design_id: int
    format: Literal["markdown", "pdf"]
    include_review: bool
    status: Literal["queued", "running", "done", "failed"]
    progress: int = Field(description="0 to 100.")
    error: str
    download_url: str | None = Field(description="Serves the file once the job is done.")
    created_at: datetime
    finished_at: datetime | None


class SuggestionIn(Schema):
    replacement: Text = Field(
        description="The suggested text: for `anchor`'s passage, or the whole section.",
        json_schema_extra={"x-max-bytes": 200_000},
    )
    anchor: AnchorIn | None = Field(None, description="The passage; none: the whole section.")
    body: ReviewText = Field("", description="Why (optional). " + REVIEW_TEXT)


class SuggestionDismissIn(Schema):
    body: ReviewText = Field(min_length=1, description="The reply saying why. " + REVIEW_TEXT)


class SuggestionConflictOut(Schema):
    detail: str
    section_version: int
