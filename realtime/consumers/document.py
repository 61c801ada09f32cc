"""The document socket: one section's shared text, over the y-websocket protocol."""

from channels.db import database_sync_to_async

from designs.models import Section
from realtime import presence
from realtime.consumers.base import DesignConsumer


class DocumentConsumer(DesignConsumer):
    """``/ws/designs/<design_id>/sections/<section_key>`` (the protocol lands in step 2)."""

    async def authorize(self) -> bool:
        self.section_key = self.scope["url_route"]["kwargs"]["section_key"]
        return await database_sync_to_async(
            Section.objects.filter(design_id=self.design_id, key=self.section_key).exists
        )()

    async def joined(self) -> None:
        if self.can_edit:  # shown as editing on the design page; readers only read
            await presence.enter(self, section_key=self.section_key)

    async def left(self) -> None:
        await presence.leave(self, section_key=self.section_key)
