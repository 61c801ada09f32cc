from django.conf import settings
from django.db import models
from django.urls import reverse

from accounts.models import TeamRole
from designs.models import Design, Section


class ReviewRequest(models.Model):
    """``reviewer`` was asked to review ``design``. Asking again bumps ``requested_at``."""

    design = models.ForeignKey(Design, on_delete=models.CASCADE, related_name="review_requests")
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="review_requests"
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    message = models.TextField(blank=True, max_length=2000)
    requested_at = models.DateTimeField()
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["design", "created_at"]
        constraints = [
            models.UniqueConstraint(fields=["design", "reviewer"], name="review_request_unique"),
        ]
        indexes = [models.Index(fields=["reviewer", "-requested_at"])]

    def __str__(self) -> str:
        return f"{self.reviewer} reviews {self.design}"


class ReviewRound(models.Model):
    """One round of review of a design. Round 1 starts with the first review request; the
    authors start the next one by asking for a re-review. ``revision`` is every section's
    version when the round started: {section key: version}."""

    design = models.ForeignKey(Design, on_delete=models.CASCADE, related_name="review_rounds")
    number = models.PositiveIntegerField()
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    started_at = models.DateTimeField()
    revision = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["design", "number"]
        constraints = [
            models.UniqueConstraint(fields=["design", "number"], name="review_round_unique"),
            models.CheckConstraint(condition=models.Q(number__gte=1), name="review_round_from_1"),
        ]

    def __str__(self) -> str:
        return f"Round {self.number} of {self.design_id}"


class Comment(models.Model):
    """A comment on a section. Top-level comments start threads; replies are one level deep.

    A top-level comment may be an issue (open, fixed or dropped). ``section_version`` is the
    section's version when the comment was written: a newer section makes it outdated.
    """

    class IssueStatus(models.TextChoices):
        NONE = "", "Not an issue"
        OPEN = "open", "Open"
        FIXED = "fixed", "Fixed"
        DROPPED = "dropped", "Dropped"

    design = models.ForeignKey(Design, on_delete=models.CASCADE, related_name="comments")
    section = models.ForeignKey(Section, on_delete=models.CASCADE, related_name="comments")
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.CASCADE, related_name="replies"
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="review_comments"
    )
    body = models.TextField(blank=True)
    # Rendered, sanitised HTML with mentions linked: page views never render Markdown.
    body_html = models.TextField(blank=True)
    section_version = models.PositiveIntegerField()
    # The review round it was written in (none before the first review request).
    round = models.ForeignKey(
        ReviewRound, null=True, blank=True, on_delete=models.SET_NULL, related_name="comments"
    )
    issue_status = models.CharField(
        max_length=10, choices=IssueStatus.choices, default=IssueStatus.NONE, blank=True
    )
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    edited_at = models.DateTimeField(null=True, blank=True)
    deleted_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["created_at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(issue_status__in=["", "open", "fixed", "dropped"]),
                name="comment_issue_status_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(parent__isnull=True)
                | (models.Q(issue_status="") & models.Q(resolved_at__isnull=True)),
                name="comment_reply_is_plain",
            ),
        ]
        indexes = [
            models.Index(fields=["design", "section", "created_at"]),
            models.Index(
                # With updated_at, the dashboard's stamp (how many, the newest change) reads
                # the index alone.
                fields=["design", "issue_status", "updated_at"],
                name="comment_open_issues",
                condition=models.Q(issue_status="open"),
            ),
        ]

    def __str__(self) -> str:
        return f"Comment {self.pk} by {self.author_id} on {self.section_id}"

    def get_absolute_url(self) -> str:
        return reverse("designs:detail", args=[self.design_id]) + f"#comment-{self.pk}"

    @property
    def is_issue(self) -> bool:
        return bool(self.issue_status)

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None


class IssueChange(models.Model):
    """One status change of an issue: who moved it from what to what, and when."""

    comment = models.ForeignKey(Comment, on_delete=models.CASCADE, related_name="issue_changes")
    from_status = models.CharField(max_length=10, choices=Comment.IssueStatus.choices, blank=True)
    to_status = models.CharField(max_length=10, choices=Comment.IssueStatus.choices)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"{self.comment_id}: {self.from_status or 'new'} -> {self.to_status}"


