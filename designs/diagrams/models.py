from django.db import models

from designs.models import Design, Section


class Diagram(models.Model):
    """One Mermaid source drawn once: ``key`` is the SHA-256 of the source, the Mermaid
    version and the renderer's settings, so the same diagram is never drawn twice."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        READY = "ready", "Ready"
        FAILED = "failed", "Failed"

    key = models.CharField(max_length=64, unique=True)
    source = models.TextField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    svg = models.TextField(blank=True)  # sanitised: no script, handler, link or foreignObject
    error = models.TextField(blank=True)  # Mermaid's message, or why the render was stopped
    render_ms = models.PositiveIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=["pending", "ready", "failed"]),
                name="diagram_status_valid",
            ),
            models.CheckConstraint(
                condition=~models.Q(status="ready") | ~models.Q(svg=""),
                name="diagram_ready_has_svg",
            ),
        ]
        indexes = [models.Index(fields=["status", "created_at"])]

    def __str__(self) -> str:
        return f"diagram {self.key[:12]} ({self.status})"


class DiagramUse(models.Model):
    """A section of a design shows a diagram: who may see a diagram is who may read one of
    the designs that use it. Kept by every section save."""

    design = models.ForeignKey(Design, on_delete=models.CASCADE, related_name="diagram_uses")
    section = models.ForeignKey(Section, on_delete=models.CASCADE, related_name="diagram_uses")
    diagram = models.ForeignKey(Diagram, on_delete=models.CASCADE, related_name="uses")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["section", "diagram"], name="diagram_use_unique"),
        ]
        indexes = [models.Index(fields=["design", "diagram"])]

    def __str__(self) -> str:
        return f"{self.section} shows {self.diagram}"
