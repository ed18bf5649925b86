"""FIT import: our import into SQLite against the bare decode of three FIT libraries,
all on the same generated activity (several hours at 1 Hz), the same number of runs
for every row (best of `--runs`, 3 by default).

Baseline: a bare `fitdecode` decode (`for frame in FitReader(path): pass`). Targets of
issue 4: our whole import within 1.3x of it, and faster than fitparse's bare decode.
The adapter alone (`iter_fit`, decode to typed samples, no store) is also timed against
the same baseline: that ratio was once a unit test, and timing belongs here.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
import warnings
from collections.abc import Callable
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


def _iter_fit(path: Path) -> None:
    from adapters.ingest.fit import iter_fit

    for _ in iter_fit(path):
        pass


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


def _best(fn: Callable[[Path], object], path: Path, runs: int) -> float:
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        fn(path)
        times.append(time.perf_counter() - t)
    return min(times)


def _best_import(path: Path, tmp: Path, runs: int) -> tuple[float, int]:
    """Best of `runs` whole imports, each into a fresh database."""
    results = [asyncio.run(_ours(path, tmp / f"ours-{i}.db")) for i in range(runs)]
    return min(t for t, _ in results), results[0][1]


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--hours", type=float, default=4.0)
    ap.add_argument("--runs", type=int, default=3, help="runs per row; the best is reported")
    args = ap.parse_args(argv if argv is not None else [])
    from adapters.ingest.fit_gen import activity_file

    runs: int = args.runs
    seconds = int(args.hours * 3600)
    start = int(datetime(2024, 5, 2, 8, tzinfo=UTC).timestamp()) - FIT_EPOCH
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "activity.fit"
        path.write_bytes(activity_file(seconds, start))
        print(
            f"generated {seconds} records at 1 Hz, {path.stat().st_size / 1e6:.1f} MB;"
            f" best of {runs} runs for every row"
        )
        base = _best(_fitdecode, path, runs)
        report(
            "baseline bare fitdecode decode", seconds=f"{base:.3f}", records_per_s=seconds / base
        )
        for name, fn in (("fitparse", _fitparse), ("garmin-fit-sdk", _garmin)):
            try:
                t = _best(fn, path, runs)
                report(f"bare {name} decode", seconds=f"{t:.3f}", vs_fitdecode=f"{t / base:.2f}x")
            except Exception as exc:  # a library refusing the file is a result too
                print(f"bare {name} decode: refused the file ({type(exc).__name__}: {exc})")
        parse = _best(_iter_fit, path, runs)
        report(
            "minlaege adapter alone (iter_fit, no store)",
            seconds=f"{parse:.3f}",
            vs_fitdecode=f"{parse / base:.2f}x",
            target="<1.3x",
        )
        took, stored = _best_import(path, Path(tmp), runs)
        report(
            "minlaege import into SQLite",
            seconds=f"{took:.3f}",
            records_per_s=seconds / took,
            samples_stored=str(stored),
            vs_fitdecode=f"{took / base:.2f}x",
            target="<1.3x",
            peak_rss_mb=peak_rss_mb(),
        )
    print(f"machine: {machine()}")


if __name__ == "__main__":
    main(sys.argv[1:])
