"""The push relay: outbox notices to phones over HTTP/2, against local stand-ins for
Apple and Google (tests/push_servers.py: Hypercorn, TLS with ALPN h2, on loopback).

Baseline: the same number of bare HTTP/2 POSTs to the Apple stand-in from one httpx
client, 100 in flight (the transport and the stand-in, no relay). Then the relay:
N citizens with an iPhone each (every fourth also an Android phone), one notice each,
pushed by `relay_due` passes of 100 until the outbox is empty; the stand-ins run in the
same process and on the same cores, so the figures are a floor for the relay.

Usage: python -m bench.push [--notices N]   (default 2,000)
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from adapters.clock import FixedClock
from adapters.identity.cpr_vault import AesGcmCprVault
from adapters.push.apns import ApnsSender
from adapters.push.fcm import FcmSender, ServiceAccount
from app.domain.ids import new_id
from app.domain.notices import notice
from app.domain.push import Platform, PushDevice
from app.ports import PushSender
from app.services.accounts import ensure_citizen
from app.services.notify import tell
from app.services.push import relay_due
from app.store import open_store
from bench.common import machine, peak_rss_mb, percentile, report
from tests.push_servers import FakeApns, fake_apns, fake_fcm, pem_of, trusting

NOW = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)


async def _bare(apple: FakeApns, client: httpx.AsyncClient, n: int) -> float:
    """n POSTs of a push-sized body, 100 in flight: seconds."""
    body = b'{"aps":{"alert":{"title":"Ny besked","body":"Aabn appen"}},"notice_id":"x"}'
    url = f"{apple.base_url}/3/device/{'ab' * 32}"
    queue = list(range(n))

    async def worker() -> None:
        while queue:
            queue.pop()
            r = await client.post(url, content=body)
            assert r.status_code == 200

    start = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(100)))
    return time.perf_counter() - start


async def run(notices: int, folder: Path) -> None:
    rsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    async with (
        fake_apns(folder / "apple") as apple,
        fake_fcm(folder / "google", rsa_key.public_key()) as google,
        httpx.AsyncClient(http2=True, verify=trusting(apple, google), timeout=30) as client,
    ):
        seconds = await _bare(apple, client, notices)
        report(
            "baseline: bare HTTP/2 POSTs to the Apple stand-in",
            requests=str(notices),
            seconds=seconds,
            requests_per_s=notices / seconds,
        )
        apple.seen.clear()

        clock = FixedClock(NOW)
        store = await open_store(f"sqlite:///{folder}/push.db")
        senders: dict[str, PushSender] = {
            "apns": ApnsSender(
                client,
                clock,
                key_pem=pem_of(ec.generate_private_key(ec.SECP256R1())),
                key_id="KEY123ABCD",
                team_id="TEAM123456",
                topic="dk.minlaege.app",
                base_url=apple.base_url,
            ),
            "fcm": FcmSender(
                client,
                clock,
                ServiceAccount(
                    project_id="bench",
                    client_email="push@bench.iam.gserviceaccount.com",
                    private_key=pem_of(rsa_key).decode(),
                    token_uri=f"{google.base_url}/token",
                ),
                base_url=google.base_url,
            ),
        }
        vault = AesGcmCprVault(b"k" * 32)
        async with store.transaction() as uow:
            for n in range(notices):
                citizen = await ensure_citizen(uow, clock, vault, subject=f"bench-{n}")
                phones: list[tuple[Platform, str]] = [("apns", f"{n:064x}")]
                if n % 4 == 0:
                    phones.append(("fcm", f"fcm-{n:0150d}"))
                for platform, token in phones:
                    device = PushDevice(
                        id=new_id(),
                        citizen_id=citizen.id,
                        platform=platform,
                        token=token,
                        created_at=clock.now(),
                    )
                    await uow.push_devices.put(device)
                await tell(uow, clock, citizen.id, notice("renewal.rejected", ref=f"r/{n}"))
        passes: list[float] = []
        sent = 0
        start = time.perf_counter()
        while True:
            t = time.perf_counter()
            done = await relay_due(store, clock, senders)
            if not done.rows:
                break
            passes.append(time.perf_counter() - t)
            sent += done.sent
            clock.advance(seconds=1)
        seconds = time.perf_counter() - start
        await store.close()
        pushes = len(apple.seen) + len(google.seen)
        assert sent == notices, (sent, notices)
        report(
            "relay: outbox → APNs + FCM stand-ins, passes of 100",
            notices=str(notices),
            pushes=str(pushes),
            seconds=seconds,
            notices_per_s=notices / seconds,
            pushes_per_s=pushes / seconds,
            pass_p50_ms=percentile(passes, 0.5) * 1000,
            pass_p99_ms=percentile(passes, 0.99) * 1000,
            peak_rss_mb=peak_rss_mb(),
        )
    print(f"machine: {machine()}")


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--notices", type=int, default=2000)
    args = ap.parse_args(argv if argv is not None else [])
    with tempfile.TemporaryDirectory() as tmp:
        asyncio.run(run(args.notices, Path(tmp)))


if __name__ == "__main__":
    main(sys.argv[1:])
