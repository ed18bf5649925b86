"""The GP summary of a citizen with a year of minute-level heart rate, over loopback HTTP.

The demo clinic, GP and citizens are seeded in process (without the month of demo
measurements and the share that `minlaege seed-demo` adds); then Anna gets one year of
data through the ingest service, the production road (plausibility, source numbers,
bulk insert, then the daily roll-ups of every touched day, in one transaction): a heart
rate reading every minute from her Apple Watch (525,600 samples), a resting heart rate
per day from the watch and a step total per day from her iPhone (365 each). She shares
heart rate, resting heart rate and steps with her clinic, 365 days of data (POST
/v1/me/shares). Then, one request at a time (1 in flight, one httpx client with
keep-alive, warm-up requests first):

- baseline: GET /health/live (no token, no database);
- GET /v1/clinician/citizens/{anna}/summary (the default 90 days): the target of the
  issue is p99 at most 50 ms on a 2-core machine;
- GET .../summary.fhir, the same summary as a FHIR Bundle (informative);
- in process, no HTTP: build_summary alone, its transaction (begin, build, audit, commit),
  and encoding the result as JSON and as a FHIR Bundle; then the SQL statements one
  summary runs, with their time per summary, to show where the cost is.

SQLite (the embedded default) always; PostgreSQL as well when MINLAEGE_BENCH_POSTGRES_DSN
is set (a fresh schema, dropped afterwards). Client and server share the machine's cores.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import os
import random
import sys
import time
import uuid
from collections import defaultdict
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import msgspec

from adapters.fhir import summary_bundle
from app.domain.identity import Principal, Role
from app.domain.metrics import Metric
from app.domain.samples import Rejected, Sample, Source, SourceKind
from app.domain.time import to_ms
from app.services.demo import GP_SUBJECT, seed_demo
from app.services.ingest import ingest
from app.services.summary import build_summary
from app.settings import load_settings
from bench.api import _drop_schema, _rss_peak_mb
from bench.common import DemoServer, demo_files, machine, peak_rss_mb, percentile, report, running
from mobile_api.runtime import Runtime

ANNA = "demo-citizen-anna"
TARGET_P99_MS = 50.0
MINUTES = 365 * 24 * 60
SHARED = [Metric.HEART_RATE.value, Metric.RESTING_HEART_RATE.value, Metric.STEPS.value]
WATCH = Source(
    key="apple:Anna's Apple Watch",
    name="Anna's Apple Watch",
    kind=SourceKind.WATCH,
    device="Watch6,1",
)
PHONE = Source(
    key="apple:Anna's iPhone", name="Anna's iPhone", kind=SourceKind.PHONE, device="iPhone14,5"
)


@dataclass
class Loaded:
    citizen_id: str
    samples: int
    stored: int
    seconds: float


def _year_of_samples(now: datetime, zone: str) -> Callable[[], Iterator[Sample | Rejected]]:
    """Minute-level heart rate for the 365 days up to now; daily resting HR and steps for
    the 365 local days before today. Same values for the same `now` (seeded)."""
    now_ms = to_ms(now) // 60_000 * 60_000
    tz = ZoneInfo(zone)
    today = now.astimezone(tz).date()

    def items() -> Iterator[Sample | Rejected]:
        rng = random.Random(7)
        first = now_ms - MINUTES * 60_000
        hr = Metric.HEART_RATE
        for i in range(MINUTES):
            t = first + (i + 1) * 60_000
            # a daily rhythm (low at night, higher by day) and noise
            base = 68 + 12 * math.sin(2 * math.pi * ((t // 60_000) % 1440 - 540) / 1440)
            value = float(round(base + rng.gauss(0, 6)))
            yield Sample(metric=hr, start_ms=t, end_ms=t, value=value, source=WATCH)
        for back in range(365, 0, -1):
            day = today - timedelta(days=back)
            morning = datetime(day.year, day.month, day.day, 7, tzinfo=tz)
            evening = datetime(day.year, day.month, day.day, 21, tzinfo=tz)
            yield Sample(
                metric=Metric.RESTING_HEART_RATE,
                start_ms=to_ms(morning),
                end_ms=to_ms(morning),
                value=float(rng.randint(52, 66)),
                source=WATCH,
            )
            yield Sample(
                metric=Metric.STEPS,
                start_ms=to_ms(morning),
                end_ms=to_ms(evening),
                value=float(rng.randint(2_000, 14_000)),
                source=PHONE,
            )

    return items


async def _load(env: dict[str, str]) -> tuple[Loaded, str, str]:
    """The demo clinic and people, then a year of Anna's data through the ingest service;
    tokens for the GP and Anna.

    Seeded without the demo month of measurements and its share (`seed_demo`'s default,
    not the CLI's): Anna has exactly the year below and the one share the bench makes.
    """
    runtime = await Runtime.open(load_settings(env))
    try:
        async with runtime.store.transaction() as uow:
            await seed_demo(uow, runtime.clock, runtime.vault)
            anna = await uow.citizens.by_subject(ANNA)
        assert anna is not None, "seed_demo made no Anna"
        items = _year_of_samples(runtime.clock.now(), anna.timezone)
        t = time.perf_counter()
        got = await ingest(
            runtime.store,
            runtime.clock,
            citizen_id=anna.id,
            items=items,
            import_id="bench-summary",
            fmt="apple-health",
        )
        seconds = time.perf_counter() - t
        assert got.rejected == 0, got.rejected_reasons
        mint = runtime.signer.mint
        loaded = Loaded(anna.id, got.records_read, got.samples_stored, seconds)
        return (
            loaded,
            mint(role=Role.CLINICIAN, subject=GP_SUBJECT)[0],
            mint(role=Role.CITIZEN, subject=ANNA)[0],
        )
    finally:
        await runtime.close()


@dataclass
class Served:
    server: DemoServer
    pid: int
    loaded: Loaded
    gp: str
    citizen: str


@contextmanager
def _serve(db_url: str | None) -> Iterator[Served]:
    """Seed the demo, load Anna's year, then serve on loopback (like bench.api)."""
    with demo_files(db_url) as demo:
        loaded, gp, citizen = asyncio.run(_load(demo.env))
        with running(demo) as pid:
            yield Served(demo, pid, loaded, gp, citizen)


def _sequential(
    client: httpx.Client, url: str, token: str | None, warmup: int, requests: int
) -> tuple[float, list[float], int]:
    """`requests` GETs one at a time after `warmup` untimed ones: wall seconds, latencies,
    response size; any status but 200 stops the run."""
    headers = {} if token is None else {"Authorization": f"Bearer {token}"}
    size = 0
    for _ in range(warmup):
        r = client.get(url, headers=headers)
        assert r.status_code == 200, (url, r.status_code, r.text[:300])
        size = len(r.content)
    latencies: list[float] = []
    start = time.perf_counter()
    for _ in range(requests):
        t = time.perf_counter()
        r = client.get(url, headers=headers)
        latencies.append(time.perf_counter() - t)
        assert r.status_code == 200, (url, r.status_code, r.text[:300])
    return time.perf_counter() - start, latencies, size


def _links(
    client: httpx.Client, url: str, token: str, requests: int
) -> tuple[float, list[float], list[float]]:
    """`requests` times: make a one-time link with the GP's token, then open it without
    one (the page). Wall seconds, and the latencies of making and of opening."""
    made: list[float] = []
    opened: list[float] = []
    start = time.perf_counter()
    for _ in range(requests):
        t = time.perf_counter()
        r = client.post(url, json={}, headers={"Authorization": f"Bearer {token}"})
        made.append(time.perf_counter() - t)
        assert r.status_code == 201, (url, r.status_code, r.text[:300])
        page = url.split("/v1/")[0] + r.json()["url"]
        t = time.perf_counter()
        r = client.get(page)
        opened.append(time.perf_counter() - t)
        assert r.status_code == 200, (page, r.status_code, r.text[:300])
    return time.perf_counter() - start, made, opened


def _ms(values: list[float], q: float) -> float:
    return percentile(values, q) * 1000


def _row(engine: str, name: str, seconds: float, lat: list[float], **extra: float | str) -> None:
    report(
        f"[{engine}] {name}",
        req_per_s=len(lat) / seconds,
        p50_ms=_ms(lat, 0.5),
        p95_ms=_ms(lat, 0.95),
        p99_ms=_ms(lat, 0.99),
        max_ms=max(lat) * 1000,
        **extra,
    )


class _SqlTimer:
    """Wall time per SQL statement, by wrapping the store connection's methods (in this
    process only: the bench's own Runtime, never the server's)."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = defaultdict(float)
        self.calls: dict[str, int] = defaultdict(int)
        self._undo: list[tuple[type, str, Any]] = []

    def install(self, conn_types: list[type]) -> None:
        for cls in conn_types:
            for name in ("execute", "executemany", "fetchone", "fetchall"):
                original = cls.__dict__.get(name)
                if original is None:
                    continue
                self._undo.append((cls, name, original))
                setattr(cls, name, self._wrap(original))

    def uninstall(self) -> None:
        for cls, name, original in reversed(self._undo):
            setattr(cls, name, original)
        self._undo.clear()

    def _wrap(self, original: Callable[..., Awaitable[Any]]) -> Callable[..., Awaitable[Any]]:
        timer = self

        async def timed(conn: Any, sql: str, *args: Any, **kwargs: Any) -> Any:
            t = time.perf_counter()
            try:
                return await original(conn, sql, *args, **kwargs)
            finally:
                key = " ".join(sql.split())[:110]
                timer.seconds[key] += time.perf_counter() - t
                timer.calls[key] += 1

        return timed


def _connection_types() -> list[type]:
    from app.store.sqlite import SqliteConnection

    types: list[type] = [SqliteConnection]
    try:
        from app.store.postgres import PostgresConnection

        types.append(PostgresConnection)
    except ImportError:
        pass
    return types


async def _gp_principal(runtime: Runtime) -> Principal:
    """The demo GP as the auth middleware resolves a clinician."""
    async with runtime.store.read() as uow:
        gp = await uow.clinicians.by_subject(GP_SUBJECT)
    assert gp is not None, "seed_demo made no GP"
    return Principal(
        role=Role.CLINICIAN,
        subject=gp.subject,
        id=gp.id,
        name=gp.name,
        clinic_id=gp.clinic_id,
        staff_role=gp.role,
    )


async def _in_process(env: dict[str, str], citizen_id: str, rounds: int, engine: str) -> None:
    """build_summary with no HTTP: the call alone, its transaction, the two encodings; then
    the SQL it runs, timed per statement."""
    runtime = await Runtime.open(load_settings(env))
    try:
        principal = await _gp_principal(runtime)

        async def one() -> tuple[float, float, Any]:
            t0 = time.perf_counter()
            async with runtime.store.transaction() as uow:
                t1 = time.perf_counter()
                found = await build_summary(
                    uow,
                    runtime.clock,
                    runtime.vault,
                    principal,
                    citizen_id,
                    first=None,
                    last=None,
                    rendering="json",
                )
                built = time.perf_counter() - t1
            return built, time.perf_counter() - t0, found

        for _ in range(20):
            await one()
        builds, transactions, as_json, as_fhir = [], [], [], []
        found: Any = None
        for _ in range(rounds):
            built, whole, found = await one()
            builds.append(built)
            transactions.append(whole)
            t = time.perf_counter()
            msgspec.json.encode(found)
            as_json.append(time.perf_counter() - t)
            t = time.perf_counter()
            msgspec.json.encode(summary_bundle(found))
            as_fhir.append(time.perf_counter() - t)
        for name, lat in (
            ("build_summary alone (in process, no HTTP)", builds),
            ("its transaction: begin + build_summary + audit + commit", transactions),
            ("msgspec JSON encode of the summary", as_json),
            ("summary_bundle + encode (FHIR)", as_fhir),
        ):
            report(
                f"[{engine}] {name}",
                p50_ms=_ms(lat, 0.5),
                p99_ms=_ms(lat, 0.99),
                rounds=str(rounds),
            )
        days = sum(len(m.days) for m in found.metrics)
        print(
            f"[{engine}] the summary: {len(found.metrics)} metrics, {days} day points, "
            f"{len(found.flags)} flags, {len(msgspec.json.encode(found)) // 1024} KB JSON",
            flush=True,
        )

        timer = _SqlTimer()
        timer.install(_connection_types())
        try:
            profiled = min(rounds, 100)
            for _ in range(profiled):
                await one()
        finally:
            timer.uninstall()
        total = sum(timer.seconds.values()) / profiled * 1000
        print(
            f"[{engine}] SQL per summary transaction ({profiled} rounds): "
            f"{sum(timer.calls.values()) / profiled:.0f} statements, {total:.2f} ms",
            flush=True,
        )
        for sql, seconds in sorted(timer.seconds.items(), key=lambda kv: -kv[1])[:12]:
            print(
                f"  {seconds / profiled * 1000:6.2f} ms  x{timer.calls[sql] / profiled:.0f}  {sql}",
                flush=True,
            )
    finally:
        await runtime.close()


def _profile(env: dict[str, str], citizen_id: str, rounds: int) -> None:
    """cProfile (Python time only: SQL runs in aiosqlite's thread or in the database) of
    build_summary, then of summary_bundle + encode."""
    import cProfile
    import pstats

    async def run() -> None:
        runtime = await Runtime.open(load_settings(env))
        try:
            principal = await _gp_principal(runtime)

            async def build() -> Any:
                async with runtime.store.transaction() as uow:
                    return await build_summary(
                        uow,
                        runtime.clock,
                        runtime.vault,
                        principal,
                        citizen_id,
                        first=None,
                        last=None,
                        rendering="json",
                    )

            profiler = cProfile.Profile()
            profiler.enable()
            for _ in range(rounds):
                found = await build()
            profiler.disable()
            print(f"cProfile of {rounds} x build_summary (its transaction included):")
            pstats.Stats(profiler).sort_stats("tottime").print_stats(15)
            profiler = cProfile.Profile()
            profiler.enable()
            for _ in range(rounds):
                msgspec.json.encode(summary_bundle(found))
            profiler.disable()
            print(f"cProfile of {rounds} x summary_bundle + msgspec encode:")
            pstats.Stats(profiler).sort_stats("tottime").print_stats(15)
        finally:
            await runtime.close()

    asyncio.run(run())


def run(engine: str, db_url: str | None, args: argparse.Namespace) -> bool:
    """One engine's figures; True when the 90-day summary meets the p99 target."""
    with _serve(db_url) as served:
        loaded = served.loaded
        report(
            f"[{engine}] load a year (ingest service, one transaction, roll-ups included)",
            seconds=loaded.seconds,
            samples_per_s=loaded.samples / loaded.seconds,
            samples=str(loaded.samples),
            stored=str(loaded.stored),
        )
        base = served.server.base
        anna = loaded.citizen_id
        r = httpx.post(
            f"{base}/v1/me/shares",
            json={"metrics": SHARED, "data_days": 365},
            headers={"Authorization": f"Bearer {served.citizen}"},
        )
        assert r.status_code == 201, (r.status_code, r.text[:300])
        path = f"/v1/clinician/citizens/{anna}/summary"
        r = httpx.get(base + path, headers={"Authorization": f"Bearer {served.gp}"})
        assert r.status_code == 200, (r.status_code, r.text[:300])
        days = {m["metric"]: len(m["days"]) for m in r.json()["metrics"]}
        assert set(days) == set(SHARED) and days[Metric.HEART_RATE.value] == 90, days
        print(
            f"[{engine}] the 90-day summary: {', '.join(f'{k} {v} days' for k, v in days.items())},"
            f" {len(r.json()['flags'])} flags, {len(r.content) // 1024} KB",
            flush=True,
        )
        n, warm = args.requests, args.warmup
        with httpx.Client(timeout=30) as client:
            took, live, _ = _sequential(client, f"{base}/health/live", None, warm, n)
            _row(engine, "baseline GET /health/live, 1 in flight", took, live)
            took, summary, size = _sequential(client, base + path, served.gp, warm, n)
            p99 = _ms(summary, 0.99)
            verdict = "PASS" if p99 <= TARGET_P99_MS else "FAIL"
            _row(
                engine,
                "GET .../summary (90 days), 1 in flight",
                took,
                summary,
                kb=str(size // 1024),
                target=f"p99<={TARGET_P99_MS:.0f}ms {verdict}",
            )
            took, fhir, size = _sequential(client, base + path + ".fhir", served.gp, warm, n)
            _row(
                engine,
                "GET .../summary.fhir (90 days), 1 in flight",
                took,
                fhir,
                kb=str(size // 1024),
            )
            took, html, size = _sequential(client, base + path + ".html", served.gp, warm, n)
            _row(
                engine,
                "GET .../summary.html (90 days), 1 in flight",
                took,
                html,
                kb=str(size // 1024),
            )
            took, made, opened = _links(client, base + path + "/links", served.gp, n)
            _row(
                engine,
                "POST .../summary/links, make a link (req_per_s = make+open pairs)",
                took,
                made,
            )
            _row(engine, "GET /v1/summary-links/{secret}, open it without a token", took, opened)
        env = served.server.env
        asyncio.run(_in_process(env, anna, args.rounds, engine))
        if args.profile:
            _profile(env, anna, args.rounds)
        server_peak = _rss_peak_mb(served.pid)
        if server_peak is None:
            print(
                f"[{engine}] peak RSS: bench process {peak_rss_mb():.0f} MB (server's not readable)"
            )
        else:
            print(
                f"[{engine}] peak RSS: server process {server_peak:.0f} MB (VmHWM of pid "
                f"{served.pid}), bench process {peak_rss_mb():.0f} MB (it did the load)",
                flush=True,
            )
    return verdict == "PASS"


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(prog="python -m bench.summary")
    ap.add_argument("--requests", type=int, default=500, help="timed requests per endpoint")
    ap.add_argument("--warmup", type=int, default=30, help="untimed requests first")
    ap.add_argument("--rounds", type=int, default=300, help="in-process build_summary calls")
    ap.add_argument("--profile", action="store_true", help="cProfile build_summary too")
    args = ap.parse_args(argv if argv is not None else [])
    print(
        "client: Python httpx, HTTP/1.1 keep-alive, 1 request in flight, on the same cores "
        f"as the server; target: 90-day summary p99 <= {TARGET_P99_MS:.0f} ms",
        flush=True,
    )
    started = time.perf_counter()
    ok = {"sqlite": run("sqlite", None, args)}
    dsn = os.environ.get("MINLAEGE_BENCH_POSTGRES_DSN", "")
    if dsn:
        schema = f"bench_{uuid.uuid4().hex[:12]}"
        try:
            ok["postgres"] = run(
                "postgres", f"{dsn}{'&' if '?' in dsn else '?'}schema={schema}", args
            )
        finally:
            asyncio.run(_drop_schema(dsn, schema))
    verdicts = ", ".join(f"{k} {'PASS' if v else 'FAIL'}" for k, v in ok.items())
    print(f"90-day summary p99 <= {TARGET_P99_MS:.0f} ms: {verdicts}")
    print(
        f"total {time.perf_counter() - started:.0f} s; machine: {machine()}; {datetime.now(UTC):%Y-%m-%d}"
    )


if __name__ == "__main__":
    main(sys.argv[1:])
