"""Instants: timezone-aware in code, integer UTC epoch milliseconds in the store."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import msgspec

from app.errors import Invalid

__all__ = [
    "DEFAULT_TIMEZONE",
    "AwareDatetime",
    "check_years",
    "from_ms",
    "local_day_bounds",
    "require_aware",
    "to_ms",
    "valid_timezone",
]

DEFAULT_TIMEZONE = "Europe/Copenhagen"
#: dates a citizen or clinic may name: far enough for any record, near enough that a
#: day's bounds in any zone stay inside what `datetime` can hold
FIRST_YEAR, LAST_YEAR = 2000, 2200


def check_years(*days: date) -> None:
    """422 for a date outside FIRST_YEAR..LAST_YEAR (year 9999 overflowed a day's bounds)."""
    if any(not FIRST_YEAR <= d.year <= LAST_YEAR for d in days):
        raise Invalid(f"dates are between the years {FIRST_YEAR} and {LAST_YEAR}")


#: a datetime that must carry a UTC offset: payload fields use it, so a time without
#: one is refused at decoding (400) instead of failing a comparison later
AwareDatetime = Annotated[datetime, msgspec.Meta(tz=True)]


def require_aware(dt: datetime) -> datetime:
    """Refuse naive datetimes: a time without an offset is a bug waiting for DST."""
    if dt.tzinfo is None or dt.utcoffset() is None:
        raise ValueError("datetime must be timezone-aware")
    return dt


def to_ms(dt: datetime) -> int:
    """Aware datetime to UTC epoch milliseconds."""
    require_aware(dt)
    delta = dt - datetime(1970, 1, 1, tzinfo=UTC)
    return delta // timedelta(milliseconds=1)


def from_ms(ms: int) -> datetime:
    """UTC epoch milliseconds to an aware UTC datetime."""
    return datetime(1970, 1, 1, tzinfo=UTC) + timedelta(milliseconds=ms)


def valid_timezone(name: str) -> bool:
    """True when the IANA zone name is known to this machine."""
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


def local_day_bounds(day: date, zone: str) -> tuple[datetime, datetime]:
    """UTC start and end of a calendar day in a zone (23 or 25 hours on DST days)."""
    tz = ZoneInfo(zone)
    start = datetime.combine(day, time.min, tzinfo=tz).astimezone(UTC)
    end = datetime.combine(day + timedelta(days=1), time.min, tzinfo=tz).astimezone(UTC)
    return start, end
