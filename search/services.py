"""Keeping each design's search row (search/migrations/0002_design_document.py) current.

Called by the receivers in search/receivers.py inside the writing transaction, so a search
never sees a design's text without its row agreeing. PostgreSQL only: on any other database
search matches the text itself and there is no row to keep.
"""

from django.db import connection

TABLE = "search_designdocument"  # made by search/migrations/0002_design_document.py

# The design's row put together from the per-piece vectors the database already keeps
# (0001): no text is parsed again. One statement, whatever changed.
_REFRESH = f"""
INSERT INTO {TABLE} (design_id, vector)
SELECT d.id,
       d.search_vector
       || coalesce((SELECT tsvector_agg(s.search_vector ORDER BY s.position, s.id)
                      FROM designs_section s WHERE s.design_id = d.id), '')
       || coalesce((SELECT tsvector_agg(c.search_vector ORDER BY c.id)
                      FROM reviews_comment c
                     WHERE c.design_id = d.id AND c.deleted_at IS NULL), '')
  FROM designs_design d
 WHERE d.id = %s
ON CONFLICT (design_id) DO UPDATE SET vector = EXCLUDED.vector
"""  # noqa: S608


def document_refresh(*, design_id: int) -> None:
    """The search row of design ``design_id`` made from its title, summary, sections and
    live comments as they are now in this transaction."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute(_REFRESH, [design_id])


def document_delete(*, design_id: int) -> None:
    """Design ``design_id``'s search row gone, with the design."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {TABLE} WHERE design_id = %s", [design_id])  # noqa: S608
