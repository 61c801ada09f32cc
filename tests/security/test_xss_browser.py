"""Every XSS vector in every field people type into, on the pages that show them, in Chromium.

The pages are loaded with the Content-Security-Policy bypassed, so anything that slipped
past the sanitiser or the templates' escaping would run: the policy is a second wall, this
test checks the first. On every page: no dialog, no request to the vectors' targets, no
``on*`` attribute, no htmx attribute inside user content or carrying a vector, no
``javascript:``/``vbscript:``/``data:`` URL, no element that only a vector could have made.
"""

import contextlib
import unicodedata

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from accounts import services as account_services
from api import services as api_services
from designs import services as design_services
from designs.models import Section
from reviews import services as review_services
from tests.factories import UserFactory, make_template, request_review
from tests.security.xss_vectors import TEXTS

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

DOM_PROBLEMS = """
() => {
  const MARKERS = /alert\\(|evil\\.example|xss-hx|\\?xss|X-Xss/;
  const problems = [];
  const urlAttributes = new Set(["href", "src", "action", "formaction", "xlink:href", "data",
                                 "background", "poster", "srcdoc", "ping"]);
  for (const el of document.querySelectorAll("*")) {
    const where = el.tagName.toLowerCase() + (el.id ? "#" + el.id : "");
    for (const attr of el.attributes) {
      const name = attr.name.toLowerCase();
      const value = attr.value;
      if (name.startsWith("on")) problems.push(`${where} has ${name}`);
      if ((name.startsWith("hx-") || name.startsWith("data-hx-")) && name !== "hx-disable") {
        if (el.closest("[hx-disable]")) problems.push(`${where} has ${name} in user content`);
        // hx-confirm only ever shows its text (a token's name, say) in a confirm box.
        if (name !== "hx-confirm" && MARKERS.test(value)) {
          problems.push(`${where} has ${name}=${value}`);
        }
      }
      if (urlAttributes.has(name)) {
        const seen = value.replace(/[\\u0000-\\u0020\\u007f]/g, "").toLowerCase();
        if (/^(javascript|vbscript|data):/.test(seen) || name === "srcdoc") {
          problems.push(`${where} has ${name}=${value.slice(0, 60)}`);
        }
      }
    }
  }
  const made = ["iframe", "object", "embed", "base", "meta[http-equiv]", "math", "svg script",
    "style:not([nonce])", "[hx-disable] svg", "[hx-disable] form", "[hx-disable] button",
    "[hx-disable] textarea", "[hx-disable] select", "[hx-disable] video",
    "[hx-disable] details"].join(", ");
  for (const el of document.querySelectorAll(made)) problems.push(`a <${el.tagName}> element`);
  for (const el of document.querySelectorAll("script")) {
    if (!(el.getAttribute("src") || "").startsWith("/static/")) problems.push("an inline script");
  }
  for (const el of document.querySelectorAll("[hx-disable] input")) {
    if (el.type !== "checkbox") problems.push(`an <input type=${el.type}> in user content`);
  }
  return problems;
}
"""


def _one_line(text: str) -> str:
    """``text`` as a title may hold it: titles refuse line breaks and control characters
    (each becomes a space), so the vector reaches the page by the title's only path."""
    return "".join(" " if unicodedata.category(c) in ("Cc", "Zl", "Zp") else c for c in text)


def _chunks(texts: list[str], limit: int) -> list[str]:
    """Vectors joined into pieces of at most ``limit`` characters (one per piece if longer)."""
    chunks, current = [], ""
    for text in texts:
        text = text[:limit]
        if current and len(current) + 1 + len(text) > limit:
            chunks.append(current)
            current = ""
        current = f"{current} {text}".strip() if current else text
    if current:
        chunks.append(current)
    return chunks


class Watch:
    """Dialogs, requests to the vectors' targets and page errors of one browser page."""

    def __init__(self, page) -> None:
        self.page = page
        self.dialogs: list[str] = []
        self.requests: list[str] = []
        page.on("dialog", self._dialog)
        page.on("request", self._request)

    def _dialog(self, dialog) -> None:
        self.dialogs.append(f"{dialog.type}: {dialog.message}")
        dialog.dismiss()

    def _request(self, request) -> None:
        url = request.url.lower()
        if any(marker in url for marker in ["evil.example", "xss-hx", "?xss", "xss.js"]) or (
            url.startswith(("javascript:", "vbscript:", "data:text"))
        ):
            self.requests.append(request.url)

    def visit(self, url: str) -> list[str]:
        response = self.page.goto(url)
        assert response is not None and response.status == 200, (url, response and response.status)
        self.page.wait_for_load_state("load")
        self.page.wait_for_timeout(150)  # let htmx process the page and any load trigger fire
        problems = [f"{url}: {p}" for p in self.page.evaluate(DOM_PROBLEMS)]
        problems += [f"{url}: dialog {d}" for d in self.dialogs]
        problems += [f"{url}: request to {r}" for r in self.requests]
        self.dialogs.clear()
        self.requests.clear()
        return problems


