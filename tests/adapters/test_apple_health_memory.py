"""The Apple Health import's memory does not grow with the samples a day holds (issue 17).

The same number of heart-rate samples is imported twice, once at 150 an hour over four
days and once at 600 an hour (4x) over one day, each into a fresh SQLite file. The
pipeline's batches are made small and the roll-up reads one day at a time, so the fixed
costs are small and what one day of samples costs shows: the denser day must cost no more,
in Python's heap (tracemalloc) or in SQLite's (its own high-water mark, where the library
the sqlite3 module uses can be reached). A memory bound, not a timing one: the figures
are allocations, the same on a loaded machine. Peak RSS of a whole import of both
export shapes is in `bench/apple_health.py` and docs/benchmarks.md.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import random
import sqlite3
import tracemalloc
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest

import app.services.ingest as ingest_service
from adapters.clock import FixedClock
from adapters.ingest.apple_health_gen import generate_export, generate_hr_dense_export
from adapters.ingest.files import item_source
from app.domain.metrics import METRICS
from app.domain.people import Citizen
from app.ports import Store
from app.store import open_store
from app.store.repos.wearables import SqlSamples

NOW = datetime(2030, 1, 1, tzinfo=UTC)


def _sqlite_library() -> ctypes.CDLL | None:
    """The SQLite library the sqlite3 module runs on, if ctypes reaches the same one: its
    memory counter must move when the module allocates."""
    name = ctypes.util.find_library("sqlite3")
    if name is None:
        return None
    try:
        lib = ctypes.CDLL(name)
        lib.sqlite3_memory_used.restype = ctypes.c_int64
        lib.sqlite3_memory_highwater.restype = ctypes.c_int64
        lib.sqlite3_memory_highwater.argtypes = [ctypes.c_int]
    except (OSError, AttributeError):
        return None
    before = lib.sqlite3_memory_used()
    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE TABLE t (x)")
    conn.executemany("INSERT INTO t VALUES (?)", ((("x" * 100),) for _ in range(2000)))
    moved = lib.sqlite3_memory_used() - before
    conn.close()
    return lib if moved > 100_000 else None


SQLITE = _sqlite_library()


@dataclass
class Peaks:
    records: int
    stored: int
    python: int
    sqlite: int | None


async def _open(path: Path) -> Store:
    store = await open_store(f"sqlite:///{path}")
    async with store.transaction() as uow:
        await uow.citizens.add(
            Citizen(id="c1", subject="anna", created_at=NOW), cpr_hash=None, cpr_sealed=None
        )
    return store


async def _import_peaks(tmp_path: Path, *, days: int, per_hour: int) -> Peaks:
    xml = generate_hr_dense_export(
        tmp_path / f"export-{per_hour}.xml", days=days, hr_per_hour=per_hour, seed=3
    ).path
    store = await _open(tmp_path / f"m-{per_hour}.db")
    try:
        base = 0
        if SQLITE is not None:
            base = SQLITE.sqlite3_memory_used()
            SQLITE.sqlite3_memory_highwater(1)
        tracemalloc.start()
        try:
            report = await ingest_service.ingest(
                store,
                FixedClock(NOW),
                citizen_id="c1",
                items=item_source(xml, "apple-health"),
                import_id="i",
                fmt="apple-health",
            )
            python = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
        sqlite_peak = None if SQLITE is None else SQLITE.sqlite3_memory_highwater(0) - base
    finally:
        await store.close()
    return Peaks(report.records_read, report.samples_stored, python, sqlite_peak)


async def test_memory_does_not_grow_with_the_samples_a_day_holds(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ingest_service, "BATCH", 500)
    monkeypatch.setattr(ingest_service, "_REROLL_DAYS", 1)
    sparse = await _import_peaks(tmp_path, days=4, per_hour=150)
    dense = await _import_peaks(tmp_path, days=1, per_hour=600)
    # about 10,000 heart-rate samples each: 4 days x 17 worn hours x 150, or 1 x 17 x 600
    assert 9_000 < dense.records <= sparse.records < 12_000
    assert dense.stored > 9_000
    slack = 1.10
    assert dense.python <= sparse.python * slack + 256 * 1024, (dense, sparse)
    if sparse.sqlite is not None and dense.sqlite is not None:
        # a GROUP BY that sorted the day's samples cost the dense day ~50 % more here
        assert dense.sqlite <= sparse.sqlite * slack + 128 * 1024, (dense, sparse)


async def test_streamed_day_stats_are_the_grouped_ones_to_the_bit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SQLite's per-day aggregates without GROUP BY give the grouped query's figures,
    the mean included to the last bit: one-source days from the streamed sums, days fed
    by several sources summed per source and added in source order, copies left out."""
    store = await _open(tmp_path / "stats.db")
    rng = random.Random(5)
    day = 86_400_000
    rows = []
    for _ in range(6000):
        t = rng.randrange(0, 5 * day)
        source = rng.choice((1, 2, 7)) if t < 3 * day else 4  # two days of one source
        rows.append(("c1", "blood_glucose", t, source, t, round(rng.uniform(3, 9), 3), "", None))
    days = [(f"d{i}", i * day, (i + 1) * day) for i in range(6)]  # the last one is empty
    try:
        async with store.transaction() as uow:
            samples = uow.samples
            assert isinstance(samples, SqlSamples)
            await samples.insert(rows)
            streamed = await samples.stats_by_day("c1", "blood_glucose", days, {})
            monkeypatch.setattr(samples, "_stats_by_day_streamed", samples._stats_by_day_grouped)
            grouped = await samples.stats_by_day("c1", "blood_glucose", days, {})
    finally:
        await store.close()
    assert sorted(streamed) == ["d0", "d1", "d2", "d3", "d4"]
    assert streamed == grouped
    assert streamed["d0"][4] == "1,2,7" and streamed["d4"][4] == "4"


async def test_roll_ups_do_not_depend_on_how_many_days_a_read_covers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Cumulative reads cover as many days as fit in a sample budget: a budget that makes
    every read a single day gives the same roll-ups as the default."""
    xml = generate_export(tmp_path / "export.xml", records=4000, seed=2).path

    async def daily(name: str) -> dict[str, list[object]]:
        store = await _open(tmp_path / f"{name}.db")
        try:
            await ingest_service.ingest(
                store,
                FixedClock(NOW),
                citizen_id="c1",
                items=item_source(xml, "apple-health"),
                import_id="i",
                fmt="apple-health",
            )
            async with store.read() as uow:
                return {
                    m.value: list(await uow.daily.series("c1", m.value, "2000-01-01", "2100-01-01"))
                    for m in METRICS
                }
        finally:
            await store.close()

    default = await daily("default")
    monkeypatch.setattr(ingest_service, "_REROLL_SAMPLES", 1)
    one_day_reads = await daily("one-day")
    assert sum(len(v) for v in default.values()) > 100
    assert one_day_reads == default
