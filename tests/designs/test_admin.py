"""The admin cannot change text or the counts the services keep: no edit without a revision."""

import pytest
from django.urls import reverse

from designs import services
from designs.models import Design, Revision
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    client.force_login(UserFactory(username="root", is_staff=True, is_superuser=True))
    return client


@pytest.fixture
def saved(design, alice):
    section = design.sections.order_by("position").first()
    return services.section_update(
        section=section, body="Our *customers*.", base_version=0, edited_by=alice
    )


def _section_form(section, **changes):
    form = {
        "design": section.design_id,
        "position": section.position,
        "key": section.key,
        "title": section.title,
        "guidance": section.guidance,
        "guidance_html": section.guidance_html,
        "body": section.body,
        "body_html": section.body_html,
        "state": section.state,
        "na_reason": section.na_reason,
        "version": section.version,
        "updated_by": section.updated_by_id,
    }
    return {**form, **changes}


def test_admin_post_changing_a_section_body_changes_nothing(admin_client, saved):
    url = reverse("admin:designs_section_change", args=[saved.pk])
    form = _section_form(saved, body="Rewritten behind the services' back.", version=9)
    response = admin_client.post(url, form)
    assert response.status_code == 403
    saved.refresh_from_db()
    assert (saved.body, saved.version) == ("Our *customers*.", 1)
    assert "<em>customers</em>" in saved.body_html
    assert Revision.objects.filter(section=saved).count() == 1


def test_admin_shows_a_section_read_only(admin_client, saved):
    response = admin_client.get(reverse("admin:designs_section_change", args=[saved.pk]))
    assert response.status_code == 200
    assert b'name="body"' not in response.content
    assert b"Our *customers*." in response.content


def test_admin_cannot_add_a_section_or_rewrite_a_revision(admin_client, saved):
    revision = Revision.objects.get(section=saved)
    url = reverse("admin:designs_revision_change", args=[revision.pk])
    response = admin_client.post(
        url,
        {
            "section": saved.pk,
            "version": 1,
            "body": "A different past.",
            "state": revision.state,
            "na_reason": "",
            "author": revision.author_id,
        },
    )
    assert response.status_code == 403
    revision.refresh_from_db()
    assert revision.body == "Our *customers*."
    assert admin_client.get(reverse("admin:designs_section_add")).status_code == 403
    delete = reverse("admin:designs_revision_delete", args=[revision.pk])
    assert admin_client.post(delete, {"post": "yes"}).status_code == 403
    assert Revision.objects.filter(pk=revision.pk).exists()


def test_admin_edits_a_design_title_but_not_the_counts_or_status(admin_client, design, alice):
    url = reverse("admin:designs_design_change", args=[design.pk])
    response = admin_client.post(
        url,
        {
            "team": design.team_id,
            "template": design.template_id or "",
            "title": "Renamed by an operator",
            "summary": design.summary,
            "created_by": design.created_by_id,
            "status": Design.Status.APPROVED,
            "section_count": 0,
            "covered_count": 99,
            "live_approval_count": 5,
            "live_signoff_count": 7,
            "last_edited_by": alice.pk,
            "readers": [],
        },
    )
    assert response.status_code == 302, response.content[:2000]
    before = (design.status, design.section_count, design.covered_count)
    design.refresh_from_db()
    assert design.title == "Renamed by an operator"
    assert (design.status, design.section_count, design.covered_count) == before
    assert design.live_approval_count == 0
    assert design.live_signoff_count == 0
