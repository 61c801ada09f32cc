"""Writes for live collaboration: the live documents' state in PostgreSQL, and telling
sockets that access changed."""

import base64
import binascii
import logging
import re
from collections.abc import Iterable
from contextvars import ContextVar
from dataclasses import dataclass

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.core.exceptions import ValidationError
from django.db import transaction

from accounts.models import User
from designs import services as designs_services
from designs.models import Section
from realtime.ydoc import EMPTY_UPDATE, body_of, meta_mark_saved, new_doc, text_replace

logger = logging.getLogger(__name__)


def access_changed(*, user_ids: Iterable[int]) -> None:
    """Ask every open socket of ``user_ids`` to re-check its access now (once the current
    transaction commits, so the check sees the change). Sockets that lost it close with
    4403. Never raises: a lost message leaves the periodic re-check to close the socket."""
    ids = sorted({int(i) for i in user_ids if i})
    if ids:
        transaction.on_commit(lambda: _publish_access_changed(ids))


def _publish_access_changed(user_ids: list[int]) -> None:
    from realtime.consumers.base import user_group

    layer = get_channel_layer()
    if layer is None:
        return
    try:
        for user_id in user_ids:
            async_to_sync(layer.group_send)(user_group(user_id), {"type": "access.changed"})
    except Exception:
        logger.exception("could not publish access.changed for %s", user_ids)


# The live document in PostgreSQL --------------------------------------------------------

# Set while a room's save runs section_update, so the section_saved receiver does not feed
# the room's own text back into it.
_saving_from_room: ContextVar[bool] = ContextVar("saving_from_room", default=False)

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")  # as designs refuses them


def saving_from_room() -> bool:
    return _saving_from_room.get()


def document_group(section_id: int) -> str:
    return f"ydoc.{section_id}"


@dataclass(frozen=True)
class LiveSave:
    """What a room's save left in the database: the merged state (everything the room had
    and everything other processes or write paths had stored), the delta to send to the
    room's clients (None if the room had it all) and the section's version."""

    state: bytes
    delta: bytes | None
    version: int
    saved: bool  # a revision was written


@transaction.atomic
def document_load(*, section_id: int, client_id: int) -> bytes:
    """The section's Y state for a room, under the row lock. The first time, it is built
    from the body and stored, so that every process starts from the same Y history (two
    processes building it independently would each insert the text: doubled). A state
    whose text differs from the body (saved by an older Crit) is brought to the body."""
    section = (
        Section.objects.select_for_update().only("body", "version", "ystate").get(pk=section_id)
    )
    stored = bytes(section.ystate or b"")
    doc = new_doc(stored, client_id=client_id)
    text_replace(doc, section.body)
    meta_mark_saved(doc, version=section.version, body=section.body)
    state = doc.get_update()
    if state != stored:
        Section.objects.filter(pk=section_id).update(ystate=state)
    return state


@transaction.atomic
def document_save(
    *, section_id: int, update: bytes, author_ids: list[int], client_id: int
) -> LiveSave:
    """Merge a room's document into the stored one under ``SELECT … FOR UPDATE`` and save
    the merged text as a revision through ``designs.services.section_update``: two
    processes saving at once each merge what the other stored, so neither drops the
    other's edits, and text saved by the form or the API (already in the stored state) is
    never overwritten. The revision's author is the last of ``author_ids`` to type, the
    others its co-authors. Control characters (which designs refuses) are removed from
    the shared text. Raises ValidationError when the merged text is over the body limit:
    nothing is saved then."""
    section = Section.objects.select_for_update().get(pk=section_id)
    stored = bytes(Section.objects.filter(pk=section_id).values_list("ystate", flat=True).get())
    doc = new_doc(stored, client_id=client_id)
    doc.apply_update(update)
    room_state = new_doc(update).get_state()
    body = body_of(doc)
    clean = _CONTROL.sub("", body)
    if clean != body:
        text_replace(doc, clean)
        body = clean
    saved = False
    version = section.version
    authors = list(User.objects.filter(pk__in=author_ids))
    if body != section.body and authors:
        authors.sort(key=lambda user: author_ids.index(user.pk))
        state = None
        if not body.strip() and section.state == Section.State.ANSWERED:
            state = Section.State.DRAFT  # an emptied answer is no answer: empty again
        token = _saving_from_room.set(True)
        try:
            result = designs_services.section_update(
                section=section,
                body=body,
                base_version=section.version,
                edited_by=authors[-1],
                state=state,
            )
        finally:
            _saving_from_room.reset(token)
        saved = result.version != version
        version = result.version
        if saved and len(authors) > 1:
            designs_services.revision_co_authors_set(
                section_id=section_id, version=version, user_ids=[a.pk for a in authors[:-1]]
            )
    if body == section.body or saved:
        meta_mark_saved(doc, version=version, body=body)
    state_bytes = doc.get_update()
    if state_bytes != stored:
        Section.objects.filter(pk=section_id).update(ystate=state_bytes)
    delta = doc.get_update(room_state)
    has_news = delta != EMPTY_UPDATE and new_doc(update).get_update() != state_bytes
    return LiveSave(
        state=state_bytes, delta=delta if has_news else None, version=version, saved=saved
    )


