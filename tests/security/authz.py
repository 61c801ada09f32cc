"""The world the authorization matrix runs in, the URL patterns it walks, and one request.

Roles, in the order every matrix row lists them:

- ``anonymous``: not signed in;
- ``outsider``: signed in, in no team;
- ``other_team``: owner of another team, with a design of their own;
- ``member``: a plain member of the design's team (not its owner);
- ``reviewer``: asked to review the design, not on its team;
- ``comment_author``: another requested reviewer, who wrote the comment in the URLs.
"""

import copy
import json
from dataclasses import dataclass
from http.cookies import SimpleCookie
from typing import Any

from django.apps import apps
from django.contrib.sessions.models import Session
from django.db import transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from accounts.models import Invitation, Membership
from designs.models import Section
from exports.models import ExportJob
from reviews.models import Notification
from tests.factories import (
    MembershipFactory,
    TeamFactory,
    UserFactory,
    add_comment,
    make_api_token,
    make_design,
    make_team_role,
    request_review,
    require_signoff,
)

ROLES = ("anonymous", "outsider", "other_team", "member", "reviewer", "comment_author")
PASSWORD = "pw-for-tests-1"
# Patterns left out of the matrix, and why:
# - "admin:*": Django's admin guards every one of its views with ``admin_view`` (staff only);
#   none of our roles is staff, and test_admin_is_closed_to_every_role checks the door. Its
#   door, the admin's sign-in, is public and is in the matrix (ADMIN_PATTERNS_IN_MATRIX).
# Static files are served by WhiteNoise as middleware and media only through the download
# views, so neither has a URL pattern to walk.
EXCLUDED_NAMESPACES = ("admin",)
ADMIN_PATTERNS_IN_MATRIX = ("admin:login",)


@dataclass(frozen=True)
class Route:
    name: str  # "namespace:name"
    route: str  # the pattern as written, for messages
    methods: tuple[str, ...] | None  # what django-ninja declares; None for Django views
    siblings: tuple[str, ...]  # methods other ninja operations serve on the same path


def _ninja_methods() -> dict[str, tuple[tuple[str, ...], tuple[str, ...]]]:
    """url_name -> (its methods, methods of other operations on the same path)."""
    from api.v1.app import api

    found: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {}
    for bound in api._get_bound_routers():
        for path_view in bound.path_operations.values():
            every = tuple(m for op in path_view.operations for m in op.methods)
            for op in path_view.operations:
                name = getattr(op, "url_name", "") or api.get_operation_url_name(
                    op, router=bound.template
                )
                own = tuple(op.methods)
                found[name] = (own, tuple(m for m in every if m not in own))
    return found


def _walk(patterns, prefix: str = "", namespace: str | None = None):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            inner = pattern.namespace
            full = ":".join(p for p in (namespace, inner) if p) or None
            yield from _walk(pattern.url_patterns, prefix + str(pattern.pattern), full)
        elif isinstance(pattern, URLPattern):
            name = f"{namespace}:{pattern.name}" if namespace else str(pattern.name)
            yield name, prefix + str(pattern.pattern)


def url_patterns() -> list[Route]:
    """Every named URL pattern the resolver serves, outside the excluded namespaces."""
    ninja = _ninja_methods()
    routes = []
    for name, route in _walk(get_resolver().url_patterns):
        if name.split(":")[0] in EXCLUDED_NAMESPACES and name not in ADMIN_PATTERNS_IN_MATRIX:
            continue
        short = name.split(":", 1)[-1]
        methods, siblings = (
            ninja.get(short, (None, ()))
            if name.startswith("api-v1:")
            else (
                None,
                (),
            )
        )
        routes.append(Route(name=name, route=route, methods=methods, siblings=siblings))
    return routes


