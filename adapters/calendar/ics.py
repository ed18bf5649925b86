"""iCalendar export of appointments, for subscribing from a phone's calendar app.

Privacy by default: phone calendars sync to third-party clouds (iCloud, Google), so the
feed says only what, where and when. The appointment's `reason` is health information
and is never written into it, nor is a clinic's cancellation message.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from icalendar import Alarm, Calendar, Event

from app.domain.appointments import Appointment
from app.domain.people import Clinic, Language
from app.domain.slots import SlotKind
from app.domain.time import require_aware

__all__ = ["PRODID", "appointments_ics"]

PRODID = "-//minlaege//Min Læge//DA"
UID_DOMAIN = "minlaege.dk"
#: when the reminder fires, relative to the start
REMINDER = timedelta(hours=-1)

_IN_PERSON: frozenset[SlotKind] = frozenset({"consultation", "long"})

_CALENDAR_NAME: dict[Language, str] = {"da": "Lægetider", "en": "Doctor's appointments"}

_SUMMARY: dict[Language, dict[SlotKind, str]] = {
    "da": {
        "consultation": "Konsultation hos {clinic}",
        "long": "Lang konsultation hos {clinic}",
        "phone": "Telefonkonsultation med {clinic}",
        "video": "Videokonsultation med {clinic}",
    },
    "en": {
        "consultation": "Consultation at {clinic}",
        "long": "Long consultation at {clinic}",
        "phone": "Phone consultation with {clinic}",
        "video": "Video consultation with {clinic}",
    },
}

_REMINDER_TEXT: dict[Language, str] = {
    "da": "Påmindelse: {summary} om en time",
    "en": "Reminder: {summary} in one hour",
}


def appointments_ics(
    appointments: Sequence[Appointment], *, clinic: Clinic, language: Language, now: datetime
) -> bytes:
    """A VCALENDAR (METHOD PUBLISH) with one VEVENT per appointment, as bytes.

    Booked appointments are CONFIRMED with a display alarm an hour before; cancelled ones
    (by the citizen or the clinic) are CANCELLED with SEQUENCE 1 so subscribed calendars
    drop them; rescheduled ones are left out (their replacement is exported instead).
    UIDs are `<appointment id>@minlaege.dk`; all times are written in UTC. Every event
    is labelled with `clinic`.

    The appointment's `reason` is deliberately not exported: it is health information,
    and phone calendars sync to third-party clouds.
    """
    stamp = require_aware(now).astimezone(UTC)
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", _CALENDAR_NAME[language])

    exported = (a for a in appointments if a.status != "rescheduled")
    for appointment in sorted(exported, key=lambda a: (a.starts_at, a.id)):
        cal.add_component(_event(appointment, clinic=clinic, language=language, stamp=stamp))
    # Component.to_ical() is unannotated in icalendar 7.3 (returns Any); it is bytes.
    data: bytes = cal.to_ical()
    return data


def _event(
    appointment: Appointment, *, clinic: Clinic, language: Language, stamp: datetime
) -> Event:
    summary = _SUMMARY[language][appointment.kind].format(clinic=clinic.name)
    event = Event()
    event.add("uid", f"{appointment.id}@{UID_DOMAIN}")
    event.add("dtstamp", stamp)
    event.add("dtstart", require_aware(appointment.starts_at).astimezone(UTC))
    event.add("dtend", require_aware(appointment.ends_at).astimezone(UTC))
    event.add("summary", summary)
    if appointment.kind in _IN_PERSON:
        event.add("location", clinic.name)
    if appointment.status == "booked":
        event.add("status", "CONFIRMED")
        event.add("sequence", 0)
        alarm = Alarm()
        alarm.add("action", "DISPLAY")
        alarm.add("trigger", REMINDER)
        alarm.add("description", _REMINDER_TEXT[language].format(summary=summary))
        event.add_component(alarm)
    else:  # cancelled, cancelled_by_clinic
        event.add("status", "CANCELLED")
        event.add("sequence", 1)
    return event
