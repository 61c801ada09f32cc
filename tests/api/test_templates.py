"""The API's templates and Markdown import."""

import pytest

from designs.models import Design, Template
from exports.renderers import markdown as markdown_renderer
from exports.selectors import export_source
from tests.factories import MembershipFactory, TeamFactory, UserFactory, make_design

pytestmark = pytest.mark.django_db


@pytest.fixture
def team():
    return TeamFactory(name="Platform")


@pytest.fixture
def owner(team):
    return team.created_by


@pytest.fixture
def member(team):
    return MembershipFactory(team=team).user


def _create(client, team, **payload):
    body = {"team_id": team.pk, "name": "RFC", **payload}
    return client.post_json("/api/v1/templates", body)


SECTIONS = [{"title": "Context"}, {"title": "Goals", "guidance": "- *g*", "signoff_roles": ["SRE"]}]


def test_owner_creates_lists_and_edits_a_template(api_for, team, owner):
    client = api_for(owner)
    response = _create(client, team, sections=SECTIONS)
    assert response.status_code == 201, response.json()
    data = response.json()
    assert (data["version"], data["can_edit"], data["builtin"]) == (1, True, False)
    assert [(s["key"], s["signoff_roles"]) for s in data["sections"]] == [
        ("context", []),
        ("goals", ["SRE"]),
    ]

    listed = client.get("/api/v1/templates").json()["items"]
    assert [t["name"] for t in listed] == ["System design checklist", "RFC"]
    assert listed[0]["can_edit"] is False

    response = client.put(
        f"/api/v1/templates/{data['id']}",
        {
            "name": "RFC v2",
            "sections": [{"key": "goals", "title": "Goals and non-goals"}, {"title": "Risks"}],
        },
        "application/json",
    )
    assert response.status_code == 200, response.json()
    edited = response.json()
    assert edited["version"] == 2
    assert [(s["key"], s["title"]) for s in edited["sections"]] == [
        ("goals", "Goals and non-goals"),
        ("risks", "Risks"),
    ]


def test_template_from_markdown_and_copy_of_the_builtin(api_for, team, owner):
    client = api_for(owner)
    response = _create(client, team, name="", markdown="# Mine\n\n## Why\n- x\n")
    assert response.status_code == 201
    assert response.json()["name"] == "Mine"
    builtin = Template.objects.get(is_default=True)
    response = _create(client, team, copy_of=builtin.pk)
    assert response.status_code == 201
    assert len(response.json()["sections"]) == 17


def test_a_member_gets_403_and_an_outsider_404(api_for, team, owner, member):
    template = _create(api_for(owner), team, sections=SECTIONS).json()
    assert _create(api_for(member), team, sections=SECTIONS).status_code == 403
    path = f"/api/v1/templates/{template['id']}"
    put = {"name": "X", "sections": [{"title": "Y"}]}
    assert api_for(member).put(path, put, "application/json").status_code == 403
    assert api_for(member).get(path).json()["can_edit"] is False
    outsider = api_for(UserFactory())
    assert outsider.get(path).status_code == 404
    assert outsider.put(path, put, "application/json").status_code == 404
    assert Template.objects.get(pk=template["id"]).name == "RFC"


def test_the_builtin_cannot_be_edited(api_for, owner):
    builtin = Template.objects.get(is_default=True)
    response = api_for(owner).put(
        f"/api/v1/templates/{builtin.pk}", {"name": "Mine"}, "application/json"
    )
    assert response.status_code == 403


def test_import_dry_run_answers_the_matching_and_creates_nothing(api_for, team, member):
    response = api_for(member).post_json(
        "/api/v1/designs/import",
        {
            "team_id": team.pk,
            "markdown": "# Doc\n\nWhy.\n\n## Who is your customer?\nUs.\n## Extra\nMore.\n",
            "dry_run": True,
        },
    )
    assert response.status_code == 200, response.json()
    data = response.json()
    assert (data["title"], data["summary"]) == ("Doc", "Why.")
    assert [(m["key"], m["how"]) for m in data["matches"]] == [
        ("who-is-your-customer", "exact"),
        ("+own", ""),
    ]
    assert not Design.objects.exists()


def test_import_creates_the_design_with_assignments(api_for, team, member):
    response = api_for(member).post_json(
        "/api/v1/designs/import",
        {
            "team_id": team.pk,
            "markdown": "# Doc\n\n## Who is your customer?\nUs.\n## Events\nIn order.\n",
            "assignments": {"1": "sequence-of-events"},
        },
    )
    assert response.status_code == 201, response.json()
    sections = {s["key"]: s for s in response.json()["sections"]}
    assert sections["sequence-of-events"]["body"] == "In order."
    assert response.json()["title"] == "Doc"


def test_an_exported_design_imports_back_the_same(api_for, team, owner):
    design = make_design(team=team, author=owner, title="Shortener", summary="Short.")
    text = markdown_renderer.render(export_source(design=design))
    response = api_for(owner).post_json(
        "/api/v1/designs/import", {"team_id": team.pk, "markdown": text}
    )
    assert response.status_code == 201
    assert (response.json()["title"], response.json()["summary"]) == ("Shortener", "Short.")


@pytest.mark.parametrize(
    ("markdown", "status"),
    [("no headings here", 422), ("## A\n\u0000", 422), ("", 422)],
    ids=["no-headings", "nul", "empty"],
)
def test_bad_imports_get_a_clear_4xx(api_for, team, member, markdown, status):
    response = api_for(member).post_json(
        "/api/v1/designs/import", {"team_id": team.pk, "markdown": markdown}
    )
    assert response.status_code == status
    assert response.json()["detail"]
    assert not Design.objects.exists()


def test_an_import_over_the_limit_gets_413(api_for, team, member, settings):
    settings.CRIT_IMPORT_MAX_BYTES = 50
    response = api_for(member).post_json(
        "/api/v1/designs/import", {"team_id": team.pk, "markdown": "## A\n" + "x" * 100}
    )
    assert response.status_code == 413


def test_import_into_a_team_not_mine_is_refused(api_for, team):
    response = api_for(UserFactory()).post_json(
        "/api/v1/designs/import", {"team_id": team.pk, "markdown": "## A\nx\n"}
    )
    assert response.status_code == 422
    assert not Design.objects.exists()


def test_template_list_queries_do_not_grow_with_templates(
    api_for, team, owner, django_assert_max_num_queries
):
    client = api_for(owner)
    for n in range(6):
        _create(client, team, name=f"T{n}", sections=SECTIONS)
    with django_assert_max_num_queries(8):
        assert len(client.get("/api/v1/templates").json()["items"]) == 7
