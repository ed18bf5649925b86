"""A clinic's weekly opening hours and its closures in SQL."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, time
from typing import Any

from app.domain.schedule import Closure, OpeningHours
from app.domain.time import from_ms, to_ms
from app.store.db import Connection

__all__ = ["SqlSchedule"]


class SqlSchedule:
    def __init__(self, conn: Connection) -> None:
        self._c = conn

    async def hours(self, clinic_id: str) -> list[OpeningHours]:
        rows = await self._c.fetchall(
            "SELECT weekday, opens, closes, kind, minutes FROM opening_hours"
            " WHERE clinic_id = ? ORDER BY position",
            (clinic_id,),
        )
        out = []
        for r in rows:
            kind: Any = r[3]
            out.append(
                OpeningHours(
                    weekday=r[0],
                    opens=time.fromisoformat(r[1]),
                    closes=time.fromisoformat(r[2]),
                    kind=kind,
                    minutes=r[4],
                )
            )
        return out

    async def replace_hours(self, clinic_id: str, hours: Sequence[OpeningHours]) -> None:
        await self._c.execute("DELETE FROM opening_hours WHERE clinic_id = ?", (clinic_id,))
        await self._c.executemany(
            "INSERT INTO opening_hours (clinic_id, position, weekday, opens, closes, kind,"
            " minutes) VALUES (?, ?, ?, ?, ?, ?, ?)",
            [
                (
                    clinic_id,
                    i,
                    h.weekday,
                    h.opens.isoformat("minutes"),
                    h.closes.isoformat("minutes"),
                    h.kind,
                    h.minutes,
                )
                for i, h in enumerate(hours)
            ],
        )

    async def add_closure(self, clinic_id: str, closure_id: str, closure: Closure) -> None:
        await self._c.execute(
            "INSERT INTO closures (clinic_id, id, starts_at, ends_at, reason)"
            " VALUES (?, ?, ?, ?, ?)",
            (
                clinic_id,
                closure_id,
                to_ms(closure.starts_at),
                to_ms(closure.ends_at),
                closure.reason,
            ),
        )

    async def closures(
        self, clinic_id: str, start: datetime, end: datetime
    ) -> list[tuple[str, Closure]]:
        """Closures overlapping [start, end), with their ids."""
        rows = await self._c.fetchall(
            "SELECT id, starts_at, ends_at, reason FROM closures"
            " WHERE clinic_id = ? AND starts_at < ? AND ends_at > ? ORDER BY starts_at",
            (clinic_id, to_ms(end), to_ms(start)),
        )
        out = []
        for r in rows:
            reason: Any = r[3]
            out.append(
                (r[0], Closure(starts_at=from_ms(r[1]), ends_at=from_ms(r[2]), reason=reason))
            )
        return out
