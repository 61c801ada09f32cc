"""Reactions to other apps' signals. Receivers only call services."""

from typing import Any

from django.dispatch import receiver

from designs.signals import section_saved
from reviews import services


@receiver(section_saved, dispatch_uid="reviews.approvals_mark_stale")
def on_section_saved(sender: Any, *, section: Any, edited_by: Any, **kwargs: Any) -> None:
    services.approvals_mark_stale(section=section, edited_by=edited_by)
