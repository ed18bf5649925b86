"""One-time inbox-page links in SQL."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from app.domain.inbox_links import InboxLink
from app.domain.time import from_ms, to_ms
from app.store.db import Connection, Row

__all__ = ["SqlInboxLinks"]

_COLS = "token_hash, clinician_subject, language, status, created_at, expires_at, used_at"


def _link(r: Row) -> InboxLink:
    language: Any = r[2]
    status: Any = r[3]
    return InboxLink(
        token_hash=r[0],
        clinician_subject=r[1],
        language=language,
        status=status,
        created_at=from_ms(r[4]),
        expires_at=from_ms(r[5]),
        used_at=None if r[6] is None else from_ms(r[6]),
    )


class SqlInboxLinks:
    def __init__(self, conn: Connection) -> None:
        self._c = conn

    async def add(self, link: InboxLink) -> None:
        await self._c.execute(
            f"INSERT INTO inbox_links ({_COLS}) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                link.token_hash,
                link.clinician_subject,
                link.language,
                link.status,
                to_ms(link.created_at),
                to_ms(link.expires_at),
                None,
            ),
        )

    async def take(self, token_hash: str, now: datetime) -> InboxLink | None:
        """Spend a live, unused link: the link, or None (unknown, used or expired). One
        conditional update, so two openings at once cannot both get it."""
        row = await self._c.fetchone(
            "UPDATE inbox_links SET used_at = ? WHERE token_hash = ? AND used_at IS NULL"
            f" AND expires_at > ? RETURNING {_COLS}",
            (to_ms(now), token_hash, to_ms(now)),
        )
        return None if row is None else _link(row)
