"""Refresh tokens (only their hashes) in SQL."""

from __future__ import annotations

from datetime import datetime

from app.domain.identity import Role
from app.domain.time import from_ms, to_ms
from app.ports import RefreshTokenRecord
from app.store.db import Connection

__all__ = ["SqlRefreshTokens"]


def _opt(ms: int | None) -> datetime | None:
    return None if ms is None else from_ms(ms)


class SqlRefreshTokens:
    def __init__(self, conn: Connection) -> None:
        self._c = conn

    async def add(self, record: RefreshTokenRecord) -> None:
        await self._c.execute(
            "INSERT INTO refresh_tokens (token_hash, family_id, role, subject, issued_at,"
            " expires_at, used_at, revoked_at) VALUES (?, ?, ?, ?, ?, ?, NULL, NULL)",
            (
                record.token_hash,
                record.family_id,
                record.role.value,
                record.subject,
                to_ms(record.issued_at),
                to_ms(record.expires_at),
            ),
        )

    async def get(self, token_hash: str) -> RefreshTokenRecord | None:
        row = await self._c.fetchone(
            "SELECT token_hash, family_id, role, subject, issued_at, expires_at, used_at,"
            " revoked_at FROM refresh_tokens WHERE token_hash = ?",
            (token_hash,),
        )
        if row is None:
            return None
        return RefreshTokenRecord(
            token_hash=row[0],
            family_id=row[1],
            role=Role(row[2]),
            subject=row[3],
            issued_at=from_ms(row[4]),
            expires_at=from_ms(row[5]),
            used_at=_opt(row[6]),
            revoked_at=_opt(row[7]),
        )

    async def mark_used(self, token_hash: str, at: datetime) -> bool:
        changed = await self._c.execute(
            "UPDATE refresh_tokens SET used_at = ? WHERE token_hash = ? AND used_at IS NULL"
            " AND revoked_at IS NULL",
            (to_ms(at), token_hash),
        )
        return changed == 1

    async def revoke_family(self, family_id: str, at: datetime) -> None:
        await self._c.execute(
            "UPDATE refresh_tokens SET revoked_at = ? WHERE family_id = ? AND revoked_at IS NULL",
            (to_ms(at), family_id),
        )

    async def session_ended(self, family_id: str) -> bool:
        """True once the family is revoked (logout, or a reused refresh token).

        Revoking marks every token of the family, so one revoked row is enough; the
        family index makes this a lookup by key on every authenticated request.
        """
        row = await self._c.fetchone(
            "SELECT 1 FROM refresh_tokens WHERE family_id = ? AND revoked_at IS NOT NULL LIMIT 1",
            (family_id,),
        )
        return row is not None
