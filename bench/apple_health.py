"""Apple Health import: our end-to-end import into SQLite against a bare expat scan of the
same generated export (the floor: reading the XML at all), expat calling a Python handler
that does nothing (the floor of any reader built on the standard library's expat), and,
with `--healthkit-to-sqlite`, healthkit-to-sqlite (it takes minutes).

Two export shapes, printed side by side:
- `mixed`: the generator's everyday mix (`generate_export`): overlapping iPhone and Watch
  steps, heart rate, distance, energy, vitals, sleep, workouts, blood pressure, ...;
  1,000,000 records over about eight years.
- `hr-dense`: a year of heart rate at about 150 samples an hour while the watch is worn,
  plus everyday steps, weight, blood pressure, SpO2 and glucose
  (`generate_hr_dense_export`): about 965,000 records, 2,550 heart rates a day.
- `hr-dense-4x` (with `--density`): the same number of heart rates at 4x the density, over
  a quarter of the days. Peak RSS must not grow with the samples a day holds: the bench
  fails (exit 1) if it is more than 5 MB over `hr-dense`, or if any shape is over 150 MB.

Besides the scans, "our reader alone" drains `iter_export` over the XML in this process
(parsing and typed samples, no store): the floor of the import as the reader stands.
CPU seconds (user + system, from wait4) are shown beside wall seconds: on a shared machine
they move less.

The comparison with healthkit-to-sqlite is like with like: both read the same
`export.zip`, each as a whole process from spawn to exit (start-up, imports and
unzipping on both sides), timed the same way from outside, the same number of runs.
Peak RSS is each process's own, from wait4.

Usage: python -m bench.apple_health [--shape mixed|hr-dense|both] [--density] [--records N]
       [--days D] [--hr-per-hour H] [--runs R] [--healthkit-to-sqlite]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import xml.parsers.expat
import zipfile
from dataclasses import dataclass, field
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
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    t = time.perf_counter()
    r = await ingest(store, clock, citizen_id=c.id, items=item_source(Path(path), "apple-health"),
                     import_id="bench", fmt="apple-health")
    took = time.perf_counter() - t
    await store.close()
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"seconds": took, "read": r.records_read, "stored": r.samples_stored,
                      "duplicates": r.duplicates, "rss_mb": rss, "rss_before_mb": before}))

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


def reader_alone(path: Path) -> float:
    """Seconds for our reader to hand out every item of the file (no store)."""
    from adapters.ingest.apple_health import iter_export

    start = time.perf_counter()
    for _ in iter_export(path):
        pass
    return time.perf_counter() - start


def _whole_process(cmd: list[str]) -> tuple[float, float, float, str]:
    """Run `cmd` to its end: wall seconds from spawn to exit, its CPU seconds and peak RSS
    in MB (from wait4, this child alone), and what it printed."""
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
        cpu = usage.ru_utime + usage.ru_stime
        return took, cpu, usage.ru_maxrss / 1024, out.read().decode()


@dataclass
class Figures:
    """What one shape measured; times are (min, median) over the runs."""

    shape: str
    records: int
    size_mb: float
    scan: list[float] = field(default_factory=list)
    floor: list[float] = field(default_factory=list)
    reader: list[float] = field(default_factory=list)
    ours: list[float] = field(default_factory=list)
    ours_cpu: list[float] = field(default_factory=list)
    ours_rss: list[float] = field(default_factory=list)
    ingest: list[float] = field(default_factory=list)
    stored: int = 0
    duplicates: int = 0
    theirs: list[float] = field(default_factory=list)
    theirs_rss: list[float] = field(default_factory=list)


def _fmt(xs: list[float]) -> str:
    if not xs:
        return "—"
    return f"{min(xs):.2f} / {statistics.median(xs):.2f}"


def _generate(shape: str, path: Path, args: argparse.Namespace) -> int:
    from adapters.ingest.apple_health_gen import generate_export, generate_hr_dense_export

    start = datetime(2021, 1, 1, tzinfo=UTC)
    if shape == "mixed":
        return generate_export(path, records=args.records, seed=7, start=start).records
    days, per_hour = args.days, args.hr_per_hour
    if shape == "hr-dense-4x":
        days, per_hour = max(1, days // 4), per_hour * 4
    return generate_hr_dense_export(
        path, days=days, hr_per_hour=per_hour, seed=7, start=start
    ).records


def run_shape(shape: str, args: argparse.Namespace, tmp: Path) -> Figures:
    runs: int = args.runs
    xml_path = tmp / f"{shape}.xml"
    t = time.perf_counter()
    records = _generate(shape, xml_path, args)
    fig = Figures(shape=shape, records=records, size_mb=xml_path.stat().st_size / 1e6)
    print(
        f"[{shape}] generated {records} records, {fig.size_mb:.0f} MB"
        f" in {time.perf_counter() - t:.0f} s",
        flush=True,
    )
    # the scans and our runs take turns, so a burst of load on a shared machine falls
    # on all of them alike
    zip_path = tmp / f"{shape}.zip"
    with zipfile.ZipFile(zip_path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as z:
        z.write(xml_path, "apple_health_export/export.xml")
    for i in range(runs):
        fig.scan.append(expat_scan(xml_path))
        fig.floor.append(expat_scan(xml_path, touch=True))
        fig.reader.append(reader_alone(xml_path))
        db = tmp / f"ours-{shape}-{i}.db"
        took, cpu, rss, out = _whole_process([sys.executable, "-c", CHILD, str(zip_path), str(db)])
        inside = json.loads(out)
        fig.ours.append(took)
        fig.ours_cpu.append(cpu)
        fig.ours_rss.append(rss)
        fig.ingest.append(float(inside["seconds"]))
        fig.stored, fig.duplicates = int(inside["stored"]), int(inside["duplicates"])
        for suffix in ("", "-wal", "-shm"):
            Path(f"{db}{suffix}").unlink(missing_ok=True)
        report(
            f"[{shape}] run {i + 1}",
            scan_s=fig.scan[-1],
            noop_handler_s=fig.floor[-1],
            reader_alone_s=fig.reader[-1],
            minlaege_s=took,
            minlaege_cpu_s=cpu,
            ingest_s=fig.ingest[-1],
            peak_rss_mb=rss,
        )
    xml_path.unlink()
    if args.healthkit_to_sqlite:
        tool = shutil.which("healthkit-to-sqlite") or str(
            Path(sys.executable).parent / "healthkit-to-sqlite"
        )
        if not Path(tool).exists():
            print("healthkit-to-sqlite is not installed (make bench installs it)")
        else:
            for i in range(runs):
                db = tmp / f"hk-{shape}-{i}.db"
                took, _, rss, _ = _whole_process([tool, str(zip_path), str(db)])
                db.unlink(missing_ok=True)
                fig.theirs.append(took)
                fig.theirs_rss.append(rss)
                report(f"[{shape}] healthkit-to-sqlite run {i + 1}", seconds=took, peak_rss_mb=rss)
    zip_path.unlink()
    return fig


def table(figs: list[Figures]) -> str:
    """The shapes side by side; seconds are min / median over the runs."""

    def ratio(a: list[float], b: list[float]) -> str:
        if not a or not b:
            return "—"
        return f"{min(a) / min(b):.2f}x / {statistics.median(a) / statistics.median(b):.2f}x"

    rows: list[tuple[str, ...]] = [
        ("", *(f.shape for f in figs)),
        ("records", *(f"{f.records:,}" for f in figs)),
        ("XML MB", *(f"{f.size_mb:.0f}" for f in figs)),
        ("runs", *(str(len(f.ours)) for f in figs)),
        ("bare expat scan s (min / median)", *(_fmt(f.scan) for f in figs)),
        ("no-op Python handler s", *(_fmt(f.floor) for f in figs)),
        ("our reader alone s (no store)", *(_fmt(f.reader) for f in figs)),
        ("minlaege import, whole process s", *(_fmt(f.ours) for f in figs)),
        ("  CPU s", *(_fmt(f.ours_cpu) for f in figs)),
        ("  of which ingest s", *(_fmt(f.ingest) for f in figs)),
        ("  records/s (best)", *(f"{f.records / min(f.ours):,.0f}" for f in figs)),
        ("  peak RSS MB (max)", *(f"{max(f.ours_rss):.0f}" for f in figs)),
        ("  stored / duplicates", *(f"{f.stored:,} / {f.duplicates:,}" for f in figs)),
        ("import / bare scan", *(ratio(f.ours, f.scan) for f in figs)),
        ("ingest alone / bare scan", *(ratio(f.ingest, f.scan) for f in figs)),
        ("import / no-op floor", *(ratio(f.ours, f.floor) for f in figs)),
        ("no-op floor / bare scan", *(ratio(f.floor, f.scan) for f in figs)),
        ("reader alone / bare scan", *(ratio(f.reader, f.scan) for f in figs)),
        ("healthkit-to-sqlite s", *(_fmt(f.theirs) for f in figs)),
        (
            "  peak RSS MB",
            *(f"{max(f.theirs_rss):.0f}" if f.theirs_rss else "—" for f in figs),
        ),
        ("healthkit-to-sqlite / minlaege", *(ratio(f.theirs, f.ours) for f in figs)),
    ]
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return "\n".join(
        "  ".join(
            c.ljust(w) if i == 0 else c.rjust(w)
            for i, (c, w) in enumerate(zip(r, widths, strict=True))
        )
        for r in rows
    )


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--shape", choices=("mixed", "hr-dense", "both"), default="both")
    ap.add_argument(
        "--density",
        action="store_true",
        help="also hr-dense at 4x the density over a quarter of the days, and check RSS",
    )
    ap.add_argument("--records", type=int, default=1_000_000, help="records of the mixed shape")
    ap.add_argument("--days", type=int, default=365, help="days of the hr-dense shape")
    ap.add_argument(
        "--hr-per-hour", type=int, default=150, help="heart-rate density of the hr-dense shape"
    )
    ap.add_argument(
        "--runs", type=int, default=1, help="runs of every measurement; min and median shown"
    )
    ap.add_argument(
        "--healthkit-to-sqlite",
        action="store_true",
        help="also run healthkit-to-sqlite on the same zip (minutes per run)",
    )
    args = ap.parse_args(argv if argv is not None else [])
    shapes = ["mixed", "hr-dense"] if args.shape == "both" else [args.shape]
    if args.density and "hr-dense" not in shapes:
        shapes.append("hr-dense")
    if args.density:
        shapes.append("hr-dense-4x")
    with tempfile.TemporaryDirectory() as tmp:
        figs = [run_shape(shape, args, Path(tmp)) for shape in shapes]
    print(table(figs))
    print(f"machine: {machine()}, load average {os.getloadavg()[0]:.1f}")
    failed = [
        f"{f.shape}: peak RSS {max(f.ours_rss):.0f} MB > {RSS_LIMIT_MB} MB"
        for f in figs
        if max(f.ours_rss) > RSS_LIMIT_MB
    ]
    by_shape = {f.shape: max(f.ours_rss) for f in figs}
    if "hr-dense-4x" in by_shape:
        grew = by_shape["hr-dense-4x"] - by_shape["hr-dense"]
        print(f"peak RSS at 4x heart-rate density: {grew:+.1f} MB against 1x")
        if grew > DENSITY_SLACK_MB:
            failed.append(f"peak RSS grew {grew:.1f} MB with 4x the samples a day")
    if failed:
        raise SystemExit("; ".join(failed))


#: the import's memory target (issue 3, issue 17)
RSS_LIMIT_MB = 150
#: what peak RSS may differ by between 1x and 4x the samples a day (run-to-run noise)
DENSITY_SLACK_MB = 5


if __name__ == "__main__":
    main(sys.argv[1:])
