"""Gateway uploads over real loopback HTTP: 500-reading batches from a bounded load loop.

Baseline: the same batches with every reading already stored (all duplicates), which
is the cost of the request, the decode and the dedupe without sample writes.
Target of issue 4: at least 50,000 readings/s accepted, p99 batch latency at most 100 ms.

Each round posts new readings (a day of its own, so rounds do not collide) and then the
same batches again. `steal_pct` is the share of CPU time the hypervisor gave to other
guests during the phase (from /proc/stat): on a shared virtual machine it can take a
third of the CPU, so a figure means little without it. `--rounds 3` prints each round.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from datetime import date, timedelta
from pathlib import Path

import httpx

from bench.common import machine, percentile, report, serve_demo

BATCH = 500
_FIRST_DAY = date(2024, 5, 2)


def _batch(n: int, size: int = BATCH, round_no: int = 0) -> bytes:
    day = (_FIRST_DAY + timedelta(days=round_no)).isoformat()
    readings = [
        {
            "id": f"r{round_no}-b{n}-{i}",
            "device": {"address": "A4:C1:38:00:00:01", "manufacturer": "Polar", "model": "H10"},
            "characteristic": "2A37",
            "payload_hex": f"00{40 + (i % 150):02X}",
            "received_at": f"{day}T{8 + (n // 60) % 12:02d}:{n % 60:02d}:{i % 60:02d}Z",
        }
        for i in range(size)
    ]
    return json.dumps({"readings": readings}).encode()


def _cpu_ticks() -> tuple[int, int]:
    """(all, stolen) CPU ticks of the machine so far; (0, 0) where /proc is missing."""
    try:
        with Path("/proc/stat").open() as f:
            fields = [int(x) for x in f.readline().split()[1:9]]
    except OSError:
        return 0, 0
    return sum(fields), fields[7]


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
    ap.add_argument("--batch-size", type=int, default=BATCH, help="readings per batch (≤1000)")
    ap.add_argument("--concurrency", type=int, default=4)
    ap.add_argument("--rounds", type=int, default=1)
    args = ap.parse_args(argv if argv is not None else [])
    with serve_demo() as server:
        token = server.token("gateway", server.ids["gateway_id"])
        url = f"{server.base}/v1/gateway/readings"
        for round_no in range(args.rounds):
            bodies = [_batch(n, args.batch_size, round_no) for n in range(args.batches)]
            for name in (
                "new readings (accepted)",
                "baseline: the same batches again (duplicates)",
            ):
                ticks, stolen = _cpu_ticks()
                seconds, lat = asyncio.run(_load(url, token, list(bodies), args.concurrency))
                ticks_after, stolen_after = _cpu_ticks()
                steal = (stolen_after - stolen) / max(1, ticks_after - ticks) * 100
                report(
                    name,
                    readings_per_s=args.batches * args.batch_size / seconds,
                    p50_ms=percentile(lat, 0.5) * 1000,
                    p99_ms=percentile(lat, 0.99) * 1000,
                    steal_pct=steal,
                    batches=f"{args.batches}x{args.batch_size}",
                )
    print(f"machine: {machine()}")


if __name__ == "__main__":
    main(sys.argv[1:])
