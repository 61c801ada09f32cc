"""A y-websocket client in Python (pycrdt), as a browser's y-websocket provider behaves:
on open it sends sync step 1; it answers step 1 with step 2; it applies step 2 and updates;
each local edit is sent as an update."""

from pycrdt import Doc, Text

from realtime.ydoc import (
    MESSAGE_AWARENESS,
    MESSAGE_SYNC,
    SYNC_STEP1,
    SYNC_STEP2,
    SYNC_UPDATE,
    awareness_message,
    read_payload,
    sync_message,
    write_var_uint,
)


class YClient:
    def __init__(self) -> None:
        self.doc = Doc()
        self.text = self.doc.get("body", type=Text)
        self.awareness_seen: list[bytes] = []

    def hello(self) -> bytes:
        return sync_message(SYNC_STEP1, self.doc.get_state())

    def handle(self, message: bytes) -> bytes | None:
        """Apply a server message; answer the reply to send, if any."""
        if message[0] == MESSAGE_SYNC:
            payload = read_payload(message, 2)
            if message[1] == SYNC_STEP1:
                return sync_message(SYNC_STEP2, self.doc.get_update(payload))
            if message[1] in (SYNC_STEP2, SYNC_UPDATE) and payload != b"\x00\x00":
                self.doc.apply_update(payload)
        elif message[0] == MESSAGE_AWARENESS:
            self.awareness_seen.append(message)
        return None

    def type(self, at: int, chars: str) -> bytes:
        """Insert ``chars`` at character ``at``; the update message to send."""
        before = self.doc.get_state()
        body = str(self.text)
        offset = len(body[:at].encode("utf-8"))
        self.text.insert(offset, chars)
        return sync_message(SYNC_UPDATE, self.doc.get_update(before))

    def append(self, chars: str) -> bytes:
        return self.type(len(str(self.text)), chars)

    def sync_all(self) -> bytes:
        """Step 2 with everything this client holds (what a reconnecting client sends)."""
        return sync_message(SYNC_STEP2, self.doc.get_update())

    def cursor(self, client_id: int, clock: int, state: str) -> bytes:
        payload = (
            write_var_uint(1)
            + write_var_uint(client_id)
            + write_var_uint(clock)
            + write_var_uint(len(state.encode()))
            + state.encode()
        )
        return awareness_message(payload)

    @property
    def body(self) -> str:
        return str(self.text)
