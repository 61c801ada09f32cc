"""Section sign-offs: who owns a section, whose sign-off it needs, sign-offs given and
withdrawn, and an edit of a section resetting that section's sign-offs (and no other's).

A design is approved only when its verdict rules hold and every required sign-off is given
on its section's current version (see ``status.design_review_status_refresh``), so every
write here recomputes the design's status.
"""

from collections.abc import Iterable, Mapping, Sequence

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from accounts.models import Membership, TeamRole, User
from accounts.signals import role_changed
from designs import services as design_services
from designs.models import Design, Section
from designs.selectors import design_reader_ids
from reviews.models import SectionOwner, SectionSignoff, SignoffRequirement
from reviews.selectors.signoffs import live_signoffs
from reviews.services._common import Kind, notify, on_team, quote, require_reader
from reviews.services.status import design_review_status_refresh
from reviews.signals import review_changed, signoff_given, signoff_reset

MAX_REQUIREMENTS = 20


@transaction.atomic
def signoff_requirements_from_template(
    *, design: Design, signoff_roles: Mapping[str, Sequence[str]], created_by: User
) -> list[SignoffRequirement]:
    """A design made from a template requires, on each section, a holder of every role the
    template's section names. A role the team does not have yet is added to it (an owner
    then says who holds it: the team page lists it without holders), so no requirement of
    the template is silently dropped. Names match the team's roles ignoring case."""
    wanted = {name.strip() for names in signoff_roles.values() for name in names if name.strip()}
    if not wanted:
        return []
    roles = {r.name.lower(): r for r in TeamRole.objects.filter(team_id=design.team_id)}
    for name in sorted(wanted):
        if name.lower() not in roles:
            role = TeamRole.objects.create(team_id=design.team_id, name=name[:50])
            roles[name.lower()] = role
            role_changed.send(
                sender=TeamRole,
                team=design.team,
                role=role,
                action="added",
                member=None,
                changed_by=created_by,
            )
    sections = Section.objects.filter(design=design, key__in=signoff_roles)
    wanted_pairs = {
        (section, roles[name.strip().lower()])
        for section in sections
        for name in signoff_roles[section.key]
        if name.strip()
    }
    created = SignoffRequirement.objects.bulk_create(
        SignoffRequirement(design=design, section=section, role=role, created_by=created_by)
        for section, role in sorted(wanted_pairs, key=lambda p: (p[0].position, p[1].name))
    )
    review_changed.send(sender=SignoffRequirement, design_id=design.pk)
    return created


def _signoff_count_refresh(design: Design) -> None:
    """Store the design's count of live sign-offs, which every section save reads."""
    count = live_signoffs().filter(design_id=design.pk).count()
    design_services.design_signoff_count_set(design=design, count=count)


def _lock_section(section: Section) -> Section:
    """The section's row, locked: a save in progress is waited for, and one that starts
    later sees what is written here and resets it."""
    locked = Section.objects.select_for_update().only("pk", "version").get(pk=section.pk)
    section.version = locked.version
    return section


@transaction.atomic
def section_signoff_settings_set(
    *,
    section: Section,
    owner: User | None,
    people: Iterable[User],
    roles: Iterable[TeamRole],
    set_by: User,
) -> list[SignoffRequirement]:
    """Set the section's owner and its required sign-offs: the named ``people`` and a
    holder of each of ``roles``. Requirements no longer named go (the sign-offs given stay
    in the history); those kept keep their sign-offs. Atomic; the design's status is
    recomputed.

    Only the design's team members (PermissionError). ValidationError when the owner is
    not on the team, a named person cannot read the design, a role is another team's, or
    there are more than MAX_REQUIREMENTS requirements.
    """
    design = section.design
    if not on_team(design=design, user=set_by):
        raise PermissionError("Only members of the design's team can set who signs off.")
    people_by_id = {u.pk: u for u in people}
    roles_by_id = {r.pk: r for r in roles}
    if len(people_by_id) + len(roles_by_id) > MAX_REQUIREMENTS:
        raise ValidationError(
            {"people": f"A section can require at most {MAX_REQUIREMENTS} sign-offs."}
        )
    if (
        owner is not None
        and not Membership.objects.filter(team_id=design.team_id, user=owner).exists()
    ):
        raise ValidationError({"owner": f"{owner.username} is not on the design's team."})
    readers = design_reader_ids(design=design, user_ids=people_by_id)
    strangers = sorted(u.username for pk, u in people_by_id.items() if pk not in readers)
    if strangers:
        raise ValidationError(
            {"people": f"{', '.join(strangers)} cannot read this design: ask them to review it."}
        )
    if any(r.team_id != design.team_id for r in roles_by_id.values()):
        raise ValidationError({"roles": "Choose roles of the design's team."})
    _lock_section(section)
    if owner is None:
        SectionOwner.objects.filter(section=section).delete()
    else:
        SectionOwner.objects.update_or_create(
            section=section, defaults={"design": design, "owner": owner}
        )
    current = list(SignoffRequirement.objects.filter(section=section))
    gone = [
        r.pk
        for r in current
        if (r.user_id is not None and r.user_id not in people_by_id)
        or (r.role_id is not None and r.role_id not in roles_by_id)
    ]
    SignoffRequirement.objects.filter(pk__in=gone).delete()
    have_people = {r.user_id for r in current if r.user_id}
    have_roles = {r.role_id for r in current if r.role_id}
    SignoffRequirement.objects.bulk_create(
        [
            SignoffRequirement(design=design, section=section, user_id=pk, created_by=set_by)
            for pk in people_by_id
            if pk not in have_people
        ]
        + [
            SignoffRequirement(design=design, section=section, role_id=pk, created_by=set_by)
            for pk in roles_by_id
            if pk not in have_roles
        ]
    )
    design_review_status_refresh(design=design)
    review_changed.send(sender=SignoffRequirement, design_id=design.pk)
    return list(SignoffRequirement.objects.filter(section=section))


