"""Designs have no background work yet."""
