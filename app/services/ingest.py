"""Ingest: typed samples in, plausible new samples stored, the touched days re-rolled.

parse (an adapter's iterator, run in a worker thread) → plausibility → source numbers →
bulk insert that skips the same sample (§4) → roll-ups for every (metric, local day) an
import touched. Everything happens in one transaction: a file that turns out broken
halfway stores nothing, and re-importing a file stores nothing new.
"""

from __future__ import annotations

import asyncio
import queue
import threading
import time
from bisect import bisect_left
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import msgspec

from app.domain.metrics import METRICS, Metric, MetricKind, SleepStage
from app.domain.plausibility import MAX_DURATION_MS, check
from app.domain.rollup import CumulativeRecord, cumulative_total
from app.domain.samples import Rejected, RejectReason, Sample
from app.domain.sources import ranked
from app.domain.time import local_day_bounds, to_ms
from app.ports import Clock, DailyRow, SampleRow, Store, UnitOfWork
from app.services.inbox import refresh_measurements
from app.services.sample_rows import SourceNumbers, sample_row
from app.services.zones import zone_of

__all__ = [
    "BATCH",
    "DAY_MS",
    "ImportReport",
    "ItemSource",
    "ingest",
    "reroll",
    "rezone",
    "source_ranks",
    "touch_days",
]

#: items per batch handed from the parser thread. At most `_QUEUED` batches wait, so the
#: items alive at once (a batch being filled, the queue, the batch being stored) stay
#: under ~6 batches, about 1 MB each, whatever the file holds; a larger batch only saves
#: a round trip per batch (docs/benchmarks.md, Apple Health).
BATCH = 5_000
_QUEUED = 3
#: a UTC day in milliseconds: `reroll` takes the days touched as `ms // DAY_MS`
DAY_MS = 86_400_000


async def source_ranks(uow: UnitOfWork, citizen_id: str) -> dict[int, int]:
    """Source number → rank (0 best) in the §4 order: who wins overlapping time, and
    whose copy of one reading counts (ADR 0027)."""
    return {s.source_no: i for i, s in enumerate(ranked(await uow.sources.for_citizen(citizen_id)))}


