"""Estimates in a design: computed on save, shown in the page, the preview, the API and the
PDF, and never computed during a page view."""

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from designs import services
from designs.models import DesignValues, Section
from tests.api.conftest import ApiClient
from tests.factories import make_api_token, make_design, make_template

pytestmark = pytest.mark.django_db

ESTIMATES = """Traffic and storage:

```calc
writes = 100 million * 0.1 / day
storage_5y = writes * 500 B * 5 years -> TB
```
"""
USES = "We take {{ writes }} and keep {{ storage_5y -> TiB }} for five years.\n"


@pytest.fixture
def api_for():
    return lambda user: ApiClient(make_api_token(user=user))


def save(section: Section, body: str, user) -> Section:
    section.refresh_from_db()
    return services.section_update(
        section=section, body=body, base_version=section.version, edited_by=user
    )


def sections(design) -> tuple[Section, Section]:
    first, second, *_ = design.sections.order_by("position")
    return first, second


def test_a_reference_shows_the_value_with_its_formula_on_focus(design, alice, client):
    estimates, text = sections(design)
    save(text, USES, alice)  # uses values that are not defined yet
    save(estimates, ESTIMATES, alice)
    text.refresh_from_db()
    assert '<span class="calc-ref" tabindex="0">116 /s' in text.body_html
    assert "8.30 TiB" in text.body_html
    assert "storage_5y = writes * 500 B * 5 years -&gt; TB" in text.body_html
    estimates.refresh_from_db()
    assert '<span class="calc-out">= 9.13 TB</span>' in estimates.body_html
    client.force_login(alice)
    page = client.get(design.get_absolute_url()).content.decode()
    assert "8.30 TiB" in page
    assert "= 9.13 TB" in page


def test_references_update_when_the_defining_section_changes(design, alice):
    estimates, text = sections(design)
    save(estimates, ESTIMATES, alice)
    text = save(text, USES, alice)
    assert "116 /s" in text.body_html
    version = text.version
    save(estimates, ESTIMATES.replace("0.1 / day", "0.2 / day"), alice)
    text.refresh_from_db()
    assert "231 /s" in text.body_html
    assert "16.6 TiB" in text.body_html
    assert text.version == version  # re-rendered, not a new revision
    values = DesignValues.objects.get(design=design).values
    assert [v["display"] for v in values] == ["231 /s", "18.3 TB"]


def test_removing_a_definition_turns_the_reference_into_an_error(design, alice):
    estimates, text = sections(design)
    save(estimates, ESTIMATES, alice)
    save(text, USES, alice)
    save(estimates, "No numbers any more.", alice)
    text.refresh_from_db()
    assert "unknown name “writes”" in text.body_html
    assert DesignValues.objects.get(design=design).values == []


def test_a_bad_line_never_breaks_the_save(design, alice):
    estimates, _ = sections(design)
    saved = save(estimates, "```calc\nx = 10^10^10\ny = (((\nz = 1 MB + 1 MB/s\n```\n", alice)
    assert saved.body_html.count("calc-error") == 3
    errors = [v["error"] for v in DesignValues.objects.get(design=design).values]
    assert all(errors)


def test_the_design_page_computes_nothing_and_costs_the_same_with_more_values(
    team, alice, client, django_assert_num_queries, monkeypatch
):
    def design_with(count: int):
        design = make_design(team=team, author=alice, title=f"{count} values")
        estimates, text = sections(design)
        lines = "\n".join(f"v{n} = {n + 1} MB * 3" for n in range(count))
        save(estimates, f"```calc\n{lines}\n```\n", alice)
        save(text, " ".join(f"{{{{ v{n} }}}}" for n in range(count)), alice)
        return design

    small, large = design_with(2), design_with(60)
    client.force_login(alice)
    client.get(small.get_absolute_url())

    def no_computing(*args, **kwargs):
        raise AssertionError("computed during a page view")

    monkeypatch.setattr("designs.calc.document.evaluate", no_computing)
    monkeypatch.setattr("designs.calc.services.evaluate", no_computing)
    cache.clear()
    client.get(reverse("teams:list"))
    with CaptureQueriesContext(connection) as queries:
        assert client.get(small.get_absolute_url()).status_code == 200
    budget = len(queries)
    assert budget > 3
    cache.clear()
    client.get(reverse("teams:list"))
    with django_assert_num_queries(budget):
        page = client.get(large.get_absolute_url()).content.decode()
    assert page.count('class="calc-ref"') == 60


