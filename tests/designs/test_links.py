"""Related designs: links between designs, who may make them, and who sees them."""

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.test import Client
from django.urls import reverse

from designs import selectors, services
from designs.models import DesignLink
from reviews import services as review_services
from tests.factories import MembershipFactory, TeamFactory, UserFactory, make_design, request_review

pytestmark = pytest.mark.django_db


@pytest.fixture
def older(team, alice):
    return make_design(team=team, author=alice, title="Old shortener")


@pytest.fixture
def rival_design(outsider):
    """A design of a team the people in these tests are not on."""
    return make_design(
        team=TeamFactory(name="Rivals", created_by=outsider), author=outsider, title="Secret plan"
    )


def _link(design, target, kind="relates_to", by=None):
    return services.design_link_add(
        design=design, target=target, kind=kind, added_by=by or design.created_by
    )


# Services ----------------------------------------------------------------------------------


def test_a_member_links_two_designs_of_the_team(design, older, alice):
    link = _link(design, older, "supersedes")
    assert (link.from_design, link.to_design, link.kind) == (design, older, "supersedes")
    assert link.created_by == alice


def test_a_design_cannot_link_to_itself(design):
    with pytest.raises(ValidationError, match="itself"):
        _link(design, design)
    assert not DesignLink.objects.exists()


def test_the_database_refuses_a_self_link_too(design):
    with pytest.raises(IntegrityError), transaction.atomic():
        DesignLink.objects.create(from_design=design, to_design=design, kind="relates_to")


def test_the_same_link_twice_either_way_round_is_refused(design, older, alice):
    _link(design, older)
    with pytest.raises(ValidationError, match="already linked"):
        _link(design, older)
    with pytest.raises(ValidationError, match="already linked"):
        _link(older, design)
    _link(older, design, "supersedes")  # another kind is another link
    assert DesignLink.objects.count() == 2


def test_the_database_refuses_the_reverse_duplicate_too(design, older):
    DesignLink.objects.create(from_design=design, to_design=older, kind="relates_to")
    with pytest.raises(IntegrityError), transaction.atomic():
        DesignLink.objects.create(from_design=older, to_design=design, kind="relates_to")


def test_an_unknown_kind_is_refused(design, older):
    with pytest.raises(ValidationError, match="Unknown kind"):
        _link(design, older, "blocks")


def test_a_reader_who_is_not_on_the_team_cannot_link(design, older):
    reader = UserFactory(username="rita")
    request_review(design=design, reviewer=reader)
    with pytest.raises(PermissionError):
        _link(design, older, by=reader)


def test_linking_to_a_design_one_cannot_see_is_told_as_no_such_design(design, rival_design):
    with pytest.raises(ValidationError, match="No such design among those you can see"):
        _link(design, rival_design)
    assert not DesignLink.objects.exists()


def test_a_member_of_either_team_removes_a_link(design, older, bob):
    link = _link(design, older)
    MembershipFactory(team=older.team, user=bob)
    services.design_link_remove(design=older, link=link, removed_by=bob)
    assert not DesignLink.objects.exists()


# Who sees what -----------------------------------------------------------------------------


def test_a_link_shows_on_both_designs(design, older, alice):
    _link(design, older, "supersedes")
    (mine,) = selectors.design_links(design=design, fetched_by=alice)
    (theirs,) = selectors.design_links(design=older, fetched_by=alice)
    assert (mine.design, mine.label) == (older, "Supersedes")
    assert (theirs.design, theirs.label) == (design, "Superseded by")


def test_a_link_to_a_design_the_viewer_cannot_see_is_hidden_and_not_counted(
    design, rival_design, outsider, alice
):
    # The rival team links its design to ours: we never learn of it.
    MembershipFactory(team=design.team, user=outsider)
    services.design_link_add(
        design=rival_design, target=design, kind="supersedes", added_by=outsider
    )
    design.team.memberships.filter(user=outsider).delete()
    assert selectors.design_links(design=design, fetched_by=alice) == []
    design_list = [design]
    selectors.design_superseders_attach(designs=design_list, fetched_by=alice)
    assert design.superseded_by == []
    assert len(selectors.design_links(design=rival_design, fetched_by=outsider)) == 0


