"""Accounts has no background work yet."""
