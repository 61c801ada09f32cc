"""The ``<id:...>`` URL converter, and the same rule for ids in query strings.

Row ids are PostgreSQL bigints. An id of ASCII digits past that range (or 0) does not match
a URL, so it is a 404 before any view or query runs; Django's ``<int:>`` would hand the
view a number the database cannot compare (SQLite raises OverflowError).
"""

import re

from django.urls import register_converter

MAX_ID = 2**63 - 1
_ID = re.compile(r"[0-9]{1,19}")


def parse_id(value: str) -> int | None:
    """``value`` as a row id: ASCII digits only, 1 to MAX_ID; None for anything else."""
    if not _ID.fullmatch(value):
        return None
    number = int(value)
    return number if 1 <= number <= MAX_ID else None


class IdConverter:
    regex = "[0-9]{1,19}"

    def to_python(self, value: str) -> int:
        number = parse_id(value)
        if number is None:
            raise ValueError(f"{value} is not a row id")  # the URL does not match: 404
        return number

    def to_url(self, value: int) -> str:
        return str(value)


register_converter(IdConverter, "id")
