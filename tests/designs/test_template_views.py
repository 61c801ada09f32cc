"""The template pages and the import page: who may do what, the steps, bad input, and
query counts that do not grow with sections or templates."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from designs import template_services as ts
from designs.checklists import DEFAULT_CHECKLIST
from designs.models import Design, Template
from tests.factories import MembershipFactory, TeamFactory, UserFactory, default_template

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


def _template(team, owner, count=3):
    return ts.template_create(
        team=team,
        name="RFC",
        sections=[ts.SectionDraft(title=f"Part {n}", guidance=f"- *{n}*") for n in range(count)],
        created_by=owner,
    )


def _keys(template):
    return list(template.sections.values_list("key", flat=True))


def test_owner_creates_a_template_from_a_pasted_checklist(client, team, owner):
    client.force_login(owner)
    text = DEFAULT_CHECKLIST.read_text(encoding="utf-8").replace("\n", "\r\n")
    response = client.post(
        reverse("designs:template_create"),
        {"team": team.pk, "name": "Ours", "description": "", "markdown": text},
    )
    template = Template.objects.get(team=team)
    assert response.status_code == 302
    assert response["Location"] == reverse("designs:template_detail", args=[template.pk])
    assert template.sections.count() == 17


def test_owner_creates_a_template_from_an_uploaded_file(client, team, owner):
    client.force_login(owner)
    upload = SimpleUploadedFile("rfc.md", b"# RFC\n\n## Why\n- because\n", "text/markdown")
    response = client.post(reverse("designs:template_create"), {"team": team.pk, "file": upload})
    assert response.status_code == 302
    template = Template.objects.get(team=team)
    assert (template.name, _keys(template)) == ("RFC", ["why"])


def test_a_binary_upload_is_refused_with_a_message(client, team, owner):
    client.force_login(owner)
    upload = SimpleUploadedFile("x.md", b"## A\x00\x01", "text/markdown")
    response = client.post(reverse("designs:template_create"), {"team": team.pk, "file": upload})
    assert response.status_code == 400
    assert "binary" in response.content.decode()
    assert not Template.objects.filter(team=team).exists()


def test_owner_moves_a_section_down_without_javascript(client, team, owner):
    template = _template(team, owner)
    client.force_login(owner)
    url = reverse("designs:template_section_move", args=[template.pk, "part-0"])

    response = client.post(url, {"direction": "down"})

    assert response.status_code == 302
    assert response["Location"].endswith("#tsec-part-0")
    assert _keys(template) == ["part-1", "part-0", "part-2"]


def test_owner_reorders_by_drag_and_retitles(client, team, owner):
    template = _template(team, owner)
    client.force_login(owner)
    response = client.post(
        reverse("designs:template_reorder", args=[template.pk]),
        {"keys": ["part-2", "part-0", "part-1"]},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 204
    assert _keys(template) == ["part-2", "part-0", "part-1"]

    response = client.post(
        reverse("designs:template_section_edit", args=[template.pk, "part-2"]),
        {"title": "Rollout", "guidance": "<script>x</script>**b**", "signoff_roles": "SRE"},
    )
    assert response.status_code == 302
    page = client.get(reverse("designs:template_detail", args=[template.pk])).content.decode()
    assert "Rollout" in page
    assert "<strong>b</strong>" in page
    assert "<script>x" not in page
    assert "Sign-off roles required in new designs: SRE" in page


def test_a_reorder_that_does_not_name_every_section_is_refused(client, team, owner):
    template = _template(team, owner)
    client.force_login(owner)
    response = client.post(
        reverse("designs:template_reorder", args=[template.pk]), {"keys": ["part-2"]}
    )
    assert response.status_code == 400
    assert _keys(template) == ["part-0", "part-1", "part-2"]


def test_a_member_sees_the_template_but_gets_403_on_every_change(client, team, owner, member):
    template = _template(team, owner)
    client.force_login(member)
    page = client.get(reverse("designs:template_detail", args=[template.pk]))
    assert page.status_code == 200
    assert "Move up" not in page.content.decode()
    for name, args, data in [
        ("designs:template_edit", [template.pk], {"name": "X"}),
        ("designs:template_section_add", [template.pk], {"title": "X"}),
        ("designs:template_section_edit", [template.pk, "part-0"], {"title": "X"}),
        ("designs:template_section_move", [template.pk, "part-0"], {"direction": "down"}),
        ("designs:template_section_remove", [template.pk, "part-0"], {}),
        ("designs:template_reorder", [template.pk], {"keys": ["part-1", "part-0", "part-2"]}),
    ]:
        assert client.post(reverse(name, args=args), data).status_code == 403, name
    assert _keys(template) == ["part-0", "part-1", "part-2"]


def test_an_outsider_gets_404_for_a_team_template(client, team, owner):
    template = _template(team, owner)
    client.force_login(UserFactory())
    assert client.get(reverse("designs:template_detail", args=[template.pk])).status_code == 404


def test_the_builtin_is_shown_to_anyone_and_edited_by_nobody(client, owner):
    client.force_login(owner)
    builtin = default_template()
    page = client.get(reverse("designs:template_detail", args=[builtin.pk]))
    assert page.status_code == 200
    assert "cannot be edited" in page.content.decode()
    response = client.post(
        reverse("designs:template_section_add", args=[builtin.pk]), {"title": "X"}
    )
    assert response.status_code == 403


def test_owner_copies_the_builtin_into_a_team_template(client, team, owner):
    client.force_login(owner)
    response = client.post(
        reverse("designs:template_copy", args=[default_template().pk]), {"team": team.pk}
    )
    copy = Template.objects.get(team=team)
    assert response["Location"] == reverse("designs:template_detail", args=[copy.pk])
    assert copy.sections.count() == 17


def test_design_creation_offers_the_builtin_and_the_teams_templates(client, team, owner):
    template = _template(team, owner)
    client.force_login(owner)
    page = client.get(reverse("designs:create")).content.decode()
    assert "System design checklist" in page
    assert "RFC (Platform)" in page
    response = client.post(
        reverse("designs:create"),
        {"team": team.pk, "template": template.pk, "title": "From RFC", "summary": ""},
    )
    design = Design.objects.get(title="From RFC")
    assert response.status_code == 302
    assert (design.template_id, design.template_version) == (template.pk, 1)
    assert list(design.sections.values_list("key", flat=True)) == _keys(template)


@pytest.mark.parametrize("count", [2, 30])
def test_template_page_queries_do_not_grow_with_sections(
    client, team, owner, count, django_assert_max_num_queries
):
    template = _template(team, owner, count=count)
    client.force_login(owner)
    with django_assert_max_num_queries(8):
        assert client.get(reverse("designs:template_detail", args=[template.pk])).status_code == 200


@pytest.mark.parametrize("count", [1, 12])
def test_template_list_queries_do_not_grow_with_templates(
    client, team, owner, count, django_assert_max_num_queries
):
    for _ in range(count):
        _template(team, owner, count=2)
    client.force_login(owner)
    with django_assert_max_num_queries(7):
        page = client.get(reverse("designs:templates"))
    assert page.content.decode().count("RFC") == count


# Import --------------------------------------------------------------------------------

DOC = "# Shortener\n\nShort links.\n\n## Who is your customer\n\nUs.\n\n## Rollout\n\nSlowly.\n"


def _import(client, team, **extra):
    data = {"team": team.pk, "template": default_template().pk, "title": "", **extra}
    return client.post(reverse("designs:import"), data)


def test_import_shows_a_preview_and_creates_nothing_until_confirmed(client, team, member):
    client.force_login(member)
    response = _import(client, team, markdown=DOC)
    page = response.content.decode()
    assert response.status_code == 200
    assert "not matched" in page
    assert 'value="Shortener"' in page
    assert not Design.objects.exists()

    response = _import(
        client,
        team,
        markdown=DOC.replace("\n", "\r\n"),
        title="Shortener",
        confirm="1",
        **{"part-1": "sequence-of-events"},
    )
    design = Design.objects.get()
    assert response["Location"] == design.get_absolute_url()
    assert design.summary == "Short links."
    assert design.sections.get(key="sequence-of-events").body == "Slowly."
    assert design.sections.get(key="who-is-your-customer").body == "Us."
    assert design.section_count == 17


@pytest.mark.parametrize(
    ("data", "status", "message"),
    [
        (b"\xff\xfe## A", 400, "not UTF-8"),
        (b"## A\n\x00", 400, "binary"),
        (b"just prose", 400, "no headings"),
        (b"## A\n" + b"x" * 500, 413, "import limit"),
    ],
    ids=["not-utf8", "binary", "no-headings", "too-large"],
)
def test_bad_files_get_a_clear_4xx(client, team, member, settings, data, status, message):
    settings.CRIT_IMPORT_MAX_BYTES = 300
    client.force_login(member)
    response = _import(client, team, file=SimpleUploadedFile("d.md", data, "text/markdown"))
    assert response.status_code == status
    assert message in response.content.decode()
    assert not Design.objects.exists()


def test_an_outsider_cannot_import_into_a_team_they_are_not_in(client, team):
    rival = TeamFactory()
    client.force_login(rival.created_by)
    response = _import(client, team, markdown=DOC, confirm="1")
    assert response.status_code == 400
    assert not Design.objects.exists()


def test_design_page_names_the_template_and_version_it_came_from(client, team, owner):
    from tests.factories import make_design, request_review

    template = _template(team, owner)
    ts.template_section_add(template=template, title="Rollout", edited_by=owner)
    design = make_design(team=team, author=owner, template=template, title="From RFC")
    template_url = reverse("designs:template_detail", args=[template.pk])

    client.force_login(owner)
    page = client.get(reverse("designs:detail", args=[design.pk])).content.decode()
    assert "From" in page and f'href="{template_url}">RFC</a>' in page
    assert "version 2" in page

    # A reviewer from outside the team sees the name, not a link to a page they cannot open.
    reviewer = UserFactory()
    request_review(design=design, reviewer=reviewer)
    client.force_login(reviewer)
    page = client.get(reverse("designs:detail", args=[design.pk])).content.decode()
    assert "RFC" in page and "version 2" in page
    assert template_url not in page
