"""Appointment slots a clinic publishes, in UTC, each of one kind and length."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

import msgspec

__all__ = ["SLOT_MINUTES", "Slot", "SlotKind", "SlotStatus"]

SlotKind = Literal["consultation", "long", "phone", "video"]
#: `held` while a waitlist offer for one citizen runs
SlotStatus = Literal["free", "booked", "blocked", "held"]

#: default length per kind, in minutes
SLOT_MINUTES: dict[str, int] = {"consultation": 15, "long": 30, "phone": 10, "video": 15}


class Slot(msgspec.Struct, frozen=True, kw_only=True):
    """A bookable time at a clinic, stored in UTC and shown in the clinic's zone."""

    id: str
    clinic_id: str
    kind: SlotKind
    starts_at: datetime
    ends_at: datetime
    status: SlotStatus = "free"
    held_for: str | None = None
    held_until: datetime | None = None
