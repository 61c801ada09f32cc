"""Reads for designs that depend on who asks. Outsiders always get Http404."""

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import (
    BooleanField,
    Count,
    Exists,
    F,
    Func,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
)
from django.http import Http404

from accounts.models import Membership, Team, User
from designs.diff import DiffLine as DiffLine  # the diff of two versions lives there
from designs.diff import TextDiff as TextDiff
from designs.diff import text_diff as text_diff
from designs.models import (
    Design,
    DesignLink,
    DesignReader,
    Revision,
    Section,
    Template,
    TemplateSection,
)


@dataclass(frozen=True)
class DesignAccess:
    """What ``user`` may do with ``design``: members edit, readers read and comment."""

    design: Design
    is_member: bool

    @property
    def can_edit(self) -> bool:
        return self.is_member


def _visible_q(user: User) -> Q:
    member = Membership.objects.filter(team=OuterRef("team_id"), user=user)
    reader = DesignReader.objects.filter(design=OuterRef("pk"), user=user)
    return Q(Exists(member)) | Q(Exists(reader))


class _OneOf(Func):
    """``expression IN (subquery)``; on PostgreSQL ``expression = ANY(ARRAY(subquery))``,
    which runs the subquery once and looks its answers up in an index, where ``IN`` tests
    every row of the table (the dashboard's count of 30,000 designs among 100,000: 10 ms
    instead of 120, bench/scale.py)."""

    arg_joiner = " IN "
    template = "(%(expressions)s)"
    output_field = BooleanField()

    def as_postgresql(self, compiler, connection, **extra_context):
        return self.as_sql(
            compiler,
            connection,
            arg_joiner=" = ANY(ARRAY",
            template="(%(expressions)s))",
            **extra_context,
        )


def design_list(
    *, fetched_by: User, team_id: int | None = None, status: str | None = None
) -> QuerySet[Design]:
    """Designs ``fetched_by`` can see, newest edit first, ready for the dashboard."""
    if not fetched_by.is_authenticated:
        return Design.objects.none()
    teams = Membership.objects.filter(user=fetched_by).values("team_id")
    read = DesignReader.objects.filter(user=fetched_by).values("design_id")
    qs = Design.objects.filter(
        Q(_OneOf(F("team_id"), Subquery(teams))) | Q(_OneOf(F("pk"), Subquery(read)))
    )
    if team_id:
        qs = qs.filter(team_id=team_id)
    if status:
        qs = qs.filter(status=status)
    return qs.select_related("team", "last_edited_by").order_by("-last_edited_at", "-pk")


def design_reader_ids(*, design: Design, user_ids: Iterable[int]) -> set[int]:
    """Those of ``user_ids`` who may read ``design`` now: active accounts on its team or
    with a live review request (a reader grant). One query; the check every notification
    and email makes just before it goes out."""
    ids = {i for i in user_ids if i}
    if not ids:
        return set()
    member = Membership.objects.filter(team_id=design.team_id, user=OuterRef("pk"))
    reader = DesignReader.objects.filter(design_id=design.pk, user=OuterRef("pk"))
    return set(
        User.objects.filter(pk__in=ids, is_active=True)
        .filter(Q(Exists(member)) | Q(Exists(reader)))
        .values_list("pk", flat=True)
    )


def readable_design_ids(*, user: User, design_ids: Iterable[int]) -> set[int]:
    """Those of ``design_ids`` that ``user`` may read now."""
    ids = set(design_ids)
    if not ids or not user.is_active:
        return set()
    return set(
        Design.objects.filter(pk__in=ids).filter(_visible_q(user)).values_list("pk", flat=True)
    )


def _access_exists(user: User, *, design: str = "") -> dict[str, Exists]:
    """``_is_member`` and ``_is_reader`` of ``user`` for the design at ``design`` (a path
    from the queried model, "" for Design itself)."""
    return {
        "_is_member": _member_exists(user, design=design),
        "_is_reader": Exists(
            DesignReader.objects.filter(
                design=OuterRef(f"{design}__pk" if design else "pk"), user=user
            )
        ),
    }


