"""Appointments: a citizen's hold on one slot, and the rules for giving it back."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Literal

import msgspec

from app.domain.slots import SlotKind

__all__ = ["Appointment", "AppointmentStatus", "can_cancel"]

#: `cancelled` by the citizen, `cancelled_by_clinic` with a message, `rescheduled` when
#: moved to another slot (the new appointment points back with `replaces`).
AppointmentStatus = Literal["booked", "cancelled", "cancelled_by_clinic", "rescheduled"]


class Appointment(msgspec.Struct, frozen=True, kw_only=True):
    """One booking; times are copied from the slot so history survives slot changes."""

    id: str
    citizen_id: str
    clinic_id: str
    slot_id: str
    kind: SlotKind
    starts_at: datetime
    ends_at: datetime
    reason: str = ""
    status: AppointmentStatus = "booked"
    created_at: datetime
    cancelled_at: datetime | None = None
    #: the clinic's message when it cancelled
    clinic_message: str | None = None
    #: the appointment this one replaced when rescheduled
    replaces: str | None = None


def can_cancel(appointment: Appointment, now: datetime, cutoff_minutes: int) -> bool:
    """A citizen may cancel a booked appointment until `cutoff_minutes` before it starts."""
    return appointment.status == "booked" and now <= appointment.starts_at - timedelta(
        minutes=cutoff_minutes
    )
