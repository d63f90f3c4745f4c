"""Claimline: a source-attributed timeline of conflict reporting."""
