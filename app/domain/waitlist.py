"""The waitlist: citizens who want an earlier slot of a kind, served first come first."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

import msgspec

from app.domain.slots import SlotKind

__all__ = ["WaitlistEntry", "WaitlistStatus"]

#: waiting → offered → accepted, or back to waiting when an offer is declined or lapses
#: (`declined`/`expired` count the offers passed over); `cancelled` by the citizen.
WaitlistStatus = Literal["waiting", "offered", "accepted", "cancelled"]


class WaitlistEntry(msgspec.Struct, frozen=True, kw_only=True):
    """A wish for a slot of `kind` starting before `before`.

    With `appointment_id`, accepting an offer moves that appointment to the offered slot
    (rescheduled in one transaction); without it, accepting books a new appointment.
    """

    id: str
    citizen_id: str
    clinic_id: str
    kind: SlotKind
    before: datetime
    appointment_id: str | None = None
    status: WaitlistStatus = "waiting"
    created_at: datetime
    offered_slot_id: str | None = None
    offer_expires_at: datetime | None = None
