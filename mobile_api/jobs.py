"""Import jobs from the database: any worker on any node claims, runs and finishes them.

A job loop (`job_loop`, in `minlaege worker` and in `serve` unless `--no-worker`) claims
the oldest queued job under a lease (ADR 0019), fetches its upload from the blob store,
runs it (renewing the lease and writing progress to the row) and deletes the upload once
the job has ended. A node that took an upload and runs no worker leaves the job in the
table for whichever worker polls first. Stopping a loop hands its job back.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

from adapters.ingest.files import BROKEN_FILE, item_source
from app.domain.imports import ImportJob
from app.errors import NotFound
from app.services.imports import Leasing, claim_next, release, run_job
from app.services.ingest import ImportReport
from mobile_api import metrics
from mobile_api.leased_loop import kick as kick_loop
from mobile_api.leased_loop import leased_loop
from mobile_api.runtime import Runtime

__all__ = ["drain", "job_loop", "kick", "leasing_of", "run_claimed"]

_log = logging.getLogger("minlaege.jobs")

_LOST = "the uploaded file was gone when a worker took the job; upload it again"


def leasing_of(runtime: Runtime) -> Leasing:
    s = runtime.settings
    return Leasing(
        owner=runtime.worker_id,
        lease=timedelta(seconds=s.job_lease_seconds),
        every=s.job_progress_seconds,
        max_attempts=s.job_max_attempts,
    )


@contextlib.asynccontextmanager
async def _upload_file(runtime: Runtime, job: ImportJob) -> AsyncIterator[Path]:
    legacy = Path(job.blob)
    if legacy.is_absolute():  # a job queued before uploads went to the blob store
        if not await asyncio.to_thread(legacy.is_file):
            raise NotFound(_LOST)
        yield legacy
        return
    async with runtime.blobs.local_copy(job.blob) as path:
        yield path


async def _forget_upload(runtime: Runtime, job: ImportJob) -> None:
    try:
        if Path(job.blob).is_absolute():
            await asyncio.to_thread(Path(job.blob).unlink, missing_ok=True)
        else:
            await runtime.blobs.delete(job.blob)
    except Exception:  # the job has ended either way; a leftover is only space
        _log.exception("import %s: could not delete its upload", job.id)


async def run_claimed(runtime: Runtime, job: ImportJob) -> ImportReport | None:
    """Run a job this process has claimed; hand it back if cancelled (shutting down)."""
    leasing = leasing_of(runtime)
    store, clock = runtime.store, runtime.clock

    def progress(fraction: float) -> None:  # called from the parsing thread
        runtime.progress[job.id] = fraction

    report: ImportReport | None = None
    try:
        async with _upload_file(runtime, job) as path:
            report = await run_job(
                store,
                clock,
                job,
                lambda: item_source(path, job.format, progress),
                BROKEN_FILE,
                leasing,
                progress=lambda: runtime.progress.get(job.id, 0.0),
            )
    except NotFound:
        async with store.transaction() as uow:
            await uow.imports.set_status(
                job.id,
                "failed",
                clock.now(),
                error_kind="upload-lost",
                error_detail=_LOST,
                owner=leasing.owner,
            )
    except asyncio.CancelledError:
        with contextlib.suppress(Exception):
            await asyncio.shield(release(store, clock, job, leasing))
        raise
    finally:
        runtime.progress.pop(job.id, None)
    if report is not None:
        metrics.import_finished(report.records_read, report.seconds)
    async with store.read() as uow:
        now = await uow.imports.by_id(job.id)
    if now is not None and now.status in ("done", "failed"):
        await _forget_upload(runtime, job)
    return report


async def drain(runtime: Runtime) -> None:
    """Claim and run jobs until none is waiting."""
    leasing = leasing_of(runtime)
    while (job := await claim_next(runtime.store, runtime.clock, leasing)) is not None:
        await run_claimed(runtime, job)


def kick(runtime: Runtime) -> None:
    """A job was queued: wake this process's job loop, or drain now (tests, embedding)."""
    kick_loop(runtime, runtime.job_wake, lambda: drain(runtime), "import-drain")


async def job_loop(runtime: Runtime, stop: asyncio.Event) -> None:
    """Claim and run import jobs until `stop`; a job running then is handed back."""
    runtime.job_wake = wake = asyncio.Event()
    leasing = leasing_of(runtime)
    try:
        await leased_loop(
            runtime,
            stop,
            wake,
            what="import",
            claim=lambda: claim_next(runtime.store, runtime.clock, leasing),
            run=lambda job: run_claimed(runtime, job),
        )
    finally:
        runtime.job_wake = None
