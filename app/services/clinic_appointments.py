"""The clinic's side of appointments: the day's list and cancelling with a message.

Both touch citizens' data (names, reasons), so each is written to the audit log of every
citizen concerned, in the same transaction.
"""

from __future__ import annotations

from datetime import date

import msgspec

from app.domain.appointments import Appointment
from app.domain.identity import Principal
from app.domain.notices import notice
from app.domain.time import local_day_bounds
from app.domain.wording import when_da, when_en
from app.errors import Conflict, Invalid, NotFound
from app.ports import Clock, UnitOfWork
from app.services.audit import event_for, record
from app.services.booking import offer_freed_slot
from app.services.clinic_schedule import clinic_for
from app.services.notify import tell

__all__ = ["DayEntry", "cancel_by_clinic", "day_list"]

MAX_MESSAGE = 1000


class DayEntry(msgspec.Struct, frozen=True, kw_only=True):
    appointment: Appointment
    citizen_name: str


async def day_list(
    uow: UnitOfWork, clock: Clock, clinician: Principal, day: date
) -> list[DayEntry]:
    """The clinic's appointments on one local day, each citizen's log noting the look."""
    clinic = await clinic_for(uow, clinician)
    start, end = local_day_bounds(day, clinic.timezone)
    rows = await uow.appointments.for_clinic(clinic.id, start, end)
    for citizen_id in sorted({a.citizen_id for a, _ in rows}):
        await record(
            uow,
            clock,
            event_for(
                clinician,
                citizen_id=citizen_id,
                action="appointments.read",
                resource="appointments",
                detail={"day": day.isoformat()},
            ),
        )
    return [DayEntry(appointment=a, citizen_name=name) for a, name in rows]


async def cancel_by_clinic(
    uow: UnitOfWork,
    clock: Clock,
    clinician: Principal,
    appointment_id: str,
    *,
    message: str,
    reopen_slot: bool,
) -> Appointment:
    """Cancel with a message the citizen is told; the slot stays blocked unless reopened."""
    clinic = await clinic_for(uow, clinician)
    text = message.strip()
    if not 0 < len(text) <= MAX_MESSAGE:
        raise Invalid(f"write the citizen a message of 1 to {MAX_MESSAGE} characters")
    appointment = await uow.appointments.in_clinic(clinic.id, appointment_id)
    if appointment is None:
        raise NotFound("no such appointment at your clinic")
    now = clock.now()
    ended = await uow.appointments.end(
        appointment.citizen_id, appointment.id, "cancelled_by_clinic", now, clinic_message=text
    )
    if not ended:
        raise Conflict(f"the appointment is already {appointment.status.replace('_', ' ')}")
    slot = await uow.slots.get(clinic.id, appointment.slot_id)
    if slot is not None:
        await uow.slots.set_status(clinic.id, slot.id, "free" if reopen_slot else "blocked")
        if reopen_slot and slot.starts_at > now:
            await offer_freed_slot(uow, clock, clinic, slot)
    await record(
        uow,
        clock,
        event_for(
            clinician,
            citizen_id=appointment.citizen_id,
            action="appointment.cancel",
            resource=f"appointments/{appointment.id}",
        ),
    )
    await tell(
        uow,
        clock,
        appointment.citizen_id,
        notice(
            "appointment.cancelled_by_clinic",
            f"appointments/{appointment.id}",
            when=when_da(appointment.starts_at, clinic.timezone),
            when_en=when_en(appointment.starts_at, clinic.timezone),
            message=text,
        ),
    )
    cancelled = await uow.appointments.get(appointment.citizen_id, appointment.id)
    assert cancelled is not None
    return cancelled
