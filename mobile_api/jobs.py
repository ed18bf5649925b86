"""Background import jobs inside the server process: start, track progress, resume."""

from __future__ import annotations

import asyncio
from pathlib import Path

import anyio

from adapters.ingest.files import BROKEN_FILE, item_source
from app.domain.imports import ImportJob
from app.services.imports import run_job
from mobile_api.runtime import Runtime

__all__ = ["resume_unfinished", "start_import"]


def start_import(runtime: Runtime, job: ImportJob) -> asyncio.Task[None]:
    """Run a job in the background; its progress is kept in memory while it runs."""

    def progress(fraction: float) -> None:
        runtime.progress[job.id] = fraction

    async def work() -> None:
        try:
            await run_job(
                runtime.store,
                runtime.clock,
                job,
                lambda: item_source(Path(job.blob), job.format, progress),
                BROKEN_FILE,
            )
        finally:
            runtime.progress.pop(job.id, None)
            await anyio.Path(job.blob).unlink(missing_ok=True)

    task = asyncio.create_task(work(), name=f"import-{job.id}")
    runtime.jobs.add(task)
    task.add_done_callback(runtime.jobs.discard)
    return task


async def resume_unfinished(runtime: Runtime) -> list[asyncio.Task[None]]:
    """At start-up: run again every job a restart interrupted, or fail it if its file is gone."""
    async with runtime.store.read() as uow:
        jobs = await uow.imports.unfinished()
    tasks = []
    for job in jobs:
        if await anyio.Path(job.blob).is_file():
            tasks.append(start_import(runtime, job))
        else:
            async with runtime.store.transaction() as uow:
                await uow.imports.set_status(
                    job.id,
                    "failed",
                    runtime.clock.now(),
                    error_kind="upload-lost",
                    error_detail="the server restarted and the uploaded file was gone; upload it again",
                )
    return tasks
