"""Reactions to changes of tokens and users. Receivers only call services."""

from typing import Any

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from accounts.models import User
from api import services
from api.models import Token


@receiver(post_save, sender=Token, dispatch_uid="api.token_saved")
@receiver(post_delete, sender=Token, dispatch_uid="api.token_deleted")
def on_token_changed(sender: Any, *, instance: Token, **kwargs: Any) -> None:
    if not kwargs.get("created"):
        services.token_cache_forget(digests=[instance.digest])


@receiver(post_save, sender=User, dispatch_uid="api.user_saved")
def on_user_saved(sender: Any, *, instance: User, update_fields: Any = None, **kwargs: Any) -> None:
    """A user deactivated, renamed or given other rights: their tokens answer from the
    database from now on. Signing in (which saves only last_login) changes nothing here."""
    if kwargs.get("created") or (update_fields and set(update_fields) == {"last_login"}):
        return
    services.token_cache_forget(
        digests=Token.objects.filter(user=instance).values_list("digest", flat=True)
    )
