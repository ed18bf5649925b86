"""Health Connect sync beside the HealthKit sync, over real loopback HTTP, same server.

Batches of 5,000: Health Connect `Steps` records (POST /v1/me/healthconnect/records)
and HealthKit step samples (POST /v1/me/healthkit/samples), one sample each, one batch
at a time, alternating so both see the same machine. Each batch covers its own 5,000
minutes, so nothing is a duplicate and every batch re-rolls about four days. Then
every batch again (a replay: all duplicates, nothing stored), and a mixed Health
Connect batch (heart-rate series of 10 samples, weights, blood pressure, sleep).

Target of issue 15: no slower per sample than the HealthKit sync.
`--db postgresql://…` runs the same against PostgreSQL (a fresh schema, dropped after).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from bench.common import demo_files, machine, percentile, report, running

BATCH = 5000
_BASE = datetime(2024, 1, 1, tzinfo=UTC)
_META = {"clientRecordId": None, "clientRecordVersion": 0, "recordingMethod": 0}
_PHONE = {"type": 2, "manufacturer": "samsung", "model": "SM-S911B"}


def _iso(t: datetime) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%S.000Z")


def _meta(n: int, i: int) -> dict[str, Any]:
    return {
        "id": str(uuid.UUID(int=(n << 32) + i + 1)),
        "dataOrigin": "com.sec.android.app.shealth",
        "lastModifiedTime": _iso(_BASE + timedelta(days=900)),
        "device": _PHONE,
        **_META,
    }


def hc_steps(n: int) -> bytes:
    """Batch n: 5,000 one-minute Steps records from minute n x 5,000 on."""
    records = []
    for i in range(BATCH):
        start = _BASE + timedelta(minutes=n * BATCH + i)
        records.append(
            {
                "recordType": "Steps",
                "startTime": _iso(start),
                "endTime": _iso(start + timedelta(minutes=1)),
                "startZoneOffset": {"id": "+01:00", "totalSeconds": 3600},
                "endZoneOffset": {"id": "+01:00", "totalSeconds": 3600},
                "count": 40 + i % 60,
                "metadata": _meta(n, i),
            }
        )
    return json.dumps({"records": records}).encode()


def hk_steps(n: int) -> bytes:
    """The same layout as HealthKit samples from the iPhone (batches after the HC ones)."""
    samples = []
    for i in range(BATCH):
        start = _BASE + timedelta(minutes=n * BATCH + i)
        samples.append(
            {
                "uuid": str(uuid.UUID(int=(n << 32) + i + 1)).upper(),
                "type": "HKQuantityTypeIdentifierStepCount",
                "unit": "count",
                "value": 40 + i % 60,
                "start": start.isoformat(),
                "end": (start + timedelta(minutes=1)).isoformat(),
                "source_name": "Annas iPhone",
                "bundle_id": "com.apple.health.ABC",
                "device_model": "iPhone",
            }
        )
    return json.dumps({"samples": samples}).encode()


def hc_mixed(n: int) -> tuple[bytes, int]:
    """5,000 records: heart-rate series (10 samples), weights, blood pressure, sleep."""
    records: list[dict[str, Any]] = []
    samples = 0
    for i in range(BATCH):
        t = _BASE + timedelta(minutes=n * BATCH + i)
        meta = _meta(n, i)
        kind = i % 4
        if kind == 0:
            records.append(
                {
                    "recordType": "HeartRate",
                    "startTime": _iso(t),
                    "endTime": _iso(t + timedelta(seconds=59)),
                    "samples": [
                        {"time": _iso(t + timedelta(seconds=6 * k)), "beatsPerMinute": 60 + k}
                        for k in range(10)
                    ],
                    "metadata": meta,
                }
            )
            samples += 10
        elif kind == 1:
            weight = {"inKilograms": 70 + i % 10, "inPounds": (70 + i % 10) / 0.45359237}
            records.append({"recordType": "Weight", "time": _iso(t), "weight": weight, "metadata": meta})  # fmt: skip
            samples += 1
        elif kind == 2:
            records.append(
                {
                    "recordType": "BloodPressure",
                    "time": _iso(t),
                    "systolic": {"inMillimetersOfMercury": 120 + i % 20},
                    "diastolic": {"inMillimetersOfMercury": 80 + i % 10},
                    "bodyPosition": 0,
                    "measurementLocation": 0,
                    "metadata": meta,
                }
            )
            samples += 2
        else:
            records.append(
                {
                    "recordType": "SleepSession",
                    "startTime": _iso(t),
                    "endTime": _iso(t + timedelta(minutes=1)),
                    "stages": [
                        {
                            "startTime": _iso(t),
                            "endTime": _iso(t + timedelta(seconds=30)),
                            "stage": 4,
                        },
                        {
                            "startTime": _iso(t + timedelta(seconds=30)),
                            "endTime": _iso(t + timedelta(minutes=1)),
                            "stage": 5,
                        },
                    ],
                    "metadata": meta,
                }
            )
            samples += 2
    return json.dumps({"records": records}).encode(), samples


async def _post(client: httpx.AsyncClient, url: str, body: bytes) -> float:
    t = time.perf_counter()
    r = await client.post(url, content=body)
    elapsed = time.perf_counter() - t
    assert r.status_code == 200, r.text[:300]
    return elapsed


async def _run(base: str, token: str, batches: int) -> None:
    headers = {"Authorization": f"Bearer {token}", "content-type": "application/json"}
    hc_url, hk_url = f"{base}/v1/me/healthconnect/records", f"{base}/v1/me/healthkit/samples"
    hc_bodies = [hc_steps(n) for n in range(batches)]
    hk_bodies = [hk_steps(batches + n) for n in range(batches)]
    async with httpx.AsyncClient(headers=headers, timeout=120) as client:
        for phase in ("new", "replay"):
            lat: dict[str, list[float]] = {"hc": [], "hk": []}
            for n in range(batches):
                lat["hk"].append(await _post(client, hk_url, hk_bodies[n]))
                lat["hc"].append(await _post(client, hc_url, hc_bodies[n]))
            for road, name in (("hk", "HealthKit sync"), ("hc", "Health Connect sync")):
                values = lat[road]
                report(
                    f"{name}, {phase} ({batches}x{BATCH} steps)",
                    samples_per_s=batches * BATCH / sum(values),
                    p50_ms=percentile(values, 0.5) * 1000,
                    p99_ms=percentile(values, 0.99) * 1000,
                    us_per_sample=sum(values) / (batches * BATCH) * 1e6,
                )
        mixed = [hc_mixed(2 * batches + n) for n in range(batches)]
        values = [await _post(client, hc_url, body) for body, _ in mixed]
        total = sum(n for _, n in mixed)
        report(
            f"Health Connect sync, mixed records ({batches}x{BATCH} records, {total} samples)",
            records_per_s=batches * BATCH / sum(values),
            samples_per_s=total / sum(values),
            p50_ms=percentile(values, 0.5) * 1000,
            p99_ms=percentile(values, 0.99) * 1000,
        )


def _drop_schema(dsn: str, schema: str) -> Callable[[], None]:
    def drop() -> None:
        import asyncpg

        async def go() -> None:
            conn = await asyncpg.connect(dsn)
            try:
                await conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
            finally:
                await conn.close()

        asyncio.run(go())

    return drop


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--batches", type=int, default=6)
    ap.add_argument("--db", default="", help="postgresql://… (default: SQLite)")
    args = ap.parse_args(argv if argv is not None else [])
    db_url, cleanup = None, None
    if args.db:
        schema = f"bench_{uuid.uuid4().hex[:12]}"
        db_url = f"{args.db}{'&' if '?' in args.db else '?'}schema={schema}"
        cleanup = _drop_schema(args.db, schema)
    try:
        with demo_files(db_url) as server:
            server.ids = server.cli("seed-demo")
            with running(server):
                token = server.token("citizen", "demo-citizen-anna")
                print(f"database: {'PostgreSQL' if args.db else 'SQLite'}")
                asyncio.run(_run(server.base, token, args.batches))
    finally:
        if cleanup is not None:
            cleanup()
    print(f"machine: {machine()}")


if __name__ == "__main__":
    main(sys.argv[1:])
