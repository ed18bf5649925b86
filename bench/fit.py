"""FIT import: our import into SQLite against the bare decode of three FIT libraries,
all on the same generated activity (several hours at 1 Hz).

Baseline: a bare `fitdecode` decode (`for frame in FitReader(path): pass`). Targets of
issue 4: our whole import within 1.3x of it, and faster than fitparse's bare decode.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
import warnings
from datetime import UTC, datetime
from pathlib import Path

from bench.common import machine, peak_rss_mb, report

FIT_EPOCH = 631065600


def _fitdecode(path: Path) -> None:
    import fitdecode

    with fitdecode.FitReader(str(path)) as reader:
        for _ in reader:
            pass


def _fitparse(path: Path) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import fitparse

        for _ in fitparse.FitFile(str(path)).get_messages():
            pass


def _garmin(path: Path) -> None:
    from garmin_fit_sdk import Decoder, Stream

    _, errors = Decoder(Stream.from_file(str(path))).read()
    if errors:
        raise RuntimeError(errors)


async def _ours(path: Path, db: Path) -> tuple[float, int]:
    from adapters.clock import FixedClock
    from adapters.identity.cpr_vault import AesGcmCprVault
    from adapters.ingest.files import item_source
    from app.services.accounts import ensure_citizen
    from app.services.ingest import ingest
    from app.store import open_store

    store = await open_store(f"sqlite:///{db}")
    clock = FixedClock(datetime(2030, 1, 1, tzinfo=UTC))
    async with store.transaction() as uow:
        c = await ensure_citizen(uow, clock, AesGcmCprVault(b"k" * 32), subject="bench")
    start = time.perf_counter()
    r = await ingest(
        store, clock, citizen_id=c.id, items=item_source(path, "fit"), import_id="b", fmt="fit"
    )
    took = time.perf_counter() - start
    await store.close()
    return took, r.samples_stored


def _best(fn: object, path: Path, runs: int = 3) -> float:
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        fn(path)  # type: ignore[operator]
        times.append(time.perf_counter() - t)
    return min(times)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--hours", type=float, default=4.0)
    args = ap.parse_args(argv if argv is not None else [])
    from adapters.ingest.fit_gen import activity_file

    seconds = int(args.hours * 3600)
    start = int(datetime(2024, 5, 2, 8, tzinfo=UTC).timestamp()) - FIT_EPOCH
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "activity.fit"
        path.write_bytes(activity_file(seconds, start))
        print(f"generated {seconds} records at 1 Hz, {path.stat().st_size / 1e6:.1f} MB")
        base = _best(_fitdecode, path)
        report("baseline bare fitdecode decode", seconds=base, records_per_s=seconds / base)
        for name, fn in (("fitparse", _fitparse), ("garmin-fit-sdk", _garmin)):
            try:
                t = _best(fn, path, runs=1)
                report(f"bare {name} decode", seconds=t, vs_fitdecode=f"{t / base:.2f}x")
            except Exception as exc:  # a library refusing the file is a result too
                print(f"bare {name} decode: refused the file ({type(exc).__name__}: {exc})")
        took, stored = asyncio.run(_ours(path, Path(tmp) / "ours.db"))
        report(
            "minlaege import into SQLite",
            seconds=took,
            records_per_s=seconds / took,
            samples_stored=str(stored),
            vs_fitdecode=f"{took / base:.2f}x",
            peak_rss_mb=peak_rss_mb(),
        )
    print(f"machine: {machine()}")


if __name__ == "__main__":
    main(sys.argv[1:])
