"""Rows any worker takes under a lease: the SQL imports and exports share (ADR 0019).

A row is `queued`, or `running` under `lease_owner` until `lease_until`. Claiming takes
the oldest waiting row, or a running one whose lease lapsed (its worker died), in one
statement: on PostgreSQL two workers skip each other's locked row (`FOR UPDATE SKIP
LOCKED`); SQLite has one writer, so the conditional UPDATE runs whole before another
can look. A running row without a lease (written before leases existed, or by a worker
that handed it back) is free to take. Renewing and handing back are conditional on the
owner, so a worker that lost its lease changes nothing.
"""

from __future__ import annotations

from datetime import datetime

from app.domain.time import to_ms
from app.store.db import Connection, Row

__all__ = ["LeasedRows"]


class LeasedRows:
    """Claim, renew and hand back rows of one table (`id`, `status`, `lease_owner`,
    `lease_until`, `attempts`, `progress`, `created_at`, `updated_at`)."""

    def __init__(self, conn: Connection, table: str, columns: str) -> None:
        self._c = conn
        self._table = table
        self._columns = columns

    async def claim(
        self, owner: str, now: datetime, lease_until: datetime, *, restart: bool = False
    ) -> Row | None:
        """The row now leased to `owner`; `restart` sets its progress back to 0."""
        lock = " FOR UPDATE SKIP LOCKED" if self._c.dialect == "postgres" else ""
        at = to_ms(now)
        t = self._table
        rows = await self._c.fetchall(
            f"UPDATE {t} SET status = 'running', lease_owner = ?, lease_until = ?,"
            f" attempts = attempts + 1,{' progress = 0,' if restart else ''} updated_at = ?"
            f" WHERE id IN (SELECT id FROM {t} WHERE status = 'queued' OR (status = 'running'"
            " AND (lease_until IS NULL OR lease_until < ?))"
            f" ORDER BY created_at LIMIT 1{lock}) RETURNING {self._columns}",
            (owner, to_ms(lease_until), at, at),
        )
        return rows[0] if rows else None

    async def renew(
        self, row_id: str, owner: str, at: datetime, lease_until: datetime, progress: float
    ) -> bool:
        """Extend `owner`'s lease and write its progress; False once the row is not its own."""
        changed = await self._c.execute(
            f"UPDATE {self._table} SET lease_until = ?, progress = ?, updated_at = ?"
            " WHERE id = ? AND lease_owner = ? AND status = 'running'",
            (to_ms(lease_until), progress, to_ms(at), row_id, owner),
        )
        return changed == 1

    async def release(self, row_id: str, owner: str, at: datetime) -> bool:
        """Hand a row back (shutting down): queued again, for any worker, from the start."""
        changed = await self._c.execute(
            f"UPDATE {self._table} SET status = 'queued', lease_owner = NULL,"
            " lease_until = NULL, progress = 0, updated_at = ?"
            " WHERE id = ? AND lease_owner = ? AND status = 'running'",
            (to_ms(at), row_id, owner),
        )
        return changed == 1
