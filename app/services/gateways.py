"""Gateway readings (pairing and credentials are in `gateway_pairing`).

Readings: the endpoint decodes a batch, `prepare_readings` sorts out what needs no
store (rejections, times, plausibility), and `store_many` logs, stores and rolls up
the rest in one write transaction, which a `ReadingWriter` shares among the batches
that queue for it.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

import msgspec

from app.domain.identity import Principal
from app.domain.metrics import METRICS, Metric, MetricKind
from app.domain.plausibility import check
from app.domain.readings import Decoded, DeviceInfo, GatewayReading, reading_time
from app.domain.samples import Sample, Source, SourceKind
from app.domain.time import DEFAULT_TIMEZONE, local_day_bounds
from app.errors import Unauthenticated
from app.ports import (
    Clock,
    DailyRow,
    GatewayIORepository,
    ReadingLogKey,
    ReadingLogRow,
    SampleRow,
    Store,
    UnitOfWork,
)
from app.services.inbox import refresh_measurements
from app.services.ingest import reroll, source_ranks
from app.services.sample_rows import SourceNumbers, sample_row

__all__ = [
    "YIELD_EVERY",
    "PreparedBatch",
    "ReadingOutcome",
    "ReadingWriter",
    "citizen_zone",
    "prepare_readings",
    "store_many",
    "store_prepared",
    "store_readings",
]

_DAY_MS = 86_400_000


class ReadingOutcome(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True, gc=False):
    id: str
    outcome: Literal["accepted", "duplicate", "rejected"]
    reason: str | None = None
    samples: int = 0
    #: the UTC time the samples were stored at
    time: datetime | None = None


#: a plausible reading waiting for the log's verdict: (its place in the answer, its log
#: key, UTC time, the same in ms, samples, source, why samples are withheld); a plain
#: tuple, as a thousand are made per batch
_Candidate = tuple[
    int,
    ReadingLogKey,
    datetime,
    int,
    list[Sample],
    Source,
    str | None,
]

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _ms(at: datetime) -> int:
    """`to_ms` for a datetime known to be aware: the same floor division, done on the
    timedelta's fields instead of building an epoch and a unit timedelta per call
    (0.4 µs against 3.6 µs; a batch converts two thousand times)."""
    d = at - _EPOCH
    return d.days * _DAY_MS + d.seconds * 1000 + d.microseconds // 1000


class _LocalDays:
    """The citizen's local calendar day of an instant, as the daily roll-up buckets it.

    The day's bounds come from `local_day_bounds` (what `reroll` uses), are computed
    once per day seen and then matched by two integer comparisons: a batch spans a
    handful of days at most, so most lookups hit the first span.
    """

    def __init__(self, zone: str) -> None:
        self._zone = zone
        self._tz = ZoneInfo(zone)
        self._spans: list[tuple[str, int, int]] = []

    def of(self, ms: int) -> tuple[str, int, int]:
        """(ISO date, start ms, end ms) of the local day holding the instant `ms`."""
        for span in self._spans:
            if span[1] <= ms < span[2]:
                return span
        day = datetime.fromtimestamp(ms // 1000, self._tz).date()
        while True:
            start, end = local_day_bounds(day, self._zone)
            lo, hi = _ms(start), _ms(end)
            if ms < lo:
                day -= timedelta(days=1)
            elif ms >= hi:
                day += timedelta(days=1)
            else:
                break
        span = (day.isoformat(), lo, hi)
        self._spans.insert(0, span)
        return span


class _DayStats:
    """count, min, max, sum and source numbers of one metric's samples on one day."""

    __slots__ = ("count", "high", "low", "sources", "total")

    def __init__(self, count: int, low: float, high: float, total: float, sources: set[int]):
        self.count = count
        self.low = low
        self.high = high
        self.total = total
        self.sources = sources

    def add(self, value: float, source_no: int) -> None:
        self.count += 1
        if value < self.low:
            self.low = value
        if value > self.high:
            self.high = value
        self.total += value
        self.sources.add(source_no)

    def row(self, day: str) -> DailyRow:
        """The roll-up row; discrete rows from here carry their sum in `total`."""
        return DailyRow(
            day=day,
            total=self.total,
            count=self.count,
            min=self.low,
            max=self.high,
            mean=self.total / self.count,
            sources=",".join(map(str, sorted(self.sources))),
        )


