"""Section sign-off: owners and required sign-offs (named people or team roles), signing,
an edit resetting only the edited section's sign-offs, and approval waiting for them."""

import pytest
from django.urls import reverse

from accounts import services as account_services
from designs import services as design_services
from designs.models import Design
from reviews import services
from reviews.models import Notification, SectionSignoff, Verdict
from reviews.selectors import signoffs as selectors
from tests.factories import (
    MembershipFactory,
    UserFactory,
    make_team_role,
    request_review,
    require_signoff,
)
from tests.reviews.conftest import section_of

pytestmark = pytest.mark.django_db


def _edit(section, user, text: str):
    return design_services.section_update(
        section=section, body=text, base_version=section.version, edited_by=user
    )


@pytest.fixture
def sre(team, member):
    return make_team_role(team=team, name="SRE", holders=(member,))


@pytest.fixture
def two_signed(design, alice, member, sre):
    """Section 1 needs member's own sign-off, section 2 an SRE's; both given."""
    a, b = section_of(design, 1), section_of(design, 2)
    a = _edit(a, alice, "Answer A.")
    b = _edit(b, alice, "Answer B.")
    require_signoff(section=section_of(design, 1), people=[member])
    require_signoff(section=section_of(design, 2), roles=[sre])
    services.signoff_give(section=section_of(design, 1), given_by=member)
    services.signoff_give(section=section_of(design, 2), given_by=member, role=sre)
    return section_of(design, 1), section_of(design, 2)


def test_editing_section_a_resets_its_signoffs_and_not_section_bs(design, alice, two_signed):
    a, b = two_signed
    assert selectors.design_signoffs_complete(design_id=design.pk)

    _edit(a, alice, "Answer A, changed.")

    a_signoff = SectionSignoff.objects.get(section=a)
    b_signoff = SectionSignoff.objects.get(section=b)
    assert a_signoff.reset_at is not None and a_signoff.reset_by == alice
    assert b_signoff.reset_at is None and b_signoff.is_live
    assert not selectors.design_signoffs_complete(design_id=design.pk)
    state = selectors.design_signoffs(
        design=design, sections=[section_of(design, 1), section_of(design, 2)], viewer=alice
    )
    assert [row.state for s in state.sections for row in s.rows] == ["reset", "given"]


def test_a_restore_resets_the_sections_signoffs_too(design, alice, member, two_signed):
    a, _ = two_signed
    a = _edit(a, alice, "Answer A, second take.")
    services.signoff_give(section=a, given_by=member)
    design_services.section_restore(section=a, version=1, base_version=a.version, restored_by=alice)
    assert SectionSignoff.objects.filter(section=a, reset_at__isnull=True).count() == 0
    assert SectionSignoff.objects.filter(section=a).count() == 2


def test_the_people_who_signed_are_told_their_signoff_was_reset(design, alice, member, two_signed):
    a, _ = two_signed
    _edit(a, alice, "Changed.")
    notes = Notification.objects.filter(kind=Notification.Kind.SIGNOFF_RESET)
    assert [(n.recipient, n.section_id) for n in notes] == [(member, a.pk)]


def test_a_save_that_changes_nothing_resets_nothing(design, alice, two_signed):
    a, _ = two_signed
    design_services.section_update(section=a, body=a.body, base_version=a.version, edited_by=alice)
    assert SectionSignoff.objects.filter(reset_at__isnull=False).count() == 0


def test_approval_waits_for_the_required_signoffs(design, alice, bob, member, sre):
    request_review(design=design, reviewer=bob)
    a = _edit(section_of(design, 1), alice, "Answer.")
    require_signoff(section=section_of(design, 1), roles=[sre])
    services.verdict_submit(design=design, reviewer=bob, kind=Verdict.Kind.APPROVE)
    design.refresh_from_db()
    assert design.status == Design.Status.IN_REVIEW

    services.signoff_give(section=section_of(design, 1), given_by=member, role=sre)
    design.refresh_from_db()
    assert design.status == Design.Status.APPROVED

    # An edit of the signed section makes the approval stale and resets the sign-off.
    _edit(a, alice, "Answer, edited.")
    design.refresh_from_db()
    assert design.status == Design.Status.IN_REVIEW


