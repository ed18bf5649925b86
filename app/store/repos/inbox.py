"""The clinic inbox in SQL: items kept per share and condition, read in triage order."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from app.domain.inbox import RANK, InboxItem
from app.domain.time import from_ms, to_ms
from app.ports import InboxPageRow
from app.store.db import Connection, Row

__all__ = ["SqlInbox"]

_COLS = (
    "i.citizen_id, i.id, i.clinic_id, i.kind, i.share_id, i.condition, i.code, i.severity,"
    " i.title_da, i.title_en, i.detail_da, i.detail_en, i.value, i.threshold, i.period_from,"
    " i.period_to, i.link, i.status, i.created_at, i.updated_at, i.resolved_at, i.resolved_by,"
    " i.resolved_by_name, i.note, i.action, i.cleared_at"
)
_INSERT_COLS = [c.strip().removeprefix("i.") for c in _COLS.split(",")] + ["rank"]


def _opt_ms(v: Any) -> datetime | None:
    return None if v is None else from_ms(v)


def _opt_day(v: Any) -> date | None:
    return None if v is None else date.fromisoformat(v)


def _item(r: Row) -> InboxItem:
    return InboxItem(
        citizen_id=r[0],
        id=r[1],
        clinic_id=r[2],
        kind=r[3],
        share_id=r[4],
        condition=r[5],
        code=r[6],
        severity=r[7],
        title_da=r[8],
        title_en=r[9],
        detail_da=r[10],
        detail_en=r[11],
        value=r[12],
        threshold=r[13],
        period_from=_opt_day(r[14]),
        period_to=_opt_day(r[15]),
        link=r[16],
        status=r[17],
        created_at=from_ms(r[18]),
        updated_at=from_ms(r[19]),
        resolved_at=_opt_ms(r[20]),
        resolved_by=r[21],
        resolved_by_name=r[22],
        note=r[23],
        action=r[24],
        cleared_at=_opt_ms(r[25]),
    )


def _day(d: date | None) -> str | None:
    return None if d is None else d.isoformat()


class SqlInbox:
    def __init__(self, conn: Connection) -> None:
        self._c = conn

    async def live_for_share(self, citizen_id: str, share_id: str) -> list[InboxItem]:
        rows = await self._c.fetchall(
            f"SELECT {_COLS} FROM inbox_items i WHERE i.citizen_id = ? AND i.share_id = ?"
            " AND i.cleared_at IS NULL",
            (citizen_id, share_id),
        )
        return [_item(r) for r in rows]

    async def add(self, item: InboxItem) -> bool:
        row = (
            item.citizen_id,
            item.id,
            item.clinic_id,
            item.kind,
            item.share_id,
            item.condition,
            item.code,
            item.severity,
            item.title_da,
            item.title_en,
            item.detail_da,
            item.detail_en,
            item.value,
            item.threshold,
            _day(item.period_from),
            _day(item.period_to),
            item.link,
            item.status,
            to_ms(item.created_at),
            to_ms(item.updated_at),
            None if item.resolved_at is None else to_ms(item.resolved_at),
            item.resolved_by,
            item.resolved_by_name,
            item.note,
            item.action,
            None if item.cleared_at is None else to_ms(item.cleared_at),
            RANK.get(item.severity, 3),
        )
        types = [
            "text", "text", "text", "text", "text", "text", "text", "text", "text", "text",
            "text", "text", "float8", "float8", "text", "text", "text", "text", "int8", "int8",
            "int8", "text", "text", "text", "text", "int8", "int4",
        ]  # fmt: skip
        return await self._c.insert_ignore("inbox_items", _INSERT_COLS, types, [row]) == 1

    async def update_finding(self, citizen_id: str, item: InboxItem) -> None:
        await self._c.execute(
            "UPDATE inbox_items SET code = ?, severity = ?, rank = ?, title_da = ?, title_en = ?,"
            " detail_da = ?, detail_en = ?, value = ?, threshold = ?, period_from = ?,"
            " period_to = ?, updated_at = ? WHERE citizen_id = ? AND id = ?",
            (
                item.code,
                item.severity,
                RANK.get(item.severity, 3),
                item.title_da,
                item.title_en,
                item.detail_da,
                item.detail_en,
                item.value,
                item.threshold,
                _day(item.period_from),
                _day(item.period_to),
                to_ms(item.updated_at),
                citizen_id,
                item.id,
            ),
        )

    async def clear(self, citizen_id: str, item_id: str, at: datetime) -> None:
        """Open items become `cleared`; resolved ones keep their status and history."""
        await self._c.execute(
            "UPDATE inbox_items SET cleared_at = ?, updated_at = ?,"
            " status = CASE WHEN status = 'open' THEN 'cleared' ELSE status END"
            " WHERE citizen_id = ? AND id = ? AND cleared_at IS NULL",
            (to_ms(at), to_ms(at), citizen_id, item_id),
        )

    async def get(self, clinic_id: str, item_id: str) -> InboxItem | None:
        row = await self._c.fetchone(
            f"SELECT {_COLS} FROM inbox_items i WHERE i.id = ? AND i.clinic_id = ?",
            (item_id, clinic_id),
        )
        return None if row is None else _item(row)

    async def for_instance(self, citizen_id: str, instance_id: str) -> InboxItem | None:
        row = await self._c.fetchone(
            f"SELECT {_COLS} FROM inbox_items i WHERE i.citizen_id = ? AND i.share_id IS NULL"
            " AND i.condition = ?",
            (citizen_id, f"questionnaire:{instance_id}"),
        )
        return None if row is None else _item(row)

    async def page(
        self,
        clinic_id: str,
        clinician_id: str,
        now: datetime,
        *,
        statuses: Sequence[str],
        after: tuple[int, int, str] | None,
        limit: int,
    ) -> list[InboxPageRow]:
        marks = ", ".join("?" * len(statuses))
        at = to_ms(now)
        sql = (
            f"SELECT {_COLS}, c.name FROM inbox_items i"
            " JOIN citizens c ON c.id = i.citizen_id"
            " LEFT JOIN shares s ON s.citizen_id = i.citizen_id AND s.id = i.share_id"
            f" WHERE i.clinic_id = ? AND i.status IN ({marks})"
            " AND (i.share_id IS NULL OR (s.revoked_at IS NULL AND s.created_at <= ?"
            " AND s.expires_at > ? AND (s.clinician_id IS NULL OR s.clinician_id = ?)))"
        )
        params: list[Any] = [clinic_id, *statuses, at, at, clinician_id]
        if after is not None:
            rank, created, item_id = after
            sql += (
                " AND (i.rank > ? OR (i.rank = ? AND (i.created_at > ?"
                " OR (i.created_at = ? AND i.id > ?))))"
            )
            params += [rank, rank, created, created, item_id]
        sql += " ORDER BY i.rank, i.created_at, i.id LIMIT ?"
        params.append(limit)
        rows = await self._c.fetchall(sql, params)
        return [InboxPageRow(item=_item(r), citizen_name=r[26] or "") for r in rows]

    async def resolve(
        self,
        citizen_id: str,
        item_id: str,
        *,
        at: datetime,
        by: str,
        by_name: str,
        note: str,
        action: str,
    ) -> bool:
        changed = await self._c.execute(
            "UPDATE inbox_items SET status = 'resolved', resolved_at = ?, resolved_by = ?,"
            " resolved_by_name = ?, note = ?, action = ?, updated_at = ?"
            " WHERE citizen_id = ? AND id = ? AND status = 'open'",
            (to_ms(at), by, by_name, note, action, to_ms(at), citizen_id, item_id),
        )
        return changed == 1