def _extendable(row: DailyRow) -> bool:
    """Whether a stored discrete roll-up carries the exact sum a batch can be added to.

    Rows written by `reroll` (imports, sync) have no sum; their day is aggregated once
    from the samples, and later batches extend it. The mean check refuses a `total`
    that means something else.
    """
    if row.total is None or row.mean is None or row.min is None or row.max is None:
        return False
    if row.count <= 0:
        return False
    return math.isclose(row.total / row.count, row.mean, rel_tol=1e-9, abs_tol=1e-9)


class PreparedBatch:
    """A batch checked against everything but the store (see `prepare_readings`)."""

    __slots__ = ("candidates", "citizen_id", "gateway_id", "log_rows", "out", "zone")

    def __init__(self, citizen_id: str, gateway_id: str, zone: str) -> None:
        self.citizen_id = citizen_id
        self.gateway_id = gateway_id
        self.zone = zone
        #: the answer, in request order; None where the log is still to decide
        self.out: list[ReadingOutcome | None] = []
        self.candidates: list[_Candidate] = []
        self.log_rows: list[ReadingLogRow] = []


def _citizen_of(gateway: Principal) -> str:
    if gateway.citizen_id is None:
        raise Unauthenticated("not a gateway", kind="invalid-token")
    return gateway.citizen_id


async def citizen_zone(uow: UnitOfWork, gateway: Principal) -> str:
    """The time zone of the gateway's citizen: device clocks and days are local to it."""
    citizen = await uow.citizens.get(_citizen_of(gateway))
    return citizen.timezone if citizen else DEFAULT_TIMEZONE


#: readings handled between two yields to the event loop (about half a millisecond)
YIELD_EVERY = 128


async def prepare_readings(
    gateway: Principal,
    zone: str,
    now: datetime,
    items: Sequence[tuple[GatewayReading, Decoded | str]],
) -> PreparedBatch:
    """First pass, needing no store: decode errors, times and plausibility.

    Done outside the write transaction, which then only does what needs the store. It
    yields now and then: a transaction holding the writer continues after each query
    only when the event loop gets to it, so no other work should hold the loop long.
    """
    batch = PreparedBatch(_citizen_of(gateway), gateway.id, zone)
    citizen_id, gateway_id = batch.citizen_id, batch.gateway_id
    out, candidates, log_rows = batch.out, batch.candidates, batch.log_rows
    now_ms = _ms(now)
    sources: dict[DeviceInfo, Source] = {}
    for n, (reading, decoded) in enumerate(items, start=1):
        if n % YIELD_EVERY == 0:
            await asyncio.sleep(0)
        if isinstance(decoded, str):
            out.append(ReadingOutcome(id=reading.id, outcome="rejected", reason=decoded))
            continue
        received = reading.received_at
        if received.tzinfo is None:
            out.append(
                ReadingOutcome(
                    id=reading.id, outcome="rejected", reason="received_at needs an offset"
                )
            )
            continue
        if decoded.time is None:  # the common case: the receive time, no zone arithmetic
            at = received.astimezone(UTC)
            at_ms = received_ms = _ms(at)
        else:
            at = reading_time(reading, decoded, zone).astimezone(UTC)
            at_ms = _ms(at)
            received_ms = _ms(received)
        device = reading.device
        source = sources.get(device)
        if source is None:
            source = sources[device] = Source(
                key=device.key, name=device.label, kind=SourceKind.DEVICE, device=device.model
            )
        samples = (
            []
            if decoded.withheld
            else [
                Sample(metric=m, start_ms=at_ms, end_ms=at_ms, value=v, source=source)
                for m, v in decoded.values
            ]
        )
        problem = None
        for s in samples:
            problem = check(s, now_ms)
            if problem is not None:
                break
        if problem is not None:
            out.append(ReadingOutcome(id=reading.id, outcome="rejected", reason=problem.value))
            continue
        key = (
            citizen_id,
            gateway_id,
            reading.id,
            source.key,
            reading.characteristic.upper(),
            decoded.sequence,
        )
        candidates.append((len(out), key, at, at_ms, samples, source, decoded.withheld))
        out.append(None)
        log_rows.append((*key, received_ms))
    return batch


async def store_prepared(
    uow: UnitOfWork, clock: Clock, batch: PreparedBatch
) -> list[ReadingOutcome]:
    """Second and third pass for one batch, in the caller's (write) transaction."""
    return (await store_many(uow, clock, [batch]))[0]


