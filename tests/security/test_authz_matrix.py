"""The authorization matrix: every URL pattern the resolver serves x every role x every
method, each with the answer it must give. A pattern without an entry fails the suite.

Each row lists the status per role in the order of ``ROLES``:
anonymous, outsider, other team's member, team member, requested reviewer, comment author.
Every accepted method is sent twice, as a plain request and as an htmx request
(``hx-<METHOD>`` gives the htmx answers where they differ); ``other`` is the answer to every
method the pattern does not accept. Writes are sent with valid data, so a role allowed to act
gets the success answer; each one is rolled back afterwards. After every GET the database must
be exactly as before it.
"""

import re

import pytest
from django.test import Client
from django.urls import reverse

from accounts.selectors import email_verification_token
from tests.security.authz import (
    PASSWORD,
    ROLES,
    Route,
    World,
    fingerprint,
    send,
    send_and_roll_back,
    url_patterns,
)

pytestmark = pytest.mark.django_db

PROBED_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS")

# Answers shared by many rows.
SIGNED_IN_ANY = "302 200 200 200 200 200"  # a page for anyone signed in
MEMBERS_ONLY = "302 404 404 200 404 404"
READERS = "302 404 404 200 200 200"  # the team and the people asked to review
EDITORS = "302 404 404 200 403 403"  # readers may look, only the team may change
LOGIN_THEN_405 = "302 405 405 405 405 405"  # @login_required outside the method check
ALWAYS_405 = "405 405 405 405 405 405"
API_SIGNED_IN = "401 200 200 200 200 200"
API_READERS = "401 404 404 200 200 200"
API_LOGIN_THEN_405 = "401 405 405 405 405 405"
TEAM_OWNERS = "302 404 404 403 404 404"  # members look, owners change


def _design_create_data(world: World) -> dict:
    from designs.models import Template

    return {
        "team": world.team.pk,
        "template": Template.objects.get(is_default=True).pk,
        "title": "Another design",
        "summary": "Short.",
    }


