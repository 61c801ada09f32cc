"""The Content-Security-Policy breaks nothing: Chromium reports no violation on the main
pages, before or after htmx swaps in a section's editor and its preview."""

import pytest
from django.urls import reverse

from accounts.models import Invitation
from designs import services as design_services
from designs.models import Section, Template
from designs.template_services import template_copy
from tests.factories import (
    MembershipFactory,
    TeamFactory,
    UserFactory,
    add_comment,
    make_design,
    request_review,
)

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

BODY = """Reads outnumber writes **100:1**.

| Path | p99 |
|:--|--:|
| read | 20 ms |

```python
def shorten(url: str) -> str:
    return base62(next_id())
```

- [x] load test
- [ ] runbook

![diagram](/static/favicon.svg)
"""

COLLECT_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__cspViolations.push(`${event.violatedDirective} blocked ${event.blockedURI}`);
});
"""


def _watch(page) -> list[str]:
    seen: list[str] = []
    page.add_init_script(COLLECT_VIOLATIONS)
    page.on(
        "console",
        lambda message: (
            seen.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    return seen


def _violations(page, console: list[str]) -> list[str]:
    return [*page.evaluate("window.__cspViolations || []"), *console]


def test_main_pages_raise_no_csp_violation(live_server, sign_in, page):
    alice = UserFactory(username="alice")
    team = TeamFactory(name="Platform", created_by=alice)
    MembershipFactory(team=team, user=UserFactory(username="bob"))
    Invitation.objects.create(
        team=TeamFactory(name="Search", created_by=UserFactory(username="dan")),
        invitee=alice,
        invited_by=UserFactory(username="dan"),
    )
    design = make_design(team=team, author=alice, title="URL shortener")
    first = design.sections.select_related("design").order_by("position").first()
    first = design_services.section_update(
        section=first, body=BODY, state=Section.State.ANSWERED, base_version=0, edited_by=alice
    )
    request_review(design=design, reviewer=UserFactory(username="carol"), requested_by=alice)
    add_comment(section=first, author=alice, body="What about @bob's cache?", raise_issue=True)

    template = template_copy(
        source=Template.objects.get(is_default=True), team=team, created_by=alice
    )

    console = _watch(page)
    for name in ["accounts:login", "accounts:signup"]:
        page.goto(live_server.url + reverse(name))
    assert _violations(page, console) == []

    signed_in = sign_in("alice")
    console = _watch(signed_in)
    problems = []
    paths = [
        reverse("designs:dashboard"),
        reverse("teams:list"),
        reverse("teams:detail", args=[team.pk]),
        reverse("teams:invitations"),
        reverse("reviews:inbox"),
        reverse("reviews:settings"),
        reverse("api:tokens"),
        reverse("accounts:password_change"),
        reverse("exports:design", args=[design.pk]),
        reverse("designs:section_history", args=[design.pk, first.key]),
        reverse("designs:section_diff", args=[design.pk, first.key]),
        reverse("designs:create"),
        reverse("designs:templates"),
        reverse("designs:template_create"),
        reverse("designs:template_detail", args=[template.pk]),
        reverse("designs:import"),
        design.get_absolute_url(),  # last: the editor is opened on it below
    ]
    for path in paths:
        signed_in.goto(live_server.url + path)
        signed_in.wait_for_load_state("load")
        problems += [f"{path}: {v}" for v in _violations(signed_in, console)]
        console.clear()

    section = signed_in.locator(f"#section-{first.key}")
    section.locator(".section-actions").get_by_role("link", name="Edit").click()
    editor = signed_in.locator(f"#section-{first.key} form.section-editor")
    editor.locator("textarea[name=body]").wait_for()
    editor.locator("button[data-tab=preview]").click()
    signed_in.locator(f"#preview-{first.key} table").wait_for()
    signed_in.wait_for_timeout(300)
    problems += [f"editor: {v}" for v in _violations(signed_in, console)]

    assert problems == []
    assert signed_in.page_errors == []
    # The watch itself works: an inline style added now is reported.
    signed_in.evaluate(
        "document.body.insertAdjacentHTML('beforeend', '<b style=\"color:red\">x</b>')"
    )
    signed_in.wait_for_timeout(200)
    assert any("style-src" in v for v in _violations(signed_in, console))
