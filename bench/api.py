"""The booking API over real loopback HTTP: free-slot lists, bookings, one contended slot.

The GP sets Mon–Fri 08:00–16:00 of 15-minute consultations and generates eight weeks
of slots; then, with one httpx client and a keep-alive pool sized to the concurrency:

- baseline: GET /health/live (no token, no database), the same client and concurrency;
- GET /v1/me/clinic/slots for a 14-day window;
- POST /v1/me/appointments, distinct citizens booking distinct free slots;
- the slot list and bookings again one request at a time (their cost without queueing);
- contention: 50 citizens book the same slot at once: exactly one 201, the rest 409;
- the GP's renewal queue with 100 open requests from 100 citizens, one at a time (each
  read writes 100 audit entries, one in each citizen's log).

Any status other than the expected ones is printed with its body and fails the run.

SQLite (the embedded default) always; PostgreSQL as well when MINLAEGE_BENCH_POSTGRES_DSN
is set (a fresh schema, dropped afterwards). Client and server share the machine's
cores and the client is Python, so the absolute figures are a floor for the server.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx

from app.domain.identity import Role
from app.domain.ids import stable_id
from app.domain.medications import Medication
from app.domain.people import Citizen
from app.services.demo import GP_SUBJECT
from app.settings import load_settings
from bench.common import DemoServer, demo_files, machine, peak_rss_mb, percentile, report, running
from mobile_api.runtime import Runtime

CLINIC_ZONE = ZoneInfo("Europe/Copenhagen")
WEEKS = 8
CONTENDERS = 50
#: bookings (and a few times as many GETs) one at a time, for the unloaded cost
SEQUENTIAL = 50
#: open renewal requests in the GP's queue
QUEUE = 100


@dataclass
class Served:
    """A server on loopback, its process id, and tokens for the GP and the bench citizens."""

    server: DemoServer
    pid: int
    gp: str
    citizens: list[str]


@dataclass
class Phase:
    seconds: float = 0.0
    latencies: list[float] = field(default_factory=list)
    statuses: Counter[int] = field(default_factory=Counter)
    #: one response body per unexpected status, to report
    samples: dict[int, str] = field(default_factory=dict)

    def record(self, status: int, seconds: float, body: str, expected: tuple[int, ...]) -> None:
        self.statuses[status] += 1
        if status in expected:
            self.latencies.append(seconds)
        else:
            self.samples.setdefault(status, body[:300])


async def _prepare(env: dict[str, str], citizens: int) -> tuple[str, list[str]]:
    """Bench citizens listed at the demo clinic, and tokens from the server's keys."""
    runtime = await Runtime.open(load_settings(env))
    try:
        subjects = [f"bench-citizen-{i:04d}" for i in range(citizens)]
        async with runtime.store.transaction() as uow:
            gp = await uow.clinicians.by_subject(GP_SUBJECT)
            assert gp is not None, "seed-demo made no GP"
            for i, subject in enumerate(subjects):
                if await uow.citizens.by_subject(subject) is None:
                    citizen = Citizen(
                        id=stable_id("citizen", subject),
                        subject=subject,
                        name=f"Bench Borger {i}",
                        clinic_id=gp.clinic_id,
                        created_at=runtime.clock.now(),
                    )
                    await uow.citizens.add(citizen, cpr_hash=None, cpr_sealed=None)
                    if i < QUEUE:
                        await uow.medications.replace(
                            citizen.id,
                            [
                                Medication(
                                    id=stable_id("medication", subject),
                                    citizen_id=citizen.id,
                                    name="Amlodipin",
                                    strength="5 mg",
                                    dosage="1 tablet dagligt",
                                    atc="C08CA01",
                                )
                            ],
                        )
        mint = runtime.signer.mint
        gp_token = mint(role=Role.CLINICIAN, subject=GP_SUBJECT)[0]
        return gp_token, [mint(role=Role.CITIZEN, subject=s)[0] for s in subjects]
    finally:
        await runtime.close()


