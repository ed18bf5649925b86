"""Deleting what a citizen brought: one source, or every measurement of a period (§10).

Both delete in the caller's transaction, then re-roll the touched local days and bring
the clinic's inbox up to date the way every ingest does (`reroll`,
`refresh_measurements`, ADR 0013), so no series, summary or inbox item shows a deleted
value afterwards. The dedupe keys go with the samples (external ids, the Health Connect
version rows of the records, the gateway log rows), so the same data sent again is
stored again (ADR 0023).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import msgspec

from app.domain.identity import Principal
from app.domain.metrics import METRICS, Metric, MetricKind
from app.domain.plausibility import MAX_DURATION_MS
from app.domain.time import check_years, local_day_bounds, to_ms
from app.errors import Invalid, NotFound
from app.ports import Clock, UnitOfWork
from app.ports.erasure import SampleSpan
from app.services.audit import event_for, record
from app.services.inbox import refresh_measurements
from app.services.ingest import reroll
from app.services.wearables import MAX_DAYS

__all__ = ["DeletionResult", "delete_period", "delete_source", "local_days_of"]


class DeletionResult(msgspec.Struct, frozen=True, kw_only=True):
    """What a deletion did: samples deleted, and local days whose roll-ups were redone."""

    deleted_samples: int
    #: distinct local dates (in the citizen's zone) re-rolled, whatever the metric
    days_rerolled: int


def _local_date(ms: int, zone: ZoneInfo) -> date:
    return datetime.fromtimestamp(ms / 1000, tz=UTC).astimezone(zone).date()


def local_days_of(spans: Sequence[SampleSpan], zone_name: str) -> dict[Metric, list[date]]:
    """The local days each metric's deleted samples counted on: a discrete sample on the
    day of its start, a cumulative one on every day its interval touches."""
    zone = ZoneInfo(zone_name)
    out: dict[Metric, set[date]] = {}
    for metric_name, first, last in spans:
        metric = Metric(metric_name)
        days = out.setdefault(metric, set())
        start = _local_date(first, zone)
        days.add(start)
        if METRICS[metric].kind is not MetricKind.DISCRETE:
            end = _local_date(last, zone)
            while start < end:
                start = date.fromordinal(start.toordinal() + 1)
                days.add(start)
    return {m: sorted(d) for m, d in out.items()}


async def _zone(uow: UnitOfWork, citizen_id: str) -> str:
    citizen = await uow.citizens.get(citizen_id)
    if citizen is None:
        raise NotFound("no such citizen")
    return citizen.timezone


async def _settle(
    uow: UnitOfWork, clock: Clock, citizen_id: str, zone: str, deleted: int, spans: list[SampleSpan]
) -> DeletionResult:
    """Re-roll the touched days, refresh the inbox, withdraw downloads made before; the
    answer."""
    if deleted:
        # a zip made before holds what was just deleted: it goes (the worker empties the
        # blob trash), and an export under way starts again
        now = clock.now()
        await uow.erasure.trash_blobs(citizen_id, await uow.exports.withdraw(citizen_id, now), now)
    local = local_days_of(spans, zone)
    if local:
        await reroll(uow, citizen_id, local=local)
        await refresh_measurements(uow, clock, citizen_id, [m.value for m in local], zone=zone)
    days = {d for ds in local.values() for d in ds}
    return DeletionResult(deleted_samples=deleted, days_rerolled=len(days))


async def delete_source(
    uow: UnitOfWork, clock: Clock, principal: Principal, key: str
) -> DeletionResult:
    """Delete a source with its samples and raw records; 404 when there is none (a
    second DELETE of the same source answers 404: it is gone, nothing changes)."""
    citizen_id = principal.id
    number = await uow.erasure.source_no(citizen_id, key)
    if number is None:
        raise NotFound("no such source")
    zone = await _zone(uow, citizen_id)
    await uow.gateway_io.lock_citizen(citizen_id)
    deleted, spans = await uow.erasure.delete_source(citizen_id, number, key)
    result = await _settle(uow, clock, citizen_id, zone, deleted, spans)
    await record(
        uow,
        clock,
        event_for(
            principal,
            citizen_id=citizen_id,
            action="source.delete",
            resource=f"sources/{number}",
            detail={"samples": str(deleted), "days": str(result.days_rerolled)},
        ),
    )
    return result


async def delete_period(
    uow: UnitOfWork, clock: Clock, principal: Principal, first: date, last: date
) -> DeletionResult:
    """Delete every measurement with any part between two local dates (inclusive), and
    the gateway readings received then. Repeating it deletes nothing more (200, zeros)."""
    if last < first:
        raise Invalid("`to` is before `from`")
    check_years(first, last)
    if (last - first).days > MAX_DAYS:
        raise Invalid(f"delete at most {MAX_DAYS} days at a time")
    citizen_id = principal.id
    zone = await _zone(uow, citizen_id)
    lo, _ = local_day_bounds(first, zone)
    _, hi = local_day_bounds(last, zone)
    await uow.gateway_io.lock_citizen(citizen_id)
    deleted, spans = await uow.erasure.delete_between(
        citizen_id, [m.value for m in METRICS], to_ms(lo), to_ms(hi), MAX_DURATION_MS
    )
    result = await _settle(uow, clock, citizen_id, zone, deleted, spans)
    await record(
        uow,
        clock,
        event_for(
            principal,
            citizen_id=citizen_id,
            action="wearables.delete",
            resource=f"wearables/{first.isoformat()}..{last.isoformat()}",
            detail={"samples": str(deleted), "days": str(result.days_rerolled)},
        ),
    )
    return result
