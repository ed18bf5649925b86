"""Export jobs from the database: any worker on any node builds a citizen's zip (ADR 0022).

An export loop (`export_loop`, in `minlaege worker` and in `serve` unless `--no-worker`)
deletes the zips whose links ran out, then claims the oldest queued export under a lease
(the import jobs' pattern, ADR 0019) and builds it: the records are read in one
snapshot, the samples a page at a time, and every page's entries are encoded and
compressed in a worker thread into a local temporary zip, which is then streamed into the
blob store. The lease is renewed, and the progress written to the row, every
`job_progress_seconds` on both engines (an export only reads, so it holds no writer).
A worker that finds its lease gone stops at its next page and stores nothing (it is
never cancelled inside a database call); a worker stopping hands its export back.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import tempfile
from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path

from adapters.exports.archive import ExportArchive
from adapters.exports.fhir import ExportFhir, bp_pairs
from adapters.exports.readme import readme
from app.domain.exports import ExportJob
from app.domain.metrics import Metric
from app.errors import NotFound
from app.services import exports
from app.services.imports import Leasing
from mobile_api.jobs import leasing_of
from mobile_api.leased_loop import kick as kick_loop
from mobile_api.leased_loop import leased_loop
from mobile_api.runtime import Runtime

__all__ = ["drain_exports", "export_loop", "kick_exports", "run_export"]

_log = logging.getLogger("minlaege.exports")

_BP = (Metric.BLOOD_PRESSURE_SYSTOLIC.value, Metric.BLOOD_PRESSURE_DIASTOLIC.value)
_CHUNK = 1024 * 1024
#: the share of the progress bar the samples take; the rest is records, photos, upload
_SAMPLES_SHARE = 0.9


class _LeaseLost(Exception):
    """Another worker holds the export now."""


async def _file_chunks(path: Path) -> AsyncIterator[bytes]:
    with path.open("rb") as f:
        while chunk := await asyncio.to_thread(f.read, _CHUNK):
            yield chunk


class _Progress:
    """The run's progress (0–1) and whether its lease was lost, shared with the keeper.

    A lost lease stops the run at the next page rather than by cancelling it: a task
    cancelled inside a database call can leave its connection mid-transaction.
    """

    def __init__(self) -> None:
        self.value = 0.0
        self.lost = False

    def set(self, value: float) -> None:
        if self.lost:
            raise _LeaseLost
        self.value = value


async def _build(runtime: Runtime, job: ExportJob, progress: _Progress, workdir: Path) -> Path:
    """Write the export's zip under `workdir`; its path."""
    store, clock = runtime.store, runtime.clock
    async with store.read() as uow:
        c = await exports.contents(uow, job.citizen_id, clock.now())
    fhir = ExportFhir(
        citizen_id=c.citizen_id,
        name=c.name,
        timezone=c.timezone,
        generated_at=c.generated_at,
        sources=c.sources,
    )
    path = workdir / "export.zip"
    archive = await asyncio.to_thread(ExportArchive, path, c.generated_at)
    counts: Counter[str] = Counter()
    try:
        await asyncio.to_thread(archive.begin_bundle, fhir.header(job.id))
        await asyncio.to_thread(archive.add_entries, [fhir.patient()])
        counts["Patient"] = 1
        counts["Device"] = await asyncio.to_thread(archive.add_entries, fhir.devices())
        total = max(c.sample_count, 1)
        read = 0
        for metric in c.metrics:
            if metric in _BP:
                continue
            async for rows in exports.sample_pages(store, c.citizen_id, metric):
                counts["Observation"] += await asyncio.to_thread(
                    archive.add_entries, fhir.observations(metric, rows)
                )
                read += len(rows)
                progress.set(_SAMPLES_SHARE * read / total)
        if any(m in _BP for m in c.metrics):
            pairs = bp_pairs(
                exports.sample_pages(store, c.citizen_id, _BP[0]),
                exports.sample_pages(store, c.citizen_id, _BP[1]),
            )
            async for batch in pairs:
                counts["Observation"] += await asyncio.to_thread(
                    archive.add_entries, fhir.bp_panels(batch)
                )
                read += sum((s is not None) + (d is not None) for s, d in batch)
                progress.set(_SAMPLES_SHARE * read / total)
        counts["QuestionnaireResponse"] = await asyncio.to_thread(
            archive.add_entries, fhir.responses(c.responses)
        )
        counts["MedicationAdministration"] = await asyncio.to_thread(
            archive.add_entries, fhir.doses(c.doses)
        )
        await asyncio.to_thread(archive.end_bundle)
        for name, document in c.documents.items():
            await asyncio.to_thread(archive.add_json, name, document)
        for photo in c.photos:
            try:
                data = await runtime.blobs.get(photo.blob_key)
            except NotFound:  # its blob is gone (deleted elsewhere): the JSON still names it
                _log.warning("export %s: a consultation photo's file is missing", job.id)
                continue
            await asyncio.to_thread(archive.add_file, photo.path, data)
        text = readme(name=c.name, generated_at=c.generated_at, counts=dict(counts))
        await asyncio.to_thread(archive.add_text, "README.md", text)
    finally:
        await asyncio.to_thread(archive.close)
    progress.set(0.95)
    return path


