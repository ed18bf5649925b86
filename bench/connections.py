"""The cost of a 90-day Withings backfill against the loopback stand-in.

A citizen with a blood-pressure cuff (two readings a day: systolic, diastolic, pulse),
a scale (one weighing a day), a day of steps and a night of sleep a day links Withings; the worker's pulls then fetch 90 days
in 10-day chunks through the app-wide bucket and store them like every other source.
Reported: requests to Withings (token exchange, 4 subscriptions, getmeas, getactivity
and getsummary pages), seconds
for the whole backfill, samples stored, and the same figures for a replay of every
window (what a storm of repeated notifications costs: requests, nothing stored).

    python -m bench connections [--days 90] [--per-day 3] [--page-size 200]
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
import urllib.parse
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

from adapters.clock import FixedClock
from adapters.connections.sealing import AesGcmTokenSealer
from adapters.connections.withings import WithingsClient
from adapters.identity.cpr_vault import AesGcmCprVault
from app.domain.identity import Principal, Role
from app.services.accounts import ensure_citizen
from app.services.connections import CloudConnections, PullReport
from app.store import open_store
from bench.common import machine, peak_rss_mb, report
from tests.vendor_servers import CLIENT_ID, CLIENT_SECRET, Day, Group, Night, fake_withings

PUBLIC = "https://minlaege.bench"


async def _drain(cloud: CloudConnections) -> PullReport:
    total = PullReport()
    while True:
        got = await cloud.work("bench", limit=50)
        for name in total.__struct_fields__:
            setattr(total, name, getattr(total, name) + getattr(got, name))
        if not got.pulled and not got.retrying and not got.waiting:
            return total


async def run(days: int, per_day: int, page_size: int, folder: Path) -> None:
    clock = FixedClock(datetime(2026, 11, 20, 9, 0, tzinfo=UTC))
    now = int(clock.now().timestamp())
    store = await open_store(f"sqlite:///{folder}/bench.db")
    key = b"k" * 32
    async with store.transaction() as uow:
        citizen = await ensure_citizen(uow, clock, AesGcmCprVault(key), subject="bench-citizen")
    async with fake_withings(page_size=page_size) as fake, httpx.AsyncClient() as http:
        user = fake.user("1001")
        n = 0
        for day in range(days):
            date = (clock.now() - timedelta(days=day)).date().isoformat()
            user.days.append(Day(date, 6_000 + 37 * day))
            night_end = now - day * 86_400 - 2 * 3_600
            user.nights.append(Night(day + 1, night_end - 8 * 3_600, night_end, 7 * 3_600))
            for k in range(per_day):
                n += 1
                at = now - day * 86_400 - 3_600 - k * 4 * 3_600
                if k == per_day - 1:
                    user.groups.append(Group(grpid=n, date=at, measures=[(1, 72_000 + day, -3)]))
                else:
                    user.groups.append(
                        Group(
                            grpid=n,
                            date=at,
                            measures=[(10, 120 + k, 0), (9, 80, 0), (11, 60 + day % 20, 0)],
                            model="BPM Core",
                            device="cuff",
                        )
                    )
        cloud = CloudConnections(
            store=store,
            clock=clock,
            sealer=AesGcmTokenSealer(key),
            vendors={
                "withings": WithingsClient(
                    http,
                    clock,
                    client_id=CLIENT_ID,
                    client_secret=CLIENT_SECRET,
                    auth_url=fake.base_url,
                    api_url=fake.base_url,
                )
            },
            public_url=PUBLIC,
            backfill_days=days,
            budgets={"withings": 120},
        )
        me = Principal(role=Role.CITIZEN, subject="bench-citizen", id=citizen.id)
        began = time.perf_counter()
        authorize = await cloud.start(me, "withings")
        back = (await http.get(authorize)).headers["location"]
        query = urllib.parse.parse_qs(urllib.parse.urlsplit(back).query)
        outcome = await cloud.finish(
            "withings", code=query["code"][0], state=query["state"][0], error=None
        )
        assert outcome == "connected", outcome
        done = await _drain(cloud)
        seconds = time.perf_counter() - began
        report(
            f"withings backfill {days} days ({machine()})",
            requests=len(fake.requests),
            getmeas=fake.count("getmeas"),
            getactivity=fake.count("getactivity"),
            getsummary=fake.count("getsummary"),
            seconds=f"{seconds:.3f}",
            samples=done.stored,
            pulls=done.pulled,
            rss_mb=peak_rss_mb(),
        )
        before = len(fake.requests)
        for lo in range(now - days * 86_400, now, 10 * 86_400):
            await cloud.notified("withings", "1001", lo, lo + 10 * 86_400)
        began = time.perf_counter()
        again = await _drain(cloud)
        report(
            "withings replay of every window",
            requests=len(fake.requests) - before,
            seconds=f"{time.perf_counter() - began:.3f}",
            samples=again.stored,
            duplicates=again.duplicates,
        )
    await store.close()


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--days", type=int, default=90)
    ap.add_argument("--per-day", type=int, default=3)
    ap.add_argument("--page-size", type=int, default=200)
    args = ap.parse_args(argv if argv is not None else [])
    with tempfile.TemporaryDirectory() as tmp:
        asyncio.run(run(args.days, args.per_day, args.page_size, Path(tmp)))


if __name__ == "__main__":
    main(sys.argv[1:])
