"""Dates and times as people say them, in Danish and English, in a given zone."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

__all__ = ["when_da", "when_en"]

_DAYS_DA = ("mandag", "tirsdag", "onsdag", "torsdag", "fredag", "lørdag", "søndag")
_MONTHS_DA = (
    "januar", "februar", "marts", "april", "maj", "juni",
    "juli", "august", "september", "oktober", "november", "december",
)  # fmt: skip
_DAYS_EN = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_MONTHS_EN = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)  # fmt: skip


def when_da(instant: datetime, zone: str) -> str:
    """'tirsdag den 24. november kl. 09:15' in the zone's wall-clock time."""
    t = instant.astimezone(ZoneInfo(zone))
    return f"{_DAYS_DA[t.weekday()]} den {t.day}. {_MONTHS_DA[t.month - 1]} kl. {t:%H:%M}"


def when_en(instant: datetime, zone: str) -> str:
    """'on Tuesday 24 November at 09:15' in the zone's wall-clock time."""
    t = instant.astimezone(ZoneInfo(zone))
    return f"on {_DAYS_EN[t.weekday()]} {t.day} {_MONTHS_EN[t.month - 1]} at {t:%H:%M}"
