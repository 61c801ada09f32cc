import pytest

from reviews import selectors, services
from tests.factories import add_comment
from tests.reviews.conftest import section_of

pytestmark = pytest.mark.django_db


def test_review_record_has_verdicts_issue_ledger_and_threads(reviewed, alice, bob):
    first, second = section_of(reviewed, 1), section_of(reviewed, 2)
    thread = add_comment(section=first, author=bob, body="Who pays?")
    services.comment_reply(parent=thread, author=alice, body="Teams do.")
    issue = add_comment(section=second, author=bob, body="Problem unclear", raise_issue=True)
    services.issue_status_change(comment=issue, to_status="fixed", changed_by=alice)
    services.verdict_submit(design=reviewed, reviewer=bob, kind="approve", summary="Good")

    record = selectors.review_record(design=reviewed)

    assert [r.username for r in record.reviewers] == ["bob"]
    assert record.reviewers[0].latest_verdict.kind == "approve"
    assert [v.kind for v in record.verdicts] == ["approve"]
    assert record.sections[0].threads[0].body == "Who pays?"
    assert record.sections[0].threads[0].replies[0].author == "alice"
    ledger = record.sections[1].issues
    assert [(i.raised_by, i.status) for i in ledger] == [("bob", "fixed")]
    assert [(c.from_status, c.to_status, c.changed_by) for c in ledger[0].changes] == [
        ("", "open", "bob"),
        ("open", "fixed", "alice"),
    ]
    assert record.open_issue_count == 0


def test_review_record_uses_a_fixed_number_of_queries(
    reviewed, alice, bob, django_assert_max_num_queries
):
    for position in range(1, 6):
        add_comment(section=section_of(reviewed, position), author=bob, raise_issue=True)
    with django_assert_max_num_queries(9):  # 5, one for the rounds, three for the sign-offs
        selectors.review_record(design=reviewed)