# Pages ---------------------------------------------------------------------------------------


def test_a_superseded_design_says_so_at_the_top_and_on_the_dashboard(client, design, older, alice):
    _link(design, older, "supersedes")
    client.force_login(alice)
    html = client.get(older.get_absolute_url()).content.decode()
    assert 'class="superseded-note" role="note"' in html
    assert f'href="{design.get_absolute_url()}">URL shortener</a>' in html
    html = client.get(design.get_absolute_url()).content.decode()
    assert "Supersedes" in html and "Old shortener" in html
    assert "superseded-note" not in html
    dashboard = client.get(reverse("designs:dashboard")).content.decode()
    assert dashboard.count("Superseded by") == 1
    assert f'Superseded by <a href="{design.get_absolute_url()}">URL shortener</a>' in dashboard


def test_an_outsiders_superseding_design_is_never_shown(
    client, design, rival_design, outsider, alice
):
    MembershipFactory(team=design.team, user=outsider)
    services.design_link_add(
        design=rival_design, target=design, kind="supersedes", added_by=outsider
    )
    design.team.memberships.filter(user=outsider).delete()
    client.force_login(alice)
    for url in (
        design.get_absolute_url(),
        reverse("designs:dashboard"),
        reverse("designs:links", args=[design.pk]),
    ):
        html = client.get(url).content.decode()
        assert "Secret plan" not in html
        assert "Superseded" not in html


def test_the_page_stops_showing_a_link_when_the_viewer_loses_access_to_the_other_design(
    client, design, rival_design, outsider
):
    # Rita reads the rival design (asked to review it) and is on our team.
    rita = MembershipFactory(team=design.team, user=UserFactory(username="rita")).user
    request_review(design=rival_design, reviewer=rita, requested_by=outsider)
    services.design_link_add(design=design, target=rival_design, kind="relates_to", added_by=rita)
    client.force_login(rita)
    assert "Secret plan" in client.get(design.get_absolute_url()).content.decode()
    review_services.review_request_withdraw(
        design=rival_design, reviewer=rita, withdrawn_by=outsider
    )
    assert "Secret plan" not in client.get(design.get_absolute_url()).content.decode()


def test_the_design_page_shows_a_link_added_after_it_was_cached(client, design, older, alice):
    client.force_login(alice)
    assert "Old shortener" not in client.get(design.get_absolute_url()).content.decode()
    _link(older, design)
    assert "Old shortener" in client.get(design.get_absolute_url()).content.decode()
    older.title = "Older shortener"
    services.design_update(design=older, title="Older shortener", summary="", edited_by=alice)
    assert "Older shortener" in client.get(design.get_absolute_url()).content.decode()


def test_a_member_adds_and_removes_a_link_on_the_links_page(client, design, older, alice):
    client.force_login(alice)
    url = reverse("designs:links", args=[design.pk])
    page = client.get(url).content.decode()
    assert "Old shortener (Platform)" in page
    response = client.post(url, {"target": older.pk, "kind": "supersedes"}, follow=True)
    assert "now supersedes “Old shortener”" in response.content.decode()
    link = DesignLink.objects.get()
    assert (link.from_design, link.to_design, link.kind) == (design, older, "supersedes")
    response = client.post(reverse("designs:link_remove", args=[design.pk, link.pk]))
    assert response.status_code == 302
    assert not DesignLink.objects.exists()


