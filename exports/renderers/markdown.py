"""A design as one Markdown file.

Every section body is written byte for byte as stored, between two HTML comments that
Markdown viewers hide, so the file can be read back without loss:

    <!-- crit:body key=KEY version=N -->
    BODY
    (one blank line)
    <!-- crit:end key=KEY -->

Each section's state (and the reason it does not apply, as a JSON string) follows its
heading in one more hidden line, and the summary sits between two of them, so that
importing the file (designs.importing) gives back the same design:

    <!-- crit:section key=KEY state=STATE reason="..." -->
    <!-- crit:summary --> SUMMARY <!-- crit:end summary -->
"""

import json
import re
from datetime import UTC, datetime

from exports.renderers import ExportSource, SectionSnapshot
from reviews.selectors import CommentRecord, IssueRecord, ReviewRecord

BODY_START = "<!-- crit:body key={key} version={version} -->\n"
BODY_END = "\n\n<!-- crit:end key={key} -->\n"
_BODY_RE = re.compile(
    r"<!-- crit:body key=(?P<key>[\w-]+) version=\d+ -->\n(?P<body>.*?)\n\n"
    r"<!-- crit:end key=(?P=key) -->\n",
    re.DOTALL,
)


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _heading(text: str) -> str:
    """A title as one heading line: as written when it is one line already."""
    return text if len(text.splitlines()) <= 1 and text == text.strip() else _one_line(text)


def _state_mark(section: SectionSnapshot) -> str:
    reason = ""
    if section.na_reason:
        # JSON keeps every character; no ">" so the comment cannot end early.
        reason = " reason=" + json.dumps(section.na_reason).replace(">", "\\u003e")
    return f"<!-- crit:section key={section.key} state={section.state}{reason} -->\n\n"


def _table_cell(text: str) -> str:
    return _one_line(text).replace("\\", "\\\\").replace("|", "\\|")


def _quote(text: str, depth: int = 1) -> str:
    prefix = "> " * depth
    return "\n".join((prefix + line).rstrip() for line in text.splitlines()) or prefix.rstrip()


def _section(section: SectionSnapshot) -> str:
    parts = [f"## {section.position}. {_one_line(section.title)}\n\n", _state_mark(section)]
    if section.is_not_applicable:
        parts.append(f"> **Not applicable:** {_one_line(section.na_reason)}\n\n")
    if section.body:
        parts.append(BODY_START.format(key=section.key, version=section.version))
        parts.append(section.body)
        parts.append(BODY_END.format(key=section.key))
    elif not section.is_not_applicable:
        parts.append("*Not answered yet.*\n")
    return "".join(parts)


