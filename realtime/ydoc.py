"""The shape of a live section as a Y document, and the y-websocket wire format.

A section's Y document holds a ``Text`` named "body" (the Markdown) and a ``Map`` named
"meta" into which the server writes ``saved_version`` (int) and ``saved_sha256`` (hex of the
UTF-8 body it saved) after each save. Text offsets in pycrdt count UTF-8 bytes.
"""

import hashlib
import json

import fast_diff_match_patch
from pycrdt import Doc, Map, Text

# An update that carries nothing (no structs, no deletions).
EMPTY_UPDATE = b"\x00\x00"

MESSAGE_SYNC = 0
MESSAGE_AWARENESS = 1
MESSAGE_QUERY_AWARENESS = 3
SYNC_STEP1 = 0
SYNC_STEP2 = 1
SYNC_UPDATE = 2


class ProtocolError(Exception):
    """A message that is not y-websocket's."""


def new_doc(state: bytes = b"", *, client_id: int | None = None) -> Doc:
    doc: Doc = Doc() if client_id is None else Doc(client_id=client_id)
    doc.get("body", type=Text)
    doc.get("meta", type=Map)
    if state:
        doc.apply_update(state)
    return doc


def body_of(doc: Doc) -> str:
    return str(doc.get("body", type=Text))


def sha256_hex(body: str) -> str:
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


def text_replace(doc: Doc, new: str) -> bool:
    """Turn the doc's body into ``new`` with the fewest Y text operations (a diff), so
    concurrent edits elsewhere in the text survive. Answers whether anything changed."""
    text = doc.get("body", type=Text)
    old = str(text)
    if old == new:
        return False
    ops = fast_diff_match_patch.diff(old, new, counts_only=False, timelimit=1.0)
    position = 0  # in UTF-8 bytes, as pycrdt counts
    with doc.transaction():
        for op, chunk in ops:
            size = len(chunk.encode("utf-8"))
            if op == "=":
                position += size
            elif op == "-":
                del text[position : position + size]
            else:
                text.insert(position, chunk)
                position += size
    return True


def meta_mark_saved(doc: Doc, *, version: int, body: str) -> None:
    meta = doc.get("meta", type=Map)
    sha = sha256_hex(body)
    if meta.get("saved_version") != version or meta.get("saved_sha256") != sha:
        with doc.transaction():
            meta["saved_version"] = version
            meta["saved_sha256"] = sha


# The wire format ------------------------------------------------------------------------


def write_var_uint(num: int) -> bytes:
    out = bytearray()
    while num > 127:
        out.append(128 | (num & 127))
        num >>= 7
    out.append(num)
    return bytes(out)


def read_var_uint(data: bytes, pos: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        if pos >= len(data) or shift > 63:
            raise ProtocolError("truncated number")
        byte = data[pos]
        pos += 1
        value |= (byte & 127) << shift
        shift += 7
        if byte < 128:
            return value, pos


def read_payload(data: bytes, pos: int) -> bytes:
    """The length-prefixed payload at ``pos``, which must end the message."""
    length, pos = read_var_uint(data, pos)
    if pos + length != len(data):
        raise ProtocolError("payload length does not match the message")
    return data[pos:]


def awareness_as(payload: bytes, user: dict[str, str]) -> bytes:
    """The awareness update ``payload`` with the "user" field of every state it announces
    set to ``user``: the name and id beside a cursor are the socket's own person, whatever
    the client claimed. States that leave (null) pass as they are. Raises ProtocolError for
    anything that is not an awareness update of JSON objects."""
    count, pos = read_var_uint(payload, 0)
    out = bytearray(write_var_uint(count))
    for _ in range(count):
        client_id, pos = read_var_uint(payload, pos)
        clock, pos = read_var_uint(payload, pos)
        length, pos = read_var_uint(payload, pos)
        raw = payload[pos : pos + length]
        pos += length
        if len(raw) != length:
            raise ProtocolError("truncated awareness state")
        try:
            state = json.loads(raw.decode("utf-8"))
        except ValueError as error:
            raise ProtocolError("an awareness state is not JSON") from error
        if state is not None:
            if not isinstance(state, dict):
                raise ProtocolError("an awareness state is not an object")
            state["user"] = user
            raw = json.dumps(state, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
        out += write_var_uint(client_id) + write_var_uint(clock)
        out += write_var_uint(len(raw)) + raw
    if pos != len(payload):
        raise ProtocolError("bytes after the awareness states")
    return bytes(out)


def sync_message(kind: int, payload: bytes) -> bytes:
    return bytes([MESSAGE_SYNC, kind]) + write_var_uint(len(payload)) + payload


def awareness_message(payload: bytes) -> bytes:
    return bytes([MESSAGE_AWARENESS]) + write_var_uint(len(payload)) + payload
