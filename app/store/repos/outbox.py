"""The outbox in SQL: notices written with the change, read by the app and the relay."""

from __future__ import annotations

from datetime import datetime

import msgspec

from app.domain.notices import Notice, OutboxItem
from app.domain.push import DueNotice, PushOutcome
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

    async def claim_due(self, now: datetime, lease_until: datetime, limit: int) -> list[DueNotice]:
        """Oldest due rows first, each pushed out to `lease_until` in the same statement.

        A relay that dies holding rows lets go of them when the lease runs out. On
        PostgreSQL two relays skip each other's locked rows; SQLite has one writer, so
        the statement runs whole before another can look.
        """
        lock = " FOR UPDATE SKIP LOCKED" if self._c.dialect == "postgres" else ""
        rows = await self._c.fetchall(
            "UPDATE outbox SET next_attempt_at = ? WHERE seq IN ("
            " SELECT seq FROM outbox WHERE delivered_at IS NULL AND next_attempt_at <= ?"
            f" ORDER BY seq LIMIT ?{lock})"
            " RETURNING seq, id, citizen_id, payload, created_at, attempts",
            (to_ms(lease_until), to_ms(now), limit),
        )
        return sorted(
            (
                DueNotice(
                    seq=r[0],
                    id=r[1],
                    citizen_id=r[2],
                    notice=_decode(r[3]),
                    created_at=from_ms(r[4]),
                    attempts=r[5],
                )
                for r in rows
            ),
            key=lambda d: d.seq,
        )

    async def settle(self, seq: int, at: datetime, outcome: PushOutcome, attempts: int) -> None:
        """The relay is done with the row."""
        await self._c.execute(
            "UPDATE outbox SET delivered_at = ?, push_outcome = ?, attempts = ? WHERE seq = ?",
            (to_ms(at), outcome, attempts, seq),
        )

    async def retry_at(self, seq: int, attempts: int, at: datetime) -> None:
        await self._c.execute(
            "UPDATE outbox SET attempts = ?, next_attempt_at = ? WHERE seq = ?",
            (attempts, to_ms(at), seq),
        )

    async def due(self, now: datetime) -> tuple[int, datetime | None]:
        """Rows due for the relay and not delivered, and the earliest due time (metrics)."""
        row = await self._c.fetchone(
            "SELECT COUNT(*), MIN(next_attempt_at) FROM outbox"
            " WHERE delivered_at IS NULL AND next_attempt_at <= ?",
            (to_ms(now),),
        )
        if row is None or not row[0]:
            return 0, None
        return int(row[0]), from_ms(row[1])