def _member_exists(user: User, *, design: str = "") -> Exists:
    team = f"{design}__team_id" if design else "team_id"
    return Exists(Membership.objects.filter(team=OuterRef(team), user=user))


def _access(design: Design, row, *, for_edit: bool) -> DesignAccess:
    if not (row._is_member or row._is_reader):
        raise Http404("No such design.")
    access = DesignAccess(design=design, is_member=row._is_member)
    if for_edit and not access.can_edit:
        raise PermissionError("Only members of the design's team can edit it.")
    return access


def design_get_for(user: User, design_id: int, *, for_edit: bool = False) -> DesignAccess:
    """The design and the caller's access to it, in one query.

    Raises Http404 to anyone who may not read it (never revealing that it exists) and
    PermissionError when ``for_edit`` is asked by a reader who is not a team member.
    """
    if not user.is_authenticated:
        raise Http404("No such design.")
    row = (
        Design.objects.filter(pk=design_id)
        .annotate(**_access_exists(user))
        .select_related("team", "created_by", "last_edited_by", "template")
        .first()
    )
    if row is None:
        raise Http404("No such design.")
    return _access(row, row, for_edit=for_edit)


def section_get_for(
    user: User, design_id: int, key: str, *, for_edit: bool = False
) -> tuple[DesignAccess, Section]:
    """A section of a design the caller can see (404 otherwise), with the access; in one
    query, with the same answers as ``design_get_for`` about the design."""
    if not user.is_authenticated:
        raise Http404("No such design.")
    sections = _section(design_id, key).select_related("design", "updated_by")
    if for_edit:
        section = _first(sections.filter(_member_of_team(user)))
        if section is not None:
            return DesignAccess(design=section.design, is_member=True), section
    else:
        section = _first(sections.annotate(**_access_exists(user, design="design")))
        if section is not None:
            return _access(section.design, section, for_edit=False), section
    design_get_for(user, design_id, for_edit=for_edit)  # 404 or 403 about the design
    raise Http404("No such section.")


def section_to_save(user: User, design_id: int, key: str) -> Section:
    """The section, for a save by a member of the design's team: the same 404 and 403
    answers as ``section_get_for(for_edit=True)``, but the row alone, as a save through
    the API needs nothing else (its design and editor load if something asks for them).
    Every save asks this."""
    if user.is_authenticated:
        section = _first(_section(design_id, key).filter(_member_of_team(user)))
        if section is not None:
            return section
    design_get_for(user, design_id, for_edit=True)  # 404 or 403 about the design
    raise Http404("No such section.")


def _section(design_id: int, key: str) -> QuerySet[Section]:
    # One row at most (design and key are unique together), taken with a slice rather
    # than first(), which would add an ORDER BY (the default ordering joins the design's).
    return Section.objects.filter(design_id=design_id, key=key).order_by()


def _member_of_team(user: User) -> Q:
    # Membership is unique per team and user, so a join keeps one row: the cheapest form
    # of the question.
    return Q(design__team__memberships__user=user)


def _first(sections: QuerySet[Section]) -> Section | None:
    return next(iter(sections[:1]), None)


def design_sections(*, design: Design) -> QuerySet[Section]:
    return design.sections.select_related("updated_by").order_by("position")


def template_list(*, fetched_by: User) -> QuerySet[Template]:
    teams = Membership.objects.filter(user=fetched_by).values("team_id")
    return (
        Template.objects.filter(Q(team__isnull=True) | Q(team__in=teams))
        .select_related("team")
        .order_by("-is_default", "name")
    )


def teams_for_new_design(*, fetched_by: User) -> QuerySet[Team]:
    return Team.objects.filter(memberships__user=fetched_by).order_by("name")


def teams_shown(*, fetched_by: User) -> QuerySet[Team]:
    """The teams whose designs ``fetched_by`` sees: their own, and the teams of designs
    they were asked to review."""
    member = Membership.objects.filter(team=OuterRef("pk"), user=fetched_by)
    reader = DesignReader.objects.filter(design__team=OuterRef("pk"), user=fetched_by)
    return Team.objects.filter(Q(Exists(member)) | Q(Exists(reader))).order_by("name")