def test_the_preview_computes_with_the_draft_and_the_designs_other_values(design, alice, client):
    estimates, text = sections(design)
    save(estimates, ESTIMATES, alice)
    client.force_login(alice)
    url = reverse("designs:section_preview", args=[design.pk, text.key])
    draft = "Peak {{ peak }}\n\n```calc\npeak = writes * 3 -> /s\n```\n"
    response = client.post(url, {"body": draft}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    html = response.content.decode()
    assert "347 /s" in html
    assert "= 347 /s" in html
    assert DesignValues.objects.get(design=design).values[-1]["name"] != "peak"


def test_the_api_lists_the_values(design, alice, api_for):
    estimates, _ = sections(design)
    save(estimates, ESTIMATES + "```calc\nbad = 1 MB + 1 MB/s\nkb = 2 KB\n```\n", alice)
    data = api_for(alice).get(f"/api/v1/designs/{design.pk}").json()
    by_name = {value["name"]: value for value in data["values"]}
    assert by_name["writes"]["display"] == "116 /s"
    assert by_name["writes"]["value"] == pytest.approx(115.7407407)
    assert by_name["writes"]["unit"] == "/s"
    assert by_name["storage_5y"] | {"value": None} == {
        "name": "storage_5y",
        "value": None,
        "unit": "TB",
        "display": "9.13 TB",
        "error": None,
        "warning": None,
        "section": estimates.key,
        "line": 5,
        "formula": "storage_5y = writes * 500 B * 5 years -> TB",
    }
    assert by_name["bad"]["error"].startswith("cannot add 1 MB and 1 MB/s")
    assert by_name["bad"]["value"] is None
    assert "ambiguous" in by_name["kb"]["warning"]


def test_a_design_without_estimates_has_no_values_in_the_api(design, alice, api_for):
    data = api_for(alice).get(f"/api/v1/designs/{design.pk}").json()
    assert data["values"] == []


def test_saves_without_estimates_do_no_extra_work(design, alice, django_assert_num_queries):
    template = make_template(section_count=3)
    design = services.design_create(
        team=design.team, title="Plain", created_by=alice, template=template
    )
    section = design.sections.first()
    section = save(section, "Plain text", alice)
    with CaptureQueriesContext(connection) as plain:
        services.section_update(
            section=section, body="Plain text 2", base_version=section.version, edited_by=alice
        )
    assert not any("designvalues" in q["sql"] for q in plain.captured_queries)


def test_the_same_numbers_in_the_page_the_api_and_the_pdf(
    design, alice, client, api_for, settings, tmp_path, django_capture_on_commit_callbacks
):
    from tests.exports.test_renderers import export_file, pdf_text

    settings.MEDIA_ROOT = tmp_path / "media"
    estimates, text = sections(design)
    save(estimates, ESTIMATES, alice)
    save(text, USES, alice)
    client.force_login(alice)
    page = client.get(design.get_absolute_url()).content.decode()
    api = api_for(alice).get(f"/api/v1/designs/{design.pk}").json()
    job = export_file(design, alice, django_capture_on_commit_callbacks, "pdf")
    pdf = " ".join(pdf_text(job.file.path).split())
    displays = [value["display"] for value in api["values"]]
    assert displays == ["116 /s", "9.13 TB"]
    for shown in [*displays, "8.30 TiB"]:
        assert shown in page
        assert shown in pdf
    assert "We take 116 /s and keep 8.30 TiB for five years." in pdf  # no formula in print


def test_an_export_of_past_versions_shows_the_values_of_those_versions(design, alice):
    from exports.selectors import export_source

    estimates, text = sections(design)
    first = save(estimates, ESTIMATES, alice)
    text = save(text, USES, alice)
    save(estimates, ESTIMATES.replace("0.1 / day", "0.2 / day"), alice)
    source = export_source(
        design=design, revision={estimates.key: first.version, text.key: text.version}
    )
    shown = {snapshot.key: snapshot.body_html for snapshot in source.sections}
    assert 'We take <span class="calc-ref" tabindex="0">116 /s' in shown[text.key]
    assert "= 9.13 TB" in shown[estimates.key]


def test_a_cached_page_shows_new_values_after_another_section_is_saved(design, alice, client):
    estimates, text = sections(design)
    save(estimates, ESTIMATES, alice)
    save(text, USES, alice)
    client.force_login(alice)
    assert "We take <span" in client.get(design.get_absolute_url()).content.decode()
    client.get(design.get_absolute_url())  # served from the cache
    save(estimates, ESTIMATES.replace("0.1 / day", "0.2 / day"), alice)
    page = client.get(design.get_absolute_url()).content.decode()
    assert "231 /s" in page
    assert "116 /s" not in page
