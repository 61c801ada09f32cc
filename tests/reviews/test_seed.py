import pytest
from django.core.management import call_command

from designs.models import Design
from reviews.models import Comment, ReviewRequest, Verdict
from tests.factories import row_counts

pytestmark = pytest.mark.django_db


def test_seed_demo_adds_a_realistic_review_once(settings):
    settings.DEBUG = True
    call_command("seed_demo", stdout=None)
    counts = row_counts()
    call_command("seed_demo", stdout=None)
    assert row_counts() == counts
    design = Design.objects.get(title="URL shortener")
    assert ReviewRequest.objects.filter(design=design).count() == 2
    issues = sorted(
        Comment.objects.filter(design=design)
        .exclude(issue_status="")
        .values_list("issue_status", flat=True)
    )
    assert issues == ["fixed", "open"]
    assert Comment.objects.filter(design=design, parent__isnull=False).count() == 3
    assert sorted(Verdict.objects.filter(design=design).values_list("kind", flat=True)) == [
        "approve",
        "request_changes",
    ]
    assert design.status == "changes_requested"