# name -> {method: roles row, "hx-METHOD": row where htmx differs, "other": row}
MATRIX: dict[str, dict[str, str]] = {
    "healthz": {"GET": "200 200 200 200 200 200", "other": ALWAYS_405},
    # For Prometheus only (a token or a listed address): everyone else gets the unknown URL's
    # 404, whatever the method.
    "metrics": {"GET": "404 404 404 404 404 404", "other": "404 404 404 404 404 404"},
    # Accounts. Signed-in people are sent on from the sign-up and sign-in pages.
    "accounts:signup": {
        "GET": "200 302 302 302 302 302",
        "POST": "302 302 302 302 302 302",
        "other": ALWAYS_405,
    },
    # Class-based: Django's View answers HEAD and OPTIONS, LoginView treats PUT as POST
    # (with no form data parsed, so it only shows the form again).
    "accounts:login": {
        "GET": "200 302 302 302 302 302",
        "POST": "302 302 302 302 302 302",
        "PUT": "200 302 302 302 302 302",
        "HEAD": "200 302 302 302 302 302",
        "OPTIONS": "200 302 302 302 302 302",
        "other": "405 302 302 302 302 302",
    },
    # The admin's sign-in is public. Nobody here is staff: a right password is still refused
    # (200, the form again) and signed-in people are offered the form to switch accounts.
    "admin:login": {
        "GET": "200 200 200 200 200 200",
        "POST": "200 200 200 200 200 200",
        "PUT": "200 200 200 200 200 200",
        "HEAD": "200 200 200 200 200 200",
        "OPTIONS": "200 200 200 200 200 200",
        "other": ALWAYS_405,
    },
    "accounts:logout": {
        "POST": "302 302 302 302 302 302",
        "OPTIONS": "200 200 200 200 200 200",
        "other": ALWAYS_405,
    },
    "accounts:password_change": {
        "GET": SIGNED_IN_ANY,
        "POST": "302 302 302 302 302 302",
        "PUT": SIGNED_IN_ANY,
        "HEAD": SIGNED_IN_ANY,
        "OPTIONS": SIGNED_IN_ANY,
        "other": LOGIN_THEN_405,
    },
    "accounts:password_change_done": {
        "GET": SIGNED_IN_ANY,
        "HEAD": SIGNED_IN_ANY,
        "OPTIONS": SIGNED_IN_ANY,
        "other": LOGIN_THEN_405,
    },
    # Email confirmation: the status page is the signed-in person's own; the mailed link is
    # public (it names its account, whoever opens it), GET shows it, POST confirms.
    "accounts:email": {
        "GET": SIGNED_IN_ANY,
        "POST": "302 302 302 302 302 302",
        "other": LOGIN_THEN_405,
    },
    "accounts:email_verify": {
        "GET": "200 200 200 200 200 200",
        "POST": "302 302 302 302 302 302",
        "other": ALWAYS_405,
    },
    # Password reset by mail: public pages, signed in or not.
    "accounts:password_reset": {
        "GET": "200 200 200 200 200 200",
        "POST": "302 302 302 302 302 302",
        "PUT": "200 200 200 200 200 200",
        "HEAD": "200 200 200 200 200 200",
        "OPTIONS": "200 200 200 200 200 200",
        "other": ALWAYS_405,
    },
    "accounts:password_reset_done": {
        "GET": "200 200 200 200 200 200",
        "HEAD": "200 200 200 200 200 200",
        "OPTIONS": "200 200 200 200 200 200",
        "other": ALWAYS_405,
    },
    # With a link that is not (or no longer) valid: the page says so.
    "accounts:password_reset_confirm": {
        "GET": "200 200 200 200 200 200",
        "POST": "200 200 200 200 200 200",
        "HEAD": "200 200 200 200 200 200",
        "OPTIONS": "200 200 200 200 200 200",
        "other": ALWAYS_405,
    },
    "accounts:password_reset_complete": {
        "GET": "200 200 200 200 200 200",
        "HEAD": "200 200 200 200 200 200",
        "OPTIONS": "200 200 200 200 200 200",
        "other": ALWAYS_405,
    },
    # Teams: members see their team; only owners invite people and set roles; a member may
    # leave. An invitation (the outsider's, here) is seen and answered by its invitee alone.
    "teams:list": {
        "GET": SIGNED_IN_ANY,
        "POST": "302 302 302 302 302 302",
        "other": LOGIN_THEN_405,
    },
    "teams:detail": {"GET": MEMBERS_ONLY, "other": LOGIN_THEN_405},
    "teams:invite": {"POST": "302 404 404 403 404 404", "other": LOGIN_THEN_405},
    "teams:member_role": {"POST": "302 404 404 403 404 404", "other": LOGIN_THEN_405},
    "teams:invitations": {"GET": SIGNED_IN_ANY, "other": LOGIN_THEN_405},
    "teams:invitation_accept": {"POST": "302 302 404 404 404 404", "other": LOGIN_THEN_405},
    "teams:invitation_decline": {"POST": "302 302 404 404 404 404", "other": LOGIN_THEN_405},
    "teams:member_remove": {"POST": "302 404 404 302 404 404", "other": LOGIN_THEN_405},
    # Team roles (for section sign-offs): owners add, remove and assign them.
    "teams:role_add": {"POST": TEAM_OWNERS, "other": LOGIN_THEN_405},
    "teams:role_remove": {"POST": TEAM_OWNERS, "other": LOGIN_THEN_405},
    "teams:role_assign": {"POST": TEAM_OWNERS, "other": LOGIN_THEN_405},
    # Reviews: the team asks for reviews, the reviewers give verdicts, readers comment, a
    # comment's author edits or deletes it, the raiser or the team move an issue.
    "reviews:request": {"POST": "302 404 404 302 403 403", "other": LOGIN_THEN_405},
    "reviews:withdraw": {"POST": "302 404 404 302 403 403", "other": LOGIN_THEN_405},
    "reviews:verdict": {"POST": "302 404 404 403 302 302", "other": LOGIN_THEN_405},
    # Review rounds: only the team asks for a re-review (htmx gets the rounds panel).
    "reviews:round_start": {
        "POST": "302 404 404 302 403 403",
        "hx-POST": "302 404 404 200 403 403",
        "other": LOGIN_THEN_405,
    },
    "reviews:changes": {"GET": READERS, "other": LOGIN_THEN_405},
    "reviews:comment_add": {
        "POST": "302 404 404 302 302 302",
        "hx-POST": "302 404 404 200 200 200",
        "other": LOGIN_THEN_405,
    },
    "reviews:comment_reply": {
        "POST": "302 404 404 302 302 302",
        "hx-POST": "302 404 404 200 200 200",
        "other": LOGIN_THEN_405,
    },
    "reviews:comment_edit": {
        "GET": "302 404 404 403 403 200",
        "POST": "302 404 404 403 403 302",
        "hx-POST": "302 404 404 403 403 200",
        "other": LOGIN_THEN_405,
    },
    "reviews:comment_delete": {
        "POST": "302 404 404 403 403 302",
        "hx-POST": "302 404 404 403 403 200",
        "other": LOGIN_THEN_405,
    },
    "reviews:issue_status": {
        "POST": "302 404 404 302 403 302",
        "hx-POST": "302 404 404 200 403 200",
        "other": LOGIN_THEN_405,
    },
    "reviews:thread_resolve": {
        "POST": "302 404 404 302 403 302",
        "hx-POST": "302 404 404 200 403 200",
        "other": LOGIN_THEN_405,
    },
    # Section sign-offs: the team sets who signs; the member holds the required role and
    # signs; anyone who reads the design may withdraw their own (nothing to withdraw is fine).
    "reviews:signoff_give": {
        "POST": "302 404 404 302 403 403",
        "hx-POST": "302 404 404 200 403 403",
        "other": LOGIN_THEN_405,
    },
    "reviews:signoff_withdraw": {
        "POST": "302 404 404 302 302 302",
        "hx-POST": "302 404 404 200 200 200",
        "other": LOGIN_THEN_405,
    },
    "reviews:signoff_settings": {
        "GET": EDITORS,
        "POST": "302 404 404 302 403 403",
        "hx-POST": "302 404 404 200 403 403",
        "other": LOGIN_THEN_405,
    },
    "reviews:signoff_panel": {
        "GET": "302 404 404 302 302 302",
        "hx-GET": READERS,
        "other": LOGIN_THEN_405,
    },
    # Notifications are the recipient's own (the team member's, here).
    "reviews:inbox": {"GET": SIGNED_IN_ANY, "other": LOGIN_THEN_405},
    "reviews:read_all": {"POST": "302 302 302 302 302 302", "other": LOGIN_THEN_405},
    "reviews:settings": {
        "GET": SIGNED_IN_ANY,
        "POST": "302 302 302 302 302 302",
        "other": LOGIN_THEN_405,
    },
    "reviews:read": {
        "POST": "302 404 404 302 404 404",
        "hx-POST": "302 404 404 200 404 404",
        "other": LOGIN_THEN_405,
    },
    "reviews:open": {"POST": "302 404 404 302 404 404", "other": LOGIN_THEN_405},
    # API tokens: each person's own (the team member holds the one in the URL).
    "api:tokens": {"GET": SIGNED_IN_ANY, "POST": SIGNED_IN_ANY, "other": LOGIN_THEN_405},
    "api:token_revoke": {
        "POST": "302 404 404 302 404 404",
        "hx-POST": "302 404 404 200 404 404",
        "other": LOGIN_THEN_405,
    },
    # The JSON API: 401 without credentials, 404 for what the caller cannot see, 403 for
    # what they can see but not change. Its schema and docs describe the API, not data.
    "api-v1:openapi-json": {method: "200 200 200 200 200 200" for method in PROBED_METHODS},
    "api-v1:openapi-view": {method: "200 200 200 200 200 200" for method in PROBED_METHODS},
    "api-v1:api-root": {"other": "404 404 404 404 404 404"},
    "api-v1:me": {"GET": API_SIGNED_IN, "other": ALWAYS_405},
    "api-v1:team_list": {"GET": API_SIGNED_IN, "other": ALWAYS_405},
    "api-v1:team_create": {"POST": "401 201 201 201 201 201", "other": ALWAYS_405},
    "api-v1:team_invite": {"POST": "401 404 404 403 404 404", "other": ALWAYS_405},
    "api-v1:team_member_role": {"PUT": "401 404 404 403 404 404", "other": ALWAYS_405},
    "api-v1:invitation_list": {"GET": API_SIGNED_IN, "other": ALWAYS_405},
    "api-v1:invitation_accept": {"POST": "401 200 404 404 404 404", "other": ALWAYS_405},
    "api-v1:invitation_decline": {"POST": "401 204 404 404 404 404", "other": ALWAYS_405},
    "api-v1:design_list": {"GET": API_SIGNED_IN, "other": ALWAYS_405},
    # Everyone may try; only the team's members name a team of theirs.
    "api-v1:design_create": {"POST": "401 422 422 201 422 422", "other": ALWAYS_405},
    "api-v1:design_detail": {"GET": API_READERS, "other": ALWAYS_405},
    "api-v1:section_update": {"PATCH": "401 404 404 200 403 403", "other": ALWAYS_405},
    "api-v1:section_revisions": {"GET": API_READERS, "other": ALWAYS_405},
    "api-v1:design_link_list": {"GET": API_READERS, "other": ALWAYS_405},
    "api-v1:design_link_add": {"POST": "401 404 404 201 403 403", "other": ALWAYS_405},
    "api-v1:design_link_remove": {"DELETE": "401 404 404 204 403 403", "other": ALWAYS_405},
    "api-v1:reviewer_add": {"POST": "401 404 404 201 403 403", "other": ALWAYS_405},
    "api-v1:reviewer_remove": {"DELETE": "401 404 404 204 403 403", "other": ALWAYS_405},
    "api-v1:comment_list": {"GET": API_READERS, "other": ALWAYS_405},
    "api-v1:comment_add": {"POST": "401 404 404 201 201 201", "other": ALWAYS_405},
    "api-v1:comment_update": {"PATCH": "401 404 404 200 403 200", "other": ALWAYS_405},
    "api-v1:verdict_add": {"POST": "401 404 404 403 201 201", "other": ALWAYS_405},
    "api-v1:round_start": {"POST": "401 404 404 201 403 403", "other": ALWAYS_405},
    "api-v1:round_list": {"GET": API_READERS, "other": ALWAYS_405},
    "api-v1:review_changes": {"GET": API_READERS, "other": ALWAYS_405},
    "api-v1:export_create": {"POST": "401 404 404 202 202 202", "other": ALWAYS_405},
    "api-v1:signoff_list": {"GET": API_READERS, "other": ALWAYS_405},
    "api-v1:signoff_settings_set": {"PUT": "401 404 404 200 403 403", "other": ALWAYS_405},
    "api-v1:signoff_give": {"POST": "401 404 404 201 403 403", "other": ALWAYS_405},
    "api-v1:signoff_withdraw": {"DELETE": "401 404 404 204 204 204", "other": ALWAYS_405},
    "api-v1:export_detail": {"GET": API_READERS, "other": ALWAYS_405},
    "api-v1:export_download": {"GET": API_READERS, "other": ALWAYS_405},
    # Exports: anyone who can read the design may export it and download the file.
    "exports:design": {
        "GET": READERS,
        "POST": "302 404 404 302 302 302",
        "hx-POST": "302 404 404 200 200 200",
        "other": LOGIN_THEN_405,
    },
    "exports:job": {"GET": READERS, "other": LOGIN_THEN_405},
    "exports:download": {"GET": READERS, "other": LOGIN_THEN_405},
    # Designs. The dashboard sends visitors to sign in before checking the method.
    "designs:dashboard": {"GET": SIGNED_IN_ANY, "other": ALWAYS_405},
    # Without a team there is nothing to create a design in: sent to the teams page. The
    # other team's member may open the form but not pick the design's team (400).
    "designs:create": {
        "GET": "302 302 200 200 302 302",
        "POST": "302 302 400 302 302 302",
        "other": LOGIN_THEN_405,
    },
    "designs:detail": {"GET": READERS, "other": LOGIN_THEN_405},
    "designs:edit": {"GET": EDITORS, "POST": "302 404 404 302 403 403", "other": LOGIN_THEN_405},
    # Related designs: readers see the links on the design page; the team changes them.
    "designs:links": {"GET": EDITORS, "POST": "302 404 404 302 403 403", "other": LOGIN_THEN_405},
    "designs:link_remove": {"POST": "302 404 404 302 403 403", "other": LOGIN_THEN_405},
    # Without htmx the section's own URL sends readers to it on the design page.
    "designs:section": {
        "GET": "302 404 404 302 302 302",
        "hx-GET": READERS,
        "other": LOGIN_THEN_405,
    },
    "designs:section_edit": {
        "GET": EDITORS,
        "POST": "302 404 404 302 403 403",
        "hx-POST": EDITORS,
        "other": LOGIN_THEN_405,
    },
    "designs:section_preview": {"POST": EDITORS, "other": LOGIN_THEN_405},
    # A diagram's SVG, under the design that shows it.
    "diagrams:svg": {"GET": READERS, "other": LOGIN_THEN_405},
    "designs:section_history": {"GET": READERS, "other": LOGIN_THEN_405},
    "designs:section_diff": {"GET": READERS, "other": LOGIN_THEN_405},
    "designs:section_restore": {"POST": "302 404 404 302 403 403", "other": LOGIN_THEN_405},
    # Import: like creating a design (the other team's member may not pick this team).
    "designs:import": {
        "GET": "302 302 200 200 302 302",
        "POST": "302 302 400 302 302 302",
        "other": LOGIN_THEN_405,
    },
    # Templates: the team's members see its templates, its owners (nobody here but the other
    # team's owner, of their own team) change them; making one needs a team one owns.
    "designs:templates": {"GET": SIGNED_IN_ANY, "other": LOGIN_THEN_405},
    "designs:template_create": {
        "GET": "302 302 200 302 302 302",
        "POST": "302 302 400 302 302 302",
        "other": LOGIN_THEN_405,
    },
    "designs:template_detail": {"GET": MEMBERS_ONLY, "other": LOGIN_THEN_405},
    "designs:template_edit": {"POST": TEAM_OWNERS, "other": LOGIN_THEN_405},
    "designs:template_copy": {"POST": "302 404 404 403 404 404", "other": LOGIN_THEN_405},
    "designs:template_reorder": {"POST": TEAM_OWNERS, "other": LOGIN_THEN_405},
    "designs:template_section_add": {"POST": TEAM_OWNERS, "other": LOGIN_THEN_405},
    "designs:template_section_edit": {"POST": TEAM_OWNERS, "other": LOGIN_THEN_405},
    "designs:template_section_move": {"POST": TEAM_OWNERS, "other": LOGIN_THEN_405},
    "designs:template_section_remove": {"POST": TEAM_OWNERS, "other": LOGIN_THEN_405},
    "api-v1:template_list": {"GET": API_SIGNED_IN, "other": ALWAYS_405},
    # Everyone may try; the team's members learn they are not its owners.
    "api-v1:template_create": {"POST": "401 422 422 403 422 422", "other": ALWAYS_405},
    "api-v1:template_detail": {"GET": "401 404 404 200 404 404", "other": ALWAYS_405},
    "api-v1:template_update": {"PUT": "401 404 404 403 404 404", "other": ALWAYS_405},
    "api-v1:design_import": {"POST": "401 422 422 201 422 422", "other": ALWAYS_405},
    # Search: anyone signed in searches; each finds only what they may read (tests/search/).
    "search:page": {"GET": SIGNED_IN_ANY, "other": LOGIN_THEN_405},
    "api-v1:search": {"GET": API_SIGNED_IN, "other": ALWAYS_405},
    # Activity: a design's for its readers, a team's for its members; webhooks for owners
    # (members learn they are not owners, everyone else that there is nothing).
    "activity:design": {"GET": READERS, "other": LOGIN_THEN_405},
    "activity:team": {"GET": MEMBERS_ONLY, "other": LOGIN_THEN_405},
    "activity:webhooks": {"GET": TEAM_OWNERS, "POST": TEAM_OWNERS, "other": LOGIN_THEN_405},
    "activity:webhook": {"GET": TEAM_OWNERS, "POST": TEAM_OWNERS, "other": LOGIN_THEN_405},
    "activity:webhook_secret": {"POST": TEAM_OWNERS, "other": LOGIN_THEN_405},
    "activity:webhook_delete": {"POST": TEAM_OWNERS, "other": LOGIN_THEN_405},
    "activity:delivery_resend": {"POST": TEAM_OWNERS, "other": LOGIN_THEN_405},
    "api-v1:design_activity": {"GET": API_READERS, "other": ALWAYS_405},
    "api-v1:team_activity": {"GET": "401 404 404 200 404 404", "other": ALWAYS_405},
    # Suggested edits: readers suggest (through the comment form or the API); the team
    # applies or dismisses (with a reply).
    "reviews:suggestion_apply": {
        "POST": "302 404 404 302 403 403",
        "hx-POST": "302 404 404 200 403 403",
        "other": LOGIN_THEN_405,
    },
    "reviews:suggestion_dismiss": {
        "POST": "302 404 404 302 403 403",
        "hx-POST": "302 404 404 200 403 403",
        "other": LOGIN_THEN_405,
    },
    "api-v1:suggestion_list": {"GET": API_READERS, "other": ALWAYS_405},
    "api-v1:suggestion_create": {"POST": "401 404 404 201 201 201", "other": ALWAYS_405},
    "api-v1:suggestion_apply": {"POST": "401 404 404 200 403 403", "other": ALWAYS_405},
    "api-v1:suggestion_dismiss": {"POST": "401 404 404 200 403 403", "other": ALWAYS_405},
}

