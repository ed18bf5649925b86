"""E-consultations: a thread between a citizen and their clinic, triaged by category.

A thread is `open` while it waits for the clinic, `answered` once the clinic has
replied last, and `closed` when the clinic closes it (it can reopen it). Each open
thread carries the time by which an answer can be expected: the end of the clinic's
N-th working day after the citizen wrote.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

import msgspec

__all__ = [
    "CATEGORY_LABELS",
    "Category",
    "Consultation",
    "ConsultationStatus",
    "Message",
    "PhotoRef",
    "answer_expected_by",
]

Category = Literal["results", "medication", "practical", "other"]
ConsultationStatus = Literal["open", "answered", "closed"]

#: category -> (Danish, English) for the app's picker and the clinic's triage list
CATEGORY_LABELS: dict[str, tuple[str, str]] = {
    "results": ("Spørgsmål om prøvesvar", "Question about test results"),
    "medication": ("Spørgsmål om medicin", "Question about medication"),
    "practical": ("Praktisk spørgsmål", "Practical question"),
    "other": ("Andet", "Other"),
}


class PhotoRef(msgspec.Struct, frozen=True, kw_only=True):
    """A cleaned photo on a message; its bytes are in the blob store under `blob_key`."""

    id: str
    message_id: str
    blob_key: str
    media_type: str
    width: int
    height: int
    size: int


class Message(msgspec.Struct, frozen=True, kw_only=True):
    id: str
    consultation_id: str
    citizen_id: str
    author_role: Literal["citizen", "clinician"]
    author_id: str
    author_name: str
    body: str
    created_at: datetime
    photos: list[PhotoRef] = msgspec.field(default_factory=list)


class Consultation(msgspec.Struct, frozen=True, kw_only=True):
    id: str
    citizen_id: str
    clinic_id: str
    category: Category
    subject: str
    status: ConsultationStatus = "open"
    created_at: datetime
    updated_at: datetime
    #: while open: when the clinic has promised to answer by
    answer_expected_by: datetime | None = None


def answer_expected_by(sent: datetime, zone: str, working_days: int) -> datetime:
    """23:59 on the `working_days`-th working day (Mon–Fri) after `sent`, in `zone`.

    A message sent on a Friday evening with 3 working days is due by Wednesday's end.
    Public holidays are not counted out (a known simplification; clinics can raise N).
    """
    tz = ZoneInfo(zone)
    day: date = sent.astimezone(tz).date()
    left = working_days
    while left > 0:
        day += timedelta(days=1)
        if day.weekday() < 5:
            left -= 1
    return datetime.combine(day, time(23, 59), tzinfo=tz)