async def store_many(
    uow: UnitOfWork, clock: Clock, batches: Sequence[PreparedBatch]
) -> list[list[ReadingOutcome]]:
    """Second and third pass for batches in order, in the caller's (write) transaction.

    The answers are the ones storing the batches one after the other would give.

    2. One insert into the readings log decides the duplicates: the database skips a
       reading id the gateway sent before and a (device, characteristic, sequence)
       already stored, in row order, and answers with what went in.
    3. The accepted readings' samples go in with one bulk insert, and each touched
       (metric, local day) roll-up is extended by what this transaction added instead
       of being re-aggregated from every sample of the day (which made a busy day's
       batches ever slower: a full day of heart rate is 86,400 rows to scan per batch).
       Only when some sample was already stored (the same value sent under another
       reading id) are the touched days aggregated from the samples again.
    """
    log = uow.gateway_io
    citizens = sorted({b.citizen_id for b in batches})
    for citizen_id in citizens:  # in one order, so two transactions cannot deadlock
        await log.lock_citizen(citizen_id)
    log_rows = [row for b in batches for row in b.log_rows]
    new = await log.log_new(log_rows) if log_rows else set()
    numbers: dict[str, SourceNumbers] = {}
    rows: dict[SampleRow, None] = {}
    added: dict[str, dict[tuple[Metric, str], _DayStats]] = {c: {} for c in citizens}
    bounds: dict[str, dict[str, tuple[int, int]]] = {c: {} for c in citizens}
    answers: list[list[ReadingOutcome]] = []
    for batch in batches:
        citizen_id, out = batch.citizen_id, list(batch.out)
        days = _LocalDays(batch.zone)
        day, lo, hi = "", 0, 0
        citizen_added, citizen_bounds = added[citizen_id], bounds[citizen_id]
        for index, key, at, at_ms, samples, source, withheld in batch.candidates:
            if key not in new:  # of equal keys, the first went in
                out[index] = ReadingOutcome(id=key[2], outcome="duplicate")
                continue
            new.discard(key)
            out[index] = ReadingOutcome(
                id=key[2], outcome="accepted", samples=len(samples), time=at, reason=withheld
            )
            if not samples:
                continue
            known = numbers.get(citizen_id)
            if known is None:
                known = numbers[citizen_id] = await SourceNumbers.load(uow, clock, citizen_id)
            number = known.get(source.key)
            if number is None:
                number = await known.of(source)
            if not lo <= at_ms < hi:  # readings come in runs on the same day
                day, lo, hi = days.of(at_ms)
                citizen_bounds[day] = (lo, hi)
            for s in samples:
                row = sample_row(citizen_id, number, s)
                before = len(rows)
                rows[row] = None
                if len(rows) == before:  # the same sample twice is stored once
                    continue
                stats = citizen_added.get((s.metric, day))
                if stats is None:
                    citizen_added[s.metric, day] = _DayStats(1, s.value, s.value, s.value, {number})
                else:
                    stats.add(s.value, number)
        answers.append([o for o in out if o is not None])
    if rows:
        exact = await uow.samples.insert(list(rows)) == len(rows)
        zones = {b.citizen_id: b.zone for b in batches}
        for citizen_id in citizens:
            await _roll_up(uow, log, citizen_id, added[citizen_id], bounds[citizen_id], exact=exact)
            if added[citizen_id]:
                await refresh_measurements(
                    uow,
                    clock,
                    citizen_id,
                    {metric.value for metric, _ in added[citizen_id]},
                    zone=zones[citizen_id],
                )
    return answers


#: a batch waiting for its transaction, and where its answer goes
_Waiting = tuple[PreparedBatch, "asyncio.Future[list[ReadingOutcome]]"]


class ReadingWriter:
    """Stores prepared batches for one store, several to a transaction when they queue.

    SQLite has one writer, so concurrent uploads wait for each other's transactions,
    and each transaction pays the same fixed part (begin, source numbers, roll-up rows,
    commit, and a round trip to the database thread for each). Batches that arrived
    while one transaction ran go into the next one together ("group commit"): the
    answers are those of storing them one by one in arrival order. If that transaction
    fails, each of its batches is tried again alone, so a batch still stores all or
    nothing and one failing batch cannot fail the others.
    """

    #: readings per transaction at most, so one stays short when many batches queue
    MAX_READINGS = 4000

    def __init__(self, store: Store, clock: Clock) -> None:
        self._store = store
        self._clock = clock
        self._queue: list[_Waiting] = []
        self._task: asyncio.Task[None] | None = None

    async def write(self, batch: PreparedBatch) -> list[ReadingOutcome]:
        """Store the batch; its answer once the transaction holding it has committed.

        A caller that goes away (a dropped connection) does not take its batch out of
        a transaction it shares with others: it is stored, and the gateway's resend
        gets its readings back as duplicates.
        """
        done: asyncio.Future[list[ReadingOutcome]] = asyncio.get_running_loop().create_future()
        self._queue.append((batch, done))
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._drain())
        return await asyncio.shield(done)

    def serves(self, store: Store) -> bool:
        return store is self._store

    async def _drain(self) -> None:
        try:
            while self._queue:
                group: list[_Waiting] = []
                size = 0
                while self._queue and (
                    not group or size + len(self._queue[0][0].out) <= self.MAX_READINGS
                ):
                    size += len(self._queue[0][0].out)
                    group.append(self._queue.pop(0))
                await self._write_group(group)
        finally:
            self._task = None
            for _, done in self._queue:  # only when cancelled: nobody may wait forever
                done.cancel()
            self._queue.clear()

    async def _write_group(self, group: list[_Waiting]) -> None:
        try:
            async with self._store.transaction() as uow:
                answers = await store_many(uow, self._clock, [b for b, _ in group])
        except Exception as exc:
            if len(group) == 1:
                if not group[0][1].done():
                    group[0][1].set_exception(exc)
                return
            for entry in group:  # alone, each stores all or nothing, and fails alone
                await self._write_group([entry])
            return
        except BaseException:
            for _, done in group:
                done.cancel()
            raise
        for (_, done), answer in zip(group, answers, strict=True):
            if not done.done():
                done.set_result(answer)


