"""Dosing schedules, the reminders written from them, doses and supplies in SQL."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from app.domain.dosing import Dose, DoseSchedule, SentReminder, Supply
from app.domain.time import from_ms, to_ms
from app.store.db import Connection, Row

__all__ = ["SqlDoseSchedules", "SqlDoses", "SqlReminderLog", "SqlSupplies", "skip_locked"]


def _ms(v: int | None) -> datetime | None:
    return None if v is None else from_ms(v)


def _tms(v: datetime | None) -> int | None:
    return None if v is None else to_ms(v)


def skip_locked(conn: Connection) -> str:
    """On PostgreSQL a second worker passes over rows the first holds; SQLite has one
    writer, so the statements of one pass run whole before another's."""
    return " FOR UPDATE SKIP LOCKED" if conn.dialect == "postgres" else ""


def _day(v: str | None) -> date | None:
    return None if v is None else date.fromisoformat(v)


def _iso(v: date | None) -> str | None:
    return None if v is None else v.isoformat()


_SCHED = (
    "citizen_id, medication_id, times, weekdays, starts, ends, dose, since, done_until, next_at"
)


def _schedule(r: Row) -> DoseSchedule:
    return DoseSchedule(
        citizen_id=r[0],
        medication_id=r[1],
        times=r[2].split(","),
        weekdays=None if r[3] is None else [d for d in r[3].split(",") if d],
        starts=_day(r[4]),
        ends=_day(r[5]),
        dose=r[6],
        since=from_ms(r[7]),
        cursor=from_ms(r[8]),
        next_at=_ms(r[9]),
    )


class SqlDoseSchedules:
    def __init__(self, conn: Connection) -> None:
        self._c = conn

    async def put(self, s: DoseSchedule) -> None:
        await self._c.execute(
            f"INSERT INTO dose_schedules ({_SCHED}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
            " ON CONFLICT (citizen_id, medication_id) DO UPDATE SET times = excluded.times,"
            " weekdays = excluded.weekdays, starts = excluded.starts, ends = excluded.ends,"
            " dose = excluded.dose, since = excluded.since, done_until = excluded.done_until,"
            " next_at = excluded.next_at",
            (
                s.citizen_id,
                s.medication_id,
                ",".join(s.times),
                None if s.weekdays is None else ",".join(s.weekdays),
                _iso(s.starts),
                _iso(s.ends),
                s.dose,
                to_ms(s.since),
                to_ms(s.cursor),
                _tms(s.next_at),
            ),
        )

    async def get(self, citizen_id: str, medication_id: str) -> DoseSchedule | None:
        row = await self._c.fetchone(
            f"SELECT {_SCHED} FROM dose_schedules WHERE citizen_id = ? AND medication_id = ?",
            (citizen_id, medication_id),
        )
        return None if row is None else _schedule(row)

    async def for_citizen(self, citizen_id: str) -> list[DoseSchedule]:
        rows = await self._c.fetchall(
            f"SELECT {_SCHED} FROM dose_schedules WHERE citizen_id = ? ORDER BY medication_id",
            (citizen_id,),
        )
        return [_schedule(r) for r in rows]

    async def remove(self, citizen_id: str, medication_id: str) -> bool:
        return (
            await self._c.execute(
                "DELETE FROM dose_schedules WHERE citizen_id = ? AND medication_id = ?",
                (citizen_id, medication_id),
            )
            == 1
        )

    async def due(self, now: datetime, limit: int) -> list[tuple[DoseSchedule, str, str]]:
        cols = ", ".join(f"s.{c.strip()}" for c in _SCHED.split(","))
        lock = " FOR UPDATE OF s SKIP LOCKED" if self._c.dialect == "postgres" else ""
        rows = await self._c.fetchall(
            f"SELECT {cols}, c.timezone, m.name, m.strength FROM dose_schedules s"
            " JOIN citizens c ON c.id = s.citizen_id"
            " LEFT JOIN medications m ON m.citizen_id = s.citizen_id AND m.id = s.medication_id"
            " WHERE s.next_at IS NOT NULL AND s.next_at <= ?"
            f" ORDER BY s.next_at, s.citizen_id, s.medication_id LIMIT ?{lock}",
            (to_ms(now), limit),
        )
        return [(_schedule(r), str(r[10]), f"{r[11] or ''} {r[12] or ''}".strip()) for r in rows]

    async def advance_many(
        self, moves: Sequence[tuple[str, str, datetime, datetime, datetime | None]]
    ) -> None:
        await self._c.executemany(
            "UPDATE dose_schedules SET done_until = ?, next_at = ?"
            " WHERE citizen_id = ? AND medication_id = ? AND done_until = ?",
            [
                (to_ms(cursor), _tms(next_at), cid, mid, to_ms(was))
                for cid, mid, was, cursor, next_at in moves
            ],
        )

    async def recheck(self, citizen_id: str) -> None:
        await self._c.execute(
            "UPDATE dose_schedules SET next_at = 0 WHERE citizen_id = ?", (citizen_id,)
        )


