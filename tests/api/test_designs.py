import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from designs import services as design_services
from designs.models import Design, Revision, Section
from tests.factories import make_design

KEY = "who-is-your-customer"


def section_url(design, key=KEY) -> str:
    return f"/api/v1/designs/{design.pk}/sections/{key}"


def stored(design, key=KEY) -> Section:
    return Section.objects.get(design=design, key=key)


# List ----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_member_lists_the_team_designs(member_client, design):
    body = member_client.get("/api/v1/designs").json()
    assert body["count"] == 1
    item = body["items"][0]
    assert item["id"] == design.pk
    assert item["title"] == "URL shortener"
    assert item["status"] == "draft"
    assert item["team"] == {"id": design.team_id, "name": "Platform"}
    assert item["coverage"] == {"percent": 0, "covered": 0, "total": 17}


@pytest.mark.django_db
def test_reviewer_lists_the_design_they_review(api_for, reviewer, design):
    body = api_for(reviewer).get("/api/v1/designs").json()
    assert [item["id"] for item in body["items"]] == [design.pk]


@pytest.mark.django_db
def test_outsider_lists_nothing(api_for, outsider, design):
    assert api_for(outsider).get("/api/v1/designs").json() == {"items": [], "count": 0}


@pytest.mark.django_db
def test_other_team_sees_only_its_own_designs(api_for, other_team_user, design):
    theirs = make_design(author=other_team_user, team=other_team_user.teams.get())
    body = api_for(other_team_user).get("/api/v1/designs").json()
    assert [item["id"] for item in body["items"]] == [theirs.pk]


@pytest.mark.django_db
def test_design_list_filters_by_team_and_status(owner_client, design, alice):
    other = make_design(author=alice, title="Other team design")
    design_services.design_status_set(design=design, status="in_review")
    by_team = owner_client.get(f"/api/v1/designs?team={other.team_id}").json()
    assert [item["id"] for item in by_team["items"]] == [other.pk]
    by_status = owner_client.get("/api/v1/designs?status=in_review").json()
    assert [item["id"] for item in by_status["items"]] == [design.pk]


@pytest.mark.django_db
def test_design_list_with_an_unknown_status_is_422(owner_client):
    response = owner_client.get("/api/v1/designs?status=nonsense")
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["query", "status"]


@pytest.mark.django_db
def test_design_list_pages(owner_client, team, alice):
    for i in range(5):
        make_design(team=team, author=alice, title=f"D{i}")
    first = owner_client.get("/api/v1/designs?page_size=2").json()
    third = owner_client.get("/api/v1/designs?page_size=2&page=3").json()
    assert first["count"] == third["count"] == 5
    assert [i["title"] for i in first["items"]] == ["D4", "D3"]
    assert [i["title"] for i in third["items"]] == ["D0"]


@pytest.mark.django_db
def test_design_list_query_count_does_not_grow_with_page_size(owner_client, team, alice):
    for i in range(30):
        make_design(team=team, author=alice, title=f"D{i}")
    owner_client.get("/api/v1/designs")  # first use records last_used_at
    counts = []
    for size in (1, 30):
        with CaptureQueriesContext(connection) as queries:
            response = owner_client.get(f"/api/v1/designs?page_size={size}")
        assert len(response.json()["items"]) == size
        counts.append(len(queries))
    assert counts[0] == counts[1] <= 3


# Create --------------------------------------------------------------------------------


@pytest.mark.django_db
def test_member_creates_a_design_with_the_checklist_sections(member_client, team):
    response = member_client.post_json(
        "/api/v1/designs", {"team_id": team.pk, "title": "Rate limiter", "summary": "Per user."}
    )
    assert response.status_code == 201
    body = response.json()
    assert body["title"] == "Rate limiter"
    assert body["summary"] == "Per user."
    assert body["can_edit"] is True
    assert len(body["sections"]) == 17
    assert body["sections"][0]["key"] == KEY
    assert Design.objects.get(pk=body["id"]).created_by.username == "member"


@pytest.mark.django_db
def test_creating_in_a_team_i_am_not_in_is_422_on_team_id(api_for, outsider, team):
    response = api_for(outsider).post_json("/api/v1/designs", {"team_id": team.pk, "title": "X"})
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "team_id"]
    assert not Design.objects.filter(title="X").exists()


@pytest.mark.django_db
def test_reviewer_cannot_create_designs_in_the_team(api_for, reviewer, team):
    response = api_for(reviewer).post_json("/api/v1/designs", {"team_id": team.pk, "title": "X"})
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "team_id"]


@pytest.mark.django_db
def test_creating_with_an_unknown_template_is_422_on_template_id(owner_client, team):
    response = owner_client.post_json(
        "/api/v1/designs", {"team_id": team.pk, "title": "X", "template_id": 999999}
    )
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "template_id"]


