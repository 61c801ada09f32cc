"""Crit on a phone: every page of the authorization matrix at 390 x 844 with mobile emulation
fits the screen (no sideways scrolling), also with the text at 200%, the top bar's menu
button opens the navigation, and the dark scheme keeps text contrast (axe-core).

Screenshots of the dashboard, the design page and a section editor are written to
``var/test-artifacts/mobile/`` (``CRIT_TEST_ARTIFACTS`` to put them elsewhere).
"""

import os
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.urls import reverse

from tests.browser import sign_in_page
from tests.security.authz import World, url_patterns
from tests.security.test_authz_matrix import MATRIX, _path

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

WIDTH = 390  # a mobile browser widens its layout viewport to fit a page wider than the screen
PHONE = {
    "viewport": {"width": WIDTH, "height": 844},
    "device_scale_factor": 3,
    "is_mobile": True,
    "has_touch": True,
}
# Downloads, images and machine answers are not pages a person reads.
NOT_PAGES = {"healthz", "exports:download", "diagrams:svg"}
ROLE_INDEX = {"anonymous": 0, "member": 3}
ARTIFACTS = Path(
    os.environ.get("CRIT_TEST_ARTIFACTS", Path(django_settings.BASE_DIR) / "var" / "test-artifacts")
)


def _pages(role: str) -> list[str]:
    """Names of the patterns whose GET answers ``role`` with a page (200)."""
    names = []
    for route in url_patterns():
        entry = MATRIX.get(route.name, {})
        if route.name.startswith("api-v1:") or route.name in NOT_PAGES or "GET" not in entry:
            continue
        if entry["GET"].split()[ROLE_INDEX[role]] == "200":
            names.append(route.name)
    return sorted(names)


def _paths(world: World, role: str) -> dict[str, str]:
    routes = {route.name: route.route for route in url_patterns()}
    return {name: _path(name, routes[name], world) for name in _pages(role)}


def _overflow(page) -> dict:
    return page.evaluate(
        """() => ({
            scroll: document.documentElement.scrollWidth,
            wide: [...document.querySelectorAll('body *')]
                .filter(e => e.getBoundingClientRect().right > 391)
                .filter(e => !e.closest('.scroll-x, pre, .markdown table, .diff'))
                .slice(0, 5)
                .map(e => e.tagName.toLowerCase() + (e.className ? '.' + e.className : '')),
        })"""
    )


def _text_at_200_percent(page) -> None:
    # What a reader's "text size 200%" does: the root font size doubles; every size in our CSS
    # is relative to it.
    page.evaluate("() => { document.documentElement.style.fontSize = '200%'; }")


def _wider_than_the_phone(page, live_server, paths: dict[str, str]) -> dict[str, dict]:
    """The pages among ``paths`` that scroll sideways, at normal and at double text size."""
    wider = {}
    for name, path in paths.items():
        page.goto(live_server.url + path)
        for zoom in ("100%", "200%"):
            if zoom == "200%":
                _text_at_200_percent(page)
            found = _overflow(page)
            if found["scroll"] > WIDTH:
                wider[f"{name} at {zoom}"] = found
    return wider


