from django.conf import settings
from django.db import models
from django.db.models.functions import Greatest, Least
from django.urls import reverse

from accounts.models import Team


class Template(models.Model):
    """A checklist a design starts from. ``team`` empty means every team can use it."""

    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=100)
    description = models.TextField(blank=True)
    team = models.ForeignKey(
        Team, null=True, blank=True, on_delete=models.CASCADE, related_name="templates"
    )
    is_default = models.BooleanField(default=False)
    # Every edit of a team template makes a new version (a TemplateVersion row keeps each
    # one); designs record the version they were created from and never change with it.
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["slug"], name="template_slug_unique"),
        ]

    def __str__(self) -> str:
        return self.name


class TemplateSection(models.Model):
    template = models.ForeignKey(Template, on_delete=models.CASCADE, related_name="sections")
    position = models.PositiveSmallIntegerField()
    key = models.SlugField(max_length=100)
    title = models.CharField(max_length=200)
    guidance = models.TextField(blank=True, help_text="Markdown: what a good answer covers.")
    # Names of the team roles whose sign-off the section needs in designs made from this
    # version (reviews.services.signoff_requirements_from_template).
    signoff_roles = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["template", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["template", "position"], name="template_section_position_unique"
            ),
            models.UniqueConstraint(fields=["template", "key"], name="template_section_key_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.position}. {self.title}"


class TemplateVersion(models.Model):
    """A template as it was at one version: name, description and sections, frozen. Written
    by the template services on every change; never changed once written."""

    template = models.ForeignKey(Template, on_delete=models.CASCADE, related_name="versions")
    version = models.PositiveIntegerField()
    snapshot = models.JSONField(default=dict)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["template", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["template", "version"], name="template_version_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.template} v{self.version}"


# One limit for a design's summary: the model, the forms, the service and the API share it.
SUMMARY_MAX_CHARS = 2_000


class Design(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        IN_REVIEW = "in_review", "In review"
        APPROVED = "approved", "Approved"
        CHANGES_REQUESTED = "changes_requested", "Changes requested"

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="designs")
    template = models.ForeignKey(
        Template, null=True, blank=True, on_delete=models.SET_NULL, related_name="designs"
    )
    # The version of ``template`` the sections were copied from.
    template_version = models.PositiveIntegerField(null=True, blank=True)
    title = models.CharField(max_length=200)
    summary = models.TextField(blank=True, max_length=SUMMARY_MAX_CHARS)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.DRAFT)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="designs_created"
    )
    # Kept by the section services so the dashboard needs no per-design aggregation.
    section_count = models.PositiveSmallIntegerField(default=0)
    covered_count = models.PositiveSmallIntegerField(default=0)
    last_edited_at = models.DateTimeField()
    last_edited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    # Kept by the reviews app with the status: approvals not yet gone stale. A section save
    # reads it from the row it updates, so most saves need not look for approvals at all.
    live_approval_count = models.PositiveSmallIntegerField(default=0)
    # Kept by the reviews app likewise: section sign-offs still counting. A save looks for
    # sign-offs to reset only when there are some.
    live_signoff_count = models.PositiveIntegerField(default=0)
    readers = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        through="DesignReader",
        related_name="readable_designs",
        blank=True,
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-last_edited_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(
                    status__in=["draft", "in_review", "approved", "changes_requested"]
                ),
                name="design_status_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(covered_count__lte=models.F("section_count")),
                name="design_coverage_bounded",
            ),
        ]
        indexes = [
            models.Index(fields=["team", "-last_edited_at"]),
            models.Index(fields=["status", "-last_edited_at"]),
            models.Index(fields=["-last_edited_at", "-id"]),
            # The dashboard's stamp and its set of visible designs read a viewer's teams'
            # designs (how many, the newest change, their ids) from this index alone.
            models.Index(fields=["team", "updated_at", "id"], name="design_team_stamp"),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("designs:detail", args=[self.pk])

    @property
    def coverage_percent(self) -> int:
        if not self.section_count:
            return 0
        return round(100 * self.covered_count / self.section_count)


class DesignReader(models.Model):
    """Someone asked to review a design, who may read (and, via reviews, comment on) it
    for as long as the request is live, whether or not they are on the team.

    One row per live review request and no other: the reviews app grants it with the
    request and revokes it with the withdrawal, so a person reads a design exactly while
    they are on its team or have a live request. Designs only checks it.
    """

    design = models.ForeignKey(Design, on_delete=models.CASCADE, related_name="reader_grants")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="design_grants"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["design", "user"], name="design_reader_unique"),
        ]
        indexes = [models.Index(fields=["user", "design"])]

    def __str__(self) -> str:
        return f"{self.user} reads {self.design}"


