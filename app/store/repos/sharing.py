"""Shares (consents) and per-citizen flag thresholds in SQL."""

from __future__ import annotations

from datetime import date, datetime

from app.domain.sharing import Share
from app.domain.time import from_ms, to_ms
from app.store.db import Connection, Row

__all__ = ["SqlShares"]

_COLS = (
    "citizen_id, id, clinic_id, clinician_id, metrics, data_from, data_days, expires_at,"
    " created_at, revoked_at"
)


def _share(r: Row) -> Share:
    return Share(
        citizen_id=r[0],
        id=r[1],
        clinic_id=r[2],
        clinician_id=r[3],
        metrics=[m for m in str(r[4]).split(",") if m],
        data_from=None if r[5] is None else date.fromisoformat(r[5]),
        data_days=r[6],
        expires_at=from_ms(r[7]),
        created_at=from_ms(r[8]),
        revoked_at=None if r[9] is None else from_ms(r[9]),
    )


class SqlShares:
    def __init__(self, conn: Connection) -> None:
        self._c = conn

    async def add(self, s: Share) -> None:
        await self._c.execute(
            f"INSERT INTO shares ({_COLS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                s.citizen_id,
                s.id,
                s.clinic_id,
                s.clinician_id,
                ",".join(s.metrics),
                None if s.data_from is None else s.data_from.isoformat(),
                s.data_days,
                to_ms(s.expires_at),
                to_ms(s.created_at),
                None,
            ),
        )

    async def get(self, citizen_id: str, share_id: str) -> Share | None:
        row = await self._c.fetchone(
            f"SELECT {_COLS} FROM shares WHERE citizen_id = ? AND id = ?", (citizen_id, share_id)
        )
        return None if row is None else _share(row)

    async def for_citizen(self, citizen_id: str) -> list[Share]:
        rows = await self._c.fetchall(
            f"SELECT {_COLS} FROM shares WHERE citizen_id = ? ORDER BY created_at DESC, id",
            (citizen_id,),
        )
        return [_share(r) for r in rows]

    async def active_for_clinic(
        self, clinic_id: str, citizen_id: str, now: datetime
    ) -> list[Share]:
        rows = await self._c.fetchall(
            f"SELECT {_COLS} FROM shares WHERE clinic_id = ? AND citizen_id = ?"
            " AND revoked_at IS NULL AND created_at <= ? AND expires_at > ?"
            " ORDER BY created_at DESC, id",
            (clinic_id, citizen_id, to_ms(now), to_ms(now)),
        )
        return [_share(r) for r in rows]

    async def active_for_citizen(self, citizen_id: str, now: datetime) -> list[Share]:
        rows = await self._c.fetchall(
            f"SELECT {_COLS} FROM shares WHERE citizen_id = ?"
            " AND revoked_at IS NULL AND created_at <= ? AND expires_at > ?"
            " ORDER BY created_at, id",
            (citizen_id, to_ms(now), to_ms(now)),
        )
        return [_share(r) for r in rows]

    async def flags_due(self, before: datetime, now: datetime, limit: int) -> list[Share]:
        rows = await self._c.fetchall(
            f"SELECT {_COLS} FROM shares WHERE revoked_at IS NULL AND created_at <= ?"
            " AND expires_at > ? AND (flags_checked_at IS NULL OR flags_checked_at < ?)"
            " ORDER BY flags_checked_at, citizen_id, id LIMIT ?",
            (to_ms(now), to_ms(now), to_ms(before), limit),
        )
        return [_share(r) for r in rows]

    async def flags_checked(self, citizen_id: str, share_id: str, at: datetime) -> None:
        await self._c.execute(
            "UPDATE shares SET flags_checked_at = ? WHERE citizen_id = ? AND id = ?",
            (to_ms(at), citizen_id, share_id),
        )

    async def revoke(self, citizen_id: str, share_id: str, at: datetime) -> bool:
        changed = await self._c.execute(
            "UPDATE shares SET revoked_at = ? WHERE citizen_id = ? AND id = ? AND revoked_at IS NULL",
            (to_ms(at), citizen_id, share_id),
        )
        return changed == 1

    async def thresholds(self, citizen_id: str) -> dict[str, float]:
        rows = await self._c.fetchall(
            "SELECT code, value FROM flag_thresholds WHERE citizen_id = ?", (citizen_id,)
        )
        return {str(r[0]): float(r[1]) for r in rows}

    async def set_thresholds(
        self, citizen_id: str, values: dict[str, float], by: str, at: datetime
    ) -> None:
        await self._c.execute("DELETE FROM flag_thresholds WHERE citizen_id = ?", (citizen_id,))
        await self._c.executemany(
            "INSERT INTO flag_thresholds (citizen_id, code, value, set_by, set_at)"
            " VALUES (?, ?, ?, ?, ?)",
            [(citizen_id, code, v, by, to_ms(at)) for code, v in sorted(values.items())],
        )
