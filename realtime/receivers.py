"""Signal receivers of the realtime app: they only call realtime's services and its live
update publishers (realtime/live.py)."""

from django.contrib.auth.signals import user_logged_out
from django.db import transaction
from django.db.models.signals import post_delete, post_save, pre_save
from django.dispatch import receiver

from accounts.models import Membership, User
from designs.models import DesignReader, Section
from designs.signals import section_live_text, section_saved
from exports.signals import exports_changed
from realtime import live, services
from reviews.signals import notifications_changed, review_changed, threads_changed


@receiver(post_delete, sender=Membership)
def membership_ended(sender, instance: Membership, **kwargs) -> None:
    services.access_changed(user_ids=[instance.user_id])


@receiver(post_delete, sender=DesignReader)
def reader_grant_ended(sender, instance: DesignReader, **kwargs) -> None:
    services.access_changed(user_ids=[instance.user_id])


@receiver(user_logged_out)
def signed_out(sender, request, user, **kwargs) -> None:
    if user is not None:
        services.access_changed(user_ids=[user.pk])


@receiver(pre_save, sender=User)
def _note_password_change(sender, instance: User, **kwargs) -> None:
    # set_password() keeps the new raw password in _password until the save.
    changed = getattr(instance, "_password", None) is not None
    instance._realtime_password_changed = changed  # type: ignore[attr-defined]


@receiver(post_save, sender=User)
def password_or_activity_changed(sender, instance: User, created: bool, **kwargs) -> None:
    if created:
        return
    update_fields = kwargs.get("update_fields")
    if getattr(instance, "_realtime_password_changed", False) or (
        update_fields is None or {"password", "is_active"} & set(update_fields)
    ):
        services.access_changed(user_ids=[instance.pk])


@receiver(section_saved)
def section_saved_joins_live_text(sender, section: Section, **kwargs) -> None:
    """A save by the form, the API or a restore reaches the live document (and its rooms,
    once the save commits); a room's own save is already in it."""
    if services.saving_from_room():
        return
    update = services.document_text_join(section=section)
    if update is not None:
        section_id = section.pk
        transaction.on_commit(
            lambda: services.document_broadcast(section_id=section_id, update=update)
        )


@receiver(section_live_text)
def live_editor_saved(sender, section: Section, update: str, **kwargs) -> tuple[str, int] | None:
    """The live editor's Save brings its Y document: merged, not joined as new text."""
    return services.document_merge_client(section_id=section.pk, update=update)


# Live updates: what changed reaches the open pages (realtime/live.py) ------------------------


@receiver(section_saved, dispatch_uid="realtime.live_section_saved")
def live_section_saved(sender, *, section, estimates_changed=frozenset(), **kwargs) -> None:
    """The saved card, and the cards whose estimates the save changed."""
    keys = {section.key, *estimates_changed}
    live.design_changed(design_id=section.design_id, changes=live.Changes(sections=keys))


@receiver(threads_changed, dispatch_uid="realtime.live_threads_changed")
def live_threads_changed(sender, *, design_id: int, section_key: str, **kwargs) -> None:
    live.design_changed(design_id=design_id, changes=live.Changes(threads={section_key}))


@receiver(review_changed, dispatch_uid="realtime.live_review_changed")
def live_review_changed(sender, *, design_id: int, **kwargs) -> None:
    live.design_changed(design_id=design_id, changes=live.Changes(review=True))


@receiver(exports_changed, dispatch_uid="realtime.live_exports_changed")
def live_exports_changed(sender, *, design_ids: list[int], **kwargs) -> None:
    for design_id in set(design_ids):
        live.design_changed(design_id=design_id, changes=live.Changes(exports=True))


@receiver(notifications_changed, dispatch_uid="realtime.live_inbox_changed")
def live_inbox_changed(sender, *, recipient_ids: list[int], **kwargs) -> None:
    live.inbox_changed(user_ids=recipient_ids)
