"""GET /v1/me over real loopback HTTP: the cost of auth (token check + caller lookup).

Baseline: GET /health/live on the same server (no token, no database). The difference
is what every authenticated request pays.
"""

from __future__ import annotations

import asyncio
import json
import os
import socket
import subprocess
import sys
import tempfile
import time

import httpx

from bench.common import machine, peak_rss_mb, percentile, report

REQUESTS = 2000
CONCURRENCY = 16


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


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
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "MINLAEGE_ENV": "development"}
        env.pop("MINLAEGE_DB", None)
        port = _port()
        cli = [sys.executable, "-m", "mobile_api.cli"]
        subprocess.run([*cli, "seed-demo"], cwd=tmp, env=env, check=True, capture_output=True)
        token = json.loads(
            subprocess.run(
                [*cli, "token", "--role", "citizen", "--subject", "demo-citizen-anna"],
                cwd=tmp,
                env=env,
                check=True,
                capture_output=True,
            ).stdout
        )["access_token"]
        server = subprocess.Popen(
            [*cli, "serve", "--port", str(port)],
            cwd=tmp,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            base = f"http://127.0.0.1:{port}"
            for _ in range(100):
                try:
                    if httpx.get(f"{base}/health/live").status_code == 200:
                        break
                except httpx.TransportError:
                    time.sleep(0.1)
            for name, path, headers in [
                ("baseline GET /health/live", "/health/live", {}),
                ("GET /v1/me (auth + lookup)", "/v1/me", {"Authorization": f"Bearer {token}"}),
            ]:
                seconds, lat = asyncio.run(_load(base + path, headers))
                report(
                    name,
                    req_per_s=REQUESTS / seconds,
                    p50_ms=percentile(lat, 0.5) * 1000,
                    p99_ms=percentile(lat, 0.99) * 1000,
                    client_peak_rss_mb=peak_rss_mb(),
                )
        finally:
            server.terminate()
            server.wait(timeout=10)
    print(f"machine: {machine()}")


if __name__ == "__main__":
    main()