@pytest.fixture
def world(django_capture_on_commit_callbacks, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return World(django_capture_on_commit_callbacks)


@pytest.fixture
def phone(browser):
    contexts = []

    def _open(**options):
        context = browser.new_context(**PHONE, **options)
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(15_000)
        return page

    yield _open
    for context in contexts:
        context.close()


def test_every_signed_in_page_fits_a_phone_at_normal_and_double_text(world, phone, live_server):
    page = sign_in_page(phone(), live_server, "member")
    paths = _paths(world, "member")
    assert "designs:detail" in paths and "designs:dashboard" in paths
    wider = _wider_than_the_phone(page, live_server, paths)
    assert wider == {}, "\n".join(f"{k}: {v}" for k, v in wider.items())


def test_sign_in_pages_fit_a_phone_at_normal_and_double_text(world, phone, live_server):
    paths = _paths(world, "anonymous")
    assert "accounts:login" in paths
    wider = _wider_than_the_phone(phone(), live_server, paths)
    assert wider == {}, "\n".join(f"{k}: {v}" for k, v in wider.items())


def test_menu_button_opens_the_navigation_on_a_phone(world, phone, live_server):
    page = sign_in_page(phone(), live_server, "member")
    page.goto(live_server.url + reverse("designs:dashboard"))
    button = page.get_by_role("button", name="Menu")
    assert button.get_attribute("aria-expanded") == "false"
    sign_out = page.get_by_role("button", name="Sign out")
    teams = page.get_by_role("link", name="Teams")
    assert not sign_out.is_visible() and not teams.is_visible()
    button.click()
    assert button.get_attribute("aria-expanded") == "true"
    assert sign_out.is_visible() and teams.is_visible()
    box = sign_out.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= WIDTH
    page.keyboard.press("Escape")
    assert button.get_attribute("aria-expanded") == "false"
    assert not teams.is_visible()


def test_without_javascript_the_navigation_links_are_reachable_on_a_phone(
    world, phone, live_server
):
    page = sign_in_page(phone(java_script_enabled=False), live_server, "member")
    page.goto(live_server.url + reverse("designs:dashboard"))
    assert page.get_by_role("link", name="Teams").is_visible()
    assert page.get_by_role("button", name="Sign out").is_visible()
    assert _overflow(page)["scroll"] <= WIDTH


def test_design_page_on_a_phone_puts_the_document_first_with_a_jump_control(
    world, phone, live_server
):
    from designs.services import section_update

    section = world.section
    wide = "| " + " | ".join(f"column {n}" for n in range(30)) + " |\n"
    wide += "|" + "---|" * 30 + "\n| " + " | ".join("x" * 12 for _ in range(30)) + " |\n"
    wide += "\n```\n" + "y" * 400 + "\n```\n\nhttps://example.com/" + "z" * 300 + "\n"
    section_update(
        section=section,
        body=wide,
        state=section.state,
        na_reason="",
        base_version=section.version,
        edited_by=world.alice,
    )
    page = sign_in_page(phone(), live_server, "member")
    page.goto(live_server.url + reverse("designs:detail", args=[world.design.pk]))
    assert _overflow(page)["scroll"] <= WIDTH
    title_y = page.locator("#design-title").bounding_box()["y"]
    toc = page.locator("aside.toc > ol")
    assert not toc.is_visible()
    jump = page.locator("details.jump-to-section")
    assert jump.bounding_box()["y"] < page.locator(".section").first.bounding_box()["y"]
    assert title_y < page.locator("aside.toc").bounding_box()["y"]
    jump.locator("summary").click()
    jump.get_by_role("link", name=section.title).click()
    assert page.url.endswith(f"#section-{section.key}")
    # Wide content scrolls inside its own box.
    table_box = page.locator(f"#section-{section.key} .markdown table").first
    assert table_box.evaluate("e => e.scrollWidth > e.clientWidth")


def test_touch_targets_on_a_phone_are_at_least_24_pixels(world, phone, live_server):
    page = sign_in_page(phone(), live_server, "member")
    page.goto(live_server.url + reverse("designs:detail", args=[world.design.pk]))
    small = page.evaluate(
        """() => [...document.querySelectorAll(
                'main button, main .button, main .tab, header button')]
            .filter(e => e.offsetParent !== null)
            .map(e => [e.textContent.trim().slice(0, 30), e.getBoundingClientRect()])
            .filter(([, r]) => r.width < 24 || r.height < 24)
            .map(([text, r]) => `${text}: ${Math.round(r.width)}x${Math.round(r.height)}`)"""
    )
    assert small == []


def test_phone_screenshots_of_dashboard_design_page_and_section_editor(world, phone, live_server):
    folder = ARTIFACTS / "mobile"
    folder.mkdir(parents=True, exist_ok=True)
    design, key = world.design.pk, world.section.key
    shots = {
        "dashboard": reverse("designs:dashboard"),
        "design-page": reverse("designs:detail", args=[design]),
        "section-editor": reverse("designs:section_edit", args=[design, key]),
    }
    for scheme in ("light", "dark"):
        page = sign_in_page(phone(color_scheme=scheme), live_server, "member")
        for name, path in shots.items():
            page.goto(live_server.url + path)
            target = folder / f"{name}-{scheme}.png"
            page.screenshot(path=str(target), full_page=False)
            assert target.stat().st_size > 5_000
        if scheme == "dark":
            background = page.evaluate("getComputedStyle(document.body).backgroundColor")
            assert background == "rgb(15, 19, 26)"


def _contrast_violations(page) -> list[str]:
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page, options={"runOnly": ["color-contrast"]})
    return [
        f"{v['id']}: {node['target']} {node.get('failureSummary', '')[:160]}"
        for v in results.response["violations"]
        for node in v["nodes"]
    ]


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_pages_keep_text_contrast_in_both_schemes(world, phone, live_server, scheme):
    from designs.services import section_update

    section = world.section
    section_update(
        section=section,
        body="Text with `code`, a [link](https://example.com) and\n\n```python\n"
        "def f(x):\n    return x  # a comment\n```\n",
        state=section.state,
        na_reason="",
        base_version=section.version,
        edited_by=world.alice,
    )
    page = sign_in_page(phone(color_scheme=scheme), live_server, "member")
    failures = {}
    design = world.design.pk
    paths = list(_paths(world, "member").values())
    paths.append(reverse("designs:section_diff", args=[design, section.key]) + "?from=1&to=3")
    for path in paths:
        page.goto(live_server.url + path)
        found = _contrast_violations(page)
        if found:
            failures[path] = found
    anonymous = phone(color_scheme=scheme)
    for path in _paths(world, "anonymous").values():
        anonymous.goto(live_server.url + path)
        if found := _contrast_violations(anonymous):
            failures[path] = found
    assert failures == {}, "\n".join(f"{k}: {v}" for k, v in failures.items())