def _when(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def _comment(comment: CommentRecord, depth: int) -> str:
    tags = []
    if comment.issue_status:
        tags.append(f"issue: {comment.issue_status}")
    if comment.resolved:
        tags.append("resolved")
    if comment.outdated:
        tags.append(f"on version {comment.section_version}")
    if comment.edited:
        tags.append("edited")
    head = f"**{comment.author}**, {_when(comment.created_at)}"
    if tags:
        head += " · " + ", ".join(tags)
    body = "*(deleted)*" if comment.deleted else comment.body
    text = "\n".join([_quote(head, depth), _quote("", depth), _quote(body, depth)])
    for reply in comment.replies:
        text += "\n" + _quote("", depth) + "\n" + _comment(reply, depth + 1)
    return text


def _issue_row(issue: IssueRecord) -> str:
    first_line = next((line for line in issue.body.splitlines() if line.strip()), "(deleted)")
    history = "; ".join(
        f"{c.from_status} → {c.to_status} by {c.changed_by}, {c.changed_at:%Y-%m-%d}"
        for c in issue.changes
    )
    cells = [
        _table_cell(first_line),
        issue.status,
        _table_cell(issue.raised_by),
        f"{issue.raised_at:%Y-%m-%d}",
        _table_cell(history) or "—",
    ]
    return "| " + " | ".join(cells) + " |"


def _signoffs(record: ReviewRecord) -> list[str]:
    """Each section's owner, required sign-offs and the sign-offs given (with what became
    of them), for the sections that have any."""
    out = ["### Sign-offs\n"]
    signed = [s for s in record.sections if s.owner or s.required_signoffs or s.signoffs]
    if not signed:
        out.append("No section needs a sign-off.\n")
        return out
    for section in signed:
        required = ", ".join(f"{_one_line(r.who)} ({r.state})" for r in section.required_signoffs)
        line = f"- **{section.position}. {_one_line(section.title)}** (version {section.version})"
        if section.owner:
            line += f"; owner {section.owner}"
        out.append(f"{line}; required: {required or '—'}")
        for signoff in section.signoffs:
            role = f" as {_one_line(signoff.role)}" if signoff.role else ""
            out.append(
                f"  - {_when(signoff.given_at)}, **{signoff.user}**{role} signed off version "
                f"{signoff.version}: {signoff.status}"
            )
    out.append("")
    return out


def _rounds(record: ReviewRecord) -> str:
    """Each review round, newest first, with its reviewers' verdicts in it."""
    if not record.rounds:
        return ""
    out = ["### Review rounds\n"]
    for round_ in record.rounds:
        people = [f"{v.reviewer}: {v.kind_label}" for v in round_.verdicts]
        people += [f"{name}: waiting" for name in round_.waiting]
        out.append(
            f"- **Round {round_.number}**, {round_.started_at:%Y-%m-%d}, started by "
            f"{round_.started_by}: {'; '.join(people) or 'no verdict'}"
        )
    out.append("")
    return "\n".join(out) + "\n"


def _review(record: ReviewRecord) -> str:
    out = ["## Appendix: review record\n", "### Reviewers\n"]
    if record.reviewers:
        out.append("| Reviewer | Requested by | Latest verdict |")
        out.append("|---|---|---|")
        for reviewer in record.reviewers:
            latest = reviewer.latest_verdict
            latest_text = f"{latest.kind_label} ({latest.given_at:%Y-%m-%d})" if latest else "—"
            out.append(f"| {reviewer.username} | {reviewer.requested_by} | {latest_text} |")
        out.append("")
    else:
        out.append("No reviews were requested.\n")
    out.append(_rounds(record))
    out.append("### Verdicts\n")
    if record.verdicts:
        for verdict in record.verdicts:
            stale = " (the design changed since)" if verdict.stale else ""
            summary = f": {_one_line(verdict.summary)}" if verdict.summary else ""
            out.append(
                f"- {_when(verdict.given_at)}, **{verdict.reviewer}**: "
                f"{verdict.kind_label}{stale}{summary}"
            )
        out.append("")
    else:
        out.append("No verdicts yet.\n")
    out.extend(_signoffs(record))
    reviewed = [s for s in record.sections if s.issues or s.threads]
    if not reviewed:
        out.append("No issues or comments were raised.\n")
    for section in reviewed:
        out.append(f"### {section.position}. {_one_line(section.title)}\n")
        if section.issues:
            out.append("Issues:\n")
            out.append("| Issue | Status | Raised by | Raised | History |")
            out.append("|---|---|---|---|---|")
            out.extend(_issue_row(issue) for issue in section.issues)
            out.append("")
        if section.threads:
            out.append("Comments:\n")
        for thread in section.threads:
            out.append(_comment(thread, 1))
            out.append("")
    return "\n".join(out)


def render(source: ExportSource) -> str:
    """The design as Markdown text (UTF-8 when written)."""
    head = [
        f"# {_heading(source.title)}\n",
        f"- **Team:** {source.team}",
        f"- **Authors:** {', '.join(source.authors) or '—'}",
        f"- **Status:** {source.status_label}",
        f"- **Coverage:** {source.covered_count} of {source.section_count} sections "
        f"({source.coverage_percent}%)",
        f"- **Last edited:** {source.last_edited_at:%Y-%m-%d %H:%M} UTC\n",
    ]
    if source.summary:
        head.append(f"<!-- crit:summary -->\n{source.summary}\n<!-- crit:end summary -->\n")
    parts = ["\n".join(head) + "\n"]
    parts.extend(_section(section) + "\n" for section in source.sections)
    if source.review is not None:
        parts.append(_review(source.review))
    return "".join(parts).rstrip("\n") + "\n"


def section_bodies(text: str) -> dict[str, str]:
    """Read the section bodies back from an exported file: {key: body as stored}."""
    return {m["key"]: m["body"] for m in _BODY_RE.finditer(text)}