# name -> {method: data (or a function of the world giving it)}
PAYLOADS: dict[str, dict] = {
    "accounts:signup": {
        "POST": {"username": "newbie", "password1": "Fresh-Pass-981", "password2": "Fresh-Pass-981"}
    },
    "accounts:login": {"POST": {"username": "alice", "password": PASSWORD}},
    "admin:login": {"POST": {"username": "alice", "password": PASSWORD}},
    "accounts:password_reset": {"POST": {"email": "alice@example.com"}},
    "accounts:password_reset_confirm": {
        "POST": {"new_password1": "Fresh-Pass-981", "new_password2": "Fresh-Pass-981"}
    },
    "accounts:password_change": {
        "POST": {
            "old_password": PASSWORD,
            "new_password1": "Fresh-Pass-981",
            "new_password2": "Fresh-Pass-981",
        }
    },
    "teams:list": {"POST": {"name": "New team"}},
    "teams:invite": {"POST": {"identifier": "rita", "role": "member"}},
    "teams:member_role": {"POST": {"role": "owner"}},
    "reviews:request": {"POST": {"reviewer": "mallory", "message": "Please look."}},
    "reviews:verdict": {"POST": {"kind": "approve", "summary": "Fine."}},
    "reviews:comment_add": {"POST": {"body": "A question."}},
    "reviews:comment_reply": {"POST": {"body": "An answer."}},
    "reviews:comment_edit": {"POST": {"body": "Edited."}},
    "reviews:issue_status": {"POST": {"status": "dropped"}},
    "reviews:thread_resolve": {"POST": {"resolved": "1"}},
    "reviews:settings": {"POST": {"email_enabled": "on"}},
    "teams:role_add": {"POST": {"name": "SRE"}},
    "teams:role_assign": {"POST": lambda w: {"user": w.users["member"].pk, "held": "0"}},
    "reviews:signoff_give": {"POST": lambda w: {"role": w.team_role.pk}},
    "reviews:signoff_withdraw": {"POST": lambda w: {"role": w.team_role.pk}},
    "reviews:signoff_settings": {
        "POST": lambda w: {"owner": w.users["member"].pk, "roles": [w.team_role.pk]}
    },
    "api:tokens": {"POST": {"name": "laptop"}},
    "exports:design": {"POST": {"format": "markdown"}},
    "designs:create": {"POST": _design_create_data},
    "designs:edit": {"POST": {"title": "Renamed", "summary": ""}},
    "designs:section_edit": {
        "POST": lambda w: {
            "body": "Text.",
            "state": "draft",
            "na_reason": "",
            "base_version": w.section.version,
        }
    },
    "designs:section_preview": {"POST": {"body": "*Text*"}},
    "designs:links": {"POST": lambda w: {"target": w.older_design.pk, "kind": "supersedes"}},
    "designs:section_restore": {
        "POST": lambda w: {"version": 1, "base_version": w.section.version}
    },
    "designs:import": {
        "POST": lambda w: {
            **_design_create_data(w),
            "markdown": "## Who is your customer\n\nUs.\n",
            "confirm": "1",
        }
    },
    "designs:template_create": {
        "POST": lambda w: {"team": w.team.pk, "name": "Ours", "markdown": "## One\n- a\n"}
    },
    "designs:template_edit": {"POST": {"name": "Renamed", "description": ""}},
    "designs:template_copy": {"POST": lambda w: {"team": w.team.pk}},
    "designs:template_reorder": {
        "POST": lambda w: {
            "keys": list(reversed(w.template.sections.values_list("key", flat=True)))
        }
    },
    "designs:template_section_add": {"POST": {"title": "Rollout", "guidance": "- how"}},
    "designs:template_section_edit": {"POST": {"title": "Retitled", "guidance": ""}},
    "designs:template_section_move": {"POST": {"direction": "down"}},
    "api-v1:template_create": {
        "POST": lambda w: {"team_id": w.team.pk, "name": "API", "sections": [{"title": "A"}]}
    },
    "api-v1:template_update": {"PUT": {"name": "Renamed", "sections": [{"title": "A"}]}},
    "api-v1:design_import": {
        "POST": lambda w: {"team_id": w.team.pk, "markdown": "# From Markdown\n\n## A\nx\n"}
    },
    "api-v1:team_create": {"POST": {"name": "API team"}},
    "api-v1:team_invite": {"POST": {"username": "rita"}},
    "api-v1:team_member_role": {"PUT": {"role": "owner"}},
    "api-v1:design_create": {"POST": lambda w: {"team_id": w.team.pk, "title": "From the API"}},
    "api-v1:section_update": {
        "PATCH": lambda w: {"body": "From the API.", "base_version": w.section.version}
    },
    "api-v1:reviewer_add": {"POST": {"username": "mallory"}},
    "api-v1:design_link_add": {
        "POST": lambda w: {"design_id": w.older_design.pk, "kind": "supersedes"}
    },
    "api-v1:comment_add": {"POST": {"body": "From the API."}},
    "api-v1:comment_update": {"PATCH": {"issue_status": "dropped"}},
    "api-v1:verdict_add": {"POST": {"verdict": "approve"}},
    "api-v1:export_create": {"POST": {"format": "markdown"}},
    "api-v1:signoff_settings_set": {"PUT": {"owner": "member", "roles": ["security"]}},
    "api-v1:signoff_give": {"POST": {"role": "security"}},
    "search:page": {"GET": {"q": "design"}},
    "api-v1:search": {"GET": {"q": "design"}},
    "activity:webhooks": {"POST": {"url": "http://127.0.0.1:9/", "kinds": ["section.saved"]}},
    "activity:webhook": {"POST": {"url": "http://127.0.0.1:9/", "kinds": ["section.saved"]}},
    "reviews:suggestion_dismiss": {"POST": {"body": "Not now."}},
    "api-v1:suggestion_create": {"POST": {"replacement": "Shorter."}},
    "api-v1:suggestion_dismiss": {"POST": {"body": "Not now."}},
}


