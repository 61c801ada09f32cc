"""One room per live section in this process (filled in by the document socket)."""


class RoomRegistry:
    def __init__(self) -> None:
        self.rooms: dict = {}

    async def shutdown(self) -> None:
        """Save every loaded room and unload it."""


registry = RoomRegistry()
