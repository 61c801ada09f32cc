"""Signals designs sends so that apps above it can react without designs importing them.

Receivers only call their own app's services; they hold no rules of their own.
"""

from django.dispatch import Signal

# Sent inside the saving transaction after a section got a new version.
# Arguments: section (the saved Section), previous_version (int), edited_by (User),
# live_approval_count (int: the design's, as its row reads once the save has locked it),
# live_signoff_count (int: likewise, the design's section sign-offs still counting),
# estimates_changed (frozenset of the keys of other sections whose shown estimates the save
# changed: their cards show new values), restored_from (int or None: the version a restore
# brought back; None for every other save).
section_saved = Signal()

# Sent by the section form's save, inside its transaction, when the live editor posted its
# Y document with the text. Arguments: section (Section), update (str: the editor's whole
# Y document, base64). A receiver merges it into the section's live document under the row
# lock and answers ``(body, version)``: the merged text and the version it is based on; None
# when the section has no live document. Raises ValidationError for an unreadable update.
section_live_text = Signal()

# Sent by design_create inside its transaction once the design and its sections exist.
# Arguments: design (Design), created_by (User), signoff_roles (dict: section key -> tuple of
# the role names the template's section requires; only sections that name any).
design_created = Signal()