def touch_days(touched: dict[Metric, set[int]], metric: Metric, start_ms: int, end_ms: int) -> None:
    """Note every UTC day a sample spans, from its first to its last (a record over
    three days touches the middle one too), for `reroll`."""
    touched.setdefault(metric, set()).update(range(start_ms // DAY_MS, end_ms // DAY_MS + 1))


#: how many local days one roll-up read covers at most
_REROLL_DAYS = 14
#: samples a cumulative roll-up read should bring into Python at most: the days of a read
#: are chosen from the density of the last one, so a denser export reads fewer days at a
#: time instead of more samples (never less than one day and its look-back)
_REROLL_SAMPLES = 20_000
#: sleep stages that count as time asleep in the daily total
_ASLEEP = frozenset({SleepStage.ASLEEP, SleepStage.CORE, SleepStage.DEEP, SleepStage.REM})

ItemSource = Callable[[], Iterator[Sample | Rejected]]


class ImportReport(msgspec.Struct, kw_only=True):
    """The import report of contracts §3."""

    import_id: str
    format: str
    status: str = "done"
    records_read: int = 0
    samples_stored: int = 0
    duplicates: int = 0
    rejected: int = 0
    rejected_reasons: dict[str, int] = msgspec.field(
        default_factory=lambda: {r.value: 0 for r in RejectReason}
    )
    seconds: float = 0.0


_DONE = object()


async def _batches(items: ItemSource, size: int) -> AsyncIterator[list[Sample | Rejected]]:
    """Run the (CPU-bound, blocking) adapter in a thread; hand over bounded batches.

    At most a few batches wait in the queue, so memory stays flat however large the file.
    An exception in the adapter is re-raised here, in the caller's task.
    """
    handoff: queue.Queue[object] = queue.Queue(maxsize=_QUEUED)
    stop = threading.Event()

    def produce() -> None:
        try:
            batch: list[Sample | Rejected] = []
            for item in items():
                batch.append(item)
                if len(batch) >= size:
                    handoff.put(batch)
                    batch = []
                    if stop.is_set():
                        return
            handoff.put(batch)
            handoff.put(_DONE)
        except BaseException as exc:  # handed to the consumer, which re-raises it
            handoff.put(exc)

    thread = threading.Thread(target=produce, name="ingest-parse", daemon=True)
    thread.start()
    loop = asyncio.get_running_loop()
    try:
        while True:
            got = await loop.run_in_executor(None, handoff.get)
            if got is _DONE:
                return
            if isinstance(got, BaseException):
                raise got
            assert isinstance(got, list)
            yield got
    finally:
        stop.set()
        while thread.is_alive():  # drain so a blocked producer can finish
            try:
                handoff.get_nowait()
            except queue.Empty:
                await asyncio.sleep(0.01)
        thread.join()


async def ingest(
    store: Store,
    clock: Clock,
    *,
    citizen_id: str,
    items: ItemSource,
    import_id: str,
    fmt: str,
    before_commit: Callable[[UnitOfWork, ImportReport], Awaitable[None]] | None = None,
) -> ImportReport:
    """Import everything `items` yields for one citizen, atomically; the §3 report.

    `before_commit` runs last inside the import's transaction with the finished report
    (an import job records itself done there, or raises to store nothing).
    """
    began = time.perf_counter()
    report = ImportReport(import_id=import_id, format=fmt)
    reasons: Counter[str] = Counter()
    now_ms = to_ms(clock.now())
    touched: dict[Metric, set[int]] = {}
    async with store.transaction() as uow:
        numbers = await SourceNumbers.load(uow, clock, citizen_id)
        # the (metric, UTC day) of the last sample noted in `touched`: exports come in
        # runs of one type in time order, so most samples need no set operation at all
        noted: tuple[Metric, int] | None = None
        async for batch in _batches(items, BATCH):
            report.records_read += len(batch)
            rows: list[SampleRow] = []
            for item in batch:
                if isinstance(item, Rejected):
                    reasons[item.reason.value] += 1
                    continue
                problem = check(item, now_ms)
                if problem is not None:
                    reasons[problem.value] += 1
                    continue
                number = numbers.get(item.source.key) or await numbers.of(item.source)
                rows.append(sample_row(citizen_id, number, item))
                first, last = item.start_ms // DAY_MS, item.end_ms // DAY_MS
                if last != first:  # every day in between too (a record may span three)
                    touched.setdefault(item.metric, set()).update(range(first, last + 1))
                elif noted is None or noted[1] != first or noted[0] is not item.metric:
                    touched.setdefault(item.metric, set()).add(first)
                    noted = (item.metric, first)
            batch.clear()  # the Samples go now, not when the next batch replaces this one
            stored = await uow.samples.insert(rows)
            report.samples_stored += stored
            report.duplicates += len(rows) - stored
        if report.samples_stored:
            await reroll(uow, citizen_id, touched)
            await refresh_measurements(uow, clock, citizen_id, [m.value for m in touched])
        report.rejected = sum(reasons.values())
        report.rejected_reasons.update(reasons)
        report.seconds = round(time.perf_counter() - began, 3)
        if before_commit is not None:
            await before_commit(uow, report)
    return report


def _local_days(utc_days: set[int], zone: ZoneInfo) -> list[date]:
    """Every local calendar day an instant in these UTC days can fall on."""
    out: set[date] = set()
    for d in utc_days:
        base = datetime.fromtimestamp(d * 86_400, tz=UTC)
        for edge in (base, base + timedelta(hours=23, minutes=59, seconds=59)):
            out.add(edge.astimezone(zone).date())
    return sorted(out)


async def reroll(
    uow: UnitOfWork,
    citizen_id: str,
    touched: dict[Metric, set[int]] | None = None,
    *,
    local: dict[Metric, list[date]] | None = None,
) -> None:
    """Recompute roll-ups: `touched` gives UTC day numbers per metric, `local` local dates."""
    tz = await zone_of(uow, citizen_id)
    zone = ZoneInfo(tz)
    ranks = await source_ranks(uow, citizen_id)
    work: dict[Metric, list[date]] = dict(local or {})
    for metric, utc_days in (touched or {}).items():
        work[metric] = sorted(set(work.get(metric, [])) | set(_local_days(utc_days, zone)))
    for metric, days in work.items():
        if not days:
            continue
        bounds: list[tuple[date, int, int]] = []
        for d in days:
            start, end = local_day_bounds(d, tz)
            bounds.append((d, to_ms(start), to_ms(end)))
        kind = METRICS[metric].kind
        lookback = MAX_DURATION_MS if kind is not MetricKind.DISCRETE else 0
        rows: list[DailyRow] = []
        # A few weeks at a time: memory stays flat however many years an export spans.
        # Discrete days are aggregated by the database and take the longest runs; a
        # cumulative read brings its samples into Python, so it starts with one day and
        # then takes as many as fit in _REROLL_SAMPLES at the density it met.
        span = _REROLL_DAYS if kind is MetricKind.DISCRETE else 1
        at = 0
        while at < len(bounds):
            chunk = _run(bounds, at, span)
            at += len(chunk)
            got, read = await _roll_chunk(uow, citizen_id, metric, kind, ranks, chunk, lookback)
            rows.extend(got)
            if kind is not MetricKind.DISCRETE:
                per_day = read / (len(chunk) + lookback // DAY_MS)
                span = max(1, min(_REROLL_DAYS, int(_REROLL_SAMPLES / max(per_day, 1.0))))
        await uow.daily.replace(citizen_id, metric.value, [d.isoformat() for d in days], rows)


async def rezone(uow: UnitOfWork, citizen_id: str, old_zone: str) -> None:
    """Rebuild every roll-up after the citizen's time zone changed (days are local).

    The old days are dropped and the UTC days they covered are re-rolled in the
    citizen's current zone; samples are untouched.
    """
    for metric in METRICS:
        days = await uow.daily.days(citizen_id, metric.value)
        if not days:
            continue
        utc_days: set[int] = set()
        for d in days:
            start, end = local_day_bounds(date.fromisoformat(d), old_zone)
            utc_days.update(range(to_ms(start) // DAY_MS, (to_ms(end) - 1) // DAY_MS + 1))
        await uow.daily.replace(citizen_id, metric.value, days, [])
        await reroll(uow, citizen_id, {metric: utc_days})


def _run(bounds: list[tuple[date, int, int]], at: int, most: int) -> list[tuple[date, int, int]]:
    """The run of consecutive days that starts at `at` in sorted days, at most `most` long."""
    end = at + 1
    while end < len(bounds) and end - at < most and (bounds[end][0] - bounds[end - 1][0]).days == 1:
        end += 1
    return bounds[at:end]


async def _roll_chunk(
    uow: UnitOfWork,
    citizen_id: str,
    metric: Metric,
    kind: MetricKind,
    ranks: dict[int, int],
    chunk: list[tuple[date, int, int]],
    lookback: int,
) -> tuple[list[DailyRow], int]:
    """The roll-up rows of a run of consecutive days, from one range read, and how many
    samples the read brought into Python."""
    if kind is MetricKind.DISCRETE:
        # count/min/max/mean: the database aggregates, no sample crosses into Python
        out: list[DailyRow] = []
        got = await uow.samples.stats_by_day(
            citizen_id, metric.value, [(d.isoformat(), lo, hi) for d, lo, hi in chunk], ranks
        )
        for day, _, _ in chunk:
            if (found := got.get(day.isoformat())) is not None:
                n, low, high, mean, sources = found
                out.append(
                    DailyRow(
                        day=day.isoformat(), count=n, min=low, max=high, mean=mean, sources=sources
                    )
                )
        return out, 0
    samples = await uow.samples.between(
        citizen_id, metric.value, chunk[0][1] - lookback, chunk[-1][2]
    )
    starts = [s[0] for s in samples]
    rows: list[DailyRow] = []
    for day, lo, hi in chunk:
        first = bisect_left(starts, lo - lookback)
        last = bisect_left(starts, hi)
        window = samples[first:last]
        kept = [
            (s, e, v, n)
            for s, e, v, n, stage in window
            if (e > lo or s == e) and (metric is not Metric.SLEEP or stage in _ASLEEP)
        ]
        records = [CumulativeRecord(s, e, v, ranks.get(n, len(ranks))) for s, e, v, n in kept]
        if records:
            used = sorted({n for _, _, _, n in kept})
            rows.append(
                DailyRow(
                    day=day.isoformat(),
                    total=round(cumulative_total(records, lo, hi), 3),
                    count=len(records),
                    sources=",".join(map(str, used)),
                )
            )
    return rows, len(samples)