@pytest.mark.django_db
def test_a_title_over_200_characters_is_413(owner_client, team):
    response = owner_client.post_json("/api/v1/designs", {"team_id": team.pk, "title": "t" * 201})
    assert response.status_code == 413
    assert response.json()["field"] == "title"
    assert response.json()["limit"] == 200
    assert not Design.objects.exists()


@pytest.mark.django_db
def test_a_title_of_exactly_200_characters_is_accepted(owner_client, team):
    response = owner_client.post_json("/api/v1/designs", {"team_id": team.pk, "title": "é" * 200})
    assert response.status_code == 201
    assert response.json()["title"] == "é" * 200


@pytest.mark.django_db
def test_an_empty_title_is_422_on_title(owner_client, team):
    response = owner_client.post_json("/api/v1/designs", {"team_id": team.pk, "title": ""})
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "title"]


@pytest.mark.django_db
def test_a_title_with_surrounding_whitespace_is_refused_not_trimmed(owner_client, team):
    response = owner_client.post_json("/api/v1/designs", {"team_id": team.pk, "title": " X "})
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "title"]


@pytest.mark.django_db
def test_a_title_with_a_control_character_is_422(owner_client, team):
    response = owner_client.post_json("/api/v1/designs", {"team_id": team.pk, "title": "a\x07b"})
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "title"]


@pytest.mark.django_db
def test_a_non_string_title_is_422(owner_client, team):
    response = owner_client.post_json("/api/v1/designs", {"team_id": team.pk, "title": 42})
    assert response.status_code == 422


@pytest.mark.django_db
def test_malformed_json_is_400(owner_client):
    response = owner_client.post("/api/v1/designs", "{not json", content_type="application/json")
    assert response.status_code == 400
    assert response.json()["detail"]


# Detail --------------------------------------------------------------------------------


@pytest.mark.django_db
def test_member_reads_the_design_with_sections(member_client, design):
    response = member_client.get(f"/api/v1/designs/{design.pk}")
    assert response.status_code == 200
    body = response.json()
    assert body["can_edit"] is True
    assert body["status"] == "draft"
    assert body["coverage"]["total"] == 17
    first = body["sections"][0]
    assert set(first) >= {
        "key", "position", "title", "guidance", "body", "html", "state", "na_reason", "version",
    }  # fmt: skip
    assert first["position"] == 1 and first["version"] == 0 and first["state"] == "empty"


@pytest.mark.django_db
def test_reviewer_reads_the_design_but_cannot_edit(api_for, reviewer, design):
    body = api_for(reviewer).get(f"/api/v1/designs/{design.pk}").json()
    assert body["id"] == design.pk
    assert body["can_edit"] is False


@pytest.mark.django_db
def test_outsider_gets_404_on_the_design(api_for, outsider, design):
    response = api_for(outsider).get(f"/api/v1/designs/{design.pk}")
    assert response.status_code == 404
    assert response.json() == {"detail": "Not found."}


@pytest.mark.django_db
def test_other_team_gets_404_on_the_design(api_for, other_team_user, design):
    assert api_for(other_team_user).get(f"/api/v1/designs/{design.pk}").status_code == 404


@pytest.mark.django_db
def test_missing_design_is_404_like_a_hidden_one(owner_client):
    assert owner_client.get("/api/v1/designs/999999").json() == {"detail": "Not found."}


@pytest.mark.django_db
def test_design_detail_uses_a_fixed_number_of_queries(
    owner_client, design, alice, django_assert_max_num_queries
):
    for section in design.sections.all()[:5]:
        design_services.section_update(
            section=section, body="text", base_version=0, edited_by=alice
        )
    owner_client.get(f"/api/v1/designs/{design.pk}")
    with django_assert_max_num_queries(3):
        owner_client.get(f"/api/v1/designs/{design.pk}")


# Section saves -------------------------------------------------------------------------


@pytest.mark.django_db
def test_member_saves_a_section(member_client, design):
    response = member_client.patch_json(
        section_url(design), {"body": "Teams writing designs.", "base_version": 0}
    )
    assert response.status_code == 200
    body = response.json()
    assert body["body"] == "Teams writing designs."
    assert body["html"] == "<p>Teams writing designs.</p>\n"
    assert body["state"] == "draft"
    assert body["version"] == 1
    assert body["updated_by"] == "member"
    assert Revision.objects.filter(section=stored(design), version=1).exists()


