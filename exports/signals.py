"""Signals exports sends so that apps above it (realtime) can react without exports
importing them. A receiver that acts outside the database waits for the commit itself.
"""

from django.dispatch import Signal

# An export job was asked for or moved on (claimed, progressed, finished, failed, put back
# in the queue). Arguments: design_ids (list of int).
exports_changed = Signal()

# Someone asked for a new export (not sent when an existing job answers the request). Sent
# inside the writing transaction. Arguments: job (ExportJob, its design loaded).
export_requested = Signal()
