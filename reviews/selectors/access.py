"""Access to comments and who can see a design."""

from collections.abc import Iterable

from django.db.models import Q
from django.http import Http404

from accounts.models import User
from designs.models import Design
from designs.selectors import DesignAccess, design_get_for
from reviews.models import (
    Comment,
)


def comment_get_for(user: User, comment_id: int) -> tuple[DesignAccess, Comment]:
    """A comment on a design the caller can see, with their access; Http404 otherwise."""
    design_id = Comment.objects.filter(pk=comment_id).values_list("design_id", flat=True).first()
    if design_id is None:
        raise Http404("No such comment.")
    access = design_get_for(user, design_id)
    comment = Comment.objects.select_related("author", "section").get(pk=comment_id)
    comment.design = access.design
    comment.section.design = access.design
    return access, comment


def user_can_see_design(*, users: Iterable[User], design: Design) -> set[int]:
    """Ids of ``users`` who are on the design's team or were granted read access."""
    ids = [u.pk for u in users]
    if not ids:
        return set()
    return set(
        User.objects.filter(pk__in=ids)
        .filter(Q(memberships__team_id=design.team_id) | Q(design_grants__design_id=design.pk))
        .values_list("pk", flat=True)
    )
