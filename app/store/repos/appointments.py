"""Appointments and the waitlist in SQL; every citizen query leads with citizen_id."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from app.domain.appointments import Appointment
from app.domain.time import from_ms, to_ms
from app.domain.waitlist import WaitlistEntry
from app.store.db import Connection, Row

__all__ = ["SqlAppointments", "SqlWaitlist"]

_APPT = (
    "citizen_id, id, clinic_id, slot_id, kind, starts_at, ends_at, reason, status,"
    " created_at, cancelled_at, clinic_message, replaces"
)


def _ms(value: int | None) -> datetime | None:
    return None if value is None else from_ms(value)


def _appointment(r: Row) -> Appointment:
    kind: Any = r[4]
    status: Any = r[8]
    return Appointment(
        citizen_id=r[0],
        id=r[1],
        clinic_id=r[2],
        slot_id=r[3],
        kind=kind,
        starts_at=from_ms(r[5]),
        ends_at=from_ms(r[6]),
        reason=r[7],
        status=status,
        created_at=from_ms(r[9]),
        cancelled_at=_ms(r[10]),
        clinic_message=r[11],
        replaces=r[12],
    )


class SqlAppointments:
    def __init__(self, conn: Connection) -> None:
        self._c = conn

    async def to_remind(self, now: datetime, lead: timedelta, limit: int) -> list[Appointment]:
        lead_ms = int(lead.total_seconds() * 1000)
        rows = await self._c.fetchall(
            f"SELECT {_APPT} FROM appointments WHERE status = 'booked'"
            " AND reminded_at IS NULL AND starts_at > ? AND starts_at <= ?"
            " AND created_at <= starts_at - ? ORDER BY starts_at, id LIMIT ?",
            (to_ms(now), to_ms(now) + lead_ms, lead_ms, limit),
        )
        return [_appointment(r) for r in rows]

    async def mark_reminded(self, citizen_id: str, appointment_id: str, at: datetime) -> bool:
        changed = await self._c.execute(
            "UPDATE appointments SET reminded_at = ? WHERE citizen_id = ? AND id = ?"
            " AND reminded_at IS NULL AND status = 'booked'",
            (to_ms(at), citizen_id, appointment_id),
        )
        return changed == 1

    async def add(self, a: Appointment, *, idempotency_key: str | None = None) -> None:
        await self._c.execute(
            f"INSERT INTO appointments ({_APPT}, idempotency_key)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                a.citizen_id,
                a.id,
                a.clinic_id,
                a.slot_id,
                a.kind,
                to_ms(a.starts_at),
                to_ms(a.ends_at),
                a.reason,
                a.status,
                to_ms(a.created_at),
                None if a.cancelled_at is None else to_ms(a.cancelled_at),
                a.clinic_message,
                a.replaces,
                idempotency_key,
            ),
        )

    async def by_key(self, citizen_id: str, idempotency_key: str) -> Appointment | None:
        row = await self._c.fetchone(
            f"SELECT {_APPT} FROM appointments WHERE citizen_id = ? AND idempotency_key = ?",
            (citizen_id, idempotency_key),
        )
        return None if row is None else _appointment(row)

    async def get(self, citizen_id: str, appointment_id: str) -> Appointment | None:
        row = await self._c.fetchone(
            f"SELECT {_APPT} FROM appointments WHERE citizen_id = ? AND id = ?",
            (citizen_id, appointment_id),
        )
        return None if row is None else _appointment(row)

    async def in_clinic(self, clinic_id: str, appointment_id: str) -> Appointment | None:
        row = await self._c.fetchone(
            f"SELECT {_APPT} FROM appointments WHERE clinic_id = ? AND id = ?",
            (clinic_id, appointment_id),
        )
        return None if row is None else _appointment(row)

    async def for_citizen(self, citizen_id: str) -> list[Appointment]:
        rows = await self._c.fetchall(
            f"SELECT {_APPT} FROM appointments WHERE citizen_id = ? ORDER BY starts_at, id",
            (citizen_id,),
        )
        return [_appointment(r) for r in rows]

    async def for_clinic(
        self, clinic_id: str, start: datetime, end: datetime
    ) -> list[tuple[Appointment, str]]:
        """The clinic's appointments starting in [start, end), with each citizen's name."""
        cols = ", ".join(f"a.{c.strip()}" for c in _APPT.split(","))
        rows = await self._c.fetchall(
            f"SELECT {cols}, c.name FROM appointments a JOIN citizens c ON c.id = a.citizen_id"
            " WHERE a.clinic_id = ? AND a.starts_at >= ? AND a.starts_at < ?"
            " ORDER BY a.starts_at, a.id",
            (clinic_id, to_ms(start), to_ms(end)),
        )
        return [(_appointment(r), r[13]) for r in rows]

    async def end(
        self,
        citizen_id: str,
        appointment_id: str,
        status: str,
        at: datetime,
        *,
        clinic_message: str | None = None,
    ) -> bool:
        """Move a booked appointment to a final status; False if it was not booked."""
        changed = await self._c.execute(
            "UPDATE appointments SET status = ?, cancelled_at = ?, clinic_message = ?"
            " WHERE citizen_id = ? AND id = ? AND status = 'booked'",
            (status, to_ms(at), clinic_message, citizen_id, appointment_id),
        )
        return changed == 1


_WAIT = (
    "citizen_id, id, clinic_id, kind, before_at, appointment_id, status, created_at,"
    " offered_slot_id, offer_expires_at"
)


def _entry(r: Row) -> WaitlistEntry:
    kind: Any = r[3]
    status: Any = r[6]
    return WaitlistEntry(
        citizen_id=r[0],
        id=r[1],
        clinic_id=r[2],
        kind=kind,
        before=from_ms(r[4]),
        appointment_id=r[5],
        status=status,
        created_at=from_ms(r[7]),
        offered_slot_id=r[8],
        offer_expires_at=_ms(r[9]),
    )


class SqlWaitlist:
    def __init__(self, conn: Connection) -> None:
        self._c = conn

    async def add(self, e: WaitlistEntry) -> None:
        await self._c.execute(
            f"INSERT INTO waitlist ({_WAIT}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                e.citizen_id,
                e.id,
                e.clinic_id,
                e.kind,
                to_ms(e.before),
                e.appointment_id,
                e.status,
                to_ms(e.created_at),
                e.offered_slot_id,
                None if e.offer_expires_at is None else to_ms(e.offer_expires_at),
            ),
        )

    async def get(self, citizen_id: str, entry_id: str) -> WaitlistEntry | None:
        row = await self._c.fetchone(
            f"SELECT {_WAIT} FROM waitlist WHERE citizen_id = ? AND id = ?",
            (citizen_id, entry_id),
        )
        return None if row is None else _entry(row)

    async def for_citizen(self, citizen_id: str) -> list[WaitlistEntry]:
        rows = await self._c.fetchall(
            f"SELECT {_WAIT} FROM waitlist WHERE citizen_id = ? ORDER BY created_at, id",
            (citizen_id,),
        )
        return [_entry(r) for r in rows]

    async def offered_slot(self, slot_id: str) -> WaitlistEntry | None:
        row = await self._c.fetchone(
            f"SELECT {_WAIT} FROM waitlist WHERE offered_slot_id = ? AND status = 'offered'",
            (slot_id,),
        )
        return None if row is None else _entry(row)

    async def next_in_line(
        self, clinic_id: str, kind: str, slot_id: str, slot_start: datetime
    ) -> WaitlistEntry | None:
        """The oldest waiting entry wanting this kind before `slot_start`, who has not
        already turned this slot down."""
        row = await self._c.fetchone(
            f"SELECT {_WAIT} FROM waitlist w WHERE clinic_id = ? AND kind = ?"
            " AND status = 'waiting' AND before_at > ?"
            " AND NOT EXISTS (SELECT 1 FROM waitlist_passes p"
            "   WHERE p.slot_id = ? AND p.citizen_id = w.citizen_id)"
            " ORDER BY created_at, id LIMIT 1",
            (clinic_id, kind, to_ms(slot_start), slot_id),
        )
        return None if row is None else _entry(row)

    async def pass_over(self, slot_id: str, citizen_id: str) -> None:
        """Remember that this citizen declined or let lapse an offer of this slot."""
        await self._c.insert_ignore(
            "waitlist_passes",
            ("slot_id", "citizen_id"),
            ("text", "text"),
            [(slot_id, citizen_id)],
        )

    async def update(self, e: WaitlistEntry) -> None:
        await self._c.execute(
            "UPDATE waitlist SET status = ?, offered_slot_id = ?, offer_expires_at = ?"
            " WHERE citizen_id = ? AND id = ?",
            (
                e.status,
                e.offered_slot_id,
                None if e.offer_expires_at is None else to_ms(e.offer_expires_at),
                e.citizen_id,
                e.id,
            ),
        )
