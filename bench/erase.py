"""Deleting a citizen's data at scale (issue 14 part B, ADR 0023), in process, no HTTP.

Anna gets the year `bench.summary` loads through the ingest service: a heart rate every
minute from her watch (525,600 samples), a resting heart rate per day from the watch and
a step total per day from her phone (365 each). Then, each step in a fresh process so its
peak memory (ru_maxrss) is its own:

1. `delete_source` of the phone (365 samples over 365 days, re-rolled);
2. `delete_period` of 30 local days (43,200 heart rates and 30 resting ones);
3. `delete_source` of the watch (the other ~482,000 samples);
4. the year loaded again (another process), then `close_account`.

Each figure is one transaction: the deletes, the re-roll of the touched days, the inbox
refresh and the audit entry. SQLite always; PostgreSQL too when
MINLAEGE_BENCH_POSTGRES_DSN is set (a fresh schema, dropped afterwards).

Usage: python -m bench.erase
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

from app.domain.identity import Principal, Role
from app.services.closure import close_account
from app.services.demo import seed_demo
from app.services.erasure import delete_period, delete_source
from app.services.ingest import ingest
from app.settings import load_settings
from bench.api import _drop_schema
from bench.common import machine, peak_rss_mb, report
from bench.summary import ANNA, PHONE, WATCH, _year_of_samples
from mobile_api.runtime import Runtime

STEPS = ("phone", "period", "watch", "load", "close")


def _env(db_url: str, var: str) -> dict[str, str]:
    return {
        **os.environ,
        "MINLAEGE_ENV": "test",
        "MINLAEGE_DB": db_url,
        "MINLAEGE_VAR_DIR": var,
    }


async def _anna(runtime: Runtime) -> Principal:
    async with runtime.store.read() as uow:
        anna = await uow.citizens.by_subject(ANNA)
    assert anna is not None
    return Principal(role=Role.CITIZEN, subject=anna.subject, id=anna.id, name=anna.name)


async def _load(runtime: Runtime) -> int:
    async with runtime.store.transaction() as uow:
        await seed_demo(uow, runtime.clock, runtime.vault)
    anna = await _anna(runtime)
    async with runtime.store.read() as uow:
        citizen = await uow.citizens.get(anna.id)
    assert citizen is not None
    got = await ingest(
        runtime.store,
        runtime.clock,
        citizen_id=anna.id,
        items=_year_of_samples(runtime.clock.now(), citizen.timezone),
        import_id=f"bench-erase-{uuid.uuid4().hex[:6]}",
        fmt="apple-health",
    )
    return got.samples_stored


async def _step(step: str, env: dict[str, str]) -> dict[str, float]:
    """One step in this process: its seconds, what it deleted, and the peak RSS."""
    runtime = await Runtime.open(load_settings(env))
    try:
        if step == "load":
            return {"stored": await _load(runtime), "rss_mb": peak_rss_mb()}
        anna = await _anna(runtime)
        clock = runtime.clock
        started = time.perf_counter()
        samples, days = 0, 0
        if step in ("phone", "watch"):
            key = (PHONE if step == "phone" else WATCH).key
            async with runtime.store.transaction() as uow:
                got = await delete_source(uow, clock, anna, key)
            samples, days = got.deleted_samples, got.days_rerolled
        elif step == "period":
            today = clock.now().astimezone(UTC).date()
            first = today - timedelta(days=60)
            async with runtime.store.transaction() as uow:
                got = await delete_period(uow, clock, anna, first, first + timedelta(days=29))
            samples, days = got.deleted_samples, got.days_rerolled
        else:
            await close_account(runtime.store, clock, anna)
        return {
            "seconds": time.perf_counter() - started,
            "samples": samples,
            "days": days,
            "rss_mb": peak_rss_mb(),
        }
    finally:
        await runtime.close()


def _child(step: str, env: dict[str, str]) -> dict[str, float]:
    out = subprocess.run(
        [sys.executable, "-m", "bench.erase", "--step", step],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    figures: dict[str, float] = json.loads(out.stdout.strip().splitlines()[-1])
    return figures


def run(engine: str, db_url: str | None) -> None:
    with tempfile.TemporaryDirectory(prefix="bench-erase-") as var:
        env = _env(db_url or f"sqlite:///{Path(var) / 'bench.db'}", var)
        loaded = _child("load", env)
        report(f"{engine} load", samples=loaded["stored"], rss_mb=loaded["rss_mb"])
        for step in STEPS:
            got = _child(step, env)
            if step == "load":
                continue
            if step == "close":  # the whole year again, with the rest of the account
                report(f"{engine} close", seconds=got["seconds"], rss_mb=got["rss_mb"])
                continue
            report(
                f"{engine} {step}",
                seconds=got["seconds"],
                samples=int(got["samples"]),
                days=int(got["days"]),
                rss_mb=got["rss_mb"],
            )


def main(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else argv
    if args[:1] == ["--step"]:
        print(json.dumps(asyncio.run(_step(args[1], dict(os.environ)))), flush=True)
        return
    started = time.perf_counter()
    run("sqlite", None)
    dsn = os.environ.get("MINLAEGE_BENCH_POSTGRES_DSN", "")
    if dsn:
        schema = f"bench_{uuid.uuid4().hex[:12]}"
        try:
            run("postgres", f"{dsn}{'&' if '?' in dsn else '?'}schema={schema}")
        finally:
            asyncio.run(_drop_schema(dsn, schema))
    print(
        f"total {time.perf_counter() - started:.0f} s; machine: {machine()};"
        f" {datetime.now(UTC):%Y-%m-%d}"
    )


if __name__ == "__main__":
    main()
