import pytest
from django.core.management import call_command

from designs.models import Design
from reviews.models import Comment, ReviewRequest, Verdict

pytestmark = pytest.mark.django_db


def test_seed_demo_adds_a_realistic_review_once(settings):
    settings.DEBUG = True
    call_command("seed_demo", stdout=None)
    call_command("seed_demo", stdout=None)
    design = Design.objects.get(title="URL shortener")
    assert ReviewRequest.objects.filter(design=design).count() == 2
    issues = dict(
        Comment.objects.filter(design=design)
        .exclude(issue_status="")
        .values_list("issue_status", "section__key")
    )
    assert set(issues) == {"open", "fixed"}
    assert Comment.objects.filter(design=design, parent__isnull=False).exists()
    assert set(Verdict.objects.filter(design=design).values_list("kind", flat=True)) == {
        "approve",
        "request_changes",
    }
    assert design.status == "changes_requested"
