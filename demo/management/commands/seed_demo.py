"""python manage.py seed_demo: demo users, a team and two fully written designs.

The designs are "URL shortener", an example, and "Crit", Crit's own design answering the
checklist for itself (``docs/architecture.md`` is its Markdown export: ``make docs``).

Idempotent: running it again finds what exists and only fixes what differs, so the data ends
up the same. Every write goes through the apps' services.

Apps above designs can add their own demo data: if ``demo/seed_reviews.py`` or
``demo/seed_exports.py`` exists, its ``seed(*, users, team, design, stdout)`` is called at the
end (it may accept only some of those keyword arguments) and must be idempotent too.
"""

import importlib
import importlib.util
import inspect
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.test.utils import override_settings

from accounts import services as account_services
from accounts.models import Membership, Team, User
from designs import services as design_services
from designs.models import Design, Section

CONTENT_DIR = Path(__file__).resolve().parents[2] / "content"
PASSWORD = "demo"  # noqa: S105 - the documented demo password
USERS = {
    "alice": "alice@example.com",
    "bob": "bob@example.com",
    "carol": "carol@example.com",
}
TEAM_NAME = "Platform"
DESIGN_TITLE = "URL shortener"
DESIGN_SUMMARY = (
    "One internal service for short links: redirects under 20 ms at p99 from every region, "
    "click reports for every campaign, and no help to phishers."
)
CRIT_TITLE = "Crit"
CRIT_SUMMARY = (
    "Crit itself: a web app where teams write system-design documents section by section and "
    "get them reviewed. One Django project on PostgreSQL and Redis, with Celery workers for "
    "exports; every save a revision, outsiders see nothing, pages served from cache."
)
# Each demo design: its title, summary and the folder of demo/content holding one Markdown
# file per checklist section, named by the section's key.
DESIGNS = (
    (DESIGN_TITLE, DESIGN_SUMMARY, "url_shortener"),
    (CRIT_TITLE, CRIT_SUMMARY, "crit"),
)
EXTENSIONS = ("demo.seed_reviews", "demo.seed_exports")


_NO_MAIL = {"default": {"BACKEND": "django.core.mail.backends.dummy.EmailBackend"}}


class Command(BaseCommand):
    help = "Create demo users (alice, bob, carol; password 'demo'), a team and a design."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--force",
            action="store_true",
            help="Seed even when DEBUG is off (demo users have a known password).",
        )

    def handle(self, *args: Any, force: bool = False, **options: Any) -> None:
        if not settings.DEBUG and not force:
            raise CommandError(
                "Refusing to create demo users with a known password while DEBUG is off. "
                "Use --force if you really mean it."
            )
        # The demo users' notifications stay in their inboxes; mailing them would only flood the
        # terminal that runs `make run` (or a real mail relay) with messages nobody reads.
        with override_settings(MAILERS=_NO_MAIL), transaction.atomic():
            users = {name: self._user(name, email) for name, email in USERS.items()}
            team = self._team(owner=users["alice"], member=users["bob"])
            designs = [
                self._design(
                    team=team, author=users["alice"], title=title, summary=summary, folder=folder
                )
                for title, summary, folder in DESIGNS
            ]
            design = designs[0]
            for module_name in EXTENSIONS:
                self._run_extension(module_name, users=users, team=team, design=design)
        self._print_sign_in(designs)

    def _user(self, username: str, email: str) -> User:
        user = User.objects.filter(username__iexact=username).first()
        if user is None:
            user = account_services.user_create(
                username=username, email=email, password=PASSWORD, email_verified=True
            )
            self.stdout.write(f"Created user {username}.")
        elif not user.check_password(PASSWORD):
            account_services.user_password_set(user=user, password=PASSWORD)
            self.stdout.write(f"Reset the password of {username}.")
        return user

    def _team(self, *, owner: User, member: User) -> Team:
        team = Team.objects.filter(name__iexact=TEAM_NAME, created_by=owner).first()
        if team is None:
            team = account_services.team_create(name=TEAM_NAME, created_by=owner)
            self.stdout.write(f"Created team {TEAM_NAME}.")
        roles = dict(team.memberships.values_list("user_id", "role"))
        if roles.get(owner.pk) != Membership.Role.OWNER:
            raise CommandError(f"Team {TEAM_NAME} exists but {owner} is not its owner.")
        if roles.get(member.pk) != Membership.Role.MEMBER:
            account_services.team_member_seed(team=team, user=member, role=Membership.Role.MEMBER)
            self.stdout.write(f"Added {member} to {TEAM_NAME}.")
        return team

    def _design(self, *, team: Team, author: User, title: str, summary: str, folder: str) -> Design:
        design = Design.objects.filter(team=team, title=title).order_by("pk").first()
        if design is None:
            design = design_services.design_create(
                team=team, title=title, summary=summary, created_by=author
            )
            self.stdout.write(f"Created design {title}.")
        content = CONTENT_DIR / folder
        written = 0
        for section in design.sections.order_by("position"):
            path = content / f"{section.key}.md"
            if not path.exists():
                raise CommandError(f"No demo text for section {section.key} ({path}).")
            body = path.read_text(encoding="utf-8").rstrip() + "\n"
            if section.body == body and section.state == Section.State.ANSWERED:
                continue
            design_services.section_update(
                section=section,
                body=body,
                state=Section.State.ANSWERED,
                na_reason="",
                base_version=section.version,
                edited_by=author,
            )
            written += 1
        if written:
            self.stdout.write(f"Wrote {written} sections of {title}.")
        design.refresh_from_db()
        return design

    def _run_extension(self, module_name: str, **kwargs: Any) -> None:
        if importlib.util.find_spec(module_name) is None:
            return
        seed = importlib.import_module(module_name).seed
        kwargs["stdout"] = self.stdout
        parameters = inspect.signature(seed).parameters
        if not any(p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters.values()):
            kwargs = {name: value for name, value in kwargs.items() if name in parameters}
        seed(**kwargs)

    def _print_sign_in(self, designs: list[Design]) -> None:
        site = settings.SITE_URL.rstrip("/")
        links = "".join(
            f"  {design.title}: {site}{design.get_absolute_url()}\n" for design in designs
        )
        self.stdout.write(
            self.style.SUCCESS(
                "\nDemo data is ready.\n"
                f"  Sign in at {site}/accounts/login/ with:\n"
                "    alice / demo  (author, owner of the Platform team)\n"
                "    bob   / demo  (reviewer, member of Platform)\n"
                "    carol / demo  (reviewer, not in the team)\n"
                f"  The designs:\n{links}"
            )
        )