_REM = "citizen_id, id, kind, ref, planned_at, status, sent_at, snooze_until"


def _reminder(r: Row) -> SentReminder:
    kind: Any = r[2]
    status: Any = r[5]
    return SentReminder(
        citizen_id=r[0],
        id=r[1],
        kind=kind,
        ref=r[3],
        planned_at=from_ms(r[4]),
        status=status,
        sent_at=_ms(r[6]),
        snooze_until=_ms(r[7]),
    )


def _reminder_row(r: SentReminder) -> Row:
    return (
        r.citizen_id,
        r.id,
        r.kind,
        r.ref,
        to_ms(r.planned_at),
        r.status,
        _tms(r.sent_at),
        _tms(r.snooze_until),
    )


class SqlReminderLog:
    def __init__(self, conn: Connection) -> None:
        self._c = conn

    async def add(self, r: SentReminder) -> bool:
        added = await self._c.insert_ignore(
            "reminders",
            [c.strip() for c in _REM.split(",")],
            ("text", "text", "text", "text", "bigint", "text", "bigint", "bigint"),
            [_reminder_row(r)],
        )
        return added == 1

    async def add_many(self, rs: Sequence[SentReminder]) -> int:
        return await self._c.insert_ignore(
            "reminders",
            [c.strip() for c in _REM.split(",")],
            ("text", "text", "text", "text", "bigint", "text", "bigint", "bigint"),
            [_reminder_row(r) for r in rs],
        )

    async def get(self, citizen_id: str, reminder_id: str) -> SentReminder | None:
        row = await self._c.fetchone(
            f"SELECT {_REM} FROM reminders WHERE citizen_id = ? AND id = ?",
            (citizen_id, reminder_id),
        )
        return None if row is None else _reminder(row)

    async def between(self, citizen_id: str, start: datetime, end: datetime) -> list[SentReminder]:
        rows = await self._c.fetchall(
            f"SELECT {_REM} FROM reminders WHERE citizen_id = ? AND planned_at >= ?"
            " AND planned_at < ? ORDER BY planned_at, id",
            (citizen_id, to_ms(start), to_ms(end)),
        )
        return [_reminder(r) for r in rows]

    async def snooze(self, r: SentReminder) -> None:
        await self._c.execute(
            f"INSERT INTO reminders ({_REM}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
            " ON CONFLICT (citizen_id, id) DO UPDATE SET status = excluded.status,"
            " snooze_until = excluded.snooze_until",
            _reminder_row(r),
        )

    async def due_snoozed(self, now: datetime, limit: int) -> list[SentReminder]:
        rows = await self._c.fetchall(
            f"SELECT {_REM} FROM reminders WHERE snooze_until IS NOT NULL AND snooze_until <= ?"
            f" ORDER BY snooze_until, citizen_id, id LIMIT ?{skip_locked(self._c)}",
            (to_ms(now), limit),
        )
        return [_reminder(r) for r in rows]

    async def wake(
        self, citizen_id: str, reminder_id: str, snooze_was: datetime, at: datetime
    ) -> bool:
        changed = await self._c.execute(
            "UPDATE reminders SET status = 'sent', sent_at = ?, snooze_until = NULL"
            " WHERE citizen_id = ? AND id = ? AND snooze_until = ?",
            (to_ms(at), citizen_id, reminder_id, to_ms(snooze_was)),
        )
        return changed == 1

    async def questionnaire_openings(
        self, citizen_id: str, start: datetime, end: datetime
    ) -> list[tuple[str, datetime]]:
        rows = await self._c.fetchall(
            "SELECT id, opens_at FROM questionnaire_assignments WHERE citizen_id = ?"
            " AND opens_at IS NOT NULL AND opens_at >= ? AND opens_at < ? AND ended_at IS NULL"
            " ORDER BY opens_at, id",
            (citizen_id, to_ms(start), to_ms(end)),
        )
        return [(str(r[0]), from_ms(r[1])) for r in rows]


_DOSE = (
    "citizen_id, id, medication_id, planned_at, slot_at, status, taken_at, recorded_at, recorded_by"
)


