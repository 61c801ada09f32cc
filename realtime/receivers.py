"""Signal receivers of the realtime app: they only call realtime's services."""

from django.contrib.auth.signals import user_logged_out
from django.db.models.signals import post_delete, post_save, pre_save
from django.dispatch import receiver

from accounts.models import Membership, User
from designs.models import DesignReader
from realtime import services


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
