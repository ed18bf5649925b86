"""Gateway uploads over real loopback HTTP: 500-reading batches from a bounded load loop.

Baseline: the same batches with every reading already stored (all duplicates), which
is the cost of the request, the decode and the dedupe lookups without sample writes.
Target of issue 4: at least 50,000 readings/s accepted, p99 batch latency at most 100 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time

import httpx

from bench.common import machine, percentile, report, serve_demo

BATCH = 500


def _batch(n: int) -> bytes:
    readings = [
        {
            "id": f"b{n}-{i}",
            "device": {"address": "A4:C1:38:00:00:01", "manufacturer": "Polar", "model": "H10"},
            "characteristic": "2A37",
            "payload_hex": f"00{40 + (i % 150):02X}",
            "received_at": f"2024-05-02T{8 + (n // 60) % 12:02d}:{n % 60:02d}:{i % 60:02d}Z",
        }
        for i in range(BATCH)
    ]
    return json.dumps({"readings": readings}).encode()


async def _load(
    url: str, token: str, bodies: list[bytes], concurrency: int
) -> tuple[float, list[float]]:
    latencies: list[float] = []
    queue = list(bodies)
    headers = {"Authorization": f"Bearer {token}", "content-type": "application/json"}
    async with httpx.AsyncClient(headers=headers, timeout=30) as client:

        async def worker() -> None:
            while queue:
                body = queue.pop()
                t = time.perf_counter()
                r = await client.post(url, content=body)
                latencies.append(time.perf_counter() - t)
                assert r.status_code == 200, r.text[:300]

        start = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        return time.perf_counter() - start, latencies


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--batches", type=int, default=100)
    ap.add_argument("--concurrency", type=int, default=4)
    args = ap.parse_args(argv if argv is not None else [])
    bodies = [_batch(n) for n in range(args.batches)]
    with serve_demo() as server:
        token = server.token("gateway", server.ids["gateway_id"])
        url = f"{server.base}/v1/gateway/readings"
        for name in ("new readings (accepted)", "baseline: the same batches again (duplicates)"):
            seconds, lat = asyncio.run(_load(url, token, list(bodies), args.concurrency))
            report(
                name,
                readings_per_s=args.batches * BATCH / seconds,
                p50_ms=percentile(lat, 0.5) * 1000,
                p99_ms=percentile(lat, 0.99) * 1000,
                batches=str(args.batches),
            )
    print(f"machine: {machine()}")


if __name__ == "__main__":
    main(sys.argv[1:])
