"""Citizens, clinics, clinicians and gateways: who the data belongs to and who may see it."""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Literal

import msgspec

from app.domain.time import DEFAULT_TIMEZONE

__all__ = [
    "Citizen",
    "Clinic",
    "ClinicRules",
    "Clinician",
    "ClinicianRole",
    "Gateway",
    "Language",
    "normalise_cpr",
]

Language = Literal["da", "en"]
ClinicianRole = Literal["gp", "nurse", "secretary"]

_CPR = re.compile(r"^(\d{6})-?(\d{4})$")


class ClinicRules(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """What each clinic decides for itself about booking and e-consultation."""

    #: a citizen may cancel until this many minutes before the appointment
    cancel_cutoff_minutes: int = 120
    #: a waitlist offer is held this long before it goes to the next in line
    waitlist_hold_minutes: int = 30
    #: whether citizens may attach photos to e-consultation messages
    photos_enabled: bool = True
    #: an e-consultation is answered within this many working days
    answer_working_days: int = 3
    #: the number a citizen is told to call after a red questionnaire answer
    phone: str = ""


class Clinic(msgspec.Struct, frozen=True, kw_only=True):
    """A GP practice (lægepraksis)."""

    id: str
    name: str
    timezone: str = DEFAULT_TIMEZONE
    created_at: datetime
    rules: ClinicRules = msgspec.field(default_factory=ClinicRules)


class Clinician(msgspec.Struct, frozen=True, kw_only=True):
    """A GP or staff member, belonging to exactly one clinic."""

    id: str
    subject: str
    clinic_id: str
    name: str
    role: ClinicianRole = "gp"
    created_at: datetime


class Citizen(msgspec.Struct, frozen=True, kw_only=True):
    """A person using the app. The CPR number is never kept in clear text."""

    id: str
    subject: str
    name: str = ""
    timezone: str = DEFAULT_TIMEZONE
    language: Language = "da"
    clinic_id: str | None = None
    has_cpr: bool = False
    created_at: datetime


class Gateway(msgspec.Struct, frozen=True, kw_only=True):
    """A home BLE gateway that uploads readings for one citizen."""

    id: str
    citizen_id: str
    name: str
    created_at: datetime
    revoked_at: datetime | None = None

    @property
    def active(self) -> bool:
        return self.revoked_at is None


def normalise_cpr(raw: str) -> str:
    """Ten digits, no dash; raises ValueError on anything that is not a CPR number.

    The modulus-11 check is not applied: CPR numbers issued since 2007 may fail it.
    """
    m = _CPR.match(raw.strip())
    if not m:
        raise ValueError("a CPR number is ten digits, DDMMYY-XXXX")
    digits = m.group(1) + m.group(2)
    day, month = int(digits[0:2]), int(digits[2:4])
    try:
        date(2000, month, day)  # leap-year-safe day/month check
    except ValueError as exc:
        raise ValueError("the CPR number does not start with a valid date") from exc
    return digits
