"""Powers of attorney in SQL."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from app.domain.proxies import ProxyGrant
from app.domain.time import from_ms, to_ms
from app.store.db import Connection, Row

__all__ = ["SqlProxies"]

_COLS = "citizen_id, id, proxy_cpr_hash, proxy_name, scopes, expires_at, created_at, revoked_at"


def _grant(r: Row) -> ProxyGrant:
    scopes: Any = [s for s in str(r[4]).split(",") if s]
    return ProxyGrant(
        citizen_id=r[0],
        id=r[1],
        proxy_cpr_hash=r[2],
        proxy_name=r[3],
        scopes=scopes,
        expires_at=from_ms(r[5]),
        created_at=from_ms(r[6]),
        revoked_at=None if r[7] is None else from_ms(r[7]),
    )


class SqlProxies:
    def __init__(self, conn: Connection) -> None:
        self._c = conn

    async def add(self, g: ProxyGrant) -> None:
        await self._c.execute(
            f"INSERT INTO proxies ({_COLS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                g.citizen_id,
                g.id,
                g.proxy_cpr_hash,
                g.proxy_name,
                ",".join(g.scopes),
                to_ms(g.expires_at),
                to_ms(g.created_at),
                None,
            ),
        )

    async def get(self, citizen_id: str, grant_id: str) -> ProxyGrant | None:
        row = await self._c.fetchone(
            f"SELECT {_COLS} FROM proxies WHERE citizen_id = ? AND id = ?", (citizen_id, grant_id)
        )
        return None if row is None else _grant(row)

    async def given(self, citizen_id: str) -> list[ProxyGrant]:
        rows = await self._c.fetchall(
            f"SELECT {_COLS} FROM proxies WHERE citizen_id = ? ORDER BY created_at DESC, id",
            (citizen_id,),
        )
        return [_grant(r) for r in rows]

    async def held(self, proxy_cpr_hash: str, now: datetime) -> list[ProxyGrant]:
        """Active grants the holder of this CPR hash has received."""
        rows = await self._c.fetchall(
            f"SELECT {_COLS} FROM proxies WHERE proxy_cpr_hash = ? AND revoked_at IS NULL"
            " AND created_at <= ? AND expires_at > ? ORDER BY created_at, id",
            (proxy_cpr_hash, to_ms(now), to_ms(now)),
        )
        return [_grant(r) for r in rows]

    async def revoke(self, citizen_id: str, grant_id: str, at: datetime) -> bool:
        changed = await self._c.execute(
            "UPDATE proxies SET revoked_at = ? WHERE citizen_id = ? AND id = ?"
            " AND revoked_at IS NULL",
            (to_ms(at), citizen_id, grant_id),
        )
        return changed == 1
