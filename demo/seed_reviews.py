"""Demo review of the URL shortener: bob and carol review it, with comments, one open and one
fixed issue, and verdicts. Called by ``seed_demo``; idempotent (an existing review is left
as it is). Every write goes through the reviews services."""

from typing import Any

from accounts.models import User
from designs.models import Design, Section
from reviews import services
from reviews.models import ReviewRequest


def _section(design: Design, key: str) -> Section:
    section = design.sections.filter(key=key).first()
    if section is None:  # a template without that section: use the last one
        section = design.sections.order_by("-position").first()
    assert section is not None
    section.design = design
    return section


def seed(
    *,
    design: Design,
    users: dict[str, User] | None = None,
    alice: User | None = None,
    bob: User | None = None,
    carol: User | None = None,
    stdout: Any = None,
) -> None:
    users = users or {}
    alice = alice or users["alice"]
    bob = bob or users["bob"]
    carol = carol or users["carol"]
    if ReviewRequest.objects.filter(design=design, reviewer=bob).exists():
        return

    services.review_request(
        design=design,
        reviewer=bob,
        requested_by=alice,
        message="Could you look hardest at storage, scaling and abuse?",
    )
    services.review_request(
        design=design,
        reviewer=carol,
        requested_by=alice,
        message="Capacity numbers especially, please.",
    )

    scale = _section(design, "how-to-scale-the-db")
    thread = services.comment_add(
        section=scale,
        author=bob,
        body=(
            "What happens when one campaign's links get **most of the clicks**? "
            "Hashing the short code spreads writes, but the click counters for a hot link "
            "all land on one shard."
        ),
    )
    services.comment_reply(
        parent=thread,
        author=alice,
        body=(
            "Clicks are counted in Redis per minute and flushed in batches, so a hot link "
            "costs one write a minute per region, not one per click. @bob does that cover it?"
        ),
    )
    services.comment_reply(parent=thread, author=bob, body="It does, thanks.")
    services.thread_resolve(comment=thread, resolved_by=bob)

    security = _section(design, "how-you-will-handle-security")
    services.comment_add(
        section=security,
        author=bob,
        body=(
            "There is no limit on how many links one account can create. A phisher with a "
            "stolen token can mint thousands a minute. Add a per-account rate limit and "
            "check targets against the Safe Browsing list before a link goes live."
        ),
        raise_issue=True,
    )

    estimate = _section(design, "resource-estimation")
    fixed = services.comment_add(
        section=estimate,
        author=carol,
        body="The storage estimate counts links but not click events: 2 B clicks a month "
        "at ~60 bytes each is another 120 GB a month.",
        raise_issue=True,
    )
    services.comment_reply(
        parent=fixed,
        author=alice,
        body="Added the click table to the estimate: 1.4 TB a year before rollups.",
    )
    services.issue_status_change(comment=fixed, to_status="fixed", changed_by=alice)

    services.verdict_submit(
        design=design,
        reviewer=carol,
        kind="approve",
        summary="Numbers add up now. Approving.",
    )
    services.verdict_submit(
        design=design,
        reviewer=bob,
        kind="request_changes",
        summary="Solid design; the abuse story on link creation needs to land first.",
    )
    if stdout is not None:
        stdout.write("Added a review by bob and carol: comments, issues and verdicts.")