def _payload(world: World, name: str, method: str):
    data = PAYLOADS.get(name, {}).get(method)
    return data(world) if callable(data) else data


# The objects a pattern's URL points at, where the world's usual one does not fit.
KWARGS = {
    "reviews:thread_resolve": lambda w: {"comment_id": w.discussion.pk},
    "accounts:email_verify": lambda w: {
        "token": email_verification_token(w.users["outsider"]),
    },
    "accounts:password_reset_confirm": lambda w: {"uidb64": "MQ", "token": "not-a-token"},
    "reviews:suggestion_apply": lambda w: {"comment_id": w.suggestion.pk},
    "reviews:suggestion_dismiss": lambda w: {"comment_id": w.suggestion.pk},
    "api-v1:suggestion_apply": lambda w: {"comment_id": w.suggestion.pk},
    "api-v1:suggestion_dismiss": lambda w: {"comment_id": w.suggestion.pk},
}


def _path(name: str, route: str, world: World) -> str:
    params = re.findall(r"<(?:\w+:)?(\w+)>", route)
    every = world.kwargs()
    if name in KWARGS:
        every.update(KWARGS[name](world))
    return reverse(name, kwargs={p: every[p] for p in params})


def _row(statuses) -> str:
    return " ".join(str(s) for s in statuses)


