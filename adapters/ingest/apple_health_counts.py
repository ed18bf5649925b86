"""What a generated Apple Health export holds, counted as it was written."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["GeneratedExport"]


@dataclass
class GeneratedExport:
    """What a generated file holds, counted while writing it."""

    path: Path
    #: `Record` elements written, correlation children included
    records: int = 0
    #: Record elements per type identifier (correlation children included)
    by_type: Counter[str] = field(default_factory=Counter)
    #: records inside correlations (each also written at top level)
    correlation_children: int = 0
    correlations: int = 0
    workouts: int = 0
    #: records of types the reader does not map
    ignored: int = 0