@pytest.mark.django_db
def test_saving_from_a_stale_base_version_is_409_with_the_current_section(
    owner_client, member_client, design
):
    owner_client.patch_json(section_url(design), {"body": "first", "base_version": 0})
    response = member_client.patch_json(section_url(design), {"body": "second", "base_version": 0})
    assert response.status_code == 409
    body = response.json()
    assert "saved by someone else" in body["detail"]
    assert body["current"]["body"] == "first"
    assert body["current"]["version"] == 1
    assert stored(design).body == "first"


MERGE_BASE = "one\ntwo\nthree\nfour\nfive\n"


@pytest.mark.django_db
def test_a_stale_save_that_does_not_overlap_is_merged_and_200(owner_client, member_client, design):
    owner_client.patch_json(section_url(design), {"body": MERGE_BASE, "base_version": 0})
    owner_client.patch_json(
        section_url(design), {"body": MERGE_BASE.replace("one", "ONE"), "base_version": 1}
    )
    response = member_client.patch_json(
        section_url(design),
        {"body": MERGE_BASE.replace("five", "FIVE"), "state": "answered", "base_version": 1},
    )
    assert response.status_code == 200
    body = response.json()
    assert body["merged"] is True
    assert body["version"] == 3
    assert body["body"] == "ONE\ntwo\nthree\nfour\nFIVE\n"
    saved = stored(design)
    assert (saved.body, saved.state, saved.version) == (body["body"], "answered", 3)
    revision = Revision.objects.get(section=saved, version=3)
    assert revision.body == saved.body
    assert revision.author.username == "member"


@pytest.mark.django_db
def test_a_save_from_the_current_version_says_it_was_not_merged(owner_client, design):
    response = owner_client.patch_json(section_url(design), {"body": "x", "base_version": 0})
    assert response.json()["merged"] is False


@pytest.mark.django_db
def test_a_stale_save_that_overlaps_is_409_and_changes_nothing(owner_client, member_client, design):
    owner_client.patch_json(section_url(design), {"body": MERGE_BASE, "base_version": 0})
    owner_client.patch_json(
        section_url(design), {"body": MERGE_BASE.replace("two", "TWO"), "base_version": 1}
    )
    response = member_client.patch_json(
        section_url(design), {"body": MERGE_BASE.replace("three", "3"), "base_version": 1}
    )
    assert response.status_code == 409
    assert response.json()["current"]["version"] == 2
    assert stored(design).body == MERGE_BASE.replace("two", "TWO")
    assert Revision.objects.filter(section=stored(design)).count() == 2


@pytest.mark.django_db
def test_reviewer_saving_a_section_gets_403_with_a_reason(api_for, reviewer, design):
    response = api_for(reviewer).patch_json(section_url(design), {"body": "x", "base_version": 0})
    assert response.status_code == 403
    assert "members" in response.json()["detail"]
    assert stored(design).version == 0


@pytest.mark.django_db
def test_outsider_saving_a_section_gets_404(api_for, outsider, design):
    response = api_for(outsider).patch_json(section_url(design), {"body": "x", "base_version": 0})
    assert response.status_code == 404
    assert stored(design).version == 0


@pytest.mark.django_db
def test_other_team_saving_a_section_gets_404(api_for, other_team_user, design):
    client = api_for(other_team_user)
    response = client.patch_json(section_url(design), {"body": "x", "base_version": 0})
    assert response.status_code == 404


@pytest.mark.django_db
def test_saving_an_unknown_section_is_404(owner_client, design):
    response = owner_client.patch_json(
        section_url(design, "no-such-key"), {"body": "x", "base_version": 0}
    )
    assert response.status_code == 404


@pytest.mark.django_db
def test_a_body_over_200_kb_is_413_and_nothing_is_saved(owner_client, design):
    response = owner_client.patch_json(
        section_url(design), {"body": "x" * 200_001, "base_version": 0}
    )
    assert response.status_code == 413
    assert response.json()["field"] == "body"
    assert response.json()["limit"] == 200_000
    assert stored(design).version == 0


@pytest.mark.django_db
def test_the_body_limit_counts_utf8_bytes(owner_client, design):
    response = owner_client.patch_json(
        section_url(design), {"body": "€" * 66_667, "base_version": 0}
    )
    assert response.status_code == 413


@pytest.mark.django_db
def test_a_body_of_exactly_200_kb_is_saved(owner_client, design):
    response = owner_client.patch_json(
        section_url(design), {"body": "x" * 200_000, "base_version": 0}
    )
    assert response.status_code == 200
    assert len(stored(design).body) == 200_000


@pytest.mark.django_db
def test_a_request_body_over_the_upload_limit_is_413(owner_client, design):
    response = owner_client.patch_json(
        section_url(design), {"body": "x" * 1_100_000, "base_version": 0}
    )
    assert response.status_code == 413
    assert stored(design).version == 0


