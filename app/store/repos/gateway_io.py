"""Gateway pairing codes, secrets and the readings log in SQL."""

from __future__ import annotations

from datetime import datetime

from app.domain.time import to_ms
from app.store.db import Connection

__all__ = ["SqlGatewayIO"]


class SqlGatewayIO:
    def __init__(self, conn: Connection) -> None:
        self._c = conn

    async def add_pairing(
        self, code_hash: str, citizen_id: str, name: str, expires_at: datetime
    ) -> None:
        await self._c.execute(
            "INSERT INTO gateway_pairings (code_hash, citizen_id, name, expires_at)"
            " VALUES (?, ?, ?, ?)",
            (code_hash, citizen_id, name, to_ms(expires_at)),
        )

    async def use_pairing(self, code_hash: str, at: datetime) -> tuple[str, str] | None:
        """Spend a live code once: (citizen_id, name), or None if unknown, used or expired."""
        row = await self._c.fetchone(
            "SELECT citizen_id, name FROM gateway_pairings WHERE code_hash = ?"
            " AND used_at IS NULL AND expires_at > ?",
            (code_hash, to_ms(at)),
        )
        if row is None:
            return None
        changed = await self._c.execute(
            "UPDATE gateway_pairings SET used_at = ? WHERE code_hash = ? AND used_at IS NULL",
            (to_ms(at), code_hash),
        )
        return (str(row[0]), str(row[1])) if changed == 1 else None

    async def set_secret(self, gateway_id: str, secret_hash: str) -> None:
        await self._c.execute(
            "UPDATE gateways SET secret_hash = ? WHERE id = ?", (secret_hash, gateway_id)
        )

    async def secret_hash(self, gateway_id: str) -> str | None:
        row = await self._c.fetchone(
            "SELECT secret_hash FROM gateways WHERE id = ? AND revoked_at IS NULL", (gateway_id,)
        )
        return None if row is None or row[0] is None else str(row[0])

    async def record_reading(
        self,
        *,
        citizen_id: str,
        gateway_id: str,
        reading_id: str,
        device_key: str,
        characteristic: str,
        sequence: int | None,
        received_at: datetime,
    ) -> bool:
        """True when the reading is new (by gateway id, and by device sequence for glucose)."""
        added = await self._c.execute(
            "INSERT INTO gateway_readings (citizen_id, gateway_id, reading_id, device_key,"
            " characteristic, sequence, received_at) VALUES (?, ?, ?, ?, ?, ?, ?)"
            " ON CONFLICT DO NOTHING",
            (
                citizen_id,
                gateway_id,
                reading_id,
                device_key,
                characteristic,
                sequence,
                to_ms(received_at),
            ),
        )
        return added == 1
