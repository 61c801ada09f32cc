"""Section sign-offs as the viewer sees them: who owns each section, whose sign-off it
needs, and which are given, missing or reset by an edit. Every read here uses a fixed
number of queries, whatever the number of sections, requirements or sign-offs."""

import hashlib
from dataclasses import dataclass, field

from django.db.models import Exists, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Lower

from accounts.models import Membership, TeamRole, User
from designs.models import Design, DesignReader, Section
from reviews.models import ReviewRequest, SectionOwner, SectionSignoff, SignoffRequirement

GIVEN, MISSING, RESET = "given", "missing", "reset"


def live_signoffs() -> QuerySet[SectionSignoff]:
    return SectionSignoff.objects.filter(reset_at__isnull=True, withdrawn_at__isnull=True)


def _met() -> tuple[Q, dict[str, Exists]]:
    """A condition on SignoffRequirement rows, with the aliases it needs: a live sign-off
    on the section's current version meets it (the named person's own, or any holder's
    of the required role)."""
    current = live_signoffs().filter(
        section_id=OuterRef("section_id"), version=OuterRef("section__version")
    )
    named = current.filter(user_id=OuterRef("user_id"), role__isnull=True)
    by_role = current.filter(role_id=OuterRef("role_id"))
    met = Q(user__isnull=False, _named=True) | Q(role__isnull=False, _by_role=True)
    return met, {"_named": Exists(named), "_by_role": Exists(by_role)}


def requirements_unmet(*, design_id: int) -> QuerySet[SignoffRequirement]:
    """The design's requirements that no live sign-off on their section's current version
    meets."""
    met, aliases = _met()
    return SignoffRequirement.objects.filter(design_id=design_id).alias(**aliases).exclude(met)


def design_signoffs_complete(*, design_id: int) -> bool:
    """Every required sign-off of the design is given on its section's current version.
    One query."""
    return not requirements_unmet(design_id=design_id).exists()


@dataclass
class RequirementRow:
    requirement: SignoffRequirement
    state: str  # GIVEN, MISSING or RESET
    last: SectionSignoff | None  # the newest sign-off for it: the one given, or the one reset
    can_sign: bool = False  # the viewer may give it now
    can_withdraw: bool = False  # the viewer gave it and may take it back

    @property
    def label(self) -> str:
        requirement = self.requirement
        if requirement.user_id:
            return requirement.user.username  # type: ignore[union-attr]
        return f"any {requirement.role.name}"  # type: ignore[union-attr]

    @property
    def role_id(self) -> int | None:
        return self.requirement.role_id


@dataclass
class SectionSignoffState:
    section: Section
    owner: User | None
    rows: list[RequirementRow] = field(default_factory=list)

    @property
    def missing(self) -> list[RequirementRow]:
        return [row for row in self.rows if row.state != GIVEN]

    @property
    def complete(self) -> bool:
        return not self.missing

    @property
    def stamp(self) -> str:
        """Changes whenever what the section's sign-off panel shows this viewer changes."""
        parts = [str(self.owner.pk if self.owner else 0)]
        for row in self.rows:
            last = row.last
            parts.append(
                f"{row.requirement.pk}.{row.state}.{last.pk if last else 0}"
                f".{int(row.can_sign)}{int(row.can_withdraw)}.{row.label}"
            )
        return hashlib.blake2b("|".join(parts).encode(), digest_size=8).hexdigest()


@dataclass
class DesignSignoffs:
    sections: list[SectionSignoffState]

    @property
    def missing(self) -> list[tuple[Section, RequirementRow]]:
        return [(s.section, row) for s in self.sections for row in s.missing]

    @property
    def required_count(self) -> int:
        return sum(len(s.rows) for s in self.sections)

    @property
    def given_count(self) -> int:
        return self.required_count - len(self.missing)


def viewer_role_ids(*, team_id: int, user: User) -> set[int]:
    """The roles of ``team_id`` that ``user`` holds. One query."""
    if not user.is_authenticated:
        return set()
    return set(
        Membership.team_roles.through.objects.filter(
            membership__team_id=team_id, membership__user_id=user.pk
        ).values_list("teamrole_id", flat=True)
    )


