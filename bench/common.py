"""Shared helpers: timing, percentiles, peak memory, and one printed line per figure."""

from __future__ import annotations

import platform
import resource
import statistics
import sys

__all__ = ["machine", "peak_rss_mb", "percentile", "report"]


def peak_rss_mb() -> float:
    """Peak resident memory of this process so far, in MB."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def machine() -> str:
    import os

    return f"{platform.machine()} {os.cpu_count()} cores, Python {sys.version.split()[0]}"


def report(name: str, **figures: float | str) -> None:
    parts = ", ".join(
        f"{k}={v:.1f}" if isinstance(v, float) else f"{k}={v}" for k, v in figures.items()
    )
    print(f"{name}: {parts}", flush=True)


_ = statistics  # kept for benches that want means
