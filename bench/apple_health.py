"""Apple Health import: our end-to-end import into SQLite against healthkit-to-sqlite and a
bare expat scan of the same generated export (the floor: reading the XML at all).

The comparison with healthkit-to-sqlite is like with like: both read the same
`export.zip`, each as a whole process from spawn to exit (start-up, imports and
unzipping on both sides), timed the same way from outside, the same number of runs.

Usage: python -m bench.apple_health [--records N] [--runs R]   (default 1,000,000 and 1)
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import xml.parsers.expat
import zipfile
from datetime import UTC, datetime
from pathlib import Path

from bench.common import machine, report

CHILD = """
import asyncio, resource, sys, time, json
from datetime import datetime, UTC
from pathlib import Path
from adapters.clock import FixedClock
from adapters.ingest.files import item_source
from app.services.accounts import ensure_citizen
from app.services.ingest import ingest
from app.store import open_store
from adapters.identity.cpr_vault import AesGcmCprVault

async def main(path, db):
    store = await open_store("sqlite:///" + db)
    clock = FixedClock(datetime(2030, 1, 1, tzinfo=UTC))
    async with store.transaction() as uow:
        c = await ensure_citizen(uow, clock, AesGcmCprVault(b"k" * 32), subject="bench")
    t = time.perf_counter()
    r = await ingest(store, clock, citizen_id=c.id, items=item_source(Path(path), "apple-health"),
                     import_id="bench", fmt="apple-health")
    took = time.perf_counter() - t
    await store.close()
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"seconds": took, "read": r.records_read, "stored": r.samples_stored,
                      "duplicates": r.duplicates, "rss_mb": rss}))

asyncio.run(main(sys.argv[1], sys.argv[2]))
"""


def expat_scan(path: Path, *, touch: bool = False) -> float:
    """Seconds for expat to read the file; with `touch`, a Python start-element handler
    that does nothing is called for every element: the least that any reader built on
    the standard library's expat pays to see the records at all."""
    parser = xml.parsers.expat.ParserCreate()
    if touch:
        parser.ordered_attributes = True
        parser.StartElementHandler = _nothing
    start = time.perf_counter()
    with path.open("rb") as f:
        parser.ParseFile(f)
    return time.perf_counter() - start


def _nothing(name: str, attributes: list[str]) -> None:
    return None


def _whole_process(cmd: list[str]) -> tuple[float, float, str]:
    """Run `cmd` to its end: wall seconds from spawn to exit, its peak RSS in MB (from
    wait4, this child alone), and what it printed."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=out, stderr=err)
        _, status, usage = os.wait4(proc.pid, 0)
        took = time.perf_counter() - started
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        if proc.returncode != 0:
            raise RuntimeError(f"{cmd[0]} failed ({proc.returncode}): {err.read()[-2000:]!r}")
        return took, usage.ru_maxrss / 1024, out.read().decode()


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--records", type=int, default=1_000_000)
    ap.add_argument(
        "--runs", type=int, default=1, help="whole-process runs on each side; the best counts"
    )
    args = ap.parse_args(argv if argv is not None else [])
    from adapters.ingest.apple_health_gen import generate_export

    runs: int = args.runs
    with tempfile.TemporaryDirectory() as tmp:
        xml_path = Path(tmp) / "export.xml"
        t = time.perf_counter()
        generate_export(
            xml_path, records=args.records, seed=7, start=datetime(2021, 1, 1, tzinfo=UTC)
        )
        size_mb = xml_path.stat().st_size / 1e6
        print(
            f"generated {args.records} records, {size_mb:.0f} MB in {time.perf_counter() - t:.0f} s"
        )

        floor = expat_scan(xml_path)
        report("baseline bare expat scan", seconds=floor, records_per_s=args.records / floor)
        touched = expat_scan(xml_path, touch=True)
        report(
            "expat calling a Python handler that does nothing, per element",
            seconds=touched,
            records_per_s=args.records / touched,
            vs_expat=f"{touched / floor:.2f}x",
        )

        # Both tools get the same export.zip, as the Health app writes it, and run as a
        # process of their own: interpreter start-up, imports, unzipping, parsing,
        # writing a fresh SQLite database, exit. The same number of runs on each side.
        zip_path = Path(tmp) / "export.zip"
        with zipfile.ZipFile(zip_path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as z:
            z.write(xml_path, "apple_health_export/export.xml")
        xml_path.unlink()

        ours = [
            _whole_process(
                [sys.executable, "-c", CHILD, str(zip_path), str(Path(tmp) / f"ours-{i}.db")]
            )
            for i in range(runs)
        ]
        best, best_rss, out = min(ours, key=lambda o: o[0])
        inside = json.loads(out)
        report(
            "minlaege import, whole process (zip in, SQLite out)",
            seconds=best,
            records_per_s=args.records / best,
            peak_rss_mb=best_rss,
            of_which_ingest_s=float(inside["seconds"]),
            stored=str(inside["stored"]),
            duplicates=str(inside["duplicates"]),
            runs=str(runs),
        )

        tool = shutil.which("healthkit-to-sqlite") or str(
            Path(sys.executable).parent / "healthkit-to-sqlite"
        )
        if not Path(tool).exists():
            print("healthkit-to-sqlite is not installed (make bench installs it)")
        else:
            theirs = [
                _whole_process([tool, str(zip_path), str(Path(tmp) / f"hk-{i}.db")])
                for i in range(runs)
            ]
            t_best, t_rss, _ = min(theirs, key=lambda o: o[0])
            report(
                "healthkit-to-sqlite, whole process (same zip, SQLite out)",
                seconds=t_best,
                records_per_s=args.records / t_best,
                peak_rss_mb=t_rss,
                we_are_faster=f"{t_best / best:.1f}x",
                runs=str(runs),
            )
    print(f"machine: {machine()}")


if __name__ == "__main__":
    main(sys.argv[1:])