@pytest.fixture
def world(django_capture_on_commit_callbacks, settings, tmp_path):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # Every row posts the same sign-up and reset forms many times; their limits have tests of
    # their own (tests/accounts/test_identity.py, test_password_reset.py).
    settings.CRIT_SIGNUPS_PER_ADDRESS = settings.CRIT_SIGNUPS_PER_EMAIL = 0
    settings.CRIT_RESETS_PER_ADDRESS = settings.CRIT_RESETS_PER_EMAIL = 0
    settings.MEDIA_ROOT = tmp_path / "media"
    # WhiteNoise scans STATIC_ROOT whenever a client starts; these requests need no files.
    settings.STATIC_ROOT = tmp_path / "static"
    return World(django_capture_on_commit_callbacks)


def _accepted(route: Route, entry: dict[str, str]) -> tuple[str, ...]:
    if route.methods is not None:
        return route.methods
    return tuple(m for m in PROBED_METHODS if m in entry)


def _observe(world: World, path: str, name: str, method: str, *, htmx: bool):
    """The row of statuses for one method, and the roles whose GET changed the database."""
    statuses, changed = [], []
    for role in ROLES:
        client = world.client_for(role)
        data = _payload(world, name, method)
        if method in ("GET", "HEAD"):
            before = fingerprint()
            response = send(client, method, path, data, htmx=htmx)
            if fingerprint() != before:
                changed.append(role)
        else:
            response = send_and_roll_back(client, method, path, data, htmx=htmx)
        statuses.append(response.status_code)
    return _row(statuses), changed


