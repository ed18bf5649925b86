"""The citizen's push devices in SQL."""

from __future__ import annotations

from typing import Any

from app.domain.push import PushDevice
from app.domain.time import from_ms, to_ms
from app.store.db import Connection, Row

__all__ = ["SqlPushDevices"]

_COLS = "id, citizen_id, platform, token, previews, created_at"


def _device(r: Row) -> PushDevice:
    platform: Any = r[2]
    return PushDevice(
        id=r[0],
        citizen_id=r[1],
        platform=platform,
        token=r[3],
        previews=bool(r[4]),
        created_at=from_ms(r[5]),
    )


class SqlPushDevices:
    def __init__(self, conn: Connection) -> None:
        self._c = conn

    async def put(self, device: PushDevice) -> PushDevice:
        """Insert, or take over the (platform, token) row: a phone has one owner, the
        citizen who registered it last (a shared tablet, a new login)."""
        row = await self._c.fetchone(
            f"INSERT INTO push_devices ({_COLS}) VALUES (?, ?, ?, ?, ?, ?)"
            " ON CONFLICT (platform, token) DO UPDATE SET citizen_id = excluded.citizen_id,"
            " previews = excluded.previews, created_at = CASE"
            " WHEN push_devices.citizen_id = excluded.citizen_id THEN push_devices.created_at"
            " ELSE excluded.created_at END"
            f" RETURNING {_COLS}",
            (
                device.id,
                device.citizen_id,
                device.platform,
                device.token,
                1 if device.previews else 0,
                to_ms(device.created_at),
            ),
        )
        assert row is not None
        return _device(row)

    async def for_citizen(self, citizen_id: str) -> list[PushDevice]:
        rows = await self._c.fetchall(
            f"SELECT {_COLS} FROM push_devices WHERE citizen_id = ? ORDER BY created_at, id",
            (citizen_id,),
        )
        return [_device(r) for r in rows]

    async def remove(self, citizen_id: str, device_id: str) -> bool:
        return (
            await self._c.execute(
                "DELETE FROM push_devices WHERE citizen_id = ? AND id = ?", (citizen_id, device_id)
            )
            == 1
        )

    async def forget_token(self, platform: str, token: str) -> None:
        await self._c.execute(
            "DELETE FROM push_devices WHERE platform = ? AND token = ?", (platform, token)
        )