def design_signoffs(*, design: Design, sections: list[Section], viewer: User) -> DesignSignoffs:
    """Each section's owner and required sign-offs with their state for ``viewer`` (who
    has access to the design already). Four queries, however many sections, requirements
    and sign-offs: owners, requirements (each with its newest sign-off's id), those
    sign-offs, and the viewer's roles."""
    owners = {
        o.section_id: o.owner
        for o in SectionOwner.objects.filter(design_id=design.pk).select_related("owner")
    }
    newest = SectionSignoff.objects.filter(section_id=OuterRef("section_id")).order_by(
        "-created_at", "-pk"
    )
    requirements = list(
        SignoffRequirement.objects.filter(design_id=design.pk)
        .select_related("user", "role")
        .annotate(
            newest_named=Subquery(
                newest.filter(user_id=OuterRef("user_id"), role__isnull=True).values("pk")[:1]
            ),
            newest_by_role=Subquery(newest.filter(role_id=OuterRef("role_id")).values("pk")[:1]),
        )
        .order_by("section_id", "role_id", Lower("user__username"), "pk")
    )
    ids = {r.newest_named or r.newest_by_role for r in requirements} - {None}  # type: ignore[attr-defined]
    signoffs = (
        {s.pk: s for s in SectionSignoff.objects.filter(pk__in=ids).select_related("user")}
        if ids
        else {}
    )
    roles = viewer_role_ids(team_id=design.team_id, user=viewer) if requirements else set()
    by_section: dict[int, list[SignoffRequirement]] = {}
    for row in requirements:
        by_section.setdefault(row.section_id, []).append(row)
    states = []
    for section in sections:
        state = SectionSignoffState(section=section, owner=owners.get(section.pk))
        for requirement in by_section.get(section.pk, []):
            last = signoffs.get(requirement.newest_named or requirement.newest_by_role)  # type: ignore[attr-defined]
            if last is not None and last.is_live and last.version == section.version:
                status = GIVEN
            elif last is not None and last.reset_at is not None:
                status = RESET
            else:
                status = MISSING
            mine = requirement.user_id == viewer.pk or requirement.role_id in roles
            state.rows.append(
                RequirementRow(
                    requirement=requirement,
                    state=status,
                    last=last,
                    can_sign=mine and status != GIVEN,
                    can_withdraw=status == GIVEN and last is not None and last.user_id == viewer.pk,
                )
            )
        states.append(state)
    return DesignSignoffs(sections=states)


def section_signoffs(*, section: Section, viewer: User) -> SectionSignoffState:
    """One section's sign-off state for ``viewer``: the design's, narrowed to it."""
    design = section.design
    return design_signoffs(design=design, sections=[section], viewer=viewer).sections[0]


@dataclass
class SignoffChoices:
    """Whom the sign-off form offers: the team's members (owners and named people), the
    requested reviewers (named people), the team's roles."""

    members: list[User]
    reviewers: list[User]
    roles: list[TeamRole]


def signoff_choices(*, design: Design) -> SignoffChoices:
    """Three queries."""
    members = [
        m.user
        for m in Membership.objects.filter(team_id=design.team_id)
        .select_related("user")
        .order_by(Lower("user__username"))
    ]
    member_ids = {u.pk for u in members}
    reviewers = [
        r.reviewer
        for r in ReviewRequest.objects.filter(design_id=design.pk)
        .select_related("reviewer")
        .order_by(Lower("reviewer__username"))
        if r.reviewer_id not in member_ids
    ]
    roles = list(TeamRole.objects.filter(team_id=design.team_id).order_by(Lower("name")))
    return SignoffChoices(members=members, reviewers=reviewers, roles=roles)


@dataclass
class WaitingSignoff:
    requirement: SignoffRequirement
    design: Design
    section: Section


def sections_waiting_for_signoff(*, fetched_by: User, limit: int = 10) -> list[WaitingSignoff]:
    """Sections whose required sign-off ``fetched_by`` can give (named, or as a holder of
    the role) and that nobody has given on the current version, on designs they may read.
    Newest edits first. One query."""
    if not fetched_by.is_authenticated:
        return []
    my_roles = Membership.team_roles.through.objects.filter(
        membership__user_id=fetched_by.pk
    ).values("teamrole_id")
    member = Membership.objects.filter(team_id=OuterRef("design__team_id"), user=fetched_by)
    reader = DesignReader.objects.filter(design_id=OuterRef("design_id"), user=fetched_by)
    met, aliases = _met()
    rows = (
        SignoffRequirement.objects.filter(Q(user=fetched_by) | Q(role_id__in=my_roles))
        .filter(Q(Exists(member)) | Q(Exists(reader)))
        .alias(**aliases)
        .exclude(met)
        .select_related("design", "design__team", "section", "role")
        .order_by("-section__updated_at", "-pk")[:limit]
    )
    return [WaitingSignoff(requirement=r, design=r.design, section=r.section) for r in rows]
