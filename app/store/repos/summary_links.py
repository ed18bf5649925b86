"""One-time summary links in SQL."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from app.domain.summary_links import SummaryLink
from app.domain.time import from_ms, to_ms
from app.store.db import Connection, Row

__all__ = ["SqlSummaryLinks"]

_COLS = (
    "token_hash, clinician_subject, citizen_id, language, first_day, last_day,"
    " created_at, expires_at, used_at"
)


def _day(value: str | None) -> date | None:
    return None if value is None else date.fromisoformat(value)


def _link(r: Row) -> SummaryLink:
    language: Any = r[3]
    return SummaryLink(
        token_hash=r[0],
        clinician_subject=r[1],
        citizen_id=r[2],
        language=language,
        first_day=_day(r[4]),
        last_day=_day(r[5]),
        created_at=from_ms(r[6]),
        expires_at=from_ms(r[7]),
        used_at=None if r[8] is None else from_ms(r[8]),
    )


class SqlSummaryLinks:
    def __init__(self, conn: Connection) -> None:
        self._c = conn

    async def add(self, link: SummaryLink) -> None:
        await self._c.execute(
            f"INSERT INTO summary_links ({_COLS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                link.token_hash,
                link.clinician_subject,
                link.citizen_id,
                link.language,
                None if link.first_day is None else link.first_day.isoformat(),
                None if link.last_day is None else link.last_day.isoformat(),
                to_ms(link.created_at),
                to_ms(link.expires_at),
                None,
            ),
        )

    async def take(self, token_hash: str, now: datetime) -> SummaryLink | None:
        """Spend a live, unused link: the link, or None (unknown, used or expired). One
        conditional update, so two openings at once cannot both get it."""
        row = await self._c.fetchone(
            "UPDATE summary_links SET used_at = ? WHERE token_hash = ? AND used_at IS NULL"
            f" AND expires_at > ? RETURNING {_COLS}",
            (to_ms(now), token_hash, to_ms(now)),
        )
        return None if row is None else _link(row)
