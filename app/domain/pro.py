"""PRO (patient-reported outcomes): a clinic's questionnaire given to a citizen on a
schedule, one instance at a time, and what the citizen is told after answering.

A clinic assigns a questionnaire once or every N days. Each instance is due on a local
date in the citizen's zone and opens at `OPENS_AT` that morning (not at midnight: a
push at 00:00 wakes people). The next instance is planned `every_days` after the
citizen's answer, so a late answer never piles up instances.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

import msgspec

__all__ = [
    "KEY_PATTERN",
    "OPENS_AT",
    "Assignment",
    "Instance",
    "InstanceStatus",
    "StoredQuestionnaire",
    "next_due",
    "opening",
    "red_message",
]

KEY_PATTERN = re.compile(r"^[a-z0-9-]{1,64}$")
#: the local time of day a due instance opens (and the citizen gets the notice)
OPENS_AT = time(9, 0)

InstanceStatus = Literal["due", "submitted"]


class StoredQuestionnaire(msgspec.Struct, frozen=True, kw_only=True):
    """One version of a clinic's definition, as loaded."""

    clinic_id: str
    key: str
    version: int
    title_da: str
    title_en: str
    #: the PUT body (FHIR Questionnaire, triage rules, green answers) as JSON
    body: bytes
    created_by: str
    created_at: datetime


class Assignment(msgspec.Struct, frozen=True, kw_only=True):
    id: str
    citizen_id: str
    clinic_id: str
    key: str
    every_days: int | None = None
    next_due: date | None = None
    opens_at: datetime | None = None
    created_by: str
    created_at: datetime
    ended_at: datetime | None = None


class Instance(msgspec.Struct, frozen=True, kw_only=True):
    """One questionnaire to answer; its response is kept with it (one per instance)."""

    id: str
    citizen_id: str
    assignment_id: str
    clinic_id: str
    key: str
    version: int
    due: date
    status: InstanceStatus = "due"
    opened_at: datetime
    submitted_at: datetime | None = None
    submitted_by: str | None = None
    triage: str | None = None
    score: float | None = None
    response: bytes | None = None
    reasons: bytes | None = None
    idempotency_key: str | None = None


def opening(due: date, zone: str) -> datetime:
    """The instant an instance due on a local date opens, in the citizen's zone."""
    return datetime.combine(due, OPENS_AT, tzinfo=ZoneInfo(zone))


def next_due(answered_at: datetime, every_days: int | None, zone: str) -> date | None:
    """The local date of the next instance after an answer, or None (once only)."""
    if every_days is None:
        return None
    return answered_at.astimezone(ZoneInfo(zone)).date() + timedelta(days=every_days)


def red_message(clinic_name: str, phone: str) -> tuple[str, str]:
    """What a citizen reads at once after a red answer, in our own words."""
    number = phone.strip()
    call_da = f"Ring til {clinic_name} på {number}" if number else f"Ring til {clinic_name}"
    call_en = f"Call {clinic_name} on {number}" if number else f"Call {clinic_name}"
    return (
        f"Dine svar viser, at du bør tale med lægen i dag. {call_da}. "
        "Er det akut, eller får du det værre, så ring 112.",
        f"Your answers show that you should talk to the doctor today. {call_en}. "
        "In an emergency, or if you get worse, call 112.",
    )
