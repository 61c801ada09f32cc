"""Exports: export jobs."""