# History ---------------------------------------------------------------------------------


@dataclass
class HistoryEntry:
    """One line of a section's history: consecutive saves by one author close in time."""

    author: User
    first_at: datetime
    last_at: datetime
    version: int  # the newest version in the entry
    first_version: int
    revisions: list[Revision] = field(default_factory=list)
    # Others credited on these saves (who typed along live, whose suggestion was applied).
    co_author_names: list[str] = field(default_factory=list)

    @property
    def save_count(self) -> int:
        return len(self.revisions)

    @property
    def restored_from(self) -> int | None:
        return self.revisions[0].restored_from


def section_history(*, section: Section) -> list[HistoryEntry]:
    """Revisions newest first, folded: saves by one author within the fold window (and with
    no one else's save between them) make one entry. Restores always stand alone."""
    window = timedelta(seconds=settings.CRIT_HISTORY_FOLD_SECONDS)
    entries: list[HistoryEntry] = []
    # The first co-author of each save, in the same query.
    co_author = Revision.co_authors.through.objects.filter(revision_id=OuterRef("pk")).order_by(
        "user__username"
    )
    revisions = (
        Revision.objects.filter(section=section)
        .select_related("author")
        .annotate(co_author_name=Subquery(co_author.values("user__username")[:1]))
        .order_by("version")
    )
    for revision in revisions:
        last = entries[-1] if entries else None
        if (
            last is not None
            and last.author.pk == revision.author_id
            and revision.created_at - last.last_at <= window
            and revision.restored_from is None
            and last.restored_from is None
        ):
            last.revisions.append(revision)
            last.last_at = revision.created_at
            last.version = revision.version
            name = revision.co_author_name  # type: ignore[attr-defined]
            if name and name not in last.co_author_names:
                last.co_author_names.append(name)
        else:
            entries.append(
                HistoryEntry(
                    author=revision.author,
                    first_at=revision.created_at,
                    last_at=revision.created_at,
                    version=revision.version,
                    first_version=revision.version,
                    revisions=[revision],
                    co_author_names=[n for n in [revision.co_author_name] if n],  # type: ignore[attr-defined]
                )
            )
    entries.reverse()
    return entries


def section_revisions(*, section: Section) -> QuerySet[Revision]:
    """Every save of ``section`` unfolded, newest first, with its author."""
    return Revision.objects.filter(section=section).select_related("author").order_by("-version")


def revision_text(*, section: Section, version: int) -> str:
    """The body of ``section`` at ``version`` (0 is the empty start)."""
    if version == 0:
        return ""
    body = Revision.objects.filter(section=section, version=version).values_list("body", flat=True)
    text = body.first()
    if text is None:
        raise Http404("No such version.")
    return text


# Related designs -------------------------------------------------------------------------


@dataclass(frozen=True)
class RelatedDesign:
    """A link as one design's page shows it: the other design, and which way it points."""

    link: DesignLink
    design: Design  # the other design
    outgoing: bool  # the page's design is the link's ``from_design``

    @property
    def label(self) -> str:
        if self.link.kind == DesignLink.Kind.RELATES_TO:
            return "Relates to"
        return "Supersedes" if self.outgoing else "Superseded by"


def _visible_design_ids(user: User) -> QuerySet[Design, int]:
    return Design.objects.filter(_visible_q(user)).values_list("pk", flat=True)


def design_links(*, design: Design, fetched_by: User) -> list[RelatedDesign]:
    """The links of ``design`` whose other design ``fetched_by`` may read, oldest first; the
    others are left out entirely (not even counted). One query, however many links."""
    if not fetched_by.is_authenticated or not fetched_by.is_active:
        return []
    visible = _visible_design_ids(fetched_by)
    links = (
        DesignLink.objects.filter(
            Q(from_design=design, to_design__in=visible)
            | Q(to_design=design, from_design__in=visible)
        )
        .select_related("from_design", "to_design")
        .order_by("created_at", "pk")
    )
    related = []
    for link in links:
        outgoing = link.from_design_id == design.pk
        other = link.to_design if outgoing else link.from_design
        related.append(RelatedDesign(link=link, design=other, outgoing=outgoing))
    return related