class World:
    """Two teams, one design under review with a comment, a notification, a token, a
    finished export and an invitation of the outsider to the team: every object a URL can
    point at."""

    def __init__(self, capture_on_commit) -> None:
        from designs import services as design_services
        from exports import services as export_services

        self._clients: dict[tuple[str, bool], tuple[Client, SimpleCookie]] = {}
        self.alice = UserFactory(username="alice")
        self.team = TeamFactory(name="Platform", created_by=self.alice)
        self.users = {
            "outsider": UserFactory(username="mallory"),
            "member": MembershipFactory(team=self.team, user=UserFactory(username="member")).user,
            "reviewer": UserFactory(username="rita"),
            "comment_author": UserFactory(username="carl"),
        }
        self.rival = UserFactory(username="rival")
        self.other_team = TeamFactory(name="Rivals", created_by=self.rival)
        self.users["other_team"] = self.rival
        self.design = make_design(team=self.team, author=self.alice, title="URL shortener")
        self.rival_design = make_design(team=self.other_team, author=self.rival, title="Theirs")
        self.older_design = make_design(team=self.team, author=self.alice, title="Older one")
        self.link = design_services.design_link_add(
            design=self.design, target=self.older_design, kind="relates_to", added_by=self.alice
        )
        request_review(design=self.design, reviewer=self.users["reviewer"])
        request_review(design=self.design, reviewer=self.users["comment_author"])
        section = Section.objects.get(design=self.design, position=1)
        for version, body in enumerate(["First answer.", "Second answer."]):
            section = design_services.section_update(
                section=section,
                body=body,
                state=Section.State.DRAFT,
                na_reason="",
                base_version=version,
                edited_by=self.alice,
            )
        self.section = Section.objects.select_related("design").get(pk=section.pk)
        self.diagram = _drawn_diagram(self.design, author=self.alice)
        self.comment = add_comment(
            section=self.section,
            author=self.users["comment_author"],
            body="What happens when the cache is cold?",
            raise_issue=True,
        )
        self.discussion = add_comment(
            section=self.section, author=self.users["comment_author"], body="Nice diagram."
        )
        # A role the team member holds, whose sign-off the section needs.
        self.team_role = make_team_role(
            team=self.team, name="security", holders=(self.users["member"],)
        )
        require_signoff(section=self.section, roles=[self.team_role])
        self.notification = Notification.objects.filter(recipient=self.users["member"]).first()
        assert self.notification is not None
        make_api_token(user=self.users["member"], name="ci")
        self.token = self.users["member"].api_tokens.get()
        with capture_on_commit(execute=True):
            self.job, _ = export_services.export_request(
                design=self.design, format="markdown", requested_by=self.users["member"]
            )
        self.job.refresh_from_db()
        assert self.job.status == ExportJob.Status.DONE, self.job.error
        self.invitation = Invitation.objects.create(
            team=self.team, invitee=self.users["outsider"], invited_by=self.alice
        )
        assert Membership.objects.filter(team=self.team).count() == 2
        from designs import template_services
        from designs.models import Template

        # The team's own template (a copy of the built-in, so it has the section keys).
        self.template = template_services.template_copy(
            source=Template.objects.get(is_default=True), team=self.team, created_by=self.alice
        )
        # A webhook of the team with a failed delivery of the section's last save.
        from activity.models import Delivery, Event, Webhook

        self.webhook = Webhook.objects.create(
            team=self.team, url="http://127.0.0.1:9/", secret="s", kinds=["section.saved"]
        )
        self.delivery = Delivery.objects.create(
            webhook=self.webhook,
            event=Event.objects.filter(design=self.design, kind="section.saved").latest("id"),
            status=Delivery.Status.FAILED,
        )
        # A suggested edit of a passage, by the other reviewer.
        from reviews import services as review_services

        self.suggestion = review_services.comment_add(
            section=self.section,
            author=self.users["comment_author"],
            body="Shorter?",
            passage=review_services.PassageInput(exact="Second answer"),
            replacement="Answer two",
        )

    def kwargs(self) -> dict[str, Any]:
        return {
            "design_id": self.design.pk,
            "key": self.section.key,
            "comment_id": self.comment.pk,
            "notification_id": self.notification.pk,
            "token_id": self.token.pk,
            "team_id": self.team.pk,
            "user_id": self.users["member"].pk,
            "username": self.users["reviewer"].username,
            "job_id": self.job.pk,
            "invitation_id": self.invitation.pk,
            "link_id": self.link.pk,
            "template_id": self.template.pk,
            "role_id": self.team_role.pk,
            "diagram": self.diagram,
            "webhook_id": self.webhook.pk,
            "delivery_id": self.delivery.pk,
        }

    def client_for(self, role: str, *, enforce_csrf_checks: bool = False) -> Client:
        """A client signed in as ``role``; one per role, its cookies reset on each call
        (a sign-out or sign-in made by the previous request was rolled back)."""
        key = (role, enforce_csrf_checks)
        if key not in self._clients:
            client = Client(enforce_csrf_checks=enforce_csrf_checks)
            if role != "anonymous":
                client.force_login(self.users[role])
            self._clients[key] = (client, copy.deepcopy(client.cookies))
        client, cookies = self._clients[key]
        client.cookies = copy.deepcopy(cookies)
        return client


def _drawn_diagram(design, *, author) -> str:
    """A diagram shown by the design's second section, drawn (as if by the renderer)."""
    from designs import services as design_services
    from designs.diagrams.models import Diagram

    section = Section.objects.get(design=design, position=2)
    design_services.section_update(
        section=section,
        body="```mermaid\nflowchart LR\n  a --> b\n```\n",
        base_version=section.version,
        edited_by=author,
    )
    diagram = Diagram.objects.get()
    Diagram.objects.filter(pk=diagram.pk).update(
        status=Diagram.Status.READY, svg='<svg xmlns="http://www.w3.org/2000/svg"/>'
    )
    return diagram.key


def fingerprint() -> dict[str, Any]:
    """Every row of every Crit table, and the number of sessions: a GET must change none."""
    state: dict[str, Any] = {}
    for label in ("accounts", "designs", "diagrams", "reviews", "exports", "api", "activity"):
        for model in apps.get_app_config(label).get_models():
            state[model._meta.label] = list(model.objects.order_by("pk").values_list())
    state["sessions"] = Session.objects.count()
    return state


def send(client: Client, method: str, path: str, data: Any = None, *, htmx: bool = False):
    """One request; a JSON body for the API, a form body otherwise."""
    extra = {"HTTP_HX_REQUEST": "true"} if htmx else {}
    if path.startswith("/api/"):
        if method == "GET" and data:  # a search's words: in the query string
            return client.get(path, data, **extra)
        body = json.dumps(data) if data is not None else ""
        return client.generic(method, path, body, content_type="application/json", **extra)
    if method == "GET":
        return client.get(path, data or {}, **extra)
    if method == "POST":
        return client.post(path, data or {}, **extra)
    return client.generic(method, path, **extra)


def send_and_roll_back(client: Client, method: str, path: str, data: Any = None, **kwargs):
    """A request whose writes are undone afterwards, so the next one sees the same world."""
    with transaction.atomic():
        response = send(client, method, path, data, **kwargs)
        transaction.set_rollback(True)
    return response