@pytest.mark.django_db
def test_a_control_character_is_refused_with_422_not_stripped(owner_client, design):
    response = owner_client.patch_json(section_url(design), {"body": "bell\x07", "base_version": 0})
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "body"]
    assert stored(design).version == 0


@pytest.mark.django_db
def test_a_lone_surrogate_is_refused_with_422(owner_client, design):
    response = owner_client.patch(
        section_url(design),
        '{"body": "half \\ud800 a pair", "base_version": 0}',
        content_type="application/json",
    )
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "body"]


@pytest.mark.django_db
def test_tabs_newlines_and_carriage_returns_are_kept_exactly(owner_client, design):
    text = "a\tb\r\nc\rd\n\n  trailing  \n"
    owner_client.patch_json(section_url(design), {"body": text, "base_version": 0})
    body = owner_client.get(f"/api/v1/designs/{design.pk}").json()
    assert body["sections"][0]["body"] == text
    assert stored(design).body == text


@pytest.mark.django_db
def test_not_applicable_needs_a_reason_422_on_na_reason(owner_client, design):
    response = owner_client.patch_json(
        section_url(design), {"state": "not_applicable", "base_version": 0}
    )
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "na_reason"]


@pytest.mark.django_db
def test_not_applicable_with_a_reason_covers_the_section(owner_client, design):
    response = owner_client.patch_json(
        section_url(design),
        {"state": "not_applicable", "na_reason": "Internal tool.", "base_version": 0},
    )
    assert response.status_code == 200
    assert response.json()["state"] == "not_applicable"
    assert owner_client.get(f"/api/v1/designs/{design.pk}").json()["coverage"]["covered"] == 1


@pytest.mark.django_db
def test_answered_without_a_body_is_422_on_body(owner_client, design):
    response = owner_client.patch_json(
        section_url(design), {"state": "answered", "base_version": 0}
    )
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "body"]


@pytest.mark.django_db
def test_omitting_body_keeps_it_and_changes_the_state(owner_client, design):
    owner_client.patch_json(section_url(design), {"body": "Kept.", "base_version": 0})
    response = owner_client.patch_json(
        section_url(design), {"state": "answered", "base_version": 1}
    )
    assert response.status_code == 200
    assert response.json()["body"] == "Kept."
    assert response.json()["state"] == "answered"


@pytest.mark.django_db
def test_a_negative_base_version_is_422(owner_client, design):
    response = owner_client.patch_json(section_url(design), {"body": "x", "base_version": -1})
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "base_version"]


@pytest.mark.django_db
def test_a_missing_base_version_is_422(owner_client, design):
    response = owner_client.patch_json(section_url(design), {"body": "x"})
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "base_version"]


# Revisions -----------------------------------------------------------------------------


@pytest.fixture
def saved_twice(design, alice):
    section = stored(design)
    design_services.section_update(section=section, body="one", base_version=0, edited_by=alice)
    design_services.section_update(section=section, body="two", base_version=1, edited_by=alice)
    return design


@pytest.mark.django_db
def test_revisions_list_every_save_newest_first(member_client, saved_twice):
    response = member_client.get(section_url(saved_twice) + "/revisions")
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 2
    assert [(r["version"], r["body"], r["author"]) for r in body["items"]] == [
        (2, "two", "alice"),
        (1, "one", "alice"),
    ]


@pytest.mark.django_db
def test_reviewer_reads_revisions(api_for, reviewer, saved_twice):
    response = api_for(reviewer).get(section_url(saved_twice) + "/revisions")
    assert response.status_code == 200
    assert response.json()["count"] == 2


@pytest.mark.django_db
def test_outsider_gets_404_on_revisions(api_for, outsider, saved_twice):
    assert api_for(outsider).get(section_url(saved_twice) + "/revisions").status_code == 404


@pytest.mark.django_db
def test_other_team_gets_404_on_revisions(api_for, other_team_user, saved_twice):
    client = api_for(other_team_user)
    assert client.get(section_url(saved_twice) + "/revisions").status_code == 404


@pytest.mark.django_db
def test_revisions_query_count_does_not_grow_with_page_size(owner_client, design, alice):
    section = stored(design)
    for version in range(20):
        section = design_services.section_update(
            section=section, body=f"v{version + 1}", base_version=version, edited_by=alice
        )
    owner_client.get(section_url(design) + "/revisions")
    counts = []
    for size in (1, 20):
        with CaptureQueriesContext(connection) as queries:
            response = owner_client.get(section_url(design) + f"/revisions?page_size={size}")
        assert len(response.json()["items"]) == size
        counts.append(len(queries))
    assert counts[0] == counts[1] <= 5
