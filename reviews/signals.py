"""Signals reviews sends so that apps above it (realtime) can react without reviews
importing them. Each is sent inside the writing transaction; a receiver that acts outside
the database (a push to open pages) waits for the commit itself.

Receivers only call their own app's services; they hold no rules of their own.
"""

from django.dispatch import Signal

# A section's threads changed: a comment added, replied to, edited or deleted, an issue
# moved, a thread resolved. Arguments: design_id (int), section_key (str).
threads_changed = Signal()

# Who reviews a design or what they said changed: a review requested or withdrawn, a
# verdict given, approvals gone stale. Arguments: design_id (int).
review_changed = Signal()

# People's unread notifications changed (new ones, or read). Arguments: recipient_ids
# (list of int).
notifications_changed = Signal()

# A section was signed off. Arguments: signoff (SectionSignoff), design_id (int),
# section_key (str).
signoff_given = Signal()

# Sign-offs stopped counting: an edit of the section reset them (``reason`` "edited", with
# ``edited_by``) or their giver withdrew one (``reason`` "withdrawn"). Arguments: signoffs
# (list of SectionSignoff), design_id (int), section_key (str), reason (str), by (User).
signoff_reset = Signal()
# A new review round started: the authors asked for a re-review. Arguments: design_id (int),
# round_id (int), number (int), started_by_id (int). Not sent for round 1, which starts with
# the first review request (review_changed says so).
round_started = Signal()

# A comment was posted: a thread started (an issue when ``comment.issue_status`` is set) or a
# reply. Arguments: comment (Comment, its design and section loaded).
comment_posted = Signal()

# An issue moved between open, fixed and dropped. Arguments: comment (Comment),
# from_status (str), to_status (str), changed_by (User).
issue_moved = Signal()

# A requested reviewer gave a verdict. Arguments: verdict (Verdict, its design loaded).
verdict_given = Signal()

# Someone was asked to review a design (or asked again). Arguments: request (ReviewRequest),
# design (Design), reviewer (User), requested_by (User), created (bool: False when asked
# again).
review_requested = Signal()

# A review request was withdrawn. Arguments: design (Design), reviewer (User),
# withdrawn_by (User).
review_withdrawn = Signal()
# A suggested edit was applied: the section got a new revision crediting the reviewer.
# Arguments: suggestion (Suggestion), actor (User: who applied it), design (Design),
# section (Section, as saved).
suggestion_applied = Signal()

# A suggested edit was dismissed with a reply. Arguments: suggestion (Suggestion), actor
# (User: who dismissed it), design (Design), section (Section).
suggestion_dismissed = Signal()
