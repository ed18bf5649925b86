"""Import jobs in SQL: queued rows any worker can claim under a lease (ADR 0019)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from app.domain.imports import ImportJob
from app.domain.time import from_ms, to_ms
from app.store.db import Connection, Row
from app.store.repos.leases import LeasedRows

__all__ = ["SqlImports"]

_COLS = (
    "citizen_id, id, format, status, blob, report, error_kind, error_detail, created_at,"
    " updated_at, progress, attempts, lease_owner, lease_until"
)


def _job(r: Row) -> ImportJob:
    status: Any = r[3]
    return ImportJob(
        citizen_id=r[0],
        id=r[1],
        format=r[2],
        status=status,
        blob=r[4],
        report=r[5],
        error_kind=r[6],
        error_detail=r[7],
        created_at=from_ms(r[8]),
        updated_at=from_ms(r[9]),
        progress=float(r[10] or 0.0),
        attempts=int(r[11] or 0),
        lease_owner=r[12],
        lease_until=None if r[13] is None else from_ms(r[13]),
    )


class SqlImports:
    def __init__(self, conn: Connection) -> None:
        self._c = conn
        self._leases = LeasedRows(conn, "imports", _COLS)

    async def add(self, job: ImportJob) -> None:
        await self._c.execute(
            "INSERT INTO imports (citizen_id, id, format, status, blob, report, error_kind,"
            " error_detail, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                job.citizen_id,
                job.id,
                job.format,
                job.status,
                job.blob,
                job.report,
                job.error_kind,
                job.error_detail,
                to_ms(job.created_at),
                to_ms(job.updated_at),
            ),
        )

    async def get(self, citizen_id: str, job_id: str) -> ImportJob | None:
        row = await self._c.fetchone(
            f"SELECT {_COLS} FROM imports WHERE citizen_id = ? AND id = ?", (citizen_id, job_id)
        )
        return None if row is None else _job(row)

    async def by_id(self, job_id: str) -> ImportJob | None:
        row = await self._c.fetchone(f"SELECT {_COLS} FROM imports WHERE id = ?", (job_id,))
        return None if row is None else _job(row)

    async def claim(self, owner: str, now: datetime, lease_until: datetime) -> ImportJob | None:
        """The oldest waiting one, or one whose worker's lease lapsed, now leased to
        `owner` (`LeasedRows`)."""
        row = await self._leases.claim(owner, now, lease_until)
        return None if row is None else _job(row)

    async def renew(
        self, job_id: str, owner: str, at: datetime, lease_until: datetime, progress: float
    ) -> bool:
        return await self._leases.renew(job_id, owner, at, lease_until, progress)

    async def release(self, job_id: str, owner: str, at: datetime) -> bool:
        return await self._leases.release(job_id, owner, at)

    async def set_status(
        self,
        job_id: str,
        status: str,
        at: datetime,
        *,
        report: str | None = None,
        error_kind: str | None = None,
        error_detail: str | None = None,
        owner: str | None = None,
    ) -> bool:
        """Set a job's status; with `owner`, only while that worker holds it. Changed?"""
        ended = status in ("done", "failed")
        sql = (
            "UPDATE imports SET status = ?, report = ?, error_kind = ?, error_detail = ?,"
            " updated_at = ?"
            + (", lease_owner = NULL, lease_until = NULL" if ended else "")
            + (", progress = 1" if status == "done" else "")
            + " WHERE id = ?"
        )
        params: list[object] = [status, report, error_kind, error_detail, to_ms(at), job_id]
        if owner is not None:
            sql += " AND lease_owner = ? AND status = 'running'"
            params.append(owner)
        return await self._c.execute(sql, params) == 1

    async def waiting(self) -> tuple[int, datetime | None]:
        """Jobs not ended (queued or running), and when the oldest of them was created."""
        row = await self._c.fetchone(
            "SELECT COUNT(*), MIN(created_at) FROM imports WHERE status IN ('queued', 'running')"
        )
        if row is None or not row[0]:
            return 0, None
        return int(row[0]), from_ms(row[1])