# The live editor's Save posts its whole Y document; a socket's largest message, doubled.
CLIENT_DOCUMENT_MAX_BYTES = 1_048_576


@transaction.atomic
def document_merge_client(*, section_id: int, update: str) -> tuple[str, int] | None:
    """The live editor's Save: merge the browser's Y document (``update``, base64) into
    the stored one under the row lock, and answer the merged text with the version it is
    based on, for the form to save. Merging is idempotent: what the stored document or a
    room already holds of the browser's typing is not applied again, so a Save that
    overtakes the room's debounced save never doubles text (posting the text alone would
    be joined as new insertions). The caller's transaction holds the merged state: a save
    that then fails leaves nothing behind. None when the section was never opened live.
    Raises ValidationError for an update that is not a Y document."""
    unreadable = ValidationError(
        {"body": "The live editor's text could not be read. Reload the page and save again."}
    )
    if len(update) > CLIENT_DOCUMENT_MAX_BYTES * 4 // 3 + 4:
        raise ValidationError(
            {"body": "The live editor's document is too large to save this way. Reload the page."}
        )
    try:
        client = base64.b64decode(update, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise unreadable from exc
    section = (
        Section.objects.select_for_update().only("body", "version", "ystate").get(pk=section_id)
    )
    stored = bytes(section.ystate or b"")
    if not stored:
        return None
    doc = new_doc(stored)
    try:
        doc.apply_update(client)
    except ValueError as exc:
        raise unreadable from exc
    body = body_of(doc)
    clean = _CONTROL.sub("", body)
    if clean != body:
        text_replace(doc, clean)
    state = doc.get_update()
    if state != stored:
        Section.objects.filter(pk=section_id).update(ystate=state)
    return clean, section.version


def document_text_join(*, section: Section) -> bytes | None:
    """Apply a save made by another path (the form, the API, a restore) to the stored Y
    document, as text operations from its text to the new body, and answer the change to
    broadcast to live rooms (None when the section was never opened live). Runs inside
    the saving transaction, whose UPDATE holds the row lock; the next save of a live room
    merges this state, so it never overwrites the text."""
    stored = (
        Section.objects.filter(pk=section.pk).order_by().values_list("ystate", flat=True).first()
    )
    if not stored:
        return None
    doc = new_doc(bytes(stored))
    before = doc.get_state()
    text_replace(doc, section.body)
    meta_mark_saved(doc, version=section.version, body=section.body)
    Section.objects.filter(pk=section.pk).update(ystate=doc.get_update())
    return doc.get_update(before)


def document_broadcast(*, section_id: int, update: bytes) -> None:
    """Send ``update`` to every live room of the section, in every process (at most
    once: a room that misses it merges it from the database at its next save and from
    its peers' state vectors)."""
    layer = get_channel_layer()
    if layer is None:
        return
    try:
        async_to_sync(layer.group_send)(
            document_group(section_id),
            {"type": "ydoc.update", "update": update, "origin": "", "authors": []},
        )
    except Exception:
        logger.exception("could not broadcast a saved section to live rooms")
