"""The outbox in SQL: notices written with the change, read by the app and the relay."""

from __future__ import annotations

from datetime import datetime

import msgspec

from app.domain.notices import Notice, OutboxItem
from app.domain.time import from_ms, to_ms
from app.store.db import Connection

__all__ = ["SqlOutbox"]


_encode = msgspec.json.encode
_decode = msgspec.json.Decoder(Notice).decode


class SqlOutbox:
    def __init__(self, conn: Connection) -> None:
        self._c = conn

    async def add(self, citizen_id: str, notice_id: str, notice: Notice, at: datetime) -> None:
        await self._c.execute(
            "INSERT INTO outbox (citizen_id, id, kind, payload, created_at, next_attempt_at)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            (
                citizen_id,
                notice_id,
                notice.kind,
                _encode(notice).decode(),
                to_ms(at),
                to_ms(at),
            ),
        )

    async def for_citizen(
        self, citizen_id: str, *, before_seq: int | None, limit: int
    ) -> list[OutboxItem]:
        """Newest first."""
        sql = (
            "SELECT seq, id, citizen_id, payload, created_at, delivered_at FROM outbox"
            " WHERE citizen_id = ?"
        )
        params: list[object] = [citizen_id]
        if before_seq is not None:
            sql += " AND seq < ?"
            params.append(before_seq)
        sql += " ORDER BY seq DESC LIMIT ?"
        params.append(limit)
        rows = await self._c.fetchall(sql, params)
        return [
            OutboxItem(
                seq=r[0],
                id=r[1],
                citizen_id=r[2],
                notice=_decode(r[3]),
                created_at=from_ms(r[4]),
                delivered_at=None if r[5] is None else from_ms(r[5]),
            )
            for r in rows
        ]