def design_link_get_for(user: User, design: Design, link_id: int) -> DesignLink:
    """A link of ``design`` whose other design ``user`` may read; Http404 otherwise."""
    for related in design_links(design=design, fetched_by=user):
        if related.link.pk == link_id:
            return related.link
    raise Http404("No such link.")


def design_link_targets(*, design: Design, fetched_by: User, limit: int = 200) -> list[Design]:
    """Designs ``fetched_by`` may read that ``design`` could link to: the most recently
    edited ``limit`` of them (the API takes any readable design's id)."""
    return list(
        design_list(fetched_by=fetched_by).exclude(pk=design.pk).select_related("team")[:limit]
    )


def design_superseders_attach(*, designs: list[Design], fetched_by: User) -> None:
    """Set ``superseded_by`` on each of ``designs``: the designs ``fetched_by`` may read that
    supersede it (an empty list if none). One query for the whole list."""
    by_design: dict[int, list[Design]] = {d.pk: [] for d in designs}
    if by_design and fetched_by.is_authenticated and fetched_by.is_active:
        links = (
            DesignLink.objects.filter(
                kind=DesignLink.Kind.SUPERSEDES,
                to_design__in=list(by_design),
                from_design__in=_visible_design_ids(fetched_by),
            )
            .select_related("from_design")
            .order_by("created_at", "pk")
        )
        for link in links:
            by_design[link.to_design_id].append(link.from_design)
    for design in designs:
        design.superseded_by = by_design[design.pk]  # type: ignore[attr-defined]


@dataclass(frozen=True)
class TemplateAccess:
    """A template and whether the caller may change it: the owners of its team may; the
    built-in checklist (no team) is never changed."""

    template: Template
    role: str | None  # the caller's role in the template's team

    @property
    def can_edit(self) -> bool:
        return self.template.team_id is not None and self.role == Membership.Role.OWNER

    @property
    def is_builtin(self) -> bool:
        return self.template.team_id is None


def template_get_for(user: User, template_id: int, *, for_edit: bool = False) -> TemplateAccess:
    """A template the caller may see (the built-in one, or one of their teams'), in one
    query. Http404 otherwise; PermissionError when ``for_edit`` and they may not edit it."""
    if not user.is_authenticated:
        raise Http404("No such template.")
    role = Membership.objects.filter(team=OuterRef("team_id"), user=user).values("role")[:1]
    row = (
        Template.objects.filter(pk=template_id)
        .select_related("team")
        .annotate(_role=Subquery(role))
        .first()
    )
    if row is None or (row.team_id is not None and row._role is None):
        raise Http404("No such template.")
    access = TemplateAccess(template=row, role=row._role)
    if for_edit and not access.can_edit:
        if access.is_builtin:
            raise PermissionError(
                "The built-in checklist cannot be edited: copy it into a team template."
            )
        raise PermissionError("Only a team owner can change the team's templates.")
    return access


def template_list_shown(*, fetched_by: User) -> QuerySet[Template]:
    """The templates the viewer may use, built-in first, each with ``sections_total`` and
    ``_role`` (the viewer's role in its team)."""
    role = Membership.objects.filter(team=OuterRef("team_id"), user=fetched_by).values("role")
    return (
        template_list(fetched_by=fetched_by)
        .select_related("team")
        .annotate(sections_total=Count("sections"), _role=Subquery(role[:1]))
        .order_by("-is_default", F("team__name").asc(nulls_first=True), "name", "pk")
    )


def template_sections(*, template: Template) -> list[TemplateSection]:
    return list(template.sections.order_by("position"))


def teams_owned(*, fetched_by: User) -> QuerySet[Team]:
    """The teams the viewer owns: where they may make templates."""
    return Team.objects.filter(
        memberships__user=fetched_by, memberships__role=Membership.Role.OWNER
    ).order_by("name", "pk")