def _requirement_for(*, section: Section, user: User, role: TeamRole | None) -> None:
    """Raise PermissionError unless ``user`` may sign the section in that capacity."""
    requirements = SignoffRequirement.objects.filter(section=section)
    if role is None:
        if not requirements.filter(user=user).exists():
            raise PermissionError("Your sign-off is not among those this section needs.")
        return
    if not requirements.filter(role=role).exists():
        raise PermissionError(f"This section does not need a sign-off from {role.name}.")
    if not Membership.objects.filter(team_id=role.team_id, user=user, team_roles=role).exists():
        raise PermissionError(f"Only someone holding the role {role.name} can sign for it.")


@transaction.atomic
def signoff_give(
    *, section: Section, given_by: User, role: TeamRole | None = None
) -> SectionSignoff:
    """Sign off the section at its current version: in one's own name (``role`` None; the
    section must name ``given_by``) or as a holder of ``role`` (which the section must
    require). Idempotent: a live sign-off in that capacity is returned as it is. Atomic;
    the design's status is recomputed and ``signoff_given`` sent.

    PermissionError when ``given_by`` cannot read the design or is not asked to sign.
    """
    design = section.design
    require_reader(design=design, user=given_by)
    _requirement_for(section=section, user=given_by, role=role)
    _lock_section(section)
    existing = live_signoffs().filter(section=section, user=given_by, role=role).first()
    if existing is not None and existing.version == section.version:
        return existing
    signoff = SectionSignoff.objects.create(
        design=design,
        section=section,
        user=given_by,
        role=role,
        role_name=role.name if role else "",
        version=section.version,
    )
    _signoff_count_refresh(design)
    design_review_status_refresh(design=design)
    signoff_given.send(
        sender=SectionSignoff, signoff=signoff, design_id=design.pk, section_key=section.key
    )
    review_changed.send(sender=SectionSignoff, design_id=design.pk)
    return signoff


@transaction.atomic
def signoff_withdraw(
    *, section: Section, withdrawn_by: User, role: TeamRole | None = None
) -> SectionSignoff | None:
    """Take back one's live sign-off of the section in that capacity; it stays in the
    history as withdrawn. Idempotent: None when there is none. Atomic; the design's status
    is recomputed and ``signoff_reset`` sent (reason "withdrawn").

    PermissionError when ``withdrawn_by`` cannot read the design."""
    design = section.design
    require_reader(design=design, user=withdrawn_by)
    signoff = (
        live_signoffs()
        .select_for_update()
        .filter(section=section, user=withdrawn_by, role=role)
        .first()
    )
    if signoff is None:
        return None
    now = timezone.now()
    signoff.withdrawn_at = now
    signoff.save(update_fields=["withdrawn_at", "updated_at"])
    _signoff_count_refresh(design)
    design_review_status_refresh(design=design)
    signoff_reset.send(
        sender=SectionSignoff,
        signoffs=[signoff],
        design_id=design.pk,
        section_key=section.key,
        reason="withdrawn",
        by=withdrawn_by,
    )
    review_changed.send(sender=SectionSignoff, design_id=design.pk)
    return signoff


@transaction.atomic(savepoint=False)  # inside the save's transaction: no savepoint needed
def signoffs_reset(*, section: Section, edited_by: User) -> list[SectionSignoff]:
    """A section changed: its live sign-offs given on an older version are marked reset
    (kept, never deleted), the people who gave them are told, and the design's status is
    recomputed. Other sections' sign-offs are untouched. Idempotent. Atomic. Most saves
    find none: one query."""
    stale = list(
        live_signoffs()
        .filter(section_id=section.pk, version__lt=section.version)
        .select_for_update()
    )
    if not stale:
        return []
    now = timezone.now()
    SectionSignoff.objects.filter(pk__in=[s.pk for s in stale]).update(
        reset_at=now, reset_by=edited_by, updated_at=now
    )
    for signoff in stale:
        signoff.reset_at, signoff.reset_by = now, edited_by
    design = section.design
    _signoff_count_refresh(design)
    design_review_status_refresh(design=design)
    notify(
        recipient_ids={s.user_id for s in stale},
        kind=Kind.SIGNOFF_RESET,
        actor=edited_by,
        design=design,
        section=section,
        text=f"{edited_by.username} changed {quote(section.title)} of {quote(design.title)} "
        "after your sign-off; look at the changes and sign off again",
    )
    signoff_reset.send(
        sender=SectionSignoff,
        signoffs=stale,
        design_id=design.pk,
        section_key=section.key,
        reason="edited",
        by=edited_by,
    )
    review_changed.send(sender=SectionSignoff, design_id=design.pk)
    return stale