def _rss_peak_mb(pid: int) -> float | None:
    """The peak resident memory (VmHWM) of a running process, in MB; Linux only."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    for line in status.splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return None


@contextmanager
def _serve(db_url: str | None, citizens: int) -> Iterator[Served]:
    """Like bench.common.serve_demo, plus bench citizens before serving and the server's pid."""
    with demo_files(db_url) as demo:
        demo.ids = demo.cli("seed-demo")
        gp, tokens = asyncio.run(_prepare(demo.env, citizens))
        with running(demo) as pid:
            yield Served(demo, pid, gp, tokens)


def _client(concurrency: int) -> httpx.AsyncClient:
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    return httpx.AsyncClient(limits=limits, timeout=30)


async def _warm(client: httpx.AsyncClient, base: str, concurrency: int) -> None:
    """Open the pool's connections first, so no timed request pays for a TCP handshake."""
    await asyncio.gather(*(client.get(f"{base}/health/live") for _ in range(concurrency)))


async def _get_load(
    base: str, path: str, params: dict[str, str], token: str | None, requests: int, conc: int
) -> Phase:
    phase = Phase()
    headers = {} if token is None else {"Authorization": f"Bearer {token}"}
    async with _client(conc) as client:
        await _warm(client, base, conc)
        remaining = requests

        async def worker() -> None:
            nonlocal remaining
            while remaining > 0:
                remaining -= 1
                t = time.perf_counter()
                r = await client.get(base + path, params=params, headers=headers)
                phase.record(r.status_code, time.perf_counter() - t, r.text, (200,))

        start = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(conc)))
        phase.seconds = time.perf_counter() - start
    return phase


async def _book_load(base: str, pairs: list[tuple[str, str]], conc: int) -> Phase:
    """Each (token, slot id) pair is one booking; `conc` of them in flight."""
    phase = Phase()
    queue = list(reversed(pairs))
    async with _client(conc) as client:
        await _warm(client, base, conc)

        async def worker() -> None:
            while queue:
                token, slot_id = queue.pop()
                t = time.perf_counter()
                r = await client.post(
                    f"{base}/v1/me/appointments",
                    json={"slot_id": slot_id, "reason": "Kontrol af blodtryk"},
                    headers={"Authorization": f"Bearer {token}"},
                )
                phase.record(r.status_code, time.perf_counter() - t, r.text, (201,))

        start = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(conc)))
        phase.seconds = time.perf_counter() - start
    return phase


async def _contend(base: str, tokens: list[str], slot_id: str) -> tuple[Phase, Counter[str]]:
    """Every token books the same slot at the same moment."""
    phase = Phase()
    kinds: Counter[str] = Counter()
    async with _client(len(tokens)) as client:
        await _warm(client, base, len(tokens))

        async def one(token: str) -> None:
            t = time.perf_counter()
            r = await client.post(
                f"{base}/v1/me/appointments",
                json={"slot_id": slot_id, "reason": ""},
                headers={"Authorization": f"Bearer {token}"},
            )
            phase.record(r.status_code, time.perf_counter() - t, r.text, (201, 409))
            if r.status_code == 409:
                kinds[str(r.json().get("type", "?")).rsplit("/", 1)[-1]] += 1

        start = time.perf_counter()
        await asyncio.gather(*(one(t) for t in tokens))
        phase.seconds = time.perf_counter() - start
    return phase, kinds


def _setup(served: Served) -> tuple[int, date]:
    """The GP's hours and eight weeks of slots from tomorrow; the slots made and day one."""
    base, auth = served.server.base, {"Authorization": f"Bearer {served.gp}"}
    hours = [
        {"weekday": d, "opens": "08:00", "closes": "16:00", "kind": "consultation"}
        for d in range(5)
    ]
    r = httpx.put(f"{base}/v1/clinician/clinic/hours", json={"hours": hours}, headers=auth)
    assert r.status_code == 200, (r.status_code, r.text[:300])
    first = datetime.now(CLINIC_ZONE).date() + timedelta(days=1)
    last = first + timedelta(weeks=WEEKS) - timedelta(days=1)
    t = time.perf_counter()
    r = httpx.post(
        f"{base}/v1/clinician/clinic/slots/generate",
        json={"from": first.isoformat(), "to": last.isoformat()},
        headers=auth,
        timeout=60,
    )
    assert r.status_code == 200, (r.status_code, r.text[:300])
    made: dict[str, int] = r.json()
    print(
        f"setup: hours Mon-Fri 08:00-16:00 x 15 min; generate {first}..{last}: "
        f"{made['created']} slots made ({made['existing']} existed) "
        f"in {(time.perf_counter() - t) * 1000:.0f} ms",
        flush=True,
    )
    return made["created"] + made["existing"], first


