"""Writes for live collaboration: telling sockets that access changed."""

import logging
from collections.abc import Iterable

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

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
