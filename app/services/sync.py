"""HealthKit sync batches: per-sample outcomes, idempotent by UUID, deletions re-rolled.

A sample whose UUID is known, or that is the same sample (§4) as one already stored from
an export, is a duplicate; in the second case the stored sample takes the UUID, so a
later deletion from HealthKit reaches it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import msgspec

from app.domain.metrics import Metric
from app.domain.plausibility import check
from app.domain.samples import Rejected, Sample
from app.domain.time import to_ms
from app.ports import Clock, UnitOfWork
from app.services.inbox import refresh_measurements
from app.services.ingest import reroll, touch_days
from app.services.sample_rows import SourceNumbers, sample_row

__all__ = ["Outcome", "SyncResult", "apply_sync"]


class Outcome(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    uuid: str
    outcome: Literal["stored", "duplicate", "rejected"]
    reason: str | None = None


class SyncResult(msgspec.Struct, frozen=True, kw_only=True):
    results: list[Outcome]
    stored: int
    duplicates: int
    rejected: int
    #: UUIDs deleted now; unknown ones (never stored, or already gone) are not listed
    deleted: list[str]


async def apply_sync(
    uow: UnitOfWork,
    clock: Clock,
    *,
    citizen_id: str,
    items: Sequence[tuple[str, Sample | Rejected]],
    deleted: Sequence[str],
) -> SyncResult:
    """Store a batch and apply its deletions in the caller's transaction."""
    now_ms = to_ms(clock.now())
    # one batch of a citizen at a time on PostgreSQL, and never past a closure (ADR 0023)
    await uow.gateway_io.lock_citizen(citizen_id)
    numbers = await SourceNumbers.load(uow, clock, citizen_id)
    touched: dict[Metric, set[int]] = {}
    results: list[Outcome] = []
    counts = {"stored": 0, "duplicate": 0, "rejected": 0}
    for uuid, item in items:
        problem = item.reason if isinstance(item, Rejected) else check(item, now_ms)
        if problem is not None:
            results.append(Outcome(uuid=uuid, outcome="rejected", reason=problem.value))
            counts["rejected"] += 1
            continue
        assert isinstance(item, Sample)
        row = sample_row(citizen_id, await numbers.of(item.source), item)
        if await uow.samples.insert([row]):
            results.append(Outcome(uuid=uuid, outcome="stored"))
            counts["stored"] += 1
            touch_days(touched, item.metric, item.start_ms, item.end_ms)
        else:
            await uow.samples.claim_external(row)
            results.append(Outcome(uuid=uuid, outcome="duplicate"))
            counts["duplicate"] += 1
    gone_ids: list[str] = []
    for ext in dict.fromkeys(d.upper() for d in deleted):
        gone = await uow.samples.delete_external(citizen_id, ext)
        if gone is not None:
            metric, start, end = gone
            gone_ids.append(ext)
            touch_days(touched, Metric(metric), start, end)
    if touched:
        await reroll(uow, citizen_id, touched)
        await refresh_measurements(uow, clock, citizen_id, [m.value for m in touched])
    return SyncResult(
        results=results,
        stored=counts["stored"],
        duplicates=counts["duplicate"],
        rejected=counts["rejected"],
        deleted=gone_ids,
    )
