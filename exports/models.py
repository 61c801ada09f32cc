"""Exports: one job per request to turn a design into a Markdown file or a PDF."""

from django.conf import settings
from django.db import models
from django.urls import reverse

from designs.models import Design


class ExportJob(models.Model):
    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    class Format(models.TextChoices):
        MARKDOWN = "markdown", "Markdown"
        PDF = "pdf", "PDF"

    ACTIVE_STATUSES = (Status.QUEUED, Status.RUNNING)
    FINISHED_STATUSES = (Status.DONE, Status.FAILED)
    EXTENSIONS = {Format.MARKDOWN: "md", Format.PDF: "pdf"}
    CONTENT_TYPES = {Format.MARKDOWN: "text/markdown; charset=utf-8", Format.PDF: "application/pdf"}

    design = models.ForeignKey(Design, on_delete=models.CASCADE, related_name="export_jobs")
    format = models.CharField(max_length=10, choices=Format.choices)
    options = models.JSONField(default=dict, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="export_jobs"
    )
    # The design as it was asked for: {section key: section version}.
    revision = models.JSONField(default=dict)
    # Hash of everything the file is made from (revision, metadata, options, review record):
    # the same source, format and options give the same file, so it is made only once.
    source_digest = models.CharField(max_length=64)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    progress = models.PositiveSmallIntegerField(default=0)
    error = models.TextField(blank=True)
    # Each claim by a worker increments this; a finishing run must still own its attempt.
    attempts = models.PositiveIntegerField(default=0)
    file = models.FileField(upload_to="exports/", max_length=300, blank=True)
    # Null while the task could not be handed to the queue (the broker was unreachable).
    enqueued_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=["queued", "running", "done", "failed"]),
                name="export_status_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(format__in=["markdown", "pdf"]), name="export_format_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(progress__lte=100), name="export_progress_bounded"
            ),
            models.CheckConstraint(
                condition=~models.Q(status="done") | ~models.Q(file=""),
                name="export_done_has_file",
            ),
            models.CheckConstraint(
                condition=~models.Q(status="failed") | ~models.Q(error=""),
                name="export_failed_has_error",
            ),
            # At most one job at a time works on the same source, format and options.
            models.UniqueConstraint(
                fields=["design", "format", "source_digest"],
                condition=models.Q(status__in=["queued", "running"]),
                name="export_one_active_per_source",
            ),
        ]
        indexes = [
            models.Index(fields=["design", "-created_at"], name="export_design_recent"),
            models.Index(fields=["design", "format", "source_digest"], name="export_dedupe"),
            models.Index(
                fields=["status", "updated_at"],
                condition=models.Q(status__in=["queued", "running"]),
                name="export_active_by_age",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_format_display()} export of {self.design_id} ({self.status})"

    def get_absolute_url(self) -> str:
        return reverse("exports:job", args=[self.pk])

    @property
    def is_finished(self) -> bool:
        return self.status in self.FINISHED_STATUSES

    @property
    def include_review(self) -> bool:
        return bool(self.options.get("include_review"))

    @property
    def extension(self) -> str:
        return self.EXTENSIONS[self.Format(self.format)]

    @property
    def content_type(self) -> str:
        return self.CONTENT_TYPES[self.Format(self.format)]

    @property
    def waiting_for_queue(self) -> bool:
        """Queued but never handed to the broker: the page says so."""
        return self.status == self.Status.QUEUED and self.enqueued_at is None
