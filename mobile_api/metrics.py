"""Prometheus metrics of this process (`GET /metrics`), with prometheus-client.

Labels carry route templates (`/v1/me/imports/{import_id:str}`), methods and status
codes, never a path with an id in it, a token or anything a citizen sent.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge

__all__ = ["REGISTRY", "import_finished"]

REGISTRY = CollectorRegistry(auto_describe=True)

IMPORT_RECORDS = Counter(
    "minlaege_import_records",
    "Records read by finished import jobs on this node",
    registry=REGISTRY,
)
IMPORT_SECONDS = Counter(
    "minlaege_import_seconds",
    "Seconds spent by finished import jobs on this node",
    registry=REGISTRY,
)
IMPORT_RATE = Gauge(
    "minlaege_import_records_per_second",
    "Records per second of the last import job this node finished",
    registry=REGISTRY,
)


def import_finished(records: int, seconds: float) -> None:
    """An import job ended done on this node."""
    IMPORT_RECORDS.inc(records)
    IMPORT_SECONDS.inc(seconds)
    if seconds > 0:
        IMPORT_RATE.set(records / seconds)