def _dose(r: Row) -> Dose:
    status: Any = r[5]
    return Dose(
        citizen_id=r[0],
        id=r[1],
        medication_id=r[2],
        planned_at=_ms(r[3]),
        status=status,
        at=from_ms(r[6]),
        recorded_at=from_ms(r[7]),
        recorded_by=r[8],
    )


class SqlDoses:
    def __init__(self, conn: Connection) -> None:
        self._c = conn

    async def add(self, d: Dose) -> tuple[Dose, bool]:
        slot = to_ms(d.planned_at if d.planned_at is not None else d.at)
        added = await self._c.insert_ignore(
            "doses",
            [c.strip() for c in _DOSE.split(",")],
            ("text", "text", "text", "bigint", "bigint", "text", "bigint", "bigint", "text"),
            [
                (
                    d.citizen_id,
                    d.id,
                    d.medication_id,
                    _tms(d.planned_at),
                    slot,
                    d.status,
                    to_ms(d.at),
                    to_ms(d.recorded_at),
                    d.recorded_by,
                )
            ],
        )
        if added == 1:
            return d, True
        row = await self._c.fetchone(
            f"SELECT {_DOSE} FROM doses WHERE citizen_id = ? AND medication_id = ? AND slot_at = ?",
            (d.citizen_id, d.medication_id, slot),
        )
        assert row is not None
        return _dose(row), False

    async def between(
        self, citizen_id: str, start: datetime, end: datetime, medication_id: str | None = None
    ) -> list[Dose]:
        sql = f"SELECT {_DOSE} FROM doses WHERE citizen_id = ? AND slot_at >= ? AND slot_at < ?"
        params: list[object] = [citizen_id, to_ms(start), to_ms(end)]
        if medication_id is not None:
            sql += " AND medication_id = ?"
            params.append(medication_id)
        rows = await self._c.fetchall(sql + " ORDER BY slot_at, medication_id", params)
        return [_dose(r) for r in rows]


_SUP = "citizen_id, medication_id, pack_size, per_day, started_on, source, runs_out_on, notify_at"


def _supply(r: Row) -> Supply:
    source: Any = r[5]
    return Supply(
        citizen_id=r[0],
        medication_id=r[1],
        pack_size=float(r[2]),
        per_day=float(r[3]),
        started_on=date.fromisoformat(r[4]),
        source=source,
        runs_out_on=date.fromisoformat(r[6]),
        notify_at=_ms(r[7]),
    )


class SqlSupplies:
    def __init__(self, conn: Connection) -> None:
        self._c = conn

    async def put(self, s: Supply) -> None:
        await self._c.execute(
            f"INSERT INTO medication_supplies ({_SUP}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
            " ON CONFLICT (citizen_id, medication_id) DO UPDATE SET"
            " pack_size = excluded.pack_size, per_day = excluded.per_day,"
            " started_on = excluded.started_on, source = excluded.source,"
            " runs_out_on = excluded.runs_out_on, notify_at = excluded.notify_at",
            (
                s.citizen_id,
                s.medication_id,
                float(s.pack_size),
                float(s.per_day),
                s.started_on.isoformat(),
                s.source,
                s.runs_out_on.isoformat(),
                _tms(s.notify_at),
            ),
        )

    async def get(self, citizen_id: str, medication_id: str) -> Supply | None:
        row = await self._c.fetchone(
            f"SELECT {_SUP} FROM medication_supplies WHERE citizen_id = ? AND medication_id = ?",
            (citizen_id, medication_id),
        )
        return None if row is None else _supply(row)

    async def for_citizen(self, citizen_id: str) -> list[Supply]:
        rows = await self._c.fetchall(
            f"SELECT {_SUP} FROM medication_supplies WHERE citizen_id = ? ORDER BY medication_id",
            (citizen_id,),
        )
        return [_supply(r) for r in rows]

    async def due(self, now: datetime, limit: int) -> list[Supply]:
        rows = await self._c.fetchall(
            f"SELECT {_SUP} FROM medication_supplies WHERE notify_at IS NOT NULL"
            f" AND notify_at <= ? ORDER BY notify_at LIMIT ?{skip_locked(self._c)}",
            (to_ms(now), limit),
        )
        return [_supply(r) for r in rows]

    async def handled(
        self, citizen_id: str, medication_id: str, notify_was: datetime, at: datetime
    ) -> bool:
        changed = await self._c.execute(
            "UPDATE medication_supplies SET notify_at = NULL"
            " WHERE citizen_id = ? AND medication_id = ? AND notify_at = ?",
            (citizen_id, medication_id, to_ms(notify_was)),
        )
        return changed == 1
