"""Appointment reminders: a notice the day before, for appointments booked ahead.

An appointment booked at least 24 hours before it starts gets one reminder 24 hours
before (pushed like any notice, and in the app's list). One booked later gets none:
its booking confirmation is recent enough. Each reminder is written in the same
transaction that marks the appointment reminded, so two workers never send it twice
and a crash between the two cannot lose it.
"""

from __future__ import annotations

from datetime import timedelta

from app.domain.notices import notice
from app.domain.wording import when_da, when_en
from app.ports import Clock, Store
from app.services.notify import tell

__all__ = ["REMINDER_LEAD", "send_reminders"]

REMINDER_LEAD = timedelta(hours=24)
_BATCH = 200


async def send_reminders(store: Store, clock: Clock) -> int:
    """Write the reminders that are due now; how many."""
    now = clock.now()
    sent = 0
    async with store.transaction() as uow:
        zones: dict[str, str] = {}
        for appointment in await uow.appointments.to_remind(now, REMINDER_LEAD, _BATCH):
            if not await uow.appointments.mark_reminded(
                appointment.citizen_id, appointment.id, now
            ):
                continue
            zone = zones.get(appointment.clinic_id)
            if zone is None:
                clinic = await uow.clinics.get(appointment.clinic_id)
                zone = zones[appointment.clinic_id] = (
                    clinic.timezone if clinic else "Europe/Copenhagen"
                )
            await tell(
                uow,
                clock,
                appointment.citizen_id,
                notice(
                    "appointment.reminder",
                    f"appointments/{appointment.id}",
                    when=when_da(appointment.starts_at, zone),
                    when_en=when_en(appointment.starts_at, zone),
                ),
            )
            sent += 1
    return sent
