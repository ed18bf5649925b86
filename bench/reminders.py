"""Dose reminders: N citizens with 3 daily times each, the worker's passes over a day.

Setup: N citizens with one medication and a schedule of three wall-clock times each
(one in 07:00-09:59, one in 12:00-13:59, one in 18:00-21:59, random to the minute),
written in bulk. Then the clock steps through one Copenhagen day minute by minute from
05:00, and at each minute one worker pass runs (`send_dose_reminders` transactions of
up to 500 schedules until the due ones are done): it finds due schedules by the partial
index on `next_at`, moves each one's `done_until`, and writes the reminder row and its
outbox notice. Timed per pass (all its transactions) and per transaction; an idle pass
(nothing due) shows the lookup is an index search, and the query plan is printed.

Usage: python -m bench.reminders [--citizens N] [--db URL] [--hours H]
       (default 100,000 citizens, a fresh SQLite file, 18 hours from 05:00)
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from adapters.clock import FixedClock
from app.domain.dosing import DoseSchedule, next_after
from app.domain.ids import stable_id
from app.domain.time import to_ms
from app.ports import Store
from app.services.dose_sending import send_dose_reminders
from app.store import open_store
from bench.common import machine, peak_rss_mb, percentile, report

ZONE = "Europe/Copenhagen"
#: 05:00 in Copenhagen on a Tuesday in November (UTC+1)
START = datetime(2026, 11, 24, 4, 0, tzinfo=UTC)
_CHUNK = 5000
#: the statement `SqlDoseSchedules.due` runs (without PostgreSQL's row locks)
_DUE_SQL = (
    "SELECT s.citizen_id, c.timezone, m.name FROM dose_schedules s"
    " JOIN citizens c ON c.id = s.citizen_id"
    " LEFT JOIN medications m ON m.citizen_id = s.citizen_id AND m.id = s.medication_id"
    " WHERE s.next_at IS NOT NULL AND s.next_at <= ?"
    " ORDER BY s.next_at, s.citizen_id, s.medication_id LIMIT 500"
)


def _times(rng: random.Random) -> list[str]:
    out = []
    for first_hour, hours in ((7, 3), (12, 2), (18, 4)):
        minute = rng.randrange(hours * 60)
        out.append(f"{first_hour + minute // 60:02d}:{minute % 60:02d}")
    return out


async def _load(store: Store, citizens: int) -> float:
    rng = random.Random(16)
    begun = time.perf_counter()
    since = START - timedelta(hours=1)
    clinic_id = stable_id("clinic", "bench")
    async with store.transaction() as uow:
        conn = uow.connection  # type: ignore[attr-defined]
        await conn.execute(
            "INSERT INTO clinics (id, name, timezone, created_at) VALUES (?, ?, ?, ?)",
            (clinic_id, "Bench", ZONE, to_ms(since)),
        )
    for lo in range(0, citizens, _CHUNK):
        people, meds, schedules = [], [], []
        for n in range(lo, min(lo + _CHUNK, citizens)):
            cid = stable_id("citizen", "bench", str(n))
            mid = stable_id("medication", "bench", str(n))
            people.append((cid, f"bench-{n}", f"Borger {n}", ZONE, clinic_id, to_ms(since)))
            meds.append((cid, mid, "Metformin", "500 mg", "1 tablet", 1))
            s = DoseSchedule(
                citizen_id=cid,
                medication_id=mid,
                times=sorted(_times(rng)),
                dose="1 tablet",
                since=since,
                cursor=since,
            )
            at = next_after(s, ZONE, since)
            assert at is not None
            schedules.append(
                (cid, mid, ",".join(s.times), "1 tablet", to_ms(since), to_ms(since), to_ms(at))
            )
        async with store.transaction() as uow:
            conn = uow.connection  # type: ignore[attr-defined]
            await conn.insert_ignore(
                "citizens",
                ("id", "subject", "name", "timezone", "clinic_id", "created_at"),
                ("text", "text", "text", "text", "text", "bigint"),
                people,
            )
            await conn.insert_ignore(
                "medications",
                ("citizen_id", "id", "name", "strength", "dosage", "renewable"),
                ("text", "text", "text", "text", "text", "integer"),
                meds,
            )
            await conn.insert_ignore(
                "dose_schedules",
                ("citizen_id", "medication_id", "times", "dose", "since", "done_until", "next_at"),
                ("text", "text", "text", "text", "bigint", "bigint", "bigint"),
                schedules,
            )
    return time.perf_counter() - begun


async def _plan(store: Store) -> str:
    async with store.read() as uow:
        conn = uow.connection  # type: ignore[attr-defined]
        if store.dialect == "postgres":
            await conn.execute("ANALYZE dose_schedules")
            rows = await conn.fetchall("EXPLAIN " + _DUE_SQL, (to_ms(START),))
            return " / ".join(str(r[0]).strip() for r in rows)
        rows = await conn.fetchall("EXPLAIN QUERY PLAN " + _DUE_SQL, (to_ms(START),))
        return " / ".join(str(r[-1]) for r in rows)


async def run(citizens: int, url: str, hours: int) -> None:
    store = await open_store(url)
    try:
        seconds = await _load(store, citizens)
        report(
            f"setup ({store.dialect})",
            citizens=str(citizens),
            schedules=str(citizens),
            daily_times=str(3 * citizens),
            seconds=seconds,
        )
        print(f"due query plan: {await _plan(store)}", flush=True)
        clock = FixedClock(START)
        passes: list[float] = []
        batches: list[float] = []
        idle: list[float] = []
        written = busiest = late = 0
        for _ in range(hours * 60):
            clock.advance(minutes=1)
            begun = time.perf_counter()
            in_pass = 0
            while True:
                t0 = time.perf_counter()
                done = await send_dose_reminders(store, clock)
                batches.append(time.perf_counter() - t0)
                in_pass += done.rows
                late += done.late
                if done.rows < 500:
                    break
            took = time.perf_counter() - begun
            (passes if in_pass else idle).append(took)
            written += in_pass
            busiest = max(busiest, in_pass)
        ms = 1000.0
        report(
            f"worker passes over {hours} h, one a minute ({store.dialect})",
            reminders_written=str(written),
            late=str(late),
            busiest_pass=str(busiest),
            passes_with_work=str(len(passes)),
            pass_p50_ms=percentile(passes, 0.5) * ms,
            pass_p99_ms=percentile(passes, 0.99) * ms,
            pass_max_ms=max(passes) * ms,
            txn_p99_ms=percentile(batches, 0.99) * ms,
            idle_pass_p99_ms=percentile(idle, 0.99) * ms if idle else 0.0,
            reminders_per_s=written / sum(passes),
            peak_rss_mb=peak_rss_mb(),
        )
        assert late == 0, "a pass every minute is never two hours late"
    finally:
        await store.close()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.reminders")
    parser.add_argument("--citizens", type=int, default=100_000)
    parser.add_argument("--db", default=None, help="database URL (default: a fresh SQLite file)")
    parser.add_argument("--hours", type=int, default=18)
    args = parser.parse_args(argv if argv is not None else [])
    print(machine(), flush=True)
    with tempfile.TemporaryDirectory() as folder:
        url = args.db or f"sqlite:///{Path(folder) / 'reminders.db'}"
        asyncio.run(run(args.citizens, url, args.hours))


if __name__ == "__main__":
    main(sys.argv[1:])
