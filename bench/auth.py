"""GET /v1/me over real loopback HTTP: the cost of auth (token check + caller lookup).

Baseline: GET /health/live on the same server (no token, no database). The difference
is what every authenticated request pays.
"""

from __future__ import annotations

import asyncio
import time

import httpx

from bench.common import machine, peak_rss_mb, percentile, report, serve_demo

REQUESTS = 2000
CONCURRENCY = 16


async def _load(url: str, headers: dict[str, str]) -> tuple[float, list[float]]:
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
        await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))
        return time.perf_counter() - start, latencies


def main() -> None:
    with serve_demo() as server:
        token = server.token("citizen", "demo-citizen-anna")
        for name, path, headers in [
            ("baseline GET /health/live", "/health/live", {}),
            ("GET /v1/me (auth + lookup)", "/v1/me", {"Authorization": f"Bearer {token}"}),
        ]:
            seconds, lat = asyncio.run(_load(server.base + path, headers))
            report(
                name,
                req_per_s=REQUESTS / seconds,
                p50_ms=percentile(lat, 0.5) * 1000,
                p99_ms=percentile(lat, 0.99) * 1000,
                client_peak_rss_mb=peak_rss_mb(),
            )
    print(f"machine: {machine()}")


if __name__ == "__main__":
    main()
