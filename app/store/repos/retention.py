"""Retention sweeps in SQL: each call deletes one bounded batch, oldest first (ADR 0023).

`DELETE … WHERE key IN (SELECT key … ORDER BY … LIMIT ?)` runs on both engines and walks
the index on the time column, so a pass costs the same however much has piled up.
"""

from __future__ import annotations

from datetime import datetime

from app.domain.time import to_ms
from app.store.db import Connection

__all__ = ["SqlRetention"]


class SqlRetention:
    def __init__(self, conn: Connection) -> None:
        self._c = conn

    async def _batch(self, table: str, key: str, column: str, before: datetime, limit: int) -> int:
        return await self._c.execute(
            f"DELETE FROM {table} WHERE {key} IN (SELECT {key} FROM {table}"
            f" WHERE {column} < ? ORDER BY {column} LIMIT ?)",
            (to_ms(before), limit),
        )

    async def raw_readings(self, received_before: datetime, limit: int) -> int:
        """The gateway readings log; the samples and roll-ups made from it stay."""
        return await self._c.execute(
            "DELETE FROM gateway_readings WHERE (citizen_id, gateway_id, reading_id) IN"
            " (SELECT citizen_id, gateway_id, reading_id FROM gateway_readings"
            " WHERE received_at < ? ORDER BY received_at LIMIT ?)",
            (to_ms(received_before), limit),
        )

    async def summary_links(self, expired_before: datetime, limit: int) -> int:
        return await self._batch("summary_links", "token_hash", "expires_at", expired_before, limit)

    async def inbox_links(self, expired_before: datetime, limit: int) -> int:
        return await self._batch("inbox_links", "token_hash", "expires_at", expired_before, limit)

    async def pairing_codes(self, expired_before: datetime, limit: int) -> int:
        return await self._batch(
            "gateway_pairings", "code_hash", "expires_at", expired_before, limit
        )

    async def oauth_states(self, expired_before: datetime, limit: int) -> int:
        return await self._batch(
            "connection_states", "state_hash", "expires_at", expired_before, limit
        )

    async def notices(self, created_before: datetime, limit: int) -> int:
        return await self._batch("outbox", "seq", "created_at", created_before, limit)

    async def sessions(self, expired_before: datetime, limit: int) -> int:
        return await self._batch(
            "refresh_tokens", "token_hash", "expires_at", expired_before, limit
        )
