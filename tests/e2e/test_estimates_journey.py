"""Estimates in the browser: a reference shows its formula on hover and on keyboard focus,
with no script of ours and no CSP violation; the preview computes with the draft."""

import pytest

from designs import services as design_services
from tests.factories import TeamFactory, UserFactory, make_design
from tests.security.test_csp_browser import _violations, _watch

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

ESTIMATES = """```calc
writes = 100 million * 0.1 / day
storage_5y = writes * 500 B * 5 years -> TB
```
"""
USES = "Before the link. We keep {{ storage_5y -> TiB }} for five years.\n"


def test_a_reference_shows_its_formula_on_focus_and_hover(live_server, sign_in):
    alice = UserFactory(username="alice")
    team = TeamFactory(name="Platform", created_by=alice)
    design = make_design(team=team, author=alice, title="Estimates")
    estimates, text, *_ = design.sections.order_by("position")
    design_services.section_update(
        section=estimates, body=ESTIMATES, base_version=0, edited_by=alice
    )
    design_services.section_update(section=text, body=USES, base_version=0, edited_by=alice)

    page = sign_in("alice")
    console = _watch(page)
    page.goto(live_server.url + design.get_absolute_url())
    page.wait_for_load_state("load")
    reference = page.locator(f"#section-{text.key} .calc-ref").first
    tip = reference.locator(".calc-tip")
    assert reference.inner_text().startswith("8.30 TiB")
    assert not tip.is_visible()

    reference.focus()
    assert tip.is_visible()
    assert "storage_5y = writes * 500 B * 5 years -> TB" in tip.inner_text()
    assert "writes = 116 /s" in tip.inner_text()

    page.locator("body").click(position={"x": 5, "y": 5})
    page.mouse.move(0, 0)
    assert not tip.is_visible()
    reference.hover()
    assert tip.is_visible()

    assert page.locator(f"#section-{estimates.key} .calc-out").first.inner_text() == "= 116 /s"
    assert _violations(page, console) == []
    assert page.page_errors == []
