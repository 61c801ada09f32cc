"""Each design's search row kept current from the signals of the apps below, in the
transaction of the change (search/services.py).

Receivers only call ``document_refresh`` and ``document_delete``; they hold no rules of
their own.
"""

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from designs.models import Design
from designs.signals import design_created, section_saved
from reviews.signals import threads_changed
from search.services import document_delete, document_refresh

# What of a design its search row holds; a save that names other fields leaves it as is.
_DESIGN_FIELDS = frozenset({"title", "summary"})


@receiver(design_created, dispatch_uid="search.design_created")
def on_design_created(sender, *, design, **kwargs) -> None:
    document_refresh(design_id=design.pk)


@receiver(post_save, sender=Design, dispatch_uid="search.design_saved")
def on_design_saved(sender, *, instance, created, update_fields=None, **kwargs) -> None:
    # A new design's row is made once its sections exist (design_created).
    if created or (update_fields is not None and not _DESIGN_FIELDS & set(update_fields)):
        return
    document_refresh(design_id=instance.pk)


@receiver(post_delete, sender=Design, dispatch_uid="search.design_deleted")
def on_design_deleted(sender, *, instance, **kwargs) -> None:
    document_delete(design_id=instance.pk)


@receiver(section_saved, dispatch_uid="search.section_saved")
def on_section_saved(sender, *, section, **kwargs) -> None:
    document_refresh(design_id=section.design_id)


@receiver(threads_changed, dispatch_uid="search.threads_changed")
def on_threads_changed(sender, *, design_id: int, **kwargs) -> None:
    # A comment added, replied to, edited or deleted (and issue moves, which change no text
    # but are rare enough not to tell apart).
    document_refresh(design_id=design_id)
