"""The reminder planner and its neighbours, without a database: DST days, weekdays and
dates, the next instant, run-out days, ages from CPR numbers, and what a push says."""

from __future__ import annotations

from datetime import UTC, date, datetime

from app.domain.dosing import (
    DoseSchedule,
    age_on,
    birth_date_from_cpr,
    instants,
    next_after,
    runs_out_on,
    valid_atc_vaccine,
)
from app.domain.notices import notice
from app.domain.push import push_message, push_ttl

CPH = "Europe/Copenhagen"
T0 = datetime(2027, 1, 1, tzinfo=UTC)


def sched(times: list[str], **extra: object) -> DoseSchedule:
    return DoseSchedule(
        citizen_id="c",
        medication_id="m",
        times=times,
        since=T0,
        cursor=T0,
        **extra,  # type: ignore[arg-type]
    )


def local(items: list[datetime], zone: str = CPH) -> list[str]:
    from zoneinfo import ZoneInfo

    return [i.astimezone(ZoneInfo(zone)).isoformat() for i in items]


def test_spring_gap_moves_forward_and_autumn_repeat_fires_once() -> None:
    s = sched(["02:30", "08:00"])
    assert local(instants(s, CPH, date(2027, 3, 28), date(2027, 3, 28))) == [
        "2027-03-28T03:30:00+02:00",
        "2027-03-28T08:00:00+02:00",
    ]
    assert local(instants(s, CPH, date(2027, 10, 31), date(2027, 10, 31))) == [
        "2027-10-31T02:30:00+02:00",
        "2027-10-31T08:00:00+01:00",
    ]
    # every other day: exactly one per time
    week = instants(s, CPH, date(2027, 3, 22), date(2027, 4, 4))
    assert len(week) == 28


def test_two_times_landing_on_one_instant_are_one_reminder() -> None:
    s = sched(["02:30", "03:30"])
    assert local(instants(s, CPH, date(2027, 3, 28), date(2027, 3, 28))) == [
        "2027-03-28T03:30:00+02:00"
    ]


def test_weekdays_dates_and_since() -> None:
    s = sched(["09:00"], weekdays=["mon", "thu"], starts=date(2027, 2, 1), ends=date(2027, 2, 11))
    assert [i.date().isoformat() for i in instants(s, CPH, date(2027, 1, 1), date(2027, 3, 1))] == [
        "2027-02-01",
        "2027-02-04",
        "2027-02-08",
        "2027-02-11",
    ]
    assert next_after(s, CPH, datetime(2027, 2, 11, 9, 0, tzinfo=UTC)) is None
    late = sched(["09:00"])
    assert next_after(late, CPH, datetime(2027, 2, 1, 7, 59, tzinfo=UTC)) == datetime(
        2027, 2, 1, 8, 0, tzinfo=UTC
    )
    assert next_after(late, CPH, datetime(2027, 2, 1, 8, 0, tzinfo=UTC)) == datetime(
        2027, 2, 2, 8, 0, tzinfo=UTC
    )


def test_next_after_across_the_autumn_night() -> None:
    s = sched(["02:30"])
    first = next_after(s, CPH, datetime(2027, 10, 30, 12, 0, tzinfo=UTC))
    assert local([first]) == ["2027-10-31T02:30:00+02:00"]  # type: ignore[list-item]
    assert first is not None
    # the second 02:30 (01:30 UTC) is not a reminder: the next is the day after
    assert local([next_after(s, CPH, first)]) == ["2027-11-01T02:30:00+01:00"]  # type: ignore[list-item]


def test_run_out_day_age_and_vaccine_codes() -> None:
    assert runs_out_on(date(2026, 11, 20), 30, 1) == date(2026, 12, 20)
    assert runs_out_on(date(2026, 11, 20), 100, 3) == date(2026, 12, 23)
    assert birth_date_from_cpr("010150-1234") == date(1950, 1, 1)
    assert birth_date_from_cpr("0101104321") == date(2010, 1, 1)  # 7th digit 4, year ≤ 36
    assert birth_date_from_cpr("3102501234") is None
    assert age_on(date(1962, 10, 2), date(2027, 10, 1)) == 64
    assert age_on(date(1962, 10, 1), date(2027, 10, 1)) == 65
    assert valid_atc_vaccine("J07BB02") and valid_atc_vaccine("J07")
    assert not valid_atc_vaccine("A10BA02") and not valid_atc_vaccine("J07BB02X")


def test_a_dose_push_says_only_reminder_unless_previews() -> None:
    n = notice("medication.reminder", "reminders/x", medication="Metformin 500 mg", time="08:00")
    at = datetime(2026, 11, 20, 7, 0, tzinfo=UTC)
    plain = push_message("id", n, at, "da", previews=False)
    assert (plain.title, plain.body) == ("Påmindelse fra Min Læge", "Åbn appen for at se den.")
    assert "Metformin" not in plain.title + plain.body
    assert push_message("id", n, at, "en", previews=False).title == "Reminder from Min Læge"
    shown = push_message("id", n, at, "da", previews=True)
    assert shown.title == "Husk din medicin: Metformin 500 mg"
    assert "Metformin" not in shown.body
    assert (shown.expires_at - at).total_seconds() == 2 * 3600
    assert push_ttl("appointment.booked").total_seconds() == 24 * 3600
    other = notice("appointment.booked", "appointments/x")
    assert push_message("id", other, at, "da", previews=False).title == "Ny besked fra Min Læge"
