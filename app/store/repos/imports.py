"""Import jobs in SQL."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from app.domain.imports import ImportJob
from app.domain.time import from_ms, to_ms
from app.store.db import Connection, Row

__all__ = ["SqlImports"]

_COLS = (
    "citizen_id, id, format, status, blob, report, error_kind, error_detail, created_at, updated_at"
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
    )


class SqlImports:
    def __init__(self, conn: Connection) -> None:
        self._c = conn

    async def add(self, job: ImportJob) -> None:
        await self._c.execute(
            f"INSERT INTO imports ({_COLS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
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

    async def unfinished(self) -> list[ImportJob]:
        rows = await self._c.fetchall(
            f"SELECT {_COLS} FROM imports WHERE status IN ('queued', 'running') ORDER BY created_at"
        )
        return [_job(r) for r in rows]

    async def set_status(
        self,
        job_id: str,
        status: str,
        at: datetime,
        *,
        report: str | None = None,
        error_kind: str | None = None,
        error_detail: str | None = None,
    ) -> None:
        await self._c.execute(
            "UPDATE imports SET status = ?, report = ?, error_kind = ?, error_detail = ?,"
            " updated_at = ? WHERE id = ?",
            (status, report, error_kind, error_detail, to_ms(at), job_id),
        )
