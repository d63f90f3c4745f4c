"""Claimline: a source-attributed timeline of conflict reporting."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("claimline")
except PackageNotFoundError:  # a source tree that was never installed
    __version__ = "0+unknown"
