"""Cloud connections in SQL: linked accounts, OAuth states, pulls and the rate bucket."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from app.domain.connections import ConnectionRow, PullJob
from app.domain.ids import new_id
from app.domain.time import from_ms, to_ms
from app.store.db import Connection, Row

__all__ = ["SqlConnections"]

_COLUMNS = (
    "citizen_id, vendor, vendor_user, status, tokens, token_version, created_at, last_sync,"
    " next_poll_at, backfill_total, backfill_done"
)


def _row(r: Row) -> ConnectionRow:
    return ConnectionRow(
        citizen_id=r[0],
        vendor=r[1],
        vendor_user=r[2],
        status=r[3],
        sealed_tokens=r[4],
        token_version=int(r[5]),
        created_at=from_ms(r[6]),
        last_sync=None if r[7] is None else from_ms(r[7]),
        next_poll_at=from_ms(r[8]),
        backfill_total=int(r[9]),
        backfill_done=int(r[10]),
    )


class SqlConnections:
    def __init__(self, conn: Connection) -> None:
        self._c = conn

    def _lock(self) -> str:
        return " FOR UPDATE SKIP LOCKED" if self._c.dialect == "postgres" else ""

    # -- OAuth states -------------------------------------------------------------------
    async def add_state(
        self,
        state_hash: str,
        citizen_id: str,
        vendor: str,
        code_verifier: str | None,
        expires_at: datetime,
    ) -> None:
        await self._c.execute(
            "INSERT INTO connection_states (state_hash, citizen_id, vendor, code_verifier,"
            " expires_at) VALUES (?, ?, ?, ?, ?)",
            (state_hash, citizen_id, vendor, code_verifier, to_ms(expires_at)),
        )

    async def take_state(self, state_hash: str) -> tuple[str, str, str | None, datetime] | None:
        row = await self._c.fetchone(
            "DELETE FROM connection_states WHERE state_hash = ?"
            " RETURNING citizen_id, vendor, code_verifier, expires_at",
            (state_hash,),
        )
        if row is None:
            return None
        return str(row[0]), str(row[1]), row[2], from_ms(row[3])

    async def purge_states(self, now: datetime) -> int:
        return await self._c.execute(
            "DELETE FROM connection_states WHERE expires_at < ?", (to_ms(now),)
        )

    # -- accounts -----------------------------------------------------------------------
    async def get(self, citizen_id: str, vendor: str) -> ConnectionRow | None:
        row = await self._c.fetchone(
            f"SELECT {_COLUMNS} FROM connections WHERE citizen_id = ? AND vendor = ?",
            (citizen_id, vendor),
        )
        return None if row is None else _row(row)

    async def by_vendor_user(self, vendor: str, vendor_user: str) -> ConnectionRow | None:
        row = await self._c.fetchone(
            f"SELECT {_COLUMNS} FROM connections WHERE vendor = ? AND vendor_user = ?",
            (vendor, vendor_user),
        )
        return None if row is None else _row(row)

    async def for_citizen(self, citizen_id: str) -> list[ConnectionRow]:
        rows = await self._c.fetchall(
            f"SELECT {_COLUMNS} FROM connections WHERE citizen_id = ? ORDER BY vendor",
            (citizen_id,),
        )
        return [_row(r) for r in rows]

    async def put(
        self,
        citizen_id: str,
        vendor: str,
        vendor_user: str,
        sealed_tokens: str,
        *,
        at: datetime,
        next_poll_at: datetime,
        backfill_total: int,
    ) -> None:
        await self._c.execute(
            "INSERT INTO connections (citizen_id, vendor, vendor_user, status, tokens,"
            " token_version, created_at, next_poll_at, backfill_total, backfill_done)"
            " VALUES (?, ?, ?, 'connected', ?, 0, ?, ?, ?, 0)"
            " ON CONFLICT (citizen_id, vendor) DO UPDATE SET vendor_user = excluded.vendor_user,"
            " status = 'connected', tokens = excluded.tokens,"
            " token_version = connections.token_version + 1, refresh_until = NULL,"
            " next_poll_at = excluded.next_poll_at, backfill_total = excluded.backfill_total,"
            " backfill_done = 0",
            (
                citizen_id,
                vendor,
                vendor_user,
                sealed_tokens,
                to_ms(at),
                to_ms(next_poll_at),
                backfill_total,
            ),
        )

    async def delete(self, citizen_id: str, vendor: str) -> bool:
        return (
            await self._c.execute(
                "DELETE FROM connections WHERE citizen_id = ? AND vendor = ?", (citizen_id, vendor)
            )
            > 0
        )

    async def start_refresh(
        self, citizen_id: str, vendor: str, version: int, now: datetime, until: datetime
    ) -> bool:
        changed = await self._c.execute(
            "UPDATE connections SET refresh_until = ? WHERE citizen_id = ? AND vendor = ?"
            " AND token_version = ? AND status = 'connected'"
            " AND (refresh_until IS NULL OR refresh_until < ?)",
            (to_ms(until), citizen_id, vendor, version, to_ms(now)),
        )
        return changed > 0

    async def store_refreshed(
        self, citizen_id: str, vendor: str, version: int, sealed_tokens: str
    ) -> bool:
        changed = await self._c.execute(
            "UPDATE connections SET tokens = ?, token_version = token_version + 1,"
            " refresh_until = NULL WHERE citizen_id = ? AND vendor = ? AND token_version = ?",
            (sealed_tokens, citizen_id, vendor, version),
        )
        return changed > 0

    async def end_refresh(self, citizen_id: str, vendor: str, version: int) -> None:
        await self._c.execute(
            "UPDATE connections SET refresh_until = NULL"
            " WHERE citizen_id = ? AND vendor = ? AND token_version = ?",
            (citizen_id, vendor, version),
        )

    async def mark_broken(self, citizen_id: str, vendor: str) -> bool:
        changed = await self._c.execute(
            "UPDATE connections SET status = 'broken', refresh_until = NULL"
            " WHERE citizen_id = ? AND vendor = ? AND status = 'connected'",
            (citizen_id, vendor),
        )
        return changed > 0

    async def synced(
        self, citizen_id: str, vendor: str, at: datetime | None, *, backfill_step: bool
    ) -> None:
        step = ", backfill_done = backfill_done + 1" if backfill_step else ""
        await self._c.execute(
            f"UPDATE connections SET last_sync = COALESCE(?, last_sync){step}"
            " WHERE citizen_id = ? AND vendor = ?",
            (None if at is None else to_ms(at), citizen_id, vendor),
        )

    async def due_polls(self, now: datetime, until: datetime, limit: int) -> list[ConnectionRow]:
        rows = await self._c.fetchall(
            "UPDATE connections SET next_poll_at = ? WHERE (citizen_id, vendor) IN ("
            " SELECT citizen_id, vendor FROM connections WHERE status = 'connected'"
            f" AND next_poll_at <= ? ORDER BY next_poll_at LIMIT ?{self._lock()})"
            f" RETURNING {_COLUMNS}",
            (to_ms(until), to_ms(now), limit),
        )
        return [_row(r) for r in rows]

    # -- pulls --------------------------------------------------------------------------
    async def add_pulls(
        self,
        citizen_id: str,
        vendor: str,
        kind: str,
        windows: Sequence[tuple[str, int, int]],
        at: datetime,
        *,
        topic: str = "",
        entity: str = "",
    ) -> None:
        """`windows`: (id or "", start_s, end_s); an empty id gets a new one."""
        now = to_ms(at)
        rows: list[Sequence[Any]] = [
            (pid or new_id(), citizen_id, vendor, kind, start, end, now, now, topic, entity)
            for pid, start, end in windows
        ]
        await self._c.executemany(
            "INSERT INTO connection_pulls (id, citizen_id, vendor, kind, start_s, end_s, due_at,"
            " created_at, topic, entity) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            rows,
        )

    async def claim_pulls(
        self, now: datetime, lease_until: datetime, owner: str, limit: int
    ) -> list[PullJob]:
        rows = await self._c.fetchall(
            "UPDATE connection_pulls SET due_at = ?, lease_owner = ?, attempts = attempts + 1"
            " WHERE id IN (SELECT id FROM connection_pulls WHERE due_at <= ?"
            f" ORDER BY due_at, created_at LIMIT ?{self._lock()})"
            " RETURNING id, citizen_id, vendor, kind, start_s, end_s, attempts, created_at,"
            " topic, entity",
            (to_ms(lease_until), owner, to_ms(now), limit),
        )
        rows.sort(key=lambda r: (r[7], r[0]))
        return [
            PullJob(
                id=r[0],
                citizen_id=r[1],
                vendor=r[2],
                kind=r[3],
                start_s=int(r[4]),
                end_s=int(r[5]),
                attempts=int(r[6]),
                topic=r[8] or "",
                entity=r[9] or "",
            )
            for r in rows
        ]

    async def finish_pull(self, pull_id: str) -> None:
        await self._c.execute("DELETE FROM connection_pulls WHERE id = ?", (pull_id,))

    async def retry_pull(self, pull_id: str, at: datetime, *, count_attempt: bool) -> None:
        back = "" if count_attempt else ", attempts = attempts - 1"
        await self._c.execute(
            f"UPDATE connection_pulls SET due_at = ?, lease_owner = NULL{back} WHERE id = ?",
            (to_ms(at), pull_id),
        )

    async def drop_pulls(self, citizen_id: str, vendor: str) -> int:
        return await self._c.execute(
            "DELETE FROM connection_pulls WHERE citizen_id = ? AND vendor = ?",
            (citizen_id, vendor),
        )

    async def pending_pulls(self, citizen_id: str, vendor: str) -> int:
        row = await self._c.fetchone(
            "SELECT COUNT(*) FROM connection_pulls WHERE citizen_id = ? AND vendor = ?",
            (citizen_id, vendor),
        )
        return int(row[0]) if row else 0

    # -- the app-wide budget ------------------------------------------------------------
    async def take_token(self, name: str, now_ms: int, capacity: float, per_ms: float) -> float:
        await self._c.execute(
            "INSERT INTO vendor_rate_buckets (name, tokens, updated_ms) VALUES (?, ?, ?)"
            " ON CONFLICT (name) DO NOTHING",
            (name, float(capacity), now_ms),
        )
        # tokens refilled up to now (never back: nodes' clocks differ a little), capped
        refilled = (
            "(CASE WHEN tokens + (CASE WHEN ? > updated_ms THEN ? - updated_ms ELSE 0 END)"
            " * CAST(? AS DOUBLE PRECISION) > CAST(? AS DOUBLE PRECISION)"
            " THEN CAST(? AS DOUBLE PRECISION)"
            " ELSE tokens + (CASE WHEN ? > updated_ms THEN ? - updated_ms ELSE 0 END)"
            " * CAST(? AS DOUBLE PRECISION) END)"
        )
        ps = (now_ms, now_ms, per_ms, capacity, capacity, now_ms, now_ms, per_ms)
        changed = await self._c.execute(
            f"UPDATE vendor_rate_buckets SET tokens = {refilled} - 1,"
            " updated_ms = CASE WHEN ? > updated_ms THEN ? ELSE updated_ms END"
            f" WHERE name = ? AND {refilled} >= 1",
            (*ps, now_ms, now_ms, name, *ps),
        )
        if changed:
            return 0.0
        row = await self._c.fetchone(
            "SELECT tokens, updated_ms FROM vendor_rate_buckets WHERE name = ?", (name,)
        )
        assert row is not None
        have = min(capacity, float(row[0]) + max(0, now_ms - int(row[1])) * per_ms)
        return max(1.0, (1.0 - have) / per_ms) if per_ms > 0 else float("inf")
