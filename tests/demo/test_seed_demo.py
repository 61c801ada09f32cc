"""python manage.py seed_demo: the demo data, created once, however often it runs."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from accounts.models import Membership, Team, User
from designs.models import Design, Section
from tests.factories import row_counts

pytestmark = pytest.mark.django_db


def _seed(**options) -> str:
    out = StringIO()
    call_command("seed_demo", stdout=out, **options)
    return out.getvalue()


def test_seed_creates_users_team_and_a_fully_answered_design(settings):
    settings.DEBUG = True
    output = _seed()
    for name in ("alice", "bob", "carol"):
        assert User.objects.get(username=name).check_password("demo")
    team = Team.objects.get(name="Platform")
    roles = dict(team.memberships.values_list("user__username", "role"))
    assert roles == {"alice": Membership.Role.OWNER, "bob": Membership.Role.MEMBER}
    design = Design.objects.get(title="URL shortener", team=team)
    sections = list(design.sections.order_by("position"))
    assert len(sections) == 17
    assert {s.state for s in sections} == {Section.State.ANSWERED}
    assert design.covered_count == 17
    assert "alice / demo" in output


def test_seeded_markdown_has_a_table_code_and_a_task_list(settings):
    settings.DEBUG = True
    _seed()
    html = "".join(Section.objects.values_list("body_html", flat=True))
    assert "<table>" in html
    assert '<code class="language-' in html
    assert 'type="checkbox"' in html
    assert all(len(body) > 400 for body in Section.objects.values_list("body", flat=True))


def test_seeding_twice_leaves_the_same_data(settings):
    settings.DEBUG = True
    _seed()
    counts = row_counts()
    assert counts["designs.Revision"] and counts["reviews.Comment"]  # the review was seeded
    _seed()
    assert row_counts() == counts


def test_seeding_again_resets_a_changed_demo_password(settings):
    settings.DEBUG = True
    _seed()
    alice = User.objects.get(username="alice")
    alice.set_password("changed-it")
    alice.save()
    _seed()
    alice.refresh_from_db()
    assert alice.check_password("demo")


def test_seed_is_refused_when_debug_is_off(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="--force"):
        _seed()
    assert not User.objects.filter(username="alice").exists()


def test_seed_runs_with_force_when_debug_is_off(settings):
    settings.DEBUG = False
    _seed(force=True)
    assert Design.objects.filter(title="URL shortener").exists()
