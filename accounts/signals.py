"""Signals accounts sends so that apps above it can react without accounts importing them.

Receivers only call their own app's services; they hold no rules of their own.
"""

from django.dispatch import Signal

# A team's roles changed: a role added or removed, or a member given or relieved of one.
# Sent inside the writing transaction. Arguments: team (Team), role (TeamRole, as it was),
# action ("added", "removed", "assigned" or "unassigned"), member (User or None: whose
# holding changed), changed_by (User).
role_changed = Signal()

# Someone's membership of a team changed: they joined (accepted an invitation), left or were
# removed, or their role (owner or member) changed. Sent inside the writing transaction.
# Arguments: team (Team), member (User), action ("joined", "removed", "left" or
# "role_changed"), role (str: the role they hold now, or held before leaving),
# changed_by (User).
membership_changed = Signal()
