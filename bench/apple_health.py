"""Apple Health import: our end-to-end import into SQLite against healthkit-to-sqlite and a
bare expat scan of the same generated export (the floor: reading the XML at all).

Usage: python -m bench.apple_health [--records N]   (default 1,000,000)
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
import xml.parsers.expat
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


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--records", type=int, default=1_000_000)
    args = ap.parse_args(argv if argv is not None else [])
    from adapters.ingest.apple_health_gen import generate_export

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

        import json

        out = subprocess.run(
            [sys.executable, "-c", CHILD, str(xml_path), str(Path(tmp) / "ours.db")],
            check=True,
            capture_output=True,
            text=True,
        )
        ours = json.loads(out.stdout)
        report(
            "minlaege import into SQLite",
            seconds=ours["seconds"],
            records_per_s=ours["read"] / ours["seconds"],
            peak_rss_mb=ours["rss_mb"],
            stored=str(ours["stored"]),
            duplicates=str(ours["duplicates"]),
            vs_expat=f"{ours['seconds'] / floor:.2f}x",
        )

        tool = shutil.which("healthkit-to-sqlite") or str(
            Path(sys.executable).parent / "healthkit-to-sqlite"
        )
        zip_path = Path(tmp) / "export.zip"
        import zipfile

        with zipfile.ZipFile(zip_path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as z:
            z.write(xml_path, "apple_health_export/export.xml")
        if Path(tool).exists():
            t = time.perf_counter()
            subprocess.run(
                [tool, str(zip_path), str(Path(tmp) / "hk.db")], check=True, capture_output=True
            )
            theirs = time.perf_counter() - t
            report(
                "healthkit-to-sqlite (same export, zipped)",
                seconds=theirs,
                records_per_s=args.records / theirs,
                we_are_faster=f"{theirs / ours['seconds']:.1f}x",
            )
        else:
            print("healthkit-to-sqlite is not installed (make bench installs it)")
    print(f"machine: {machine()}")


if __name__ == "__main__":
    main(sys.argv[1:])