class Verdict(models.Model):
    class Kind(models.TextChoices):
        APPROVE = "approve", "Approved"
        REQUEST_CHANGES = "request_changes", "Changes requested"
        COMMENT = "comment", "Commented"

    design = models.ForeignKey(Design, on_delete=models.CASCADE, related_name="verdicts")
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="verdicts"
    )
    kind = models.CharField(max_length=20, choices=Kind.choices)
    summary = models.TextField(blank=True)
    summary_html = models.TextField(blank=True)
    # The design's revision the verdict was given on: {section key: section version}.
    revision = models.JSONField(default=dict)
    # An approval goes stale when a section changes after it.
    stale_at = models.DateTimeField(null=True, blank=True)
    round = models.ForeignKey(
        ReviewRound, null=True, blank=True, on_delete=models.SET_NULL, related_name="verdicts"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["created_at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(kind__in=["approve", "request_changes", "comment"]),
                name="verdict_kind_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(stale_at__isnull=True) | models.Q(kind="approve"),
                name="verdict_only_approvals_go_stale",
            ),
        ]
        indexes = [models.Index(fields=["design", "reviewer", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.reviewer_id} {self.kind} {self.design_id}"

    @property
    def is_stale(self) -> bool:
        return self.stale_at is not None


class Notification(models.Model):
    class Kind(models.TextChoices):
        REVIEW_REQUESTED = "review_requested", "Review requested"
        COMMENT = "comment", "New comment"
        REPLY = "reply", "New reply"
        ISSUE_CHANGED = "issue_changed", "Issue status changed"
        VERDICT = "verdict", "Verdict given"
        MENTION = "mention", "Mention"
        APPROVAL_STALE = "approval_stale", "Approval went stale"
        SIGNOFF_RESET = "signoff_reset", "Sign-off reset by an edit"
        REREVIEW_REQUESTED = "rereview_requested", "Re-review requested"

    class EmailStatus(models.TextChoices):
        NONE = "", "Not emailed"
        SENT = "sent", "Sent"
        SKIPPED = "skipped", "Skipped (settings, or no longer a reader)"
        HELD = "held", "Held for a digest (your choice, or the hourly email cap)"
        FAILED = "failed", "Failed"

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    kind = models.CharField(max_length=20, choices=Kind.choices)
    design = models.ForeignKey(Design, on_delete=models.CASCADE, related_name="+")
    section = models.ForeignKey(
        Section, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    comment = models.ForeignKey(
        Comment, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    text = models.CharField(max_length=300)
    excerpt = models.TextField(blank=True)
    # Path of the exact place on the design page, e.g. /designs/3/#section-how-to-scale-the-db
    url = models.CharField(max_length=500)
    read_at = models.DateTimeField(null=True, blank=True)
    email_status = models.CharField(
        max_length=10, choices=EmailStatus.choices, default=EmailStatus.NONE, blank=True
    )
    email_error = models.CharField(max_length=500, blank=True)
    # A held email waits for the digest of this period ("hourly" or "daily").
    digest_period = models.CharField(max_length=10, blank=True)
    # The digest that listed it: claimed with the digest row, in one transaction.
    digest = models.ForeignKey(
        "Digest", null=True, blank=True, on_delete=models.SET_NULL, related_name="notifications"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            # Someone hears of a mention in a given comment once, however often it is edited.
            models.UniqueConstraint(
                fields=["recipient", "comment"],
                condition=models.Q(kind="mention"),
                name="notification_mention_once",
            ),
        ]
        indexes = [
            models.Index(fields=["recipient", "-created_at"]),
            models.Index(
                fields=["recipient"],
                name="notification_unread",
                condition=models.Q(read_at__isnull=True),
            ),
            models.Index(
                fields=["recipient"],
                name="notification_email_held",
                condition=models.Q(email_status="held"),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} for {self.recipient_id}"

    @property
    def is_read(self) -> bool:
        return self.read_at is not None


class EmailDelivery(models.TextChoices):
    """How a person hears of one kind of event by email."""

    IMMEDIATE = "immediate", "Email at once"
    HOURLY = "hourly", "Hourly digest"
    DAILY = "daily", "Daily digest"
    NONE = "none", "No email"


class NotificationSettings(models.Model):
    """Which events a user is emailed about, and how. No row, or no choice for a kind, means
    it is emailed at once."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_settings"
    )
    email_enabled = models.BooleanField("email me at all", default=True)
    # {Notification.Kind: EmailDelivery}; a kind missing is EmailDelivery.IMMEDIATE.
    email_delivery = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "notification settings"

    def __str__(self) -> str:
        return f"Notification settings of {self.user_id}"

    def delivery_for(self, kind: str) -> str:
        value = (self.email_delivery or {}).get(kind, EmailDelivery.IMMEDIATE)
        return value if value in EmailDelivery.values else EmailDelivery.IMMEDIATE


class Digest(models.Model):
    """One digest email to one person for one period. The row is claimed (created, with its
    notifications attached) in one transaction and sent after the commit; its status
    makes a retry send it again after a failure and never after a send went through."""

    class Period(models.TextChoices):
        HOURLY = "hourly", "Hourly"
        DAILY = "daily", "Daily"

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting to be sent"
        SENDING = "sending", "Being sent"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed (retried)"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="digests"
    )
    period = models.CharField(max_length=10, choices=Period.choices)
    period_start = models.DateTimeField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    error = models.CharField(max_length=500, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-period_start", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "period", "period_start"], name="digest_once_per_period"
            ),
            models.CheckConstraint(
                condition=models.Q(period__in=["hourly", "daily"]), name="digest_period_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=["pending", "sending", "sent", "failed"]),
                name="digest_status_valid",
            ),
        ]
        indexes = [
            models.Index(
                fields=["status"],
                name="digest_unsent",
                condition=~models.Q(status="sent"),
            )
        ]

    def __str__(self) -> str:
        return f"{self.period} digest of {self.user_id} from {self.period_start:%Y-%m-%d %H:%M}"


class SectionOwner(models.Model):
    """The team member who answers for a section. Set by the design's editors."""

    section = models.OneToOneField(
        Section, on_delete=models.CASCADE, primary_key=True, related_name="signoff_owner"
    )
    design = models.ForeignKey(Design, on_delete=models.CASCADE, related_name="+")
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="owned_sections"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        indexes = [models.Index(fields=["design"])]

    def __str__(self) -> str:
        return f"{self.owner_id} owns {self.section_id}"


class SignoffRequirement(models.Model):
    """A section needs the sign-off of a named person (``user``) or of any holder of a
    team role (``role``): exactly one of the two."""

    design = models.ForeignKey(Design, on_delete=models.CASCADE, related_name="+")
    section = models.ForeignKey(
        Section, on_delete=models.CASCADE, related_name="signoff_requirements"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="signoff_requirements",
    )
    role = models.ForeignKey(
        TeamRole, null=True, blank=True, on_delete=models.CASCADE, related_name="requirements"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["section", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=(models.Q(user__isnull=True) & models.Q(role__isnull=False))
                | (models.Q(user__isnull=False) & models.Q(role__isnull=True)),
                name="signoff_requirement_user_xor_role",
            ),
            models.UniqueConstraint(
                fields=["section", "user"],
                condition=models.Q(user__isnull=False),
                name="signoff_requirement_user_once",
            ),
            models.UniqueConstraint(
                fields=["section", "role"],
                condition=models.Q(role__isnull=False),
                name="signoff_requirement_role_once",
            ),
        ]
        indexes = [
            models.Index(fields=["design", "section"]),
            models.Index(fields=["user"], name="signoff_req_user"),
            models.Index(fields=["role"], name="signoff_req_role"),
        ]

    def __str__(self) -> str:
        who = f"user {self.user_id}" if self.user_id else f"role {self.role_id}"
        return f"{self.section_id} needs {who}"


class SectionSignoff(models.Model):
    """``user`` signed off ``section`` at ``version``, in their own name (``role`` empty)
    or as a holder of ``role``. Never deleted: an edit of the section marks it reset
    (``reset_at``), its giver withdrawing it marks it withdrawn; a sign-off counts only
    while neither is set and the section is still at ``version``."""

    design = models.ForeignKey(Design, on_delete=models.CASCADE, related_name="+")
    section = models.ForeignKey(Section, on_delete=models.CASCADE, related_name="signoffs")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="section_signoffs"
    )
    role = models.ForeignKey(
        TeamRole, null=True, blank=True, on_delete=models.SET_NULL, related_name="signoffs"
    )
    # The name of the role when given, kept for the record if the role is removed later.
    role_name = models.CharField(max_length=50, blank=True)
    version = models.PositiveIntegerField()
    reset_at = models.DateTimeField(null=True, blank=True)
    reset_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["created_at", "pk"]
        constraints = [
            # One live sign-off per person, section and capacity (own name, or a role).
            models.UniqueConstraint(
                fields=["section", "user"],
                condition=models.Q(
                    role__isnull=True, reset_at__isnull=True, withdrawn_at__isnull=True
                ),
                name="section_signoff_live_once",
            ),
            models.UniqueConstraint(
                fields=["section", "user", "role"],
                condition=models.Q(
                    role__isnull=False, reset_at__isnull=True, withdrawn_at__isnull=True
                ),
                name="section_signoff_live_once_per_role",
            ),
        ]
        indexes = [
            models.Index(
                fields=["design", "section"],
                name="section_signoff_live",
                condition=models.Q(reset_at__isnull=True, withdrawn_at__isnull=True),
            ),
            models.Index(fields=["section", "-created_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} signed off {self.section_id} v{self.version}"

    @property
    def is_live(self) -> bool:
        return self.reset_at is None and self.withdrawn_at is None


class CommentAnchor(models.Model):
    """The passage a thread is about, kept as a W3C Web Annotation TextQuoteSelector over
    the section's Markdown source: the quote (``exact``) with some text before and after it
    and a position hint (``start``, ``end``). Every save of the section finds the passage
    again (``reviews.anchoring``); a passage that is gone is marked removed and keeps its
    last quote. ``quote`` is the passage as first commented on."""

    class Status(models.TextChoices):
        ANCHORED = "anchored", "Anchored"
        REMOVED = "removed", "Passage removed"

    comment = models.OneToOneField(
        Comment, on_delete=models.CASCADE, primary_key=True, related_name="anchor"
    )
    section = models.ForeignKey(Section, on_delete=models.CASCADE, related_name="comment_anchors")
    quote = models.TextField()
    exact = models.TextField()
    prefix = models.TextField(blank=True)
    suffix = models.TextField(blank=True)
    start = models.PositiveIntegerField()
    end = models.PositiveIntegerField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.ANCHORED)
    # The section's version the passage was last found in.
    section_version = models.PositiveIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=["anchored", "removed"]),
                name="comment_anchor_status_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(end__gte=models.F("start")), name="comment_anchor_span"
            ),
        ]
        indexes = [
            # A save reads the section's anchors still in place.
            models.Index(
                fields=["section"],
                name="comment_anchor_anchored",
                condition=models.Q(status="anchored"),
            )
        ]

    def __str__(self) -> str:
        return f"Anchor of {self.comment_id} ({self.status})"

    @property
    def is_removed(self) -> bool:
        return self.status == self.Status.REMOVED


class Suggestion(models.Model):
    """A suggested edit: ``replacement`` for the passage ``original`` (at ``start``..``end``
    of ``base_body``, the section's text at ``base_version``) or, with ``whole_section``,
    for the whole text. The section's editors apply it (a new revision crediting the
    reviewer) or dismiss it with a reply."""

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        APPLIED = "applied", "Applied"
        DISMISSED = "dismissed", "Dismissed"

    comment = models.OneToOneField(
        Comment, on_delete=models.CASCADE, primary_key=True, related_name="suggestion"
    )
    design = models.ForeignKey(Design, on_delete=models.CASCADE, related_name="+")
    section = models.ForeignKey(Section, on_delete=models.CASCADE, related_name="suggestions")
    whole_section = models.BooleanField(default=False)
    original = models.TextField(blank=True)
    replacement = models.TextField(blank=True)
    start = models.PositiveIntegerField()
    end = models.PositiveIntegerField()
    base_version = models.PositiveIntegerField()
    base_body = models.TextField(blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    applied_version = models.PositiveIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["created_at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=["open", "applied", "dismissed"]),
                name="suggestion_status_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(end__gte=models.F("start")), name="suggestion_span"
            ),
            models.CheckConstraint(
                condition=~models.Q(status="applied") | models.Q(applied_version__isnull=False),
                name="suggestion_applied_has_version",
            ),
        ]
        indexes = [models.Index(fields=["section", "status"])]

    def __str__(self) -> str:
        return f"Suggestion {self.comment_id} ({self.status})"

    @property
    def is_open(self) -> bool:
        return self.status == self.Status.OPEN

    @property
    def suggested_body(self) -> str:
        """The section's text at ``base_version`` with the suggestion made."""
        return self.base_body[: self.start] + self.replacement + self.base_body[self.end :]
