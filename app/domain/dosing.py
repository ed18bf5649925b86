"""Medicine at the right time: dosing schedules, the reminder planner, doses taken or
skipped, adherence, the day a pack runs out, and vaccinations.

One planner turns a schedule into instants, and the listing (`GET /v1/me/reminders`) and
the worker both use it, so what the citizen sees listed is what is sent.

Wall-clock times are kept as the citizen set them ("08:00") and read in the citizen's
current zone, so a move to another zone keeps the times. Around DST a local time is
read with `fold=0`: a time that does not exist on the spring day (02:30) is read with
the offset before the change and so lands one gap later (03:30); a time that occurs
twice on the autumn day is its first occurrence. Two times that land on one instant
(02:30 and 03:30 on the spring day) are one reminder.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from datetime import UTC, date, datetime, time, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

import msgspec

from app.domain.ids import stable_id

__all__ = [
    "LATE_AFTER",
    "WEEKDAYS",
    "Adherence",
    "Dose",
    "DoseSchedule",
    "DoseStatus",
    "PlannedReminder",
    "ReminderKind",
    "SentReminder",
    "Supply",
    "Vaccination",
    "VaccinationRule",
    "adherence_of",
    "age_on",
    "birth_date_from_cpr",
    "day_da",
    "day_en",
    "instants",
    "next_after",
    "parse_time",
    "reminder_id",
    "runs_out_on",
    "valid_atc_vaccine",
    "wall_instant",
]

ReminderKind = Literal["medication", "appointment", "questionnaire", "vaccination"]
DoseStatus = Literal["taken", "skipped"]
WEEKDAYS: tuple[str, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")

#: a dose reminder the worker reaches later than this (an outage) is listed, not pushed
LATE_AFTER = timedelta(hours=2)

_TIME = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")
_VACCINE_ATC = re.compile(r"^J07[A-Z0-9]{0,4}$")
#: how far ahead the planner looks for the next instant (a weekly schedule needs 7 days)
_HORIZON_DAYS = 8


class DoseSchedule(msgspec.Struct, frozen=True, kw_only=True):
    """When one medication is taken: wall-clock times, optional weekdays, a date range."""

    citizen_id: str
    medication_id: str
    #: "HH:MM", sorted, unique
    times: list[str]
    #: None = every day
    weekdays: list[str] | None = None
    starts: date | None = None
    ends: date | None = None
    dose: str = ""
    #: the schedule took this form then: nothing earlier is planned from it
    since: datetime
    #: every planned instant at or before this is handled by the worker
    cursor: datetime
    #: the next instant the worker will handle (None: nothing more is planned)
    next_at: datetime | None = None


class PlannedReminder(msgspec.Struct, frozen=True, kw_only=True):
    """One reminder as listed and as sent."""

    id: str
    kind: ReminderKind
    at: datetime
    ref: str
    #: what the worker did with it: planned (not yet), sent, late (listed, not pushed),
    #: snoozed (will be sent at `snoozed_until`)
    status: str = "planned"
    snoozed_until: datetime | None = None
    medication_id: str | None = None
    dose: str | None = None


class SentReminder(msgspec.Struct, frozen=True, kw_only=True):
    """What the worker wrote for one planned reminder."""

    citizen_id: str
    id: str
    kind: ReminderKind
    ref: str
    planned_at: datetime
    status: Literal["sent", "late", "snoozed"]
    sent_at: datetime | None = None
    snooze_until: datetime | None = None


class Dose(msgspec.Struct, frozen=True, kw_only=True):
    """A dose taken or skipped, from a reminder (`planned_at`) or by hand."""

    id: str
    citizen_id: str
    medication_id: str
    planned_at: datetime | None = None
    status: DoseStatus
    at: datetime
    recorded_at: datetime
    recorded_by: str


class Adherence(msgspec.Struct, frozen=True, kw_only=True):
    """Taken out of planned for one medication over some days."""

    medication_id: str
    name: str
    planned: int
    taken: int
    skipped: int
    #: None while nothing was planned
    pct: float | None


class Supply(msgspec.Struct, frozen=True, kw_only=True):
    """How much of a medication the citizen has and uses, and when it runs out."""

    citizen_id: str
    medication_id: str
    #: units in a pack (tablets, doses)
    pack_size: float
    #: units used per day
    per_day: float
    #: the day the current pack was started
    started_on: date
    source: Literal["clinic", "citizen"]
    runs_out_on: date
    #: when the run-out notice is due (UTC); None once handled
    notify_at: datetime | None = None


class Vaccination(msgspec.Struct, frozen=True, kw_only=True):
    """A vaccination given or due, as the clinic records it."""

    id: str
    citizen_id: str
    #: WHO ATC code under J07 (vaccines)
    atc: str
    name: str
    dose_number: int = 1
    given_on: date | None = None
    due_on: date | None = None
    #: when the due reminder goes (UTC); None when given or not due
    remind_at: datetime | None = None
    reminded_at: datetime | None = None
    #: "clinic" or the key of the seasonal rule that made it
    source: str = "clinic"
    updated_at: datetime


class VaccinationRule(msgspec.Struct, frozen=True, kw_only=True):
    """A clinic's seasonal rule: e.g. influenza every autumn from 1 October for 65+."""

    clinic_id: str
    key: str
    atc: str
    name: str
    min_age: int
    month: int
    day: int
    #: the last season (year) the rule was applied in
    applied_year: int = 0
    updated_at: datetime
    updated_by: str


