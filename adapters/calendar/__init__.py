"""Calendar: iCalendar (RFC 5545) export of a citizen's appointments."""

from adapters.calendar.ics import appointments_ics

__all__ = ["appointments_ics"]
