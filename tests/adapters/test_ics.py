"""The iCalendar export: write appointments, parse them back with icalendar, compare.

Times: Europe/Copenhagen is UTC+2 in June 2026, so 08:00 local is 06:00Z.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from icalendar import Calendar, Component

from adapters.calendar import appointments_ics
from app.domain.appointments import Appointment, AppointmentStatus
from app.domain.people import Clinic, Language
from app.domain.slots import SlotKind

CPH = ZoneInfo("Europe/Copenhagen")
NOW = datetime(2026, 5, 20, 12, 0, tzinfo=UTC)
CLINIC = Clinic(id="clinic-1", name="Lægehuset Nørrebro", created_at=NOW)
# Health information that must never reach a calendar (words checked one by one).
REASON = "Klamydiatest og depression"


def appointment(
    id_: str,
    kind: SlotKind = "consultation",
    status: AppointmentStatus = "booked",
    *,
    day: int = 1,
    hour: int = 8,
    minutes: int = 15,
) -> Appointment:
    start = datetime(2026, 6, day, hour, 0, tzinfo=CPH)
    return Appointment(
        id=id_,
        citizen_id="citizen-1",
        clinic_id=CLINIC.id,
        slot_id=f"slot-{id_}",
        kind=kind,
        starts_at=start,
        ends_at=start + timedelta(minutes=minutes),
        reason=REASON,
        status=status,
        created_at=NOW,
        cancelled_at=NOW if status.startswith("cancelled") else None,
        clinic_message="Lægen er syg" if status == "cancelled_by_clinic" else None,
    )


APPOINTMENTS = [
    appointment("a-booked", "consultation", day=1, hour=8),
    appointment("a-long", "long", day=2, hour=9, minutes=30),
    appointment("a-phone", "phone", day=3, hour=10, minutes=10),
    appointment("a-video", "video", "cancelled", day=4, hour=11),
    appointment("a-clinic-cancelled", "consultation", "cancelled_by_clinic", day=5, hour=12),
    appointment("a-moved", "consultation", "rescheduled", day=6, hour=13),
]


def export(
    appointments: list[Appointment] = APPOINTMENTS, language: Language = "da"
) -> tuple[bytes, Calendar]:
    data = appointments_ics(appointments, clinic=CLINIC, language=language, now=NOW)
    assert isinstance(data, bytes)
    cal = Calendar.from_ical(data)
    assert isinstance(cal, Calendar)
    return data, cal


def events(cal: Calendar) -> dict[str, Component]:
    return {str(e["UID"]): e for e in cal.walk("VEVENT")}


def test_calendar_header() -> None:
    data, cal = export()
    assert cal.name == "VCALENDAR"
    assert str(cal["VERSION"]) == "2.0"
    assert str(cal["PRODID"]) == "-//minlaege//Min Læge//DA"
    assert str(cal["CALSCALE"]) == "GREGORIAN"
    assert str(cal["METHOD"]) == "PUBLISH"
    assert str(cal["X-WR-CALNAME"]) == "Lægetider"
    _, en = export(language="en")
    assert str(en["X-WR-CALNAME"]) == "Doctor's appointments"
    assert data.startswith(b"BEGIN:VCALENDAR\r\n")
    assert data.endswith(b"END:VCALENDAR\r\n")


def test_one_event_per_appointment_except_rescheduled() -> None:
    _, cal = export()
    assert sorted(events(cal)) == sorted(
        f"{a}@minlaege.dk"
        for a in ("a-booked", "a-long", "a-phone", "a-video", "a-clinic-cancelled")
    )


def test_times_are_the_aware_instants_written_in_utc() -> None:
    data, cal = export()
    by_uid = events(cal)
    for a in APPOINTMENTS[:5]:
        event = by_uid[f"{a.id}@minlaege.dk"]
        start, end = event.decoded("DTSTART"), event.decoded("DTEND")
        assert start == a.starts_at
        assert end == a.ends_at
        assert start.utcoffset() == timedelta(0)
        assert event.decoded("DTSTAMP") == NOW
    # 08:00 CEST on 1 June is 06:00Z; no TZID, no VTIMEZONE needed.
    assert b"DTSTART:20260601T060000Z" in data
    assert b"DTEND:20260601T061500Z" in data
    assert b"TZID" not in data


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        (
            "da",
            {
                "a-booked": "Konsultation hos Lægehuset Nørrebro",
                "a-long": "Lang konsultation hos Lægehuset Nørrebro",
                "a-phone": "Telefonkonsultation med Lægehuset Nørrebro",
                "a-video": "Videokonsultation med Lægehuset Nørrebro",
            },
        ),
        (
            "en",
            {
                "a-booked": "Consultation at Lægehuset Nørrebro",
                "a-long": "Long consultation at Lægehuset Nørrebro",
                "a-phone": "Phone consultation with Lægehuset Nørrebro",
                "a-video": "Video consultation with Lægehuset Nørrebro",
            },
        ),
    ],
)
def test_summary_is_in_the_language(language: Language, expected: dict[str, str]) -> None:
    _, cal = export(language=language)
    by_uid = events(cal)
    for id_, summary in expected.items():
        assert str(by_uid[f"{id_}@minlaege.dk"]["SUMMARY"]) == summary


def test_location_only_for_in_person_kinds() -> None:
    _, cal = export()
    by_uid = events(cal)
    assert str(by_uid["a-booked@minlaege.dk"]["LOCATION"]) == CLINIC.name
    assert str(by_uid["a-long@minlaege.dk"]["LOCATION"]) == CLINIC.name
    assert "LOCATION" not in by_uid["a-phone@minlaege.dk"]
    assert "LOCATION" not in by_uid["a-video@minlaege.dk"]


def test_status_and_sequence() -> None:
    _, cal = export()
    by_uid = events(cal)
    for id_ in ("a-booked", "a-long", "a-phone"):
        assert str(by_uid[f"{id_}@minlaege.dk"]["STATUS"]) == "CONFIRMED"
        assert by_uid[f"{id_}@minlaege.dk"].decoded("SEQUENCE") == 0
    for id_ in ("a-video", "a-clinic-cancelled"):
        assert str(by_uid[f"{id_}@minlaege.dk"]["STATUS"]) == "CANCELLED"
        assert by_uid[f"{id_}@minlaege.dk"].decoded("SEQUENCE") == 1


@pytest.mark.parametrize(
    ("language", "text"),
    [
        ("da", "Påmindelse: Konsultation hos Lægehuset Nørrebro om en time"),
        ("en", "Reminder: Consultation at Lægehuset Nørrebro in one hour"),
    ],
)
def test_booked_appointments_have_a_reminder_an_hour_before(language: Language, text: str) -> None:
    _, cal = export(language=language)
    by_uid = events(cal)
    alarms = by_uid["a-booked@minlaege.dk"].walk("VALARM")
    assert len(alarms) == 1
    alarm = alarms[0]
    assert str(alarm["ACTION"]) == "DISPLAY"
    assert alarm.decoded("TRIGGER") == timedelta(hours=-1)
    assert str(alarm["DESCRIPTION"]) == text
    for id_ in ("a-long", "a-phone"):
        assert len(by_uid[f"{id_}@minlaege.dk"].walk("VALARM")) == 1
    for id_ in ("a-video", "a-clinic-cancelled"):
        assert by_uid[f"{id_}@minlaege.dk"].walk("VALARM") == []


@pytest.mark.parametrize("language", ["da", "en"])
def test_the_reason_never_reaches_the_calendar(language: Language) -> None:
    data, cal = export(language=language)
    # Unfold lines (RFC 5545 §3.1) so a word split across a fold is still found.
    text = data.replace(b"\r\n ", b"").decode("utf-8").lower()
    for word in REASON.lower().split():
        assert word not in text
    # Nor the clinic's cancellation message, nor any free-text description of the event.
    assert "syg" not in text
    for event in cal.walk("VEVENT"):
        assert "DESCRIPTION" not in event
        assert "COMMENT" not in event


def test_an_empty_list_is_a_valid_calendar_without_events() -> None:
    data, cal = export([])
    assert cal.walk("VEVENT") == []
    assert str(cal["VERSION"]) == "2.0"
    assert b"BEGIN:VEVENT" not in data


def test_events_are_ordered_by_start() -> None:
    shuffled = list(reversed(APPOINTMENTS))
    _, cal = export(shuffled)
    starts = [e.decoded("DTSTART") for e in cal.walk("VEVENT")]
    assert starts == sorted(starts)


def test_naive_now_is_refused() -> None:
    with pytest.raises(ValueError):
        appointments_ics(APPOINTMENTS, clinic=CLINIC, language="da", now=datetime(2026, 5, 20))
