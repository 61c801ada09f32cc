"""ASGI lifespan: on shutdown, save every live document before the process exits."""

import logging
from typing import Any

logger = logging.getLogger(__name__)


async def lifespan(scope: dict, receive: Any, send: Any) -> None:
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            from realtime.rooms import registry

            try:
                await registry.shutdown()
            except Exception:
                logger.exception("saving live documents on shutdown failed")
            await send({"type": "lifespan.shutdown.complete"})
            return
