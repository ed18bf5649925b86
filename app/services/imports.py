"""Import jobs: an upload becomes a queued job, runs once, ends done or failed — never stuck.

A job interrupted by a restart is still "queued" or "running" in the store; `unfinished`
finds it at start-up and it simply runs again. That is safe because an import is one
transaction (nothing of the interrupted run was kept) and idempotent.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

import msgspec

from app.domain.ids import new_id
from app.domain.imports import ImportJob
from app.errors import NotFound
from app.ports import Clock, Store, UnitOfWork
from app.services.ingest import ImportReport, ItemSource, ingest

__all__ = ["ImportFailure", "JobView", "create_job", "get_job", "job_view", "run_job"]

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


def job_view(job: ImportJob, progress: float | None) -> JobView:
    done = job.status == "done"
    return JobView(
        import_id=job.id,
        format=job.format,
        status=job.status,
        progress=1.0 if done else round(progress or 0.0, 4),
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


async def run_job(
    store: Store,
    clock: Clock,
    job: ImportJob,
    items: Callable[[], ItemSource],
    broken: tuple[type[Exception], ...],
) -> ImportReport | None:
    """Run one job to its end state. A broken file fails the job; so does a bug (logged)."""
    async with store.transaction() as uow:
        await uow.imports.set_status(job.id, "running", clock.now())
    try:
        report = await ingest(
            store, clock, citizen_id=job.citizen_id, items=items(), import_id=job.id, fmt=job.format
        )
    except broken as exc:
        kind = str(getattr(exc, "kind", "invalid-file"))
        detail = str(getattr(exc, "detail", exc))
        async with store.transaction() as uow:
            await uow.imports.set_status(
                job.id, "failed", clock.now(), error_kind=kind, error_detail=detail
            )
        return None
    except Exception:
        log.exception("import %s failed unexpectedly", job.id)
        async with store.transaction() as uow:
            await uow.imports.set_status(
                job.id,
                "failed",
                clock.now(),
                error_kind="internal",
                error_detail="the import failed on our side; it has been logged",
            )
        return None
    async with store.transaction() as uow:
        await uow.imports.set_status(
            job.id, "done", clock.now(), report=msgspec.json.encode(report).decode()
        )
    return report