def test_withdrawing_a_signoff_takes_the_approval_back(design, alice, bob, member):
    request_review(design=design, reviewer=bob)
    require_signoff(section=section_of(design, 1), people=[member])
    services.signoff_give(section=section_of(design, 1), given_by=member)
    services.verdict_submit(design=design, reviewer=bob, kind=Verdict.Kind.APPROVE)
    design.refresh_from_db()
    assert design.status == Design.Status.APPROVED
    services.signoff_withdraw(section=section_of(design, 1), withdrawn_by=member)
    design.refresh_from_db()
    assert design.status == Design.Status.IN_REVIEW
    assert SectionSignoff.objects.get().withdrawn_at is not None


def test_a_holder_of_the_role_can_sign_and_others_cannot(design, alice, member, sre, bob):
    require_signoff(section=section_of(design, 1), roles=[sre])
    with pytest.raises(PermissionError):
        services.signoff_give(section=section_of(design, 1), given_by=alice, role=sre)
    with pytest.raises(PermissionError):  # cannot even read the design
        services.signoff_give(section=section_of(design, 1), given_by=bob, role=sre)
    with pytest.raises(PermissionError):  # not named
        services.signoff_give(section=section_of(design, 1), given_by=member)
    signoff = services.signoff_give(section=section_of(design, 1), given_by=member, role=sre)
    assert (signoff.user, signoff.role, signoff.version) == (member, sre, 0)
    # Idempotent.
    again = services.signoff_give(section=section_of(design, 1), given_by=member, role=sre)
    assert again.pk == signoff.pk


def test_losing_the_role_stops_new_signoffs(design, alice, member, sre):
    require_signoff(section=section_of(design, 1), roles=[sre])
    account_services.team_role_assign(
        team=design.team, role=sre, user=member, held=False, changed_by=alice
    )
    with pytest.raises(PermissionError):
        services.signoff_give(section=section_of(design, 1), given_by=member, role=sre)


def test_only_the_team_sets_requirements_and_only_for_readers(design, alice, bob, member, sre):
    request_review(design=design, reviewer=bob)
    with pytest.raises(PermissionError):
        services.section_signoff_settings_set(
            section=section_of(design, 1), owner=None, people=[bob], roles=[], set_by=bob
        )
    stranger = UserFactory(username="stranger")
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        require_signoff(section=section_of(design, 1), people=[stranger])
    with pytest.raises(ValidationError):  # the owner must be on the team
        require_signoff(section=section_of(design, 1), owner=bob)
    require_signoff(section=section_of(design, 1), people=[bob], owner=member)
    state = selectors.section_signoffs(section=section_of(design, 1), viewer=bob)
    assert state.owner == member
    assert [(r.label, r.state, r.can_sign) for r in state.rows] == [("bob", "missing", True)]


def test_team_roles_are_managed_by_owners_only(team, alice, member):
    with pytest.raises(PermissionError):
        account_services.team_role_add(team=team, name="security", added_by=member)
    role = account_services.team_role_add(team=team, name="security", added_by=alice)
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        account_services.team_role_add(team=team, name="Security", added_by=alice)
    with pytest.raises(PermissionError):
        account_services.team_role_assign(
            team=team, role=role, user=member, held=True, changed_by=member
        )


def test_role_changes_send_role_changed(team, alice, member):
    from accounts.signals import role_changed

    seen = []

    def receiver(sender, **kwargs):
        seen.append((kwargs["action"], kwargs["member"]))

    role_changed.connect(receiver)
    try:
        role = make_team_role(team=team, name="security", holders=(member,))
        account_services.team_role_remove(team=team, role=role, removed_by=alice)
    finally:
        role_changed.disconnect(receiver)
    assert seen == [("added", None), ("assigned", member), ("removed", None)]


