"""Export jobs in SQL (ADR 0022), and the keyset-paged read of a citizen's samples."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from app.domain.exports import ExportJob
from app.domain.time import from_ms, to_ms
from app.ports.exports import SampleKey, StoredSample
from app.store.db import Connection, Row
from app.store.repos.leases import LeasedRows

__all__ = ["SqlExports"]

_COLS = (
    "citizen_id, id, status, progress, blob, size, error_detail, attempts, lease_owner,"
    " lease_until, created_at, updated_at, expires_at"
)


def _job(r: Row) -> ExportJob:
    status: Any = r[2]
    return ExportJob(
        citizen_id=r[0],
        id=r[1],
        status=status,
        progress=float(r[3] or 0.0),
        blob=r[4],
        size=None if r[5] is None else int(r[5]),
        error_detail=r[6],
        attempts=int(r[7] or 0),
        lease_owner=r[8],
        lease_until=None if r[9] is None else from_ms(r[9]),
        created_at=from_ms(r[10]),
        updated_at=from_ms(r[11]),
        expires_at=None if r[12] is None else from_ms(r[12]),
    )


class SqlExports:
    def __init__(self, conn: Connection) -> None:
        self._c = conn
        self._leases = LeasedRows(conn, "exports", _COLS)

    async def add(self, job: ExportJob) -> None:
        await self._c.execute(
            "INSERT INTO exports (citizen_id, id, status, progress, created_at, updated_at)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            (
                job.citizen_id,
                job.id,
                job.status,
                job.progress,
                to_ms(job.created_at),
                to_ms(job.updated_at),
            ),
        )

    async def get(self, citizen_id: str, export_id: str) -> ExportJob | None:
        row = await self._c.fetchone(
            f"SELECT {_COLS} FROM exports WHERE citizen_id = ? AND id = ?", (citizen_id, export_id)
        )
        return None if row is None else _job(row)

    async def unfinished(self, citizen_id: str) -> ExportJob | None:
        row = await self._c.fetchone(
            f"SELECT {_COLS} FROM exports WHERE citizen_id = ? AND status IN ('queued', 'running')"
            " ORDER BY created_at DESC LIMIT 1",
            (citizen_id,),
        )
        return None if row is None else _job(row)

    async def claim(self, owner: str, now: datetime, lease_until: datetime) -> ExportJob | None:
        """The oldest waiting one, or one whose worker's lease lapsed, now leased to
        `owner` (`LeasedRows`)."""
        row = await self._leases.claim(owner, now, lease_until, restart=True)
        return None if row is None else _job(row)

    async def renew(
        self, export_id: str, owner: str, at: datetime, lease_until: datetime, progress: float
    ) -> bool:
        return await self._leases.renew(export_id, owner, at, lease_until, progress)

    async def release(self, export_id: str, owner: str, at: datetime) -> bool:
        return await self._leases.release(export_id, owner, at)

    async def finish(
        self,
        export_id: str,
        owner: str,
        at: datetime,
        *,
        blob: str,
        size: int,
        expires_at: datetime,
    ) -> bool:
        changed = await self._c.execute(
            "UPDATE exports SET status = 'done', progress = 1, blob = ?, size = ?, expires_at = ?,"
            " lease_owner = NULL, lease_until = NULL, updated_at = ?"
            " WHERE id = ? AND lease_owner = ? AND status = 'running'",
            (blob, size, to_ms(expires_at), to_ms(at), export_id, owner),
        )
        return changed == 1

    async def fail(self, export_id: str, owner: str, at: datetime, detail: str) -> bool:
        changed = await self._c.execute(
            "UPDATE exports SET status = 'failed', error_detail = ?, lease_owner = NULL,"
            " lease_until = NULL, updated_at = ?"
            " WHERE id = ? AND lease_owner = ? AND status = 'running'",
            (detail, to_ms(at), export_id, owner),
        )
        return changed == 1

    async def expired(self, now: datetime, limit: int) -> list[ExportJob]:
        rows = await self._c.fetchall(
            f"SELECT {_COLS} FROM exports WHERE status = 'done' AND expires_at <= ?"
            " ORDER BY expires_at LIMIT ?",
            (to_ms(now), limit),
        )
        return [_job(r) for r in rows]

    async def mark_expired(self, export_id: str, at: datetime) -> bool:
        changed = await self._c.execute(
            "UPDATE exports SET status = 'expired', blob = NULL, updated_at = ?"
            " WHERE id = ? AND status = 'done'",
            (to_ms(at), export_id),
        )
        return changed == 1

    async def withdraw(self, citizen_id: str, at: datetime) -> list[str]:
        now = to_ms(at)
        blobs = [
            str(r[0])
            for r in await self._c.fetchall(
                "SELECT blob FROM exports WHERE citizen_id = ? AND status = 'done'"
                " AND blob IS NOT NULL",
                (citizen_id,),
            )
        ]
        await self._c.execute(
            "UPDATE exports SET status = 'expired', blob = NULL, updated_at = ?"
            " WHERE citizen_id = ? AND status = 'done'",
            (now, citizen_id),
        )
        await self._c.execute(
            "UPDATE exports SET status = 'queued', progress = 0, lease_owner = NULL,"
            " lease_until = NULL, updated_at = ? WHERE citizen_id = ?"
            " AND status IN ('queued', 'running')",
            (now, citizen_id),
        )
        return blobs

    async def waiting(self) -> int:
        row = await self._c.fetchone(
            "SELECT COUNT(*) FROM exports WHERE status IN ('queued', 'running')"
        )
        return 0 if row is None else int(row[0])

    async def sample_counts(self, citizen_id: str) -> dict[str, int]:
        """Samples per metric, in one pass over the citizen's samples."""
        rows = await self._c.fetchall(
            "SELECT metric, COUNT(*) FROM samples WHERE citizen_id = ? GROUP BY metric"
            " ORDER BY metric",
            (citizen_id,),
        )
        return {str(r[0]): int(r[1]) for r in rows}

    async def sample_page(
        self, citizen_id: str, metric: str, after: SampleKey | None, limit: int
    ) -> Sequence[StoredSample]:
        """Keyset paging along the primary key (citizen, metric, start, source, end,
        value, stage): each page is an index range scan, however far in it starts."""
        cols = "start_ms, source_no, end_ms, value, stage, external_id"
        order = " ORDER BY start_ms, source_no, end_ms, value, stage LIMIT ?"
        if after is None:
            rows = await self._c.fetchall(
                f"SELECT {cols} FROM samples WHERE citizen_id = ? AND metric = ?{order}",
                (citizen_id, metric, limit),
            )
        else:
            rows = await self._c.fetchall(
                f"SELECT {cols} FROM samples WHERE citizen_id = ? AND metric = ?"
                " AND (start_ms, source_no, end_ms, value, stage) > (?, ?, ?, ?, ?)"
                f"{order}",
                (citizen_id, metric, *after, limit),
            )
        return [(int(r[0]), int(r[1]), int(r[2]), float(r[3]), str(r[4]), r[5]) for r in rows]
