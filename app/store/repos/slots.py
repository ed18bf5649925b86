"""Clinic slots in SQL: publishing, listing free ones, and taking one without a race.

Taking a slot is one conditional UPDATE (`… WHERE status = 'free'`): the database, not
the application, decides who gets it. On PostgreSQL the second writer waits for the
first's row lock and then finds the condition false; on SQLite writers queue anyway.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from app.domain.slots import Slot
from app.domain.time import from_ms, to_ms
from app.store.db import Connection, Row

__all__ = ["SqlSlots"]

_COLS = "id, clinic_id, kind, starts_at, ends_at, status, held_for, held_until"
#: free, or held by a waitlist offer that has lapsed
_AVAILABLE = "(status = 'free' OR (status = 'held' AND held_until <= ?))"


def _slot(r: Row) -> Slot:
    kind: Any = r[2]
    status: Any = r[5]
    return Slot(
        id=r[0],
        clinic_id=r[1],
        kind=kind,
        starts_at=from_ms(r[3]),
        ends_at=from_ms(r[4]),
        status=status,
        held_for=r[6],
        held_until=None if r[7] is None else from_ms(r[7]),
    )


class SqlSlots:
    def __init__(self, conn: Connection) -> None:
        self._c = conn

    async def add_many(self, slots: Sequence[Slot]) -> int:
        """Insert slots, skipping any that already exist (same id or same time and kind)."""
        return await self._c.insert_ignore(
            "slots",
            ("clinic_id", "id", "kind", "starts_at", "ends_at", "status"),
            ("text", "text", "text", "bigint", "bigint", "text"),
            [
                (s.clinic_id, s.id, s.kind, to_ms(s.starts_at), to_ms(s.ends_at), s.status)
                for s in slots
            ],
        )

    async def get(self, clinic_id: str, slot_id: str) -> Slot | None:
        row = await self._c.fetchone(
            f"SELECT {_COLS} FROM slots WHERE clinic_id = ? AND id = ?", (clinic_id, slot_id)
        )
        return None if row is None else _slot(row)

    async def free(
        self,
        clinic_id: str,
        start: datetime,
        end: datetime,
        *,
        now: datetime,
        kind: str | None = None,
        limit: int = 1000,
    ) -> list[Slot]:
        """Bookable slots starting in [start, end), oldest first."""
        sql = (
            f"SELECT {_COLS} FROM slots WHERE clinic_id = ? AND {_AVAILABLE}"
            " AND starts_at >= ? AND starts_at < ?"
        )
        params: list[Any] = [clinic_id, to_ms(now), to_ms(max(start, now)), to_ms(end)]
        if kind is not None:
            sql += " AND kind = ?"
            params.append(kind)
        sql += " ORDER BY starts_at, kind LIMIT ?"
        params.append(limit)
        return [_slot(r) for r in await self._c.fetchall(sql, params)]

    async def take(self, clinic_id: str, slot_id: str, citizen_id: str, now: datetime) -> bool:
        """Mark a future slot booked if it is free or held for this citizen; False if not."""
        changed = await self._c.execute(
            "UPDATE slots SET status = 'booked', held_for = NULL, held_until = NULL"
            " WHERE clinic_id = ? AND id = ? AND starts_at > ?"
            f" AND ({_AVAILABLE} OR (status = 'held' AND held_for = ?))",
            (clinic_id, slot_id, to_ms(now), to_ms(now), citizen_id),
        )
        return changed == 1

    async def set_status(self, clinic_id: str, slot_id: str, status: str) -> None:
        """Free or block a slot (clears any hold)."""
        await self._c.execute(
            "UPDATE slots SET status = ?, held_for = NULL, held_until = NULL"
            " WHERE clinic_id = ? AND id = ?",
            (status, clinic_id, slot_id),
        )

    async def hold(
        self, clinic_id: str, slot_id: str, citizen_id: str, until: datetime, now: datetime
    ) -> bool:
        """Hold an available slot for one citizen until `until` (a waitlist offer)."""
        changed = await self._c.execute(
            "UPDATE slots SET status = 'held', held_for = ?, held_until = ?"
            f" WHERE clinic_id = ? AND id = ? AND {_AVAILABLE}",
            (citizen_id, to_ms(until), clinic_id, slot_id, to_ms(now)),
        )
        return changed == 1

    async def lapsed_holds(self, now: datetime, limit: int = 100) -> list[Slot]:
        rows = await self._c.fetchall(
            f"SELECT {_COLS} FROM slots WHERE status = 'held' AND held_until <= ?"
            " ORDER BY held_until LIMIT ?",
            (to_ms(now), limit),
        )
        return [_slot(r) for r in rows]

    async def block_between(self, clinic_id: str, start: datetime, end: datetime) -> int:
        """Block the free slots overlapping [start, end) (a closure); booked ones stay."""
        return await self._c.execute(
            "UPDATE slots SET status = 'blocked', held_for = NULL, held_until = NULL"
            " WHERE clinic_id = ? AND status IN ('free', 'held')"
            " AND starts_at < ? AND ends_at > ?",
            (clinic_id, to_ms(end), to_ms(start)),
        )
