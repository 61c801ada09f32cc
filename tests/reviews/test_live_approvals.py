"""The design's count of live approvals: kept with the status, read by every section save
from the row it updates, so a save looks for approvals to make stale only when there are
some; and an approval never records a version that a save in progress is replacing."""

import threading
import time

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from designs import services as design_services
from designs.models import Design
from reviews import services
from reviews.models import Verdict
from tests.factories import TeamFactory, UserFactory, make_design, request_review
from tests.reviews.conftest import section_of


def _save(design, user, text: str):
    section = section_of(design)
    return design_services.section_update(
        section=section, body=text, base_version=section.version, edited_by=user
    )


@pytest.mark.django_db
def test_the_count_follows_approvals_and_the_saves_that_make_them_stale(reviewed, alice, bob):
    services.verdict_submit(design=reviewed, reviewer=bob, kind=Verdict.Kind.APPROVE)
    reviewed.refresh_from_db()
    assert (reviewed.status, reviewed.live_approval_count) == (Design.Status.APPROVED, 1)

    _save(reviewed, alice, "changed after the approval")

    reviewed.refresh_from_db()
    assert (reviewed.status, reviewed.live_approval_count) == (Design.Status.IN_REVIEW, 0)
    assert Verdict.objects.get(kind=Verdict.Kind.APPROVE).stale_at is not None


@pytest.mark.django_db
def test_a_save_with_no_live_approval_looks_up_no_verdicts(reviewed, alice, bob):
    services.verdict_submit(design=reviewed, reviewer=bob, kind=Verdict.Kind.REQUEST_CHANGES)
    with CaptureQueriesContext(connection) as ctx:
        _save(reviewed, alice, "no approval to make stale")
    assert not [q for q in ctx.captured_queries if "reviews_verdict" in q["sql"]]


@pytest.mark.django_db
def test_a_save_with_a_live_approval_looks_for_it(reviewed, alice, bob):
    services.verdict_submit(design=reviewed, reviewer=bob, kind=Verdict.Kind.APPROVE)
    with CaptureQueriesContext(connection) as ctx:
        _save(reviewed, alice, "the approval goes stale")
    assert [q for q in ctx.captured_queries if "reviews_verdict" in q["sql"]]


# Races: a save and an approval at the same moment, each order --------------------------


def _race_setup():
    alice, bob = UserFactory(username="alice"), UserFactory(username="bob")
    design = make_design(team=TeamFactory(name="Platform", created_by=alice), author=alice)
    request_review(design=design, reviewer=bob, requested_by=alice)
    return design, alice, bob


def _one_after_the_other(first, second) -> None:
    """Run ``first`` in a transaction of its own connection and keep that transaction open
    (its locks held); check that ``second``, in another, waits for it; then let both end."""
    done, release = threading.Event(), threading.Event()

    def in_transaction(work, hold: bool) -> threading.Thread:
        def run() -> None:
            try:
                with transaction.atomic():
                    work()
                    if hold:
                        done.set()
                        assert release.wait(10)
            finally:
                connection.close()

        thread = threading.Thread(target=run)
        thread.start()
        return thread

    holder = in_transaction(first, hold=True)
    try:
        assert done.wait(10)
        waiter = in_transaction(second, hold=False)
        time.sleep(0.3)
        assert waiter.is_alive()  # waiting for the lock ``first`` holds on the design
    finally:
        release.set()
        holder.join(10)
    waiter.join(10)


def _approve(design, bob) -> None:
    services.verdict_submit(
        design=Design.objects.get(pk=design.pk), reviewer=bob, kind=Verdict.Kind.APPROVE
    )


@pytest.mark.django_db(transaction=True)
def test_an_approval_waits_for_a_save_in_progress_and_records_its_version():
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL row locks")
    design, alice, bob = _race_setup()

    _one_after_the_other(lambda: _save(design, alice, "saving"), lambda: _approve(design, bob))

    approval = Verdict.objects.get(kind=Verdict.Kind.APPROVE)
    assert approval.revision[section_of(design).key] == 1  # the version the save wrote
    assert approval.stale_at is None
    assert Design.objects.get(pk=design.pk).live_approval_count == 1


@pytest.mark.django_db(transaction=True)
def test_a_save_waits_for_an_approval_in_progress_and_makes_it_stale():
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL row locks")
    design, alice, bob = _race_setup()

    _one_after_the_other(
        lambda: _approve(design, bob),
        lambda: _save(Design.objects.get(pk=design.pk), alice, "saving"),
    )

    approval = Verdict.objects.get(kind=Verdict.Kind.APPROVE)
    assert approval.revision[section_of(design).key] == 0
    assert approval.stale_at is not None
    design.refresh_from_db()
    assert (design.live_approval_count, design.status) == (0, Design.Status.IN_REVIEW)