class SectionManager(models.Manager["Section"]):
    def get_queryset(self) -> models.QuerySet["Section"]:
        # The live document's state is read and written by realtime alone, under a row lock;
        # pages never load it.
        return super().get_queryset().defer("ystate")


class Section(models.Model):
    class State(models.TextChoices):
        EMPTY = "empty", "Empty"
        DRAFT = "draft", "Draft"
        ANSWERED = "answered", "Answered"
        NOT_APPLICABLE = "not_applicable", "Not applicable"

    COVERED_STATES = (State.ANSWERED, State.NOT_APPLICABLE)

    design = models.ForeignKey(Design, on_delete=models.CASCADE, related_name="sections")
    position = models.PositiveSmallIntegerField()
    key = models.SlugField(max_length=100)
    title = models.CharField(max_length=200)
    guidance = models.TextField(blank=True)
    guidance_html = models.TextField(blank=True)
    body = models.TextField(blank=True)
    # Rendered, sanitised HTML of ``body`` at ``version``: page views never render Markdown.
    body_html = models.TextField(blank=True)
    state = models.CharField(max_length=20, choices=State.choices, default=State.EMPTY)
    na_reason = models.CharField("reason it does not apply", max_length=500, blank=True)
    version = models.PositiveIntegerField(default=0)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    # The shared text as a Y document (yjs update encoding), kept equal to ``body`` by every
    # save; empty until someone first opens the section live (realtime/).
    ystate = models.BinaryField(blank=True, default=b"", editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = SectionManager()

    class Meta:
        ordering = ["design", "position"]
        constraints = [
            models.UniqueConstraint(fields=["design", "key"], name="section_key_unique"),
            models.UniqueConstraint(fields=["design", "position"], name="section_position_unique"),
            models.CheckConstraint(
                condition=~models.Q(state="not_applicable") | ~models.Q(na_reason=""),
                name="section_na_needs_reason",
            ),
            models.CheckConstraint(
                condition=models.Q(state__in=["empty", "draft", "answered", "not_applicable"]),
                name="section_state_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.design}: {self.title}"

    def get_absolute_url(self) -> str:
        return f"{self.design.get_absolute_url()}#section-{self.key}"

    @property
    def is_covered(self) -> bool:
        return self.state in self.COVERED_STATES


class Revision(models.Model):
    """One save of a section: the whole text at ``version``. Never changed once written."""

    section = models.ForeignKey(Section, on_delete=models.CASCADE, related_name="revisions")
    version = models.PositiveIntegerField()
    body = models.TextField(blank=True)
    state = models.CharField(max_length=20, choices=Section.State.choices)
    na_reason = models.CharField(max_length=500, blank=True)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    # Others who typed into a live save (realtime/) besides ``author``, who typed last.
    co_authors = models.ManyToManyField(settings.AUTH_USER_MODEL, related_name="+", blank=True)
    restored_from = models.PositiveIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["section", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["section", "version"], name="revision_version_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.section} v{self.version}"


class DesignValues(models.Model):
    """A design's estimates (the lines of its ```calc blocks) as computed on the last save
    that touched them: what the API shows. ``digest`` is a hash of every calc line, so the
    row changes only when they do. Pages never compute: the sections' stored HTML already
    holds the values."""

    design = models.OneToOneField(
        Design, on_delete=models.CASCADE, primary_key=True, related_name="calc_values"
    )
    digest = models.CharField(max_length=64)
    values = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "design values"

    def __str__(self) -> str:
        return f"Values of {self.design}"


class DesignLink(models.Model):
    """``from_design`` relates to, or supersedes, ``to_design``. Shown on both designs'
    pages, to each viewer only where the other design is one they may read."""

    class Kind(models.TextChoices):
        RELATES_TO = "relates_to", "Relates to"
        SUPERSEDES = "supersedes", "Supersedes"

    from_design = models.ForeignKey(Design, on_delete=models.CASCADE, related_name="links_out")
    to_design = models.ForeignKey(Design, on_delete=models.CASCADE, related_name="links_in")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["created_at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(from_design=models.F("to_design")),
                name="design_link_not_self",
            ),
            models.CheckConstraint(
                condition=models.Q(kind__in=["relates_to", "supersedes"]),
                name="design_link_kind_valid",
            ),
            # One link of a kind per pair of designs, whichever way it was made: "A relates
            # to B" is "B relates to A", and A and B cannot supersede each other.
            models.UniqueConstraint(
                Least("from_design", "to_design"),
                Greatest("from_design", "to_design"),
                "kind",
                name="design_link_pair_unique",
            ),
        ]
        indexes = [
            models.Index(fields=["from_design", "kind"]),
            models.Index(fields=["to_design", "kind"]),
        ]

    def __str__(self) -> str:
        return f"{self.from_design} {self.get_kind_display().lower()} {self.to_design}"
