"""Team templates and the Markdown import in the browser: make a template, reorder it from
the keyboard, create a design from it, and import a Markdown file through the preview."""

import pytest

from designs.models import Design, Template
from tests.factories import TeamFactory, UserFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

CHECKLIST = (
    "# Service RFC\n\n## Context\n- why now\n\n## Goals\n- and non-goals\n\n"
    "## Risks\n- what breaks\n"
)
DOCUMENT = (
    "# Rate limiter\n\nToken buckets at the edge.\n\n"
    "## Context\n\nAbuse from one client.\n\n"
    "## Threats\n\nBots.\n\n"
    "## Goals\n\nFair use.\n"
)


@pytest.fixture
def platform():
    alice = UserFactory(username="alice")
    return TeamFactory(name="Platform", created_by=alice)


def test_template_keyboard_reorder_design_and_import(platform, sign_in, tmp_path):
    from playwright.sync_api import expect

    page = sign_in("alice")
    page.get_by_role("link", name="Templates").first.click()
    expect(page.locator("h1")).to_have_text("Templates")
    page.get_by_role("link", name="New template").click()
    page.fill("textarea[name=markdown]", CHECKLIST)
    page.get_by_role("button", name="Create template").click()
    expect(page.locator("h1")).to_have_text("Service RFC")
    titles = page.locator(".template-section h2")
    expect(titles).to_have_text(["1. Context", "2. Goals", "3. Risks"])

    # Keyboard only: focus "Move up" on Risks, press Enter; the order changes.
    page.get_by_role("button", name="Move “Risks” up").focus()
    page.keyboard.press("Enter")
    expect(titles).to_have_text(["1. Context", "2. Risks", "3. Goals"])
    template = Template.objects.get(team=platform)
    assert template.version == 2

    page.goto(page.url.split("#")[0].rsplit("/templates/", 1)[0] + "/designs/new/")
    page.select_option("select[name=template]", label="Service RFC (Platform)")
    page.fill("input[name=title]", "From our template")
    page.get_by_role("button", name="Create design").click()
    expect(page.locator("#design-title")).to_have_text("From our template")
    design = Design.objects.get(title="From our template")
    assert list(design.sections.values_list("title", flat=True)) == ["Context", "Risks", "Goals"]
    assert design.template_version == 2

    path = tmp_path / "limiter.md"
    path.write_text(DOCUMENT, encoding="utf-8")
    page.goto(page.url.split("/designs/")[0] + "/designs/import/")
    page.select_option("select[name=template]", label="Service RFC (Platform)")
    page.set_input_files("input[name=file]", str(path))
    page.get_by_role("button", name="Preview").click()
    expect(page.locator("input[name=title]")).to_have_value("Rate limiter")
    expect(page.locator(".import-preview")).to_contain_text("not matched")
    assert not Design.objects.filter(title="Rate limiter").exists()
    page.get_by_label("Threats").select_option(label="Risks")
    page.get_by_role("button", name="Create design").click()
    expect(page.locator("#design-title")).to_have_text("Rate limiter")
    imported = Design.objects.get(title="Rate limiter")
    bodies = dict(imported.sections.values_list("title", "body"))
    assert bodies == {"Context": "Abuse from one client.", "Risks": "Bots.", "Goals": "Fair use."}
    assert imported.summary == "Token buckets at the edge."
    assert page.page_errors == []


def test_drag_a_section_to_reorder_the_template(platform, sign_in, live_server):
    from playwright.sync_api import expect

    from designs import template_services

    template = template_services.template_create_from_markdown(
        team=platform, text=CHECKLIST, created_by=platform.created_by
    )
    page = sign_in("alice")
    page.goto(f"{live_server.url}/templates/{template.pk}/")
    titles = page.locator(".template-section h2")
    expect(titles).to_have_text(["1. Context", "2. Goals", "3. Risks"])

    page.locator("#tsec-risks h2").drag_to(
        page.locator("#tsec-context"), target_position={"x": 30, "y": 5}
    )

    expect(titles).to_have_text(["1. Risks", "2. Context", "3. Goals"])
    assert list(template.sections.values_list("key", flat=True)) == ["risks", "context", "goals"]
    page.screenshot(path="/tmp/templates_detail.png", full_page=True)
    assert page.page_errors == []
