"""Reads for reviews that depend on who asks. Outsiders always get Http404.

Everything a page shows is loaded in a fixed number of queries, whatever the number of
sections, comments or verdicts.
"""

from reviews.selectors.access import comment_get_for, user_can_see_design
from reviews.selectors.dashboard import designs_waiting_for_review, designs_with_open_issues
from reviews.selectors.notifications import (
    notification_get_for,
    notification_list,
    notification_settings_for,
    notification_unread_count,
)
from reviews.selectors.page import (
    ChangedSection,
    DesignReview,
    ReviewerRow,
    changed_since,
    design_review,
    latest_verdicts,
)
from reviews.selectors.record import (
    CommentRecord,
    IssueChangeRecord,
    IssueRecord,
    ReviewerRecord,
    ReviewRecord,
    RoundRecord,
    SectionReviewRecord,
    VerdictRecord,
    review_record,
)
from reviews.selectors.rounds import (
    ChangesSinceReview,
    RoundRow,
    SectionChange,
    changes_since_last_review,
    review_rounds,
)
from reviews.selectors.suggestions import (
    DiffPart,
    suggestion_diff,
    suggestion_get_for,
)
from reviews.selectors.threads import (
    OpenIssue,
    ThreadsState,
    load_threads,
    threads_attach,
    threads_decorate,
    threads_state_attach,
)

__all__ = [
    "ChangedSection",
    "ChangesSinceReview",
    "CommentRecord",
    "DesignReview",
    "DiffPart",
    "IssueChangeRecord",
    "IssueRecord",
    "OpenIssue",
    "ReviewRecord",
    "ReviewerRecord",
    "ReviewerRow",
    "RoundRecord",
    "RoundRow",
    "SectionChange",
    "SectionReviewRecord",
    "ThreadsState",
    "VerdictRecord",
    "changed_since",
    "changes_since_last_review",
    "comment_get_for",
    "design_review",
    "designs_waiting_for_review",
    "designs_with_open_issues",
    "latest_verdicts",
    "load_threads",
    "notification_get_for",
    "notification_list",
    "notification_settings_for",
    "notification_unread_count",
    "review_record",
    "review_rounds",
    "suggestion_diff",
    "suggestion_get_for",
    "threads_attach",
    "threads_decorate",
    "threads_state_attach",
    "user_can_see_design",
]