def _hostile_world():
    """Every user-text field filled with the corpus, through the services."""
    alice = UserFactory(username="alice", first_name="<img src=x onerror=alert(1)>")
    alice.last_name = "<script>alert(1)</script>"
    alice.save(update_fields=["last_name"])
    bob = UserFactory(username="bob", first_name='"><svg onload=alert(1)>')
    team = account_services.team_create(name="Platform", created_by=alice)
    for name in _chunks(TEXTS, 100):
        # Two vectors cut to the same name; invitations past the hourly limit.
        with contextlib.suppress(ValidationError):
            hostile = account_services.team_create(name=name, created_by=alice)
            # bob sees the hostile names on his invitations page and dashboard
            account_services.team_invite(team=hostile, identifier="bob", invited_by=alice)
    for name in _chunks(TEXTS, 100)[:40]:
        api_services.token_create(user=alice, name=name)

    template = make_template(section_count=len(TEXTS), slug="hostile")
    bodies = design_services.design_create(
        team=team, template=template, title="Bodies and comments", created_by=alice
    )
    reasons = design_services.design_create(
        team=team, template=template, title="Reasons", created_by=alice
    )
    request_review(design=bodies, reviewer=bob, requested_by=alice)
    review_services.review_request(
        design=reasons, reviewer=bob, requested_by=alice, message=_chunks(TEXTS, 2000)[0]
    )
    body_sections = list(bodies.sections.select_related("design").order_by("position"))
    reason_sections = list(reasons.sections.order_by("position"))
    first_comment = None
    for text, section, reason_section in zip(TEXTS, body_sections, reason_sections, strict=True):
        design_services.section_update(
            section=section,
            body=text,
            state=Section.State.ANSWERED,
            base_version=0,
            edited_by=alice,
        )
        design_services.section_update(
            section=reason_section,
            body="",
            state=Section.State.NOT_APPLICABLE,
            na_reason=text[:500],
            base_version=0,
            edited_by=alice,
        )
        section.refresh_from_db()
        comment = review_services.comment_add(
            section=section, author=bob, body=f"@alice {text}", raise_issue=text.startswith("<")
        )
        review_services.comment_reply(parent=comment, author=alice, body=text)
        first_comment = first_comment or comment
    review_services.verdict_submit(
        design=bodies, reviewer=bob, kind="request_changes", summary="\n\n".join(TEXTS)
    )

    everything = design_services.design_create(
        team=team, title="Everything in one section", created_by=alice
    )
    section = everything.sections.select_related("design").order_by("position").first()
    for version, joined in enumerate(["\n\n".join(TEXTS), "\n\n".join(reversed(TEXTS))]):
        section = design_services.section_update(
            section=section,
            body=joined,
            state=Section.State.DRAFT,
            base_version=version,
            edited_by=alice,
        )

    titled = [
        design_services.design_create(team=team, title=title, summary=summary, created_by=alice)
        for title, summary in zip(
            _chunks([_one_line(t) for t in TEXTS], 200), _chunks(TEXTS * 10, 2000), strict=False
        )
    ]
    return {
        "bodies": bodies,
        "reasons": reasons,
        "everything": everything,
        "section": section,
        "titled": titled,
        "comment": first_comment,
    }


def test_no_vector_runs_or_leaves_an_attribute_on_any_page(live_server, sign_in):
    world = _hostile_world()
    base = live_server.url
    bodies, everything, section = world["bodies"], world["everything"], world["section"]
    section_args = [everything.pk, section.key]
    alice_pages = [
        bodies.get_absolute_url(),
        world["reasons"].get_absolute_url(),
        everything.get_absolute_url(),
        reverse("designs:section_history", args=section_args),
        reverse("designs:section_diff", args=section_args) + "?from=1&to=2",
        reverse("designs:section_edit", args=section_args),
        reverse("designs:edit", args=[world["titled"][0].pk]),
        reverse("exports:design", args=[bodies.pk]),
        reverse("designs:dashboard"),
        reverse("designs:dashboard") + "?page=2",
        reverse("designs:dashboard") + "?page=3",
        reverse("teams:list"),
        reverse("reviews:inbox"),
        reverse("api:tokens"),
        *(design.get_absolute_url() for design in world["titled"]),
    ]
    bob_pages = [
        bodies.get_absolute_url(),
        world["reasons"].get_absolute_url(),
        reverse("reviews:inbox"),
        reverse("reviews:comment_edit", args=[world["comment"].pk]),
        reverse("designs:dashboard"),
        reverse("teams:invitations"),
    ]

    problems = []
    for username, paths in [("alice", alice_pages), ("bob", bob_pages)]:
        watch = Watch(sign_in(username, bypass_csp=True))
        for path in paths:
            problems += watch.visit(base + path)
        problems += [f"page error: {e}" for e in watch.page.page_errors]

    assert problems == [], "\n".join(problems)


def test_template_syntax_in_user_text_is_shown_as_typed(live_server, sign_in):
    alice = UserFactory(username="alice")
    team = account_services.team_create(name="{{ 7|add:7 }} team", created_by=alice)
    design = design_services.design_create(
        team=team, title="{% csrf_token %} {{ 7|add:7 }}", summary="${7*7}", created_by=alice
    )
    first = design.sections.select_related("design").order_by("position").first()
    design_services.section_update(
        section=first, body="{{ request.user.password }}", base_version=0, edited_by=alice
    )

    page = sign_in("alice")
    page.goto(live_server.url + design.get_absolute_url())
    text = page.inner_text("main")

    assert "{% csrf_token %} {{ 7|add:7 }}" in text
    assert "{{ request.user.password }}" in text
    assert "pbkdf2" not in page.content()