_DAYS_DA = ("mandag", "tirsdag", "onsdag", "torsdag", "fredag", "lørdag", "søndag")
_MONTHS_DA = (
    "januar",
    "februar",
    "marts",
    "april",
    "maj",
    "juni",
    "juli",
    "august",
    "september",
    "oktober",
    "november",
    "december",
)
_DAYS_EN = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_MONTHS_EN = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


def day_da(d: date) -> str:
    """'fredag den 1. oktober'"""
    return f"{_DAYS_DA[d.weekday()]} den {d.day}. {_MONTHS_DA[d.month - 1]}"


def day_en(d: date) -> str:
    """'Friday 1 October'"""
    return f"{_DAYS_EN[d.weekday()]} {d.day} {_MONTHS_EN[d.month - 1]}"


def parse_time(text: str) -> time:
    """'08:00' → time(8, 0); ValueError for anything else."""
    m = _TIME.fullmatch(text)
    if m is None:
        raise ValueError(f"{text!r} is not a time HH:MM")
    return time(int(m.group(1)), int(m.group(2)))


def wall_instant(day: date, at: time, zone: ZoneInfo) -> datetime:
    """The UTC instant of a wall-clock time on a local day (fold=0: see the module)."""
    return datetime.combine(day, at, tzinfo=zone).astimezone(UTC)


def _days_of(schedule: DoseSchedule, first: date, last: date) -> Iterator[date]:
    lo = max(first, schedule.starts) if schedule.starts else first
    hi = min(last, schedule.ends) if schedule.ends else last
    wanted = None if schedule.weekdays is None else {WEEKDAYS.index(d) for d in schedule.weekdays}
    day = lo
    while day <= hi:
        if wanted is None or day.weekday() in wanted:
            yield day
        day += timedelta(days=1)


def instants(schedule: DoseSchedule, zone: str, first: date, last: date) -> list[datetime]:
    """Every planned instant (UTC) on the local days [first, last], in time order, none
    before the schedule's `since`; one per instant however many times land on it."""
    tz = ZoneInfo(zone)
    times = [parse_time(t) for t in schedule.times]
    out: set[datetime] = set()
    for day in _days_of(schedule, first, last):
        for t in times:
            at = wall_instant(day, t, tz)
            if at >= schedule.since:
                out.add(at)
    return sorted(out)


def next_after(schedule: DoseSchedule, zone: str, after: datetime) -> datetime | None:
    """The first planned instant strictly after `after`; None when the schedule ends.

    Day by day from the local day before `after` (a DST day can move a time across
    midnight's neighbourhood), so the usual answer costs one or two days of planning.
    """
    day = after.astimezone(ZoneInfo(zone)).date() - timedelta(days=1)
    if schedule.starts is not None and day < schedule.starts:
        day = schedule.starts
    checked = 0
    while schedule.ends is None or day <= schedule.ends:
        later = [i for i in instants(schedule, zone, day, day) if i > after]
        if later:
            return later[0]
        day += timedelta(days=1)
        checked += 1
        if checked > _HORIZON_DAYS and schedule.weekdays == []:  # pragma: no cover
            return None
    return None


def reminder_id(kind: str, ref: str, planned_at: datetime) -> str:
    """The same id for the same reminder, whoever plans it (listing or worker)."""
    return stable_id("reminder", kind, ref, planned_at.astimezone(UTC).isoformat())


def runs_out_on(started_on: date, pack_size: float, per_day: float) -> date:
    """The first day without medicine: whole days the pack lasts, from its first day."""
    return started_on + timedelta(days=int(pack_size // per_day))


def valid_atc_vaccine(code: str) -> bool:
    """Whether `code` is an ATC code under J07 (vaccines)."""
    return _VACCINE_ATC.fullmatch(code) is not None


def birth_date_from_cpr(cpr: str) -> date | None:
    """The birth date a CPR number carries (the 7th digit gives the century); None if
    the number does not hold a date."""
    digits = cpr.replace("-", "")
    if len(digits) != 10 or not digits.isdigit():
        return None
    dd, mm, yy, c = int(digits[0:2]), int(digits[2:4]), int(digits[4:6]), int(digits[6])
    if c <= 3:
        century = 1900
    elif c in (4, 9):
        century = 2000 if yy <= 36 else 1900
    else:
        century = 2000 if yy <= 57 else 1800
    try:
        return date(century + yy, mm, dd)
    except ValueError:
        return None


def age_on(born: date, day: date) -> int:
    """Whole years of age on `day`."""
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


def adherence_of(
    medication_id: str,
    name: str,
    planned: Sequence[datetime],
    doses: Sequence[Dose],
) -> Adherence:
    """Taken out of planned: a dose counts when it answers a planned instant."""
    wanted = set(planned)
    status = {d.planned_at: d.status for d in doses if d.planned_at in wanted}
    taken = sum(1 for s in status.values() if s == "taken")
    skipped = sum(1 for s in status.values() if s == "skipped")
    return Adherence(
        medication_id=medication_id,
        name=name,
        planned=len(wanted),
        taken=taken,
        skipped=skipped,
        pct=round(taken / len(wanted) * 100, 1) if wanted else None,
    )
