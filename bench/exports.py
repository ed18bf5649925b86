"""Download my data: a year of minute heart rate (525,600 samples) exported to a zip.

Each figure comes from its own child process, which reports its own peak RSS (the whole
process: interpreter, store, zlib, everything), so nothing one step held counts against
another:
- `seed`: a demo citizen with one sample a minute for a year (not measured);
- `export`: the export job as a worker runs it (`drain_exports`): the FHIR Bundle of
  525,600 Observations, the JSON files and the README, zipped, stored in the blob store;
- `baseline`: the bare SELECT of the same rows written as JSON lines to a file (the
  floor: what reading the rows costs with no FHIR, no zip, no paging).

Targets of issue 14: the export under 60 s and under 200 MB peak RSS.
`--db postgresql://…` runs the same against PostgreSQL too (a fresh schema, dropped after).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.common import machine, report

SAMPLES = 525_600
_T0 = int(datetime(2025, 1, 1, tzinfo=UTC).timestamp() * 1000)
_BATCH = 50_000


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


async def _runtime(db_url: str, var: Path) -> Any:
    from app.settings import Settings
    from mobile_api.runtime import Runtime

    return await Runtime.open(
        Settings(env="test", db_url=db_url, var_dir=var, keys_dir=var / "keys")
    )


async def _seed(db_url: str, var: Path, samples: int) -> dict[str, Any]:
    from adapters.clock import SystemClock
    from app.services.demo import seed_demo

    runtime = await _runtime(db_url, var)
    try:
        async with runtime.store.transaction() as uow:
            demo = await seed_demo(uow, SystemClock(), runtime.vault)
        anna = demo.citizens[0].id
        async with runtime.store.transaction() as uow:
            watch = await uow.sources.add(
                anna,
                key="watch",
                name="Annas ur",
                kind="watch",
                device="Watch",
                at=SystemClock().now(),
            )
        for first in range(0, samples, _BATCH):
            rows = [
                (
                    anna,
                    "heart_rate",
                    _T0 + i * 60_000,
                    watch,
                    _T0 + i * 60_000,
                    55.0 + i % 40,
                    "",
                    None,
                )
                for i in range(first, min(samples, first + _BATCH))
            ]
            async with runtime.store.transaction() as uow:
                await uow.samples.insert(rows)
        return {"citizen_id": anna}
    finally:
        await runtime.close()


async def _export(db_url: str, var: Path, citizen_id: str) -> dict[str, Any]:
    from app.domain.exports import ExportJob
    from app.domain.ids import new_id
    from mobile_api.exports import drain_exports

    runtime = await _runtime(db_url, var)
    try:
        now = runtime.clock.now()
        job = ExportJob(
            id=new_id(), citizen_id=citizen_id, status="queued", created_at=now, updated_at=now
        )
        async with runtime.store.transaction() as uow:
            await uow.exports.add(job)
        t = time.perf_counter()
        await drain_exports(runtime)
        seconds = time.perf_counter() - t
        async with runtime.store.read() as uow:
            done = await uow.exports.get(citizen_id, job.id)
        assert done is not None and done.status == "done", done
        return {"seconds": seconds, "zip_mb": (done.size or 0) / 1e6, "rss_mb": _peak_mb()}
    finally:
        await runtime.close()


async def _baseline(db_url: str, var: Path, citizen_id: str) -> dict[str, Any]:
    """One plain SELECT of the same rows, each written as a JSON line (no FHIR, no zip)."""
    out = var / "baseline.jsonl"
    sql = (
        "SELECT metric, start_ms, source_no, end_ms, value, stage FROM samples"
        " WHERE citizen_id = {p} ORDER BY metric, start_ms, source_no, end_ms, value, stage"
    )
    t = time.perf_counter()
    rows = 0
    if db_url.startswith("sqlite"):
        import sqlite3

        from app.store.open import sqlite_path

        conn = sqlite3.connect(sqlite_path(db_url))
        with out.open("w") as f:
            for row in conn.execute(sql.format(p="?"), (citizen_id,)):
                f.write(json.dumps(row) + "\n")
                rows += 1
        conn.close()
    else:
        import asyncpg

        from app.store.postgres import split_schema

        dsn, schema = split_schema(db_url)
        conn = await asyncpg.connect(dsn, server_settings={"search_path": schema or "public"})
        try:
            async with conn.transaction():
                with out.open("w") as f:
                    async for row in conn.cursor(sql.format(p="$1"), citizen_id, prefetch=5000):
                        f.write(json.dumps(tuple(row)) + "\n")
                        rows += 1
        finally:
            await conn.close()
    return {"seconds": time.perf_counter() - t, "rows": rows, "rss_mb": _peak_mb()}


def _child(step: str, db_url: str, var: Path, extra: str) -> dict[str, Any]:
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "bench.exports",
            "--child",
            step,
            "--db",
            db_url,
            "--var",
            str(var),
            "--arg",
            extra,
        ],
        check=True,
        capture_output=True,
        text=True,
    )
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def _drop_schema(dsn: str, schema: str) -> None:
    import asyncpg

    async def drop() -> None:
        conn = await asyncpg.connect(dsn)
        try:
            await conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        finally:
            await conn.close()

    asyncio.run(drop())


def _run(engine: str, db_url: str, var: Path, samples: int) -> None:
    t = time.perf_counter()
    seeded = _child("seed", db_url, var, str(samples))
    report(f"exports {engine} seed", samples=samples, seconds=time.perf_counter() - t)
    export = _child("export", db_url, var, seeded["citizen_id"])
    base = _child("baseline", db_url, var, seeded["citizen_id"])
    report(
        f"exports {engine} export",
        seconds=export["seconds"],
        peak_rss_mb=export["rss_mb"],
        zip_mb=export["zip_mb"],
        samples_per_s=samples / export["seconds"],
    )
    report(
        f"exports {engine} baseline (SELECT -> JSON lines)",
        seconds=base["seconds"],
        peak_rss_mb=base["rss_mb"],
        rows=base["rows"],
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.exports")
    parser.add_argument(
        "--db",
        default=os.environ.get("MINLAEGE_TEST_POSTGRES_DSN", ""),
        help="also run on this PostgreSQL DSN (default: MINLAEGE_TEST_POSTGRES_DSN if set)",
    )
    parser.add_argument("--samples", type=int, default=SAMPLES)
    parser.add_argument("--child", default="")
    parser.add_argument("--var", default="")
    parser.add_argument("--arg", default="")
    args = parser.parse_args(argv if argv is not None else [])
    if args.child:
        var = Path(args.var)
        if args.child == "seed":
            result = asyncio.run(_seed(args.db, var, int(args.arg)))
        elif args.child == "export":
            result = asyncio.run(_export(args.db, var, args.arg))
        else:
            result = asyncio.run(_baseline(args.db, var, args.arg))
        print(json.dumps(result), flush=True)
        return
    print(f"machine: {machine()}", flush=True)
    with tempfile.TemporaryDirectory(prefix="bench-exports-") as tmp:
        var = Path(tmp)
        _run("sqlite", f"sqlite:///{var}/bench.db", var, args.samples)
    if args.db:
        schema = f"bench_{uuid.uuid4().hex[:12]}"
        db_url = f"{args.db}{'&' if '?' in args.db else '?'}schema={schema}"
        try:
            with tempfile.TemporaryDirectory(prefix="bench-exports-") as tmp:
                _run("postgres", db_url, Path(tmp), args.samples)
        finally:
            _drop_schema(args.db, schema)


if __name__ == "__main__":
    main(sys.argv[1:])