def _row(engine: str, name: str, phase: Phase, count_of: int, unit: str = "req_per_s") -> None:
    lat = phase.latencies or [float("nan")]
    figures: dict[str, float | str] = {
        unit: count_of / phase.seconds,
        "p50_ms": percentile(lat, 0.5) * 1000,
        "p99_ms": percentile(lat, 0.99) * 1000,
        "statuses": " ".join(f"{k}x{v}" for k, v in sorted(phase.statuses.items())),
    }
    report(f"[{engine}] {name}", **figures)
    for status, body in phase.samples.items():
        print(f"  UNEXPECTED {status}: {body}", flush=True)


def run(engine: str, db_url: str | None, args: argparse.Namespace) -> list[str]:
    """One engine's figures; returns the problems found (unexpected statuses)."""
    problems: list[str] = []
    n = args.citizens
    with _serve(db_url, n + SEQUENTIAL + CONTENDERS) as served:
        base, citizens = served.server.base, served.citizens
        booking, one_by_one, contenders = (
            citizens[:n],
            citizens[n : n + SEQUENTIAL],
            citizens[n + SEQUENTIAL :],
        )
        total, first = _setup(served)
        window = {
            "from": first.isoformat(),
            "to": (first + timedelta(days=13)).isoformat(),
            "type": "consultation",
        }
        conc = args.concurrency
        phases: list[tuple[str, Phase]] = []

        live = asyncio.run(_get_load(base, "/health/live", {}, None, args.requests, conc))
        _row(engine, f"baseline GET /health/live, {conc} in flight", live, args.requests)
        phases.append(("health", live))

        one = httpx.get(
            f"{base}/v1/me/clinic/slots",
            params=window,
            headers={"Authorization": f"Bearer {citizens[0]}"},
        )
        assert one.status_code == 200, (one.status_code, one.text[:300])
        listed = f"14 days, {len(one.json())} slots, {len(one.content) // 1024} KB"
        slots = asyncio.run(
            _get_load(base, "/v1/me/clinic/slots", window, citizens[0], args.slot_requests, conc)
        )
        _row(
            engine,
            f"GET /v1/me/clinic/slots ({listed}), {conc} in flight",
            slots,
            len(slots.latencies),
        )
        phases.append(("slots", slots))

        # One request at a time: what each costs without queueing (still through httpx).
        live1 = asyncio.run(_get_load(base, "/health/live", {}, None, SEQUENTIAL * 4, 1))
        _row(engine, "baseline GET /health/live, 1 at a time", live1, len(live1.latencies))
        slots1 = asyncio.run(
            _get_load(base, "/v1/me/clinic/slots", window, citizens[0], SEQUENTIAL * 4, 1)
        )
        _row(engine, "GET /v1/me/clinic/slots, 1 at a time", slots1, len(slots1.latencies))
        phases += [("health 1 at a time", live1), ("slots 1 at a time", slots1)]

        free_listed: list[dict[str, str]] = []
        for offset in (0, 28):  # a request covers at most 31 days
            part = httpx.get(
                f"{base}/v1/me/clinic/slots",
                params={
                    "from": (first + timedelta(days=offset)).isoformat(),
                    "to": (first + timedelta(days=offset + 27)).isoformat(),
                },
                headers={"Authorization": f"Bearer {citizens[0]}"},
                timeout=30,
            )
            assert part.status_code == 200, (part.status_code, part.text[:300])
            free_listed += part.json()
        free = [s["id"] for s in free_listed]
        print(f"free slots listed for 8 weeks: {len(free)} of {total}", flush=True)
        wanted = n + SEQUENTIAL + 1
        assert len(free) >= wanted, "not enough free slots for the bookings"
        # Bookings spread over the weeks, not packed into the first mornings.
        targets = free[:: max(1, len(free) // wanted)][:wanted]
        contended, targets = targets[0], targets[1:]

        books = asyncio.run(_book_load(base, list(zip(booking, targets[:n], strict=True)), conc))
        _row(
            engine,
            f"POST /v1/me/appointments, {n} citizens, distinct slots, {conc} in flight",
            books,
            books.statuses[201],
            unit="booked_per_s",
        )
        books1 = asyncio.run(_book_load(base, list(zip(one_by_one, targets[n:], strict=True)), 1))
        _row(
            engine,
            "POST /v1/me/appointments, 1 at a time",
            books1,
            books1.statuses[201],
            unit="booked_per_s",
        )
        for name, phase in (("bookings", books), ("bookings 1 at a time", books1)):
            if phase.statuses[201] != sum(phase.statuses.values()):
                problems.append(f"{engine}: {name} {dict(phase.statuses)}")

        fight, kinds = asyncio.run(_contend(base, contenders, contended))
        report(
            f"[{engine}] contention: {CONTENDERS} bookings of one slot at once",
            booked=str(fight.statuses[201]),
            conflicts=str(fight.statuses[409]),
            conflict_types=",".join(f"{k}x{v}" for k, v in kinds.items()) or "-",
            others=str(sum(v for k, v in fight.statuses.items() if k not in (201, 409))),
            wall_ms=fight.seconds * 1000,
            p99_ms=percentile(fight.latencies or [float("nan")], 0.99) * 1000,
        )
        for status, body in fight.samples.items():
            print(f"  UNEXPECTED {status}: {body}", flush=True)
        if fight.statuses[201] != 1 or fight.statuses[409] != CONTENDERS - 1:
            problems.append(f"{engine}: contention {dict(fight.statuses)}")

        for subject_no, token in enumerate(citizens[:QUEUE]):
            asked = httpx.post(
                f"{base}/v1/me/renewals",
                json={
                    "medication_ids": [stable_id("medication", f"bench-citizen-{subject_no:04d}")]
                },
                headers={"Authorization": f"Bearer {token}"},
            )
            assert asked.status_code == 201, (asked.status_code, asked.text[:300])
        queue1 = asyncio.run(
            _get_load(base, "/v1/clinician/renewals", {}, served.gp, SEQUENTIAL * 2, 1)
        )
        _row(
            engine,
            f"GET /v1/clinician/renewals ({QUEUE} open), 1 at a time",
            queue1,
            len(queue1.latencies),
        )
        phases.append(("renewal queue", queue1))

        for name, phase in phases:
            bad = {k: v for k, v in phase.statuses.items() if k != 200}
            if bad:
                problems.append(f"{engine}: {name} {bad}")
        server_peak = _rss_peak_mb(served.pid)
        if server_peak is None:
            print(f"peak RSS: bench process {peak_rss_mb():.0f} MB (server's not readable)")
        else:
            print(
                f"peak RSS: server process {server_peak:.0f} MB (VmHWM of pid {served.pid}), "
                f"bench client process {peak_rss_mb():.0f} MB",
                flush=True,
            )
    return problems


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(prog="python -m bench.api")
    ap.add_argument("--concurrency", type=int, default=32)
    ap.add_argument("--requests", type=int, default=2000, help="for /health/live")
    ap.add_argument("--slot-requests", type=int, default=2000, help="for the slot list")
    ap.add_argument("--citizens", type=int, default=200, help="bookings under load")
    args = ap.parse_args(argv if argv is not None else [])
    print(
        f"client: Python httpx, HTTP/1.1 keep-alive, {args.concurrency} in flight, on the "
        "same cores as the server: the absolute figures are a floor for the server",
        flush=True,
    )
    started = time.perf_counter()
    problems = run("sqlite", None, args)
    dsn = os.environ.get("MINLAEGE_BENCH_POSTGRES_DSN", "")
    if dsn:
        schema = f"bench_{uuid.uuid4().hex[:12]}"
        try:
            problems += run("postgres", f"{dsn}{'&' if '?' in dsn else '?'}schema={schema}", args)
        finally:
            asyncio.run(_drop_schema(dsn, schema))
    print(f"total {time.perf_counter() - started:.0f} s; machine: {machine()}")
    if problems:
        raise SystemExit("unexpected statuses: " + "; ".join(problems))


async def _drop_schema(dsn: str, schema: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
    finally:
        await conn.close()


if __name__ == "__main__":
    main(sys.argv[1:])
