"""Gateway pairing codes, secrets and the readings log in SQL."""

from __future__ import annotations

from collections.abc import Sequence
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

    async def seen_ids(self, citizen_id: str, gateway_id: str, ids: Sequence[str]) -> set[str]:
        """Which of these reading ids this gateway has sent before."""
        seen: set[str] = set()
        for at in range(0, len(ids), 500):
            part = list(ids[at : at + 500])
            marks = ", ".join("?" * len(part))
            rows = await self._c.fetchall(
                "SELECT reading_id FROM gateway_readings WHERE citizen_id = ? AND gateway_id = ?"
                f" AND reading_id IN ({marks})",
                (citizen_id, gateway_id, *part),
            )
            seen.update(str(r[0]) for r in rows)
        return seen

    async def seen_sequences(
        self, citizen_id: str, device_keys: Sequence[str]
    ) -> set[tuple[str, str, int]]:
        """(device, characteristic, sequence) already stored for these devices."""
        if not device_keys:
            return set()
        keys = sorted(set(device_keys))
        marks = ", ".join("?" * len(keys))
        rows = await self._c.fetchall(
            "SELECT device_key, characteristic, sequence FROM gateway_readings"
            f" WHERE citizen_id = ? AND sequence IS NOT NULL AND device_key IN ({marks})",
            (citizen_id, *keys),
        )
        return {(str(r[0]), str(r[1]), int(r[2])) for r in rows}

    async def record_readings(
        self, rows: Sequence[tuple[str, str, str, str, str, int | None, int]]
    ) -> int:
        """Bulk insert (citizen, gateway, reading id, device, characteristic, sequence, ms)."""
        return await self._c.insert_ignore(
            "gateway_readings",
            (
                "citizen_id",
                "gateway_id",
                "reading_id",
                "device_key",
                "characteristic",
                "sequence",
                "received_at",
            ),
            ("text", "text", "text", "text", "text", "bigint", "bigint"),
            rows,
        )
