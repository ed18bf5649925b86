"""Reading the wearable store back: the daily series of contracts §4."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

import msgspec

from app.domain.metrics import METRICS, Metric, MetricKind
from app.domain.sources import ranked
from app.errors import Invalid, NotFound
from app.ports import Clock, DailyRow, UnitOfWork
from app.services.inbox import refresh_measurements
from app.services.ingest import reroll

__all__ = [
    "DailySeries",
    "Day",
    "SourceOrder",
    "SourceView",
    "daily_series",
    "list_sources",
    "parse_metric",
    "reorder_sources",
    "series_of",
]

#: the longest range one request may ask for (a little over ten years)
MAX_DAYS = 3700


class Day(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    """One day: `sum` for cumulative metrics; `count`, `min`, `max`, `mean` for discrete."""

    date: str
    sum: float | None = None
    count: int | None = None
    min: float | None = None
    max: float | None = None
    mean: float | None = None


class DailySeries(msgspec.Struct, frozen=True, kw_only=True):
    metric: str
    unit: str
    timezone: str
    days: list[Day]


def parse_metric(name: str) -> Metric:
    try:
        return Metric(name)
    except ValueError as exc:
        known = ", ".join(m.value for m in Metric)
        raise Invalid(f"unknown metric {name!r}; known: {known}") from exc


async def daily_series(
    uow: UnitOfWork, *, citizen_id: str, metric: Metric, first: date, last: date
) -> DailySeries:
    """Days with data between `first` and `last` (inclusive, the citizen's local dates)."""
    if last < first:
        raise Invalid("`to` is before `from`")
    if (last - first).days > MAX_DAYS:
        raise Invalid(f"ask for at most {MAX_DAYS} days at a time")
    citizen = await uow.citizens.get(citizen_id)
    if citizen is None:
        raise NotFound("no such citizen")
    rows = await uow.daily.series(citizen_id, metric.value, first.isoformat(), last.isoformat())
    return series_of(metric, rows, citizen.timezone)


def series_of(metric: Metric, rows: Sequence[DailyRow], timezone: str) -> DailySeries:
    """Roll-up rows in the §4 shape: `sum` for cumulative metrics, stats otherwise."""
    info = METRICS[metric]
    days: list[Day]
    if info.kind is MetricKind.DISCRETE:
        days = [
            Day(
                date=r.day,
                count=r.count,
                min=r.min or 0.0,
                max=r.max or 0.0,
                mean=round(r.mean or 0.0, 3),
            )
            for r in rows
        ]
    else:
        days = [Day(date=r.day, sum=r.total or 0.0) for r in rows]
    return DailySeries(metric=metric.value, unit=info.unit, timezone=timezone, days=days)


class SourceView(msgspec.Struct, frozen=True, kw_only=True):
    """A source as the citizen sees it; `priority` 1 wins overlapping time."""

    key: str
    name: str
    kind: str
    device: str | None
    priority: int
    #: True when the citizen placed it; False when it follows the default order by kind
    chosen: bool


class SourceOrder(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """Source keys, best first. Sources left out follow, in the default order."""

    order: list[str]


async def list_sources(uow: UnitOfWork, citizen_id: str) -> list[SourceView]:
    return [
        SourceView(
            key=s.key,
            name=s.name,
            kind=s.kind,
            device=s.device,
            priority=i,
            chosen=s.priority is not None,
        )
        for i, s in enumerate(ranked(await uow.sources.for_citizen(citizen_id)), start=1)
    ]


async def reorder_sources(
    uow: UnitOfWork, citizen_id: str, order: SourceOrder, *, clock: Clock | None = None
) -> list[SourceView]:
    """Set the citizen's order and re-roll every day of every metric."""
    known = {s.key for s in await uow.sources.for_citizen(citizen_id)}
    unknown = [k for k in order.order if k not in known]
    if unknown:
        raise Invalid(f"unknown source(s): {', '.join(unknown)}")
    if len(set(order.order)) != len(order.order):
        raise Invalid("a source is listed twice")
    await uow.sources.set_priorities(citizen_id, order.order)
    local: dict[Metric, list[date]] = {}
    for metric in METRICS:
        # discrete days too: the order decides whose copy of a reading two sources
        # hold stays (ADR 0027), and the roll-up lists only the sources that count
        if days := await uow.daily.days(citizen_id, metric.value):
            local[metric] = [date.fromisoformat(d) for d in days]
    await reroll(uow, citizen_id, local=local)
    if clock is not None:
        await refresh_measurements(uow, clock, citizen_id, [m.value for m in local])
    return await list_sources(uow, citizen_id)
