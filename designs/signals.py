"""Signals designs sends so that apps above it can react without designs importing them.

Receivers only call their own app's services; they hold no rules of their own.
"""

from django.dispatch import Signal

# Sent inside the saving transaction after a section got a new version.
# Arguments: section (the saved Section), previous_version (int), edited_by (User),
# live_approval_count (int: the design's, as its row reads once the save has locked it).
section_saved = Signal()
