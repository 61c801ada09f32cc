"""Reactions to other apps' signals. Receivers only call services."""

from typing import Any

from django.dispatch import receiver

from designs.signals import design_created, section_saved
from reviews import services


@receiver(section_saved, dispatch_uid="reviews.approvals_mark_stale")
def on_section_saved(
    sender: Any, *, section: Any, edited_by: Any, live_approval_count: int, **kwargs: Any
) -> None:
    if live_approval_count:  # most saves: no approval to go stale, nothing to look up
        services.approvals_mark_stale(section=section, edited_by=edited_by)


@receiver(section_saved, dispatch_uid="reviews.signoffs_reset")
def on_section_saved_reset_signoffs(
    sender: Any, *, section: Any, edited_by: Any, live_signoff_count: int = 1, **kwargs: Any
) -> None:
    if live_signoff_count:  # most saves: no sign-off to reset, nothing to look up
        services.signoffs_reset(section=section, edited_by=edited_by)


@receiver(design_created, dispatch_uid="reviews.signoffs_from_template")
def on_design_created(
    sender: Any, *, design: Any, created_by: Any, signoff_roles: Any, **kwargs: Any
) -> None:
    if signoff_roles:  # most templates name no roles: nothing to look up
        services.signoff_requirements_from_template(
            design=design, signoff_roles=signoff_roles, created_by=created_by
        )


@receiver(section_saved, dispatch_uid="reviews.anchors_follow")
def on_section_saved_follow_anchors(
    sender: Any, *, section: Any, previous_version: int | None = None, **kwargs: Any
) -> None:
    """Every save, whichever way it came (the form, the API, a restore, the live room, an
    applied suggestion): the threads on a passage find it again in the new text."""
    services.anchors_follow(section=section, previous_version=previous_version)