def test_the_links_page_offers_only_designs_the_member_can_see(
    client, design, older, rival_design, alice
):
    client.force_login(alice)
    url = reverse("designs:links", args=[design.pk])
    page = client.get(url).content.decode()
    assert "Secret plan" not in page
    assert f'value="{design.pk}"' not in page  # not itself either
    response = client.post(url, {"target": rival_design.pk, "kind": "relates_to"})
    assert response.status_code == 400
    assert "Select a valid choice" in response.content.decode()
    assert not DesignLink.objects.exists()


def test_adding_a_link_twice_on_the_page_is_400_with_a_message(client, design, older, alice):
    _link(design, older)
    client.force_login(alice)
    response = client.post(
        reverse("designs:links", args=[design.pk]), {"target": older.pk, "kind": "relates_to"}
    )
    assert response.status_code == 400
    assert "already linked" in response.content.decode()
    assert DesignLink.objects.count() == 1


def test_adding_a_link_needs_the_csrf_token(design, older, alice):
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)
    response = client.post(
        reverse("designs:links", args=[design.pk]), {"target": older.pk, "kind": "relates_to"}
    )
    assert response.status_code == 403
    assert not DesignLink.objects.exists()


def test_removing_a_link_hidden_from_the_member_is_404(
    client, design, rival_design, outsider, alice
):
    MembershipFactory(team=design.team, user=outsider)
    link = services.design_link_add(
        design=rival_design, target=design, kind="relates_to", added_by=outsider
    )
    design.team.memberships.filter(user=outsider).delete()
    client.force_login(alice)
    response = client.post(reverse("designs:link_remove", args=[design.pk, link.pk]))
    assert response.status_code == 404
    assert DesignLink.objects.filter(pk=link.pk).exists()


def test_a_link_of_another_design_cannot_be_removed_through_this_one(client, design, older, alice):
    third = make_design(team=design.team, author=alice, title="Third")
    link = _link(older, third)
    client.force_login(alice)
    response = client.post(reverse("designs:link_remove", args=[design.pk, link.pk]))
    assert response.status_code == 404
    assert DesignLink.objects.filter(pk=link.pk).exists()


# Query counts --------------------------------------------------------------------------------


def _queries(client, url, django_assert_max_num_queries, budget):
    from django.core.cache import cache

    cache.clear()
    client.get(reverse("teams:list"))  # the session back in the cache
    with django_assert_max_num_queries(budget) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


@pytest.mark.parametrize("name", ["designs:detail", "designs:links"])
def test_design_pages_cost_the_same_with_1_or_12_links(
    client, design, alice, name, django_assert_max_num_queries
):
    others = [make_design(team=design.team, author=alice, title=f"Other {n}") for n in range(12)]
    _link(design, others[0], "supersedes")
    client.force_login(alice)
    url = reverse(name, args=[design.pk])
    client.get(url)
    one = _queries(client, url, django_assert_max_num_queries, 16)
    for n, other in enumerate(others[1:]):
        _link(other if n % 2 else design, design if n % 2 else other)
    assert _queries(client, url, django_assert_max_num_queries, one) == one


def test_the_dashboard_costs_the_same_with_1_or_12_superseded_designs(
    client, design, alice, django_assert_max_num_queries
):
    others = [make_design(team=design.team, author=alice, title=f"Other {n}") for n in range(12)]
    _link(design, others[0], "supersedes")
    client.force_login(alice)
    url = reverse("designs:dashboard")
    client.get(url)
    one = _queries(client, url, django_assert_max_num_queries, 16)
    for other in others[1:]:
        _link(design, other, "supersedes")
    assert _queries(client, url, django_assert_max_num_queries, one) == one
    assert client.get(url).content.decode().count("Superseded by") == 12


def test_the_dashboard_marks_a_design_superseded_after_it_was_cached(client, design, older, alice):
    client.force_login(alice)
    assert "Superseded by" not in client.get(reverse("designs:dashboard")).content.decode()
    _link(design, older, "supersedes")
    assert "Superseded by" in client.get(reverse("designs:dashboard")).content.decode()
