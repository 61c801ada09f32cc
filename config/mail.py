"""Email header values built from what users typed (titles, names): always one line."""

import unicodedata

# Line breaks (CR, LF, NEL, U+2028, U+2029, vertical tab, form feed...), other control
# characters and spaces of every kind: in a header each becomes one plain space.
_TO_SPACE = ("Cc", "Zl", "Zp", "Zs")


def header_text(value: str, *, max_chars: int = 250) -> str:
    """``value`` fit for an email header such as the subject: every line break, control or
    separator character becomes a space, runs of spaces collapse to one, and text longer
    than ``max_chars`` is cut with an ellipsis. The mail library refuses a header with a
    line break in it (so a crafted title could never add a header), and this keeps it
    from refusing the whole message."""
    spaced = "".join(" " if unicodedata.category(char) in _TO_SPACE else char for char in value)
    line = " ".join(part for part in spaced.split(" ") if part)
    if len(line) > max_chars:
        line = line[: max_chars - 1].rstrip() + "…"
    return line