def test_every_url_pattern_has_an_entry_in_the_matrix():
    served = {route.name for route in url_patterns()}
    missing = sorted(served - MATRIX.keys())
    stale = sorted(MATRIX.keys() - served)
    assert not missing, f"URL patterns with no entry in the authorization matrix: {missing}"
    assert not stale, f"Matrix entries for URL patterns that no longer exist: {stale}"


def test_every_write_has_a_payload_that_matches_a_pattern():
    served = {route.name for route in url_patterns()}
    assert not PAYLOADS.keys() - served


@pytest.mark.parametrize("route", url_patterns(), ids=lambda route: route.name)
def test_each_role_gets_the_expected_answer_and_gets_change_nothing(route: Route, world):
    entry = MATRIX.get(route.name)
    if entry is None:
        pytest.fail(f"{route.name} ({route.route}) has no entry in the authorization matrix")
    path = _path(route.name, route.route, world)
    accepted = _accepted(route, entry)
    problems = []
    header = " ".join(ROLES)
    for method in PROBED_METHODS:
        if method in route.siblings:
            continue  # another operation on the same path answers it, with its own entry
        if method in accepted:
            variants = [(method, False), (f"hx-{method}", True)]
        else:
            variants = [(method, False)]
        for label, htmx in variants:
            if method in accepted:
                expected = entry.get(label) or entry[method]
            else:
                expected = entry.get("other", ALWAYS_405)
            got, changed = _observe(world, path, route.name, method, htmx=htmx)
            if got != expected:
                problems.append(f"{label:>10} expected {expected}  got {got}")
            if changed:
                problems.append(f"{label:>10} changed the database for {changed}")
    assert not problems, f"{route.name} {path}  ({header})\n" + "\n".join(problems)


