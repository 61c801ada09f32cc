"""The periodic re-check of every socket of a process, in a few queries."""

import pytest
from django.test import Client

from accounts.models import Membership
from realtime.selectors import SocketCheck, sockets_still_allowed
from tests.factories import MembershipFactory, UserFactory, make_design, request_review

pytestmark = pytest.mark.django_db


def _session(user) -> str:
    client = Client()
    client.force_login(user)
    return client.cookies["sessionid"].value


def test_sockets_still_allowed_answers_each_case(alice, team, outsider):
    design = make_design(team=team, author=alice)
    member = MembershipFactory(team=team, user=UserFactory(username="max")).user
    reviewer = UserFactory(username="rita")
    request_review(design=design, reviewer=reviewer, requested_by=alice)
    gone = UserFactory(username="gone")
    MembershipFactory(team=team, user=gone)
    gone_session = _session(gone)
    Membership.objects.filter(user=gone).delete()
    checks = [
        SocketCheck(1, alice.pk, _session(alice), design.pk, True),
        SocketCheck(2, member.pk, _session(member), design.pk, True),
        SocketCheck(3, reviewer.pk, _session(reviewer), design.pk, False),
        SocketCheck(4, reviewer.pk, _session(reviewer), design.pk, True),  # not an editor
        SocketCheck(5, outsider.pk, _session(outsider), design.pk, False),
        SocketCheck(6, gone.pk, gone_session, design.pk, False),
        SocketCheck(7, alice.pk, "no-such-session", design.pk, True),
        SocketCheck(8, member.pk, _session(alice), design.pk, True),  # someone else's session
    ]
    assert sockets_still_allowed(checks=checks) == {1, 2, 3}


def test_sockets_still_allowed_after_password_change(alice, team):
    design = make_design(team=team, author=alice)
    session = _session(alice)
    alice.set_password("another secret 987")
    alice.save()
    assert (
        sockets_still_allowed(checks=[SocketCheck(1, alice.pk, session, design.pk, True)]) == set()
    )


def test_sockets_still_allowed_queries_do_not_grow(alice, team, django_assert_max_num_queries):
    design = make_design(team=team, author=alice)
    users = [MembershipFactory(team=team, user=UserFactory()).user for _ in range(30)]
    checks = [SocketCheck(i, u.pk, _session(u), design.pk, True) for i, u in enumerate(users)]
    with django_assert_max_num_queries(5):
        assert len(sockets_still_allowed(checks=checks)) == 30