def test_signoff_signals_are_sent(design, alice, member):
    from reviews.signals import signoff_given, signoff_reset

    seen = []

    def on_given(sender, **kwargs):
        seen.append(("given", kwargs["section_key"]))

    def on_reset(sender, **kwargs):
        seen.append((kwargs["reason"], kwargs["section_key"]))

    signoff_given.connect(on_given)
    signoff_reset.connect(on_reset)
    try:
        require_signoff(section=section_of(design, 1), people=[member])
        services.signoff_give(section=section_of(design, 1), given_by=member)
        _edit(section_of(design, 1), alice, "Edited.")
    finally:
        signoff_given.disconnect(on_given)
        signoff_reset.disconnect(on_reset)
    key = section_of(design, 1).key
    assert seen == [("given", key), ("edited", key)]


# Pages -----------------------------------------------------------------------------------


def test_the_design_page_shows_each_sections_signoff_state(client, design, alice, member, sre):
    require_signoff(section=section_of(design, 1), roles=[sre], owner=member)
    client.force_login(member)
    html = client.get(design.get_absolute_url()).content.decode()
    assert 'Owner: <strong class="signoff-owner">member</strong>' in html
    assert "Sign off as SRE" in html
    assert 'id="signoff-summary"' in html and "any SRE" in html

    response = client.post(
        reverse("reviews:signoff_give", args=[design.pk, section_of(design, 1).key]),
        {"role": sre.pk},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    assert "signed off by member (SRE) on version 0" in response.content.decode()
    html = client.get(design.get_absolute_url()).content.decode()
    assert "signed off by member (SRE)" in html
    assert "Every required sign-off is given." in html


def test_a_reader_not_asked_gets_403_and_an_outsider_404(client, design, bob, outsider, sre):
    request_review(design=design, reviewer=bob)
    require_signoff(section=section_of(design, 1), roles=[sre])
    url = reverse("reviews:signoff_give", args=[design.pk, section_of(design, 1).key])
    client.force_login(bob)
    assert client.post(url, {"role": sre.pk}).status_code == 403
    client.force_login(outsider)
    assert client.post(url, {"role": sre.pk}).status_code == 404


def test_a_bad_role_is_a_400_not_a_500(client, design, member):
    url = reverse("reviews:signoff_give", args=[design.pk, section_of(design, 1).key])
    client.force_login(member)
    assert client.post(url, {"role": "abc"}).status_code == 400
    assert client.post(url, {"role": 99999}).status_code == 400


def test_editors_set_requirements_through_the_form(client, design, alice, member, sre):
    url = reverse("reviews:signoff_settings", args=[design.pk, section_of(design, 1).key])
    client.force_login(alice)
    assert client.get(url).status_code == 200
    response = client.post(
        url, {"owner": member.pk, "people": [member.pk], "roles": [sre.pk]}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    state = selectors.section_signoffs(section=section_of(design, 1), viewer=alice)
    assert state.owner == member
    assert sorted(r.label for r in state.rows) == ["any SRE", "member"]
    bad = client.post(url, {"people": ["x"]}, HTTP_HX_REQUEST="true")
    assert bad.status_code == 400
    assert len(selectors.section_signoffs(section=section_of(design, 1), viewer=alice).rows) == 2


def test_the_dashboard_lists_sections_waiting_for_my_signoff(client, design, alice, member, sre):
    require_signoff(section=section_of(design, 2), roles=[sre])
    client.force_login(member)
    html = client.get(reverse("designs:dashboard")).content.decode()
    assert "Sections waiting for my sign-off" in html
    assert f"{design.title}: {section_of(design, 2).title}" in html
    services.signoff_give(section=section_of(design, 2), given_by=member, role=sre)
    html = client.get(reverse("designs:dashboard")).content.decode()
    assert "No section waits for your sign-off." in html


def test_team_owners_manage_roles_on_the_team_page(client, team, alice, member):
    client.force_login(alice)
    response = client.post(
        reverse("teams:role_add", args=[team.pk]), {"name": "security"}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200 and "security" in response.content.decode()
    role = team.team_roles.get()
    response = client.post(
        reverse("teams:role_assign", args=[team.pk, role.pk]),
        {"user": member.pk, "held": "1"},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    assert role.memberships.get().user == member
    client.force_login(member)
    response = client.post(reverse("teams:role_add", args=[team.pk]), {"name": "SRE"})
    assert response.status_code == 403


# Query counts ----------------------------------------------------------------------------


def _many_signoffs(design, alice, count: int):
    people = []
    for n in range(count):
        person = MembershipFactory(team=design.team, user=UserFactory(username=f"p{n}")).user
        people.append(person)
    for position in (1, 2, 3):
        require_signoff(section=section_of(design, position), people=people, owner=people[0])
        for person in people:
            services.signoff_give(section=section_of(design, position), given_by=person)


@pytest.mark.parametrize("count", [1, 6])
def test_design_page_queries_stay_flat_with_signoffs(
    client, design, alice, count, django_assert_max_num_queries
):
    _many_signoffs(design, alice, count)
    client.force_login(alice)
    with django_assert_max_num_queries(30):
        response = client.get(design.get_absolute_url() + "?fresh=1")
    assert response.status_code == 200


def test_the_signoff_loader_uses_four_queries_whatever_the_count(
    design, alice, django_assert_num_queries
):
    _many_signoffs(design, alice, 5)
    sections = list(design.sections.all())
    with django_assert_num_queries(4):
        state = selectors.design_signoffs(design=design, sections=sections, viewer=alice)
    assert state.required_count == 15 and state.given_count == 15


def test_the_dashboard_panel_is_one_query(design, alice, django_assert_num_queries):
    _many_signoffs(design, alice, 4)
    with django_assert_num_queries(1):
        assert selectors.sections_waiting_for_signoff(fetched_by=alice) == []


def test_a_save_looks_for_signoffs_to_reset_only_when_some_count(design, alice, member):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    require_signoff(section=section_of(design, 1), people=[member])
    with CaptureQueriesContext(connection) as ctx:
        _edit(section_of(design, 1), alice, "Nobody signed yet.")
    assert not [q for q in ctx.captured_queries if "reviews_sectionsignoff" in q["sql"]]
    services.signoff_give(section=section_of(design, 1), given_by=member)
    design.refresh_from_db()
    assert design.live_signoff_count == 1
    with CaptureQueriesContext(connection) as ctx:
        _edit(section_of(design, 1), alice, "Now it resets.")
    assert [q for q in ctx.captured_queries if "reviews_sectionsignoff" in q["sql"]]
    design.refresh_from_db()
    assert design.live_signoff_count == 0


def test_a_design_from_a_template_requires_the_roles_its_sections_name(team, alice, member, sre):
    from designs import template_services as ts
    from reviews.models import SignoffRequirement

    template = ts.template_create(
        team=team,
        name="RFC",
        description="",
        sections=[
            ts.SectionDraft(title="Context", guidance=""),
            ts.SectionDraft(title="Security", guidance="", signoff_roles=("sre", "Security")),
        ],
        created_by=alice,
    )
    design = design_services.design_create(
        team=team, title="From the RFC", created_by=member, template=template
    )

    required = SignoffRequirement.objects.filter(design=design).select_related("section", "role")
    assert sorted((r.section.key, r.role.name) for r in required) == [
        ("security", "SRE"),  # the team's own role, matched ignoring case
        ("security", "Security"),  # added to the team: an owner then says who holds it
    ]
    assert team.team_roles.filter(name="Security").exists()
    assert not selectors.design_signoffs_complete(design_id=design.pk)
    # The template's later edits never reach the design's requirements.
    ts.template_section_update(
        template=template,
        key="security",
        title="Security",
        guidance="",
        signoff_roles=(),
        edited_by=alice,
    )
    assert SignoffRequirement.objects.filter(design=design).count() == 2
