"""Health Connect sync batches: per-record outcomes, versions by lastModifiedTime, deletions.

A record is known by its `metadata.id`. A later `lastModifiedTime` replaces the version
we hold: its samples are swapped and the days of both versions re-rolled; the same or
an older version is a duplicate. A deletion removes the record's samples and re-rolls
their days, and leaves a tombstone, so a batch replayed after the deletion (or sent
out of order) brings nothing back. Samples go through `sample_rows` like every other
road; two records that produce the same sample (§4) share it, and it goes when the last
of them goes (ADR 0018).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import msgspec

from app.domain.metrics import Metric
from app.domain.plausibility import check
from app.domain.samples import Sample
from app.domain.time import to_ms
from app.ports import Clock, SampleRow, UnitOfWork
from app.ports.healthconnect import SampleKey
from app.services.inbox import refresh_measurements
from app.services.ingest import reroll, touch_days
from app.services.sample_rows import SourceNumbers, sample_row

__all__ = ["HealthConnectResult", "MappedRecord", "RecordOutcome", "RefusedRecord", "apply_records"]


class MappedRecord(msgspec.Struct, frozen=True, kw_only=True, gc=False):
    """A record an adapter read: its id, its version (UTC ms) and its samples."""

    id: str
    modified_ms: int
    samples: list[Sample]


class RefusedRecord(msgspec.Struct, frozen=True, kw_only=True):
    """A record an adapter could not read, and why."""

    id: str
    reason: str
    detail: str = ""


class RecordOutcome(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    #: the record's `metadata.id` ("" when a record did not carry a readable one)
    id: str
    outcome: Literal["stored", "duplicate", "rejected"]
    #: why a record was rejected: unknown_type, unknown_unit,
    #: implausible_value, bad_interval, future_time or malformed
    reason: str | None = None
    #: what exactly was wrong, for the app developer
    detail: str | None = None


class HealthConnectResult(msgspec.Struct, frozen=True, kw_only=True):
    #: one per record sent, in the order sent
    results: list[RecordOutcome]
    #: records stored now: new ids, and later versions of known ones
    stored: int
    #: records we hold already in this or a later version (or that were deleted)
    duplicates: int
    rejected: int
    #: ids deleted now; ids not held (never sent, or already deleted) are not listed
    deleted: list[str]


async def apply_records(
    uow: UnitOfWork,
    clock: Clock,
    *,
    citizen_id: str,
    items: Sequence[MappedRecord | RefusedRecord],
    deleted: Sequence[str],
) -> HealthConnectResult:
    """Store a batch and apply its deletions in the caller's transaction."""
    now_ms = to_ms(clock.now())
    # PostgreSQL: one batch of a citizen at a time, so two versions of a record sent in
    # two concurrent batches cannot both win (SQLite has one writer anyway).
    await uow.gateway_io.lock_citizen(citizen_id)
    checked: list[MappedRecord | RefusedRecord] = []
    # Within a batch the latest version of an id wins; the first among equals.
    best: dict[str, int] = {}
    for item in items:
        if isinstance(item, MappedRecord):
            problem = next((p for s in item.samples if (p := check(s, now_ms)) is not None), None)
            if problem is not None:
                item = RefusedRecord(id=item.id, reason=problem.value)
            else:
                at = best.get(item.id)
                if at is None or item.modified_ms > checked[at].modified_ms:  # type: ignore[union-attr]
                    best[item.id] = len(checked)
        checked.append(item)
    gone_wanted = list(dict.fromkeys(deleted))
    held = await uow.healthconnect.versions(citizen_id, list(dict.fromkeys([*best, *gone_wanted])))

    results: list[RecordOutcome] = []
    to_store: list[MappedRecord] = []
    replaced: list[str] = []
    counts = {"stored": 0, "duplicate": 0, "rejected": 0}
    for i, item in enumerate(checked):
        if isinstance(item, RefusedRecord):
            results.append(
                RecordOutcome(
                    id=item.id, outcome="rejected", reason=item.reason, detail=item.detail or None
                )
            )
            counts["rejected"] += 1
            continue
        version = held.get(item.id)
        if best[item.id] != i or (
            version is not None and (version.deleted or version.modified_ms >= item.modified_ms)
        ):
            results.append(RecordOutcome(id=item.id, outcome="duplicate"))
            counts["duplicate"] += 1
            continue
        results.append(RecordOutcome(id=item.id, outcome="stored"))
        counts["stored"] += 1
        to_store.append(item)
        if version is not None:
            replaced.append(item.id)

    stored_now = {m.id: m.modified_ms for m in to_store}
    gone: list[str] = []
    tombstones: list[tuple[str, int, bool]] = []
    for rid in gone_wanted:
        version = held.get(rid)
        if version is not None and version.deleted:
            continue
        if rid in stored_now or version is not None:
            gone.append(rid)
        modified = stored_now.get(rid, version.modified_ms if version is not None else 0)
        tombstones.append((rid, modified, True))
    gone_set = set(gone)

    # The samples the replaced and deleted versions held: let go of them first, hold the
    # new versions' samples, then delete those that no record holds any more. A sample
    # a new version produces again is never deleted and written back.
    old = await uow.healthconnect.take_samples(
        citizen_id, replaced + [g for g in gone if g in held]
    )
    numbers = await SourceNumbers.load(uow, clock, citizen_id)
    touched: dict[Metric, set[int]] = {}
    rows: list[SampleRow] = []
    links: list[tuple[str, SampleKey]] = []
    versions: list[tuple[str, int, bool]] = []
    for m in to_store:
        if m.id in gone_set:
            continue
        versions.append((m.id, m.modified_ms, False))
        for s in m.samples:
            number = numbers.get(s.source.key) or await numbers.of(s.source)
            row = sample_row(citizen_id, number, s)
            rows.append(row)
            links.append((m.id, (row[1], row[2], row[3], row[4], row[5], row[6])))
            touch_days(touched, s.metric, s.start_ms, s.end_ms)
    await uow.samples.insert(rows)
    await uow.healthconnect.hold_samples(citizen_id, links)
    await uow.healthconnect.drop_unheld(citizen_id, old)
    for metric, start_ms, _, end_ms, _, _ in old:
        touch_days(touched, Metric(metric), start_ms, end_ms)
    await uow.healthconnect.put_versions(citizen_id, versions + tombstones, held=held.keys())
    if touched:
        await reroll(uow, citizen_id, touched)
        await refresh_measurements(uow, clock, citizen_id, [m.value for m in touched])
    return HealthConnectResult(
        results=results,
        stored=counts["stored"],
        duplicates=counts["duplicate"],
        rejected=counts["rejected"],
        deleted=gone,
    )
