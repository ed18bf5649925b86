"""Reading the wearable store back: the daily series of contracts §4."""

from __future__ import annotations

from datetime import date

import msgspec

from app.domain.metrics import METRICS, Metric, MetricKind
from app.errors import Invalid, NotFound
from app.ports import UnitOfWork

__all__ = ["DailySeries", "Day", "daily_series", "parse_metric"]

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
    info = METRICS[metric]
    rows = await uow.daily.series(citizen_id, metric.value, first.isoformat(), last.isoformat())
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
    return DailySeries(metric=metric.value, unit=info.unit, timezone=citizen.timezone, days=days)