UNSAFE = ("POST", "PUT", "PATCH", "DELETE")
# Views that answer every method alike and change nothing: the API's schema and docs.
CSRF_NOT_APPLICABLE = {"api-v1:openapi-json", "api-v1:openapi-view", "api-v1:api-root"}


def _unsafe_cases():
    for route in url_patterns():
        if route.name in CSRF_NOT_APPLICABLE:
            continue
        entry = MATRIX.get(route.name, {})
        for method in _accepted(route, entry):
            if method in UNSAFE:
                yield pytest.param(route, method, id=f"{route.name}-{method}")


@pytest.mark.parametrize(("route", "method"), list(_unsafe_cases()))
def test_a_write_without_the_csrf_token_is_refused_and_changes_nothing(route, method, world):
    path = _path(route.name, route.route, world)
    client = world.client_for("member", enforce_csrf_checks=True)
    before = fingerprint()

    response = send(client, method, path, _payload(world, route.name, method))

    assert response.status_code == 403, (route.name, response.status_code)
    assert fingerprint() == before


def test_a_write_with_the_csrf_token_goes_through(world):
    client = world.client_for("member", enforce_csrf_checks=True)
    client.get(reverse("designs:detail", args=[world.design.pk]))
    token = client.cookies["csrftoken"].value
    path = reverse("reviews:comment_add", args=[world.design.pk, world.section.key])

    response = client.post(path, {"body": "With the token.", "csrfmiddlewaretoken": token})

    assert response.status_code == 302


def test_the_api_with_a_token_needs_no_csrf_token(world):
    from tests.factories import make_api_token

    secret = make_api_token(user=world.users["member"], name="script")
    client = Client(enforce_csrf_checks=True)
    response = client.post(
        f"/api/v1/designs/{world.design.pk}/sections/{world.section.key}/comments",
        '{"body": "From a script."}',
        content_type="application/json",
        headers={"Authorization": f"Bearer {secret}"},
    )
    assert response.status_code == 201


@pytest.mark.parametrize("role", ROLES)
def test_admin_is_closed_to_every_role(role, world):
    client = world.client_for(role)
    for path in ["/admin/", "/admin/designs/design/", f"/admin/designs/design/{world.design.pk}/"]:
        response = client.get(path)
        assert response.status_code == 302, path
        assert response["Location"].startswith("/admin/login/")
