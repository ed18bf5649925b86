"""Clinic slots in SQL."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from app.domain.slots import Slot
from app.domain.time import from_ms, to_ms
from app.store.db import Connection

__all__ = ["SqlSlots"]


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

    async def free(self, clinic_id: str, start: datetime, end: datetime) -> list[Slot]:
        rows = await self._c.fetchall(
            "SELECT id, clinic_id, kind, starts_at, ends_at, status FROM slots"
            " WHERE clinic_id = ? AND status = 'free' AND starts_at >= ? AND starts_at < ?"
            " ORDER BY starts_at, kind",
            (clinic_id, to_ms(start), to_ms(end)),
        )
        out = []
        for r in rows:
            kind: Any = r[2]
            status: Any = r[5]
            out.append(
                Slot(
                    id=r[0],
                    clinic_id=r[1],
                    kind=kind,
                    starts_at=from_ms(r[3]),
                    ends_at=from_ms(r[4]),
                    status=status,
                )
            )
        return out
