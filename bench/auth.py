"""GET /v1/me against GET /health/live under wrk: what an authenticated request costs.

Baseline: `GET /health/live` on the same server in the same round (no token, no
database). `GET /v1/me` pays for the token check (signature remembered), the session
and caller lookups (on every request, so logout and revocation are immediate) and the
answer. Issue 13's target: `/v1/me` at 25 % or more of `/health/live` on one process.
The token comes from `minlaege token`, which opens a session as a login does.

wrk (a C load generator) drives both, so the client is not what is measured; without
wrk the figures come from an httpx client and say more about the client than the server.
Then two `serve --no-worker` processes on the same database, one wrk each at once.
With `MINLAEGE_BENCH_POSTGRES_DSN` set, all of it again on PostgreSQL (its own schema).
Beside throughput each run prints the server's CPU per request (`cpu_us_per_req`, from
/proc): on a machine shared with other work, throughput swings with the load while CPU
per request holds still, so the share of `/health/live` is also given in CPU terms.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import httpx

from bench.api import _drop_schema
from bench.common import (
    demo_files,
    free_port,
    machine,
    peak_rss_mb,
    percentile,
    process_cpu_seconds,
    report,
    running,
    wrk,
)

ROUNDS = 3
SECONDS = 4
CONNECTIONS = 16
#: the httpx fallback when wrk is missing
REQUESTS = 2000


async def _httpx_load(url: str, headers: dict[str, str]) -> tuple[float, list[float]]:
    latencies: list[float] = []
    async with httpx.AsyncClient(headers=headers, timeout=10) as client:
        remaining = REQUESTS

        async def worker() -> None:
            nonlocal remaining
            while remaining > 0:
                remaining -= 1
                t = time.perf_counter()
                r = await client.get(url)
                latencies.append(time.perf_counter() - t)
                assert r.status_code == 200, r.text

        start = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(CONNECTIONS)))
        return time.perf_counter() - start, latencies


def _without_wrk(base: str, token: str) -> None:
    print("wrk not installed (apt-get install wrk): httpx client figures instead")
    for name, path, headers in [
        ("baseline GET /health/live", "/health/live", {}),
        ("GET /v1/me (auth + lookup)", "/v1/me", {"Authorization": f"Bearer {token}"}),
    ]:
        seconds, lat = asyncio.run(_httpx_load(base + path, headers))
        report(
            name,
            req_per_s=REQUESTS / seconds,
            p50_ms=percentile(lat, 0.5) * 1000,
            p99_ms=percentile(lat, 0.99) * 1000,
            client_peak_rss_mb=peak_rss_mb(),
        )


def _checked(got: dict[str, float], what: str) -> dict[str, float]:
    if got["non_2xx"] or got["socket_errors"]:
        raise SystemExit(f"{what}: {got['non_2xx']:.0f} non-2xx answers or socket errors")
    return got


def _measured(pid: int, url: str, token: str | None, what: str) -> dict[str, float]:
    before = process_cpu_seconds(pid)
    got = _checked(wrk(url, token, CONNECTIONS, SECONDS), what)
    used = process_cpu_seconds(pid) - before
    return {**got, "cpu_us_per_req": 1e6 * used / max(got["requests"], 1.0)}


def _engine(engine: str, db_url: str | None) -> None:
    """The rounds on one process, then two processes, on one engine."""
    with demo_files(db_url) as server:
        server.ids = server.cli("seed-demo")
        token = server.token("citizen", "demo-citizen-anna")
        with running(server, "--no-worker") as pid:
            if shutil.which("wrk") is None:
                _without_wrk(server.base, token)
                return
            for n in range(1, ROUNDS + 1):
                live = _measured(pid, server.base + "/health/live", None, "live")
                me = _measured(pid, server.base + "/v1/me", token, "me")
                report(f"[{engine}] round {n}, one process: baseline GET /health/live", **live)
                report(
                    f"[{engine}] round {n}, one process: GET /v1/me",
                    **me,
                    share_of_live_pct=100 * me["req_per_s"] / live["req_per_s"],
                    cpu_share_of_live_pct=100 * live["cpu_us_per_req"] / me["cpu_us_per_req"],
                )
        second = free_port()
        with running(server, "--no-worker"), running(server, "--no-worker", port=second):
            bases = [server.base, f"http://127.0.0.1:{second}"]
            for path, tok in [("/health/live", None), ("/v1/me", token)]:
                with ThreadPoolExecutor(2) as pool:
                    runs = list(
                        pool.map(
                            lambda b, p=path, t=tok: wrk(b + p, t, CONNECTIONS, SECONDS), bases
                        )
                    )
                for i, got in enumerate(runs):
                    _checked(got, path)
                    report(f"[{engine}] two processes, node {i + 1}: GET {path}", **got)
                report(
                    f"[{engine}] two processes, summed: GET {path}",
                    req_per_s=sum(r["req_per_s"] for r in runs),
                )


def main() -> None:
    _engine("sqlite", None)
    dsn = os.environ.get("MINLAEGE_BENCH_POSTGRES_DSN", "")
    if dsn:
        schema = f"bench_{uuid.uuid4().hex[:12]}"
        try:
            _engine("postgres", f"{dsn}{'&' if '?' in dsn else '?'}schema={schema}")
        finally:
            asyncio.run(_drop_schema(dsn, schema))
    print(f"machine: {machine()}")


if __name__ == "__main__":
    main()
