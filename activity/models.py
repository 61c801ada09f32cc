"""Activity: what happened, recorded once and never changed; webhooks that hear of it."""

from typing import Any

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone

from accounts.models import Team
from designs.models import Design, Section


class EventKind(models.TextChoices):
    SECTION_SAVED = "section.saved", "Section saved"
    SECTION_RESTORED = "section.restored", "Section restored"
    COMMENT_POSTED = "comment.posted", "Comment posted"
    ISSUE_MOVED = "issue.moved", "Issue status changed"
    VERDICT_GIVEN = "verdict.given", "Verdict given"
    SIGNOFF_GIVEN = "signoff.given", "Sign-off given"
    SIGNOFF_WITHDRAWN = "signoff.withdrawn", "Sign-off withdrawn"
    REVIEW_REQUESTED = "review.requested", "Review requested"
    REVIEW_WITHDRAWN = "review.withdrawn", "Review request withdrawn"
    ROUND_STARTED = "round.started", "Review round started"
    SUGGESTION_APPLIED = "suggestion.applied", "Suggestion applied"
    SUGGESTION_DISMISSED = "suggestion.dismissed", "Suggestion dismissed"
    EXPORT_REQUESTED = "export.requested", "Export requested"
    MEMBERSHIP_CHANGED = "membership.changed", "Membership changed"
    TEAM_ROLE_CHANGED = "team_role.changed", "Team role changed"


class EventQuerySet(models.QuerySet["Event"]):
    """Events are written once: no bulk update or delete through the ORM. Rows go only
    with their team or design (the database's cascade)."""

    def update(self, **kwargs: Any) -> int:
        raise TypeError("Events are immutable: they cannot be updated.")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise TypeError("Events are immutable: they cannot be deleted.")


class Event(models.Model):
    """One change someone made: who, when, what (``kind``, ``summary``, ``data``), in which
    team, design and section. Written by ``activity.services.event_record`` in the
    transaction of the change; never changed afterwards."""

    kind = models.CharField(max_length=40, choices=EventKind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="+")
    design = models.ForeignKey(
        Design, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    section = models.ForeignKey(
        Section, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    summary = models.CharField(max_length=300)
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    objects = EventQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["design", "-created_at", "-id"], name="event_design_newest"),
            models.Index(fields=["team", "-created_at", "-id"], name="event_team_newest"),
        ]

    def __str__(self) -> str:
        return f"{self.kind}: {self.summary}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None and not kwargs.get("force_insert"):
            raise TypeError("Events are immutable: they cannot be changed once recorded.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise TypeError("Events are immutable: they cannot be deleted.")

    @property
    def url(self) -> str:
        """Where the change can be seen: its section, its design, or the team."""
        if self.design_id is None:
            return reverse("teams:detail", args=[self.team_id])
        url = reverse("designs:detail", args=[self.design_id])
        key = (self.data or {}).get("section_key")
        return f"{url}#section-{key}" if key else url


class Webhook(models.Model):
    """A team owner's address that is told (a signed JSON POST) of the team's events of
    the chosen ``kinds``. Switched off by hand, or by Crit once it has failed for a day."""

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="webhooks")
    url = models.URLField(max_length=500)
    # Signs every delivery (HMAC-SHA256). Shown to the owner once, when made or regenerated.
    secret = models.CharField(max_length=100)
    kinds = models.JSONField(default=list)
    active = models.BooleanField(default=True)
    # The first failed delivery since the last one that got through; None while it works.
    failing_since = models.DateTimeField(null=True, blank=True)
    disabled_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["team", "created_at", "id"]
        indexes = [
            models.Index(fields=["team", "active"], name="webhook_team_active"),
            models.Index(fields=["active", "failing_since"], name="webhook_failing"),
        ]

    def __str__(self) -> str:
        return self.url

    def get_absolute_url(self) -> str:
        return reverse("activity:webhook", args=[self.team_id, self.pk])


class Delivery(models.Model):
    """One event sent (and re-sent on failure) to one webhook, with what came back."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        SENDING = "sending", "Sending"
        RETRYING = "retrying", "Will retry"
        SUCCEEDED = "succeeded", "Delivered"
        FAILED = "failed", "Failed"

    webhook = models.ForeignKey(Webhook, on_delete=models.CASCADE, related_name="deliveries")
    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="deliveries")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    response_code = models.PositiveSmallIntegerField(null=True, blank=True)
    duration_ms = models.PositiveIntegerField(null=True, blank=True)
    response_body = models.TextField(blank=True)
    error = models.CharField(max_length=500, blank=True)
    next_retry_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "deliveries"
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(
                    status__in=["pending", "sending", "retrying", "succeeded", "failed"]
                ),
                name="delivery_status_valid",
            ),
        ]
        indexes = [models.Index(fields=["webhook", "-created_at", "-id"], name="delivery_newest")]

    def __str__(self) -> str:
        return f"{self.event_id} to {self.webhook_id}: {self.status}"
