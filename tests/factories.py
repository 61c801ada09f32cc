"""The one factory module every test shares. Factories go through services where a
service owns the rules (a design copies its template's sections), so tests see real data."""

import factory
from factory.django import DjangoModelFactory

from accounts.models import Membership, Team, User
from designs import services as design_services
from designs.models import Design, Template


class UserFactory(DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda o: f"{o.username}@example.com")
    # Verified, as most tests want a person findable by address; tests of the unverified
    # case say email_verified=False.
    email_verified = True
    password = factory.django.Password("pw-for-tests-1")


class TeamFactory(DjangoModelFactory):
    class Meta:
        model = Team
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Team {n}")
    created_by = factory.SubFactory(UserFactory)

    @factory.post_generation
    def owner_membership(self, create, extracted, **kwargs):
        if create:
            Membership.objects.get_or_create(
                team=self, user=self.created_by, defaults={"role": Membership.Role.OWNER}
            )


class MembershipFactory(DjangoModelFactory):
    class Meta:
        model = Membership

    team = factory.SubFactory(TeamFactory)
    user = factory.SubFactory(UserFactory)
    role = Membership.Role.MEMBER


def join_team(
    *, team: Team, user: User, role: str = Membership.Role.MEMBER, invited_by: User | None = None
) -> Membership:
    """``user`` joins ``team`` the way people do: an owner invites them and they accept."""
    from accounts import services as account_services
    from accounts.models import Invitation

    inviter = invited_by or team.created_by
    account_services.team_invite(team=team, identifier=user.username, role=role, invited_by=inviter)
    invitation = Invitation.objects.get(team=team, invitee=user, status=Invitation.Status.PENDING)
    return account_services.invitation_accept(invitation=invitation, accepted_by=user)


def default_template() -> Template:
    return Template.objects.get(is_default=True)


def make_template(*, section_count: int, slug: str | None = None, team: Team | None = None):
    """A template of ``section_count`` numbered sections, each with a line of guidance."""
    from designs.models import TemplateSection

    slug = slug or f"test-{section_count}-{Template.objects.count() + 1}"
    template = Template.objects.create(name=f"Template {slug}", slug=slug, team=team)
    TemplateSection.objects.bulk_create(
        TemplateSection(
            template=template,
            position=n,
            key=f"part-{n}",
            title=f"Part {n}",
            guidance=f"- what part {n} covers",
        )
        for n in range(1, section_count + 1)
    )
    return template


def make_design(*, team: Team | None = None, author: User | None = None, **kwargs) -> Design:
    """A design created the way users create one: from the default template."""
    if team is None:
        team = TeamFactory(created_by=author) if author else TeamFactory()
    if author is None:
        author = team.created_by
    kwargs.setdefault("title", "A design")
    return design_services.design_create(team=team, created_by=author, **kwargs)


def request_review(*, design: Design, reviewer: User, requested_by: User | None = None):
    """A review requested the way a team member requests one."""
    from reviews import services as review_services

    return review_services.review_request(
        design=design, reviewer=reviewer, requested_by=requested_by or design.created_by
    )


def add_comment(*, section, author: User, body: str = "Looks fine.", raise_issue: bool = False):
    """A comment on ``section`` written through the service (rendered, notifications sent)."""
    from reviews import services as review_services

    return review_services.comment_add(
        section=section, author=author, body=body, raise_issue=raise_issue
    )


def make_api_token(*, user: User, name: str = "tests") -> str:
    """A personal API token issued through the service; returns the secret to send."""
    from api import services as api_services

    return api_services.token_create(user=user, name=name).secret


def row_counts() -> dict[str, int]:
    """How many rows every table holds: each model of every installed app, the many-to-many
    tables included, by label."""
    from django.apps import apps

    models = apps.get_models(include_auto_created=True)
    return {model._meta.label: model._default_manager.count() for model in models}


def make_team_role(*, team: Team, name: str, holders: tuple[User, ...] = ()):
    """A team role added and given to ``holders`` through the services, by the team's creator."""
    from accounts import services as account_services

    role = account_services.team_role_add(team=team, name=name, added_by=team.created_by)
    for holder in holders:
        account_services.team_role_assign(
            team=team, role=role, user=holder, held=True, changed_by=team.created_by
        )
    return role


def require_signoff(*, section, people=(), roles=(), owner: User | None = None):
    """Set ``section``'s required sign-offs through the service, by the design's creator."""
    from reviews import services as review_services

    return review_services.section_signoff_settings_set(
        section=section,
        owner=owner,
        people=list(people),
        roles=list(roles),
        set_by=section.design.created_by,
    )