async def run_export(runtime: Runtime, job: ExportJob) -> bool:
    """Run a claimed export to its end; True if this run finished it."""
    leasing = leasing_of(runtime)
    store, clock = runtime.store, runtime.clock
    if job.attempts > leasing.max_attempts:
        await exports.fail(
            store,
            clock,
            job,
            leasing,
            f"the export was started {leasing.max_attempts} times and never finished;"
            " ask for a new one or write to us",
        )
        return False
    progress = _Progress()
    stop = asyncio.Event()

    async def keep_lease() -> None:
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=leasing.every)
            if stop.is_set():
                return
            now = clock.now()
            try:
                async with store.transaction() as uow:
                    mine = await uow.exports.renew(
                        job.id, leasing.owner, now, now + leasing.lease, round(progress.value, 4)
                    )
            except Exception:  # a blip: the lease is long enough for the next beat
                _log.exception("export %s: renewing the lease failed; trying again", job.id)
                continue
            if not mine:
                progress.lost = True
                return

    keeper = asyncio.create_task(keep_lease())
    try:
        return await _run(runtime, job, leasing, progress)
    except asyncio.CancelledError:  # shutting down: hand it back for another worker
        with contextlib.suppress(Exception):
            await asyncio.shield(exports.release(store, clock, job, leasing))
        raise
    except _LeaseLost:
        _log.warning("export %s: the lease went to another worker; stored nothing", job.id)
        return False
    except Exception:
        _log.exception("export %s failed unexpectedly", job.id)
        await exports.fail(
            store, clock, job, leasing, "the export failed on our side; it has been logged"
        )
        return False
    finally:
        stop.set()  # the keeper ends its beat (never cancelled inside a transaction)
        await asyncio.gather(keeper, return_exceptions=True)


async def _run(runtime: Runtime, job: ExportJob, leasing: Leasing, progress: _Progress) -> bool:
    with tempfile.TemporaryDirectory(prefix="minlaege-export-") as tmp:
        path = await _build(runtime, job, progress, Path(tmp))
        # the attempt in the key: a worker that lost its lease never overwrites the zip of
        # the one that took over
        key = f"exports/{job.citizen_id}/{job.id}-{job.attempts}.zip"
        progress.set(0.97)  # stops here if the lease was lost meanwhile
        size = await runtime.blobs.put_stream(key, _file_chunks(path))
    try:
        done = await exports.finish(
            runtime.store,
            runtime.clock,
            job,
            leasing,
            blob=key,
            size=size,
            link_days=runtime.settings.export_link_days,
        )
    except BaseException:
        with contextlib.suppress(Exception):
            await runtime.blobs.delete(key)
        raise
    if not done:
        await runtime.blobs.delete(key)
        raise _LeaseLost(job.id)
    return True


async def drain_exports(runtime: Runtime) -> None:
    """Delete expired zips, then claim and run exports until none is waiting."""
    leasing = leasing_of(runtime)
    while (job := await exports.claim_next(runtime.store, runtime.clock, leasing)) is not None:
        await run_export(runtime, job)


def kick_exports(runtime: Runtime) -> None:
    """An export was asked for: wake this process's export loop, or drain now (tests)."""
    kick_loop(runtime, runtime.export_wake, lambda: drain_exports(runtime), "export-drain")


async def export_loop(runtime: Runtime, stop: asyncio.Event) -> None:
    """Sweep expired zips and run exports until `stop`; an export running is handed back."""
    runtime.export_wake = wake = asyncio.Event()
    leasing = leasing_of(runtime)
    try:
        await leased_loop(
            runtime,
            stop,
            wake,
            what="export",
            claim=lambda: exports.claim_next(runtime.store, runtime.clock, leasing),
            run=lambda job: run_export(runtime, job),
        )
    finally:
        runtime.export_wake = None
