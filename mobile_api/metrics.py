"""Prometheus metrics of this process (`GET /metrics`), with prometheus-client.

Each node serves its own; Prometheus scrapes every node and sums. Labels are route
templates (`/v1/me/imports/{import_id}`), methods, status codes and outcome names,
never a concrete path (ids), a token, a CPR number or a measured value. Figures read
from the database (job queue, outbox) are refreshed at each scrape, and by
`minlaege worker` at each pass for its own endpoint (`--metrics-port`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)

from app.ports import Store
from app.services.push import RelayReport

__all__ = [
    "CONTENT_TYPE",
    "REGISTRY",
    "exposition",
    "import_finished",
    "observe_request",
    "refresh_from_store",
    "worker_pass",
]

REGISTRY = CollectorRegistry(auto_describe=True)
CONTENT_TYPE = CONTENT_TYPE_LATEST

REQUESTS = Counter(
    "minlaege_http_requests",
    "HTTP requests answered, by route template, method and status",
    ["route", "method", "status"],
    registry=REGISTRY,
)
LATENCY = Histogram(
    "minlaege_http_request_seconds",
    "Time from the request's arrival to the end of its response, by route and method",
    ["route", "method"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
    registry=REGISTRY,
)
IMPORT_RECORDS = Counter(
    "minlaege_import_records",
    "Records read by import jobs this process finished",
    registry=REGISTRY,
)
IMPORT_SECONDS = Counter(
    "minlaege_import_seconds",
    "Seconds spent by import jobs this process finished (records / seconds = records/s)",
    registry=REGISTRY,
)
IMPORT_RATE = Gauge(
    "minlaege_import_records_per_second",
    "Records per second of the last import job this process finished",
    registry=REGISTRY,
)
QUEUE_DEPTH = Gauge(
    "minlaege_import_jobs_waiting",
    "Import jobs queued or running (all nodes: read from the database)",
    registry=REGISTRY,
)
QUEUE_AGE = Gauge(
    "minlaege_import_jobs_oldest_age_seconds",
    "Age of the oldest import job not yet ended (0 when none)",
    registry=REGISTRY,
)
EXPORTS_WAITING = Gauge(
    "minlaege_export_jobs_waiting",
    "Downloads of citizens' data queued or running (all nodes: read from the database)",
    registry=REGISTRY,
)
OUTBOX_DUE = Gauge(
    "minlaege_outbox_due",
    "Notices due for the push relay and not yet delivered",
    registry=REGISTRY,
)
OUTBOX_LAG = Gauge(
    "minlaege_outbox_lag_seconds",
    "How long the longest-waiting due notice has waited for the push relay",
    registry=REGISTRY,
)
PUSHES = Counter(
    "minlaege_push_rows",
    "Outbox rows the push relay of this process settled, by outcome",
    ["outcome"],
    registry=REGISTRY,
)
REMINDERS = Counter(
    "minlaege_reminders_sent",
    "Appointment reminders written by the worker of this process",
    registry=REGISTRY,
)
POOL_SIZE = Gauge(
    "minlaege_db_pool_connections",
    "Database connections open in this process's pool (PostgreSQL)",
    registry=REGISTRY,
)
POOL_IN_USE = Gauge(
    "minlaege_db_pool_connections_in_use",
    "Database connections of this process's pool lent out right now (PostgreSQL)",
    registry=REGISTRY,
)
POOL_MAX = Gauge(
    "minlaege_db_pool_connections_max",
    "The pool's upper bound (PostgreSQL)",
    registry=REGISTRY,
)


_children: dict[tuple[str, str, int], tuple[Any, Any]] = {}


def observe_request(route: str, method: str, status: int, seconds: float) -> None:
    """Count and time one request (the labelled children are looked up once per label set)."""
    key = (route, method, status)
    pair = _children.get(key)
    if pair is None:
        pair = _children[key] = (
            REQUESTS.labels(route, method, str(status)),
            LATENCY.labels(route, method),
        )
    pair[0].inc()
    pair[1].observe(seconds)


def import_finished(records: int, seconds: float) -> None:
    """An import job ended done in this process."""
    IMPORT_RECORDS.inc(records)
    IMPORT_SECONDS.inc(seconds)
    if seconds > 0:
        IMPORT_RATE.set(records / seconds)


def worker_pass(reminders: int, push: RelayReport) -> None:
    """What one pass of the worker did."""
    REMINDERS.inc(reminders)
    for outcome in ("sent", "no_device", "expired", "gave_up", "retrying"):
        if n := getattr(push, outcome):
            PUSHES.labels(outcome.replace("_", "-")).inc(n)


async def refresh_from_store(store: Store, now: Callable[[], Any]) -> None:
    """The figures that live in the database, and the pool's use."""
    at = now()
    async with store.read() as uow:
        waiting, oldest = await uow.imports.waiting()
        exports_waiting = await uow.exports.waiting()
        due, earliest = await uow.outbox.due(at)
    QUEUE_DEPTH.set(waiting)
    EXPORTS_WAITING.set(exports_waiting)
    QUEUE_AGE.set(0 if oldest is None else max(0.0, (at - oldest).total_seconds()))
    OUTBOX_DUE.set(due)
    OUTBOX_LAG.set(0 if earliest is None else max(0.0, (at - earliest).total_seconds()))
    pool = getattr(store, "_pool", None)  # asyncpg's Pool (PostgresStore); SQLite has none
    if pool is not None and hasattr(pool, "get_size"):
        size, idle = pool.get_size(), pool.get_idle_size()
        POOL_SIZE.set(size)
        POOL_IN_USE.set(size - idle)
        POOL_MAX.set(pool.get_max_size())


def exposition() -> bytes:
    return generate_latest(REGISTRY)
