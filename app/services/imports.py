"""Import jobs: an upload becomes a queued job, runs once, ends done or failed — never stuck.

Any worker on any node claims a queued job under a lease (ADR 0019), renews the lease
while it works and writes its progress to the row, so every node polls the same figure.
A worker that dies stops renewing; when its lease lapses another worker claims the job
and runs it again. That is safe because an import is one transaction (nothing of the
interrupted run was kept) and idempotent, and the job is marked done inside that same
transaction, only while the lease is still this worker's: two workers that both ran a
job never both store it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime, timedelta

import msgspec

from app.domain.ids import new_id
from app.domain.imports import ImportJob
from app.errors import NotFound
from app.ports import Clock, Store, UnitOfWork
from app.services.ingest import ImportReport, ItemSource, ingest

__all__ = [
    "ImportFailure",
    "JobView",
    "LeaseLost",
    "Leasing",
    "claim_next",
    "create_job",
    "get_job",
    "job_view",
    "release",
    "run_job",
]

log = logging.getLogger("minlaege.imports")


class ImportFailure(msgspec.Struct, frozen=True):
    """Why a job failed: a stable kind and a sentence."""

    type: str
    detail: str


class JobView(msgspec.Struct, frozen=True, kw_only=True):
    """What `GET /v1/me/imports/{id}` answers."""

    import_id: str
    format: str
    status: str
    #: 0–1; 1 when done
    progress: float
    report: ImportReport | None = None
    error: ImportFailure | None = None
    created_at: datetime
    updated_at: datetime


_report = msgspec.json.Decoder(ImportReport)


def job_view(job: ImportJob, progress: float | None = None) -> JobView:
    """The job as polled: progress from its row, or a fresher local figure if given."""
    done = job.status == "done"
    running = max(job.progress, progress or 0.0) if job.status == "running" else 0.0
    return JobView(
        import_id=job.id,
        format=job.format,
        status=job.status,
        progress=1.0 if done else round(running, 4),
        report=_report.decode(job.report) if job.report else None,
        error=ImportFailure(job.error_kind or "error", job.error_detail or "")
        if job.status == "failed"
        else None,
        created_at=job.created_at,
        updated_at=job.updated_at,
    )


async def create_job(
    uow: UnitOfWork,
    clock: Clock,
    *,
    citizen_id: str,
    fmt: str,
    blob: str,
    job_id: str | None = None,
) -> ImportJob:
    now = clock.now()
    job = ImportJob(
        id=job_id or new_id(),
        citizen_id=citizen_id,
        format=fmt,
        status="queued",
        blob=blob,
        created_at=now,
        updated_at=now,
    )
    await uow.imports.add(job)
    return job


async def get_job(uow: UnitOfWork, citizen_id: str, job_id: str) -> ImportJob:
    job = await uow.imports.get(citizen_id, job_id)
    if job is None:
        raise NotFound("no such import")
    return job


class LeaseLost(Exception):
    """Another worker holds the job now: this run must store nothing."""


class Leasing(msgspec.Struct, frozen=True, kw_only=True):
    """Who runs a job and how its lease is kept."""

    owner: str
    lease: timedelta = timedelta(seconds=30)
    #: how often the lease is renewed and progress written (the throttle)
    every: float = 1.0
    #: a job claimed this many times (its workers died) is given up
    max_attempts: int = 5


async def claim_next(store: Store, clock: Clock, leasing: Leasing) -> ImportJob | None:
    """The oldest waiting job (or one whose worker's lease lapsed), now this worker's."""
    now = clock.now()
    async with store.transaction() as uow:
        return await uow.imports.claim(leasing.owner, now, now + leasing.lease)


async def release(store: Store, clock: Clock, job: ImportJob, leasing: Leasing) -> bool:
    """Hand a job back (a worker shutting down): queued for any worker at once."""
    async with store.transaction() as uow:
        return await uow.imports.release(job.id, leasing.owner, clock.now())


async def _fail(
    store: Store, clock: Clock, job: ImportJob, leasing: Leasing, kind: str, detail: str
) -> None:
    async with store.transaction() as uow:
        await uow.imports.set_status(
            job.id, "failed", clock.now(), error_kind=kind, error_detail=detail, owner=leasing.owner
        )


async def run_job(
    store: Store,
    clock: Clock,
    job: ImportJob,
    items: Callable[[], ItemSource],
    broken: tuple[type[Exception], ...],
    leasing: Leasing,
    *,
    progress: Callable[[], float] = lambda: 0.0,
) -> ImportReport | None:
    """Run a claimed job to its end state; None unless it ended done by this run.

    While the import runs, the lease is renewed and `progress()` written to the row every
    `leasing.every` seconds, on PostgreSQL. (SQLite has one writer, held by the import
    itself: nobody can take the job meanwhile, and progress is read from this process.)
    If the lease is found gone, the import is cancelled and rolls back. A broken file
    fails the job; so does a bug (logged). Cancelling `run_job` cancels the import;
    the caller then hands the job back with `release`.
    """
    if job.attempts > leasing.max_attempts:
        await _fail(
            store,
            clock,
            job,
            leasing,
            "import-gave-up",
            f"the import was started {leasing.max_attempts} times and never finished;"
            " upload it again or write to us",
        )
        return None

    async def finish(uow: UnitOfWork, report: ImportReport) -> None:
        encoded = msgspec.json.encode(report).decode()
        if not await uow.imports.set_status(
            job.id, "done", clock.now(), report=encoded, owner=leasing.owner
        ):
            raise LeaseLost(job.id)

    work = asyncio.create_task(
        ingest(
            store,
            clock,
            citizen_id=job.citizen_id,
            items=items(),
            import_id=job.id,
            fmt=job.format,
            before_commit=finish,
        ),
        name=f"ingest-{job.id}",
    )
    lost = asyncio.Event()

    async def keep_lease() -> None:
        while True:
            await asyncio.sleep(leasing.every)
            now = clock.now()
            try:
                async with store.transaction() as uow:
                    mine = await uow.imports.renew(
                        job.id, leasing.owner, now, now + leasing.lease, round(progress(), 4)
                    )
            except Exception:  # a blip: the lease is long enough for the next beat
                log.exception("import %s: renewing the lease failed; trying again", job.id)
                continue
            if not mine:
                lost.set()
                work.cancel()
                return

    keeper = asyncio.create_task(keep_lease()) if store.dialect != "sqlite" else None
    try:
        return await _settle(store, clock, job, leasing, work, broken)
    except asyncio.CancelledError:
        if lost.is_set():
            log.warning("import %s: the lease went to another worker; stored nothing", job.id)
            return None
        raise
    finally:
        if keeper is not None:
            keeper.cancel()
            await asyncio.gather(keeper, return_exceptions=True)


async def _settle(
    store: Store,
    clock: Clock,
    job: ImportJob,
    leasing: Leasing,
    work: asyncio.Task[ImportReport],
    broken: tuple[type[Exception], ...],
) -> ImportReport | None:
    try:
        return await work
    except LeaseLost:
        log.warning("import %s: the lease went to another worker; this run stored nothing", job.id)
        return None
    except broken as exc:
        kind = str(getattr(exc, "kind", "invalid-file"))
        detail = str(getattr(exc, "detail", exc))
        await _fail(store, clock, job, leasing, kind, detail)
        return None
    except Exception:
        log.exception("import %s failed unexpectedly", job.id)
        await _fail(
            store,
            clock,
            job,
            leasing,
            "internal",
            "the import failed on our side; it has been logged",
        )
        return None