async def store_readings(
    uow: UnitOfWork,
    clock: Clock,
    gateway: Principal,
    items: Sequence[tuple[GatewayReading, Decoded | str]],
) -> list[ReadingOutcome]:
    """Store a batch for the gateway's own citizen; one bad reading never sinks the rest.

    All three passes in one unit of work. The upload endpoint runs the first outside
    the write transaction (`citizen_zone`, `prepare_readings`) and the rest through a
    `ReadingWriter`, which keeps the store's single writer for the part that needs it.
    """
    zone = await citizen_zone(uow, gateway)
    batch = await prepare_readings(gateway, zone, clock.now(), items)
    return await store_prepared(uow, clock, batch)


async def _roll_up(
    uow: UnitOfWork,
    log: GatewayIORepository,
    citizen_id: str,
    added: dict[tuple[Metric, str], _DayStats],
    bounds: dict[str, tuple[int, int]],
    *,
    exact: bool,
) -> None:
    """Bring the touched (metric, local day) roll-ups up to date.

    `added` holds what this batch stored per day, when `exact` (every sample was new);
    otherwise the days are aggregated from the samples. Gateway metrics are discrete
    (count, min, max, mean of the samples starting that day); anything else is left to
    `reroll`.
    """
    by_metric: dict[Metric, list[str]] = {}
    ranks: dict[int, int] | None = None  # read once, when a day must be aggregated again
    for metric, day in added:
        by_metric.setdefault(metric, []).append(day)
    for metric, day_list in by_metric.items():
        if METRICS[metric].kind is not MetricKind.DISCRETE:  # pragma: no cover - no such reading
            await reroll(uow, citizen_id, local={metric: [date.fromisoformat(d) for d in day_list]})
            continue
        day_list.sort()
        stored = {
            r.day: r
            for r in await uow.daily.series(citizen_id, metric.value, day_list[0], day_list[-1])
        }
        rows: list[DailyRow] = []
        again: list[tuple[str, int, int]] = []
        for day in day_list:
            stats = added[metric, day]
            old = stored.get(day)
            old_sources = {int(n) for n in old.sources.split(",") if n} if old else set()
            # a day two sources feed may hold the same reading twice (ADR 0027): it is
            # aggregated again, copies left out, rather than extended
            if (
                not exact
                or len(stats.sources | old_sources) > 1
                or (old is not None and not _extendable(old))
            ):
                again.append((day, *bounds[day]))
                continue
            if old is not None:
                assert old.total is not None and old.min is not None and old.max is not None
                # Integer-valued readings (pulse, mmHg) sum exactly in any order, so this
                # is bit for bit what re-aggregating the day gives; other values can
                # differ in the last bit, as the two engines' SUMs already do.
                stats = _DayStats(
                    old.count + stats.count,
                    min(old.min, stats.low),
                    max(old.max, stats.high),
                    old.total + stats.total,
                    stats.sources | old_sources,
                )
            rows.append(stats.row(day))
        if again:
            if ranks is None:
                ranks = await source_ranks(uow, citizen_id)
            for day, (n, low, high, total, used) in (
                await log.day_stats(citizen_id, metric.value, again, ranks)
            ).items():
                sources = {int(x) for x in used.split(",")}
                rows.append(_DayStats(n, low, high, total, sources).row(day))
        await uow.daily.replace(citizen_id, metric.value, day_list, rows)
