"""Seed loader: read the curated files, validate everything, then write in one transaction."""

from app.loader.errors import SeedError, SeedProblem
from app.loader.lock import LoadBusyError
from app.loader.validate import Dataset, validate_seeds
from app.loader.write import LoadSummary, load_dataset

__all__ = [
    "Dataset",
    "LoadBusyError",
    "LoadSummary",
    "SeedError",
    "SeedProblem",
    "load_dataset",
    "validate_seeds",
]
