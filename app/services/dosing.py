"""Medicine at the right time: dose schedules and the reminder list.

The list (`reminders`) and the worker (`app.services.dose_sending`) read the same
planner (`app.domain.dosing`), so what is listed is what is sent. Doses taken or
skipped are in `app.services.doses`; packs and the run-out notice in
`app.services.supplies`.
"""

from __future__ import annotations

from datetime import date, timedelta

import msgspec

from app.domain.dosing import (
    WEEKDAYS,
    DoseSchedule,
    PlannedReminder,
    SentReminder,
    instants,
    next_after,
    parse_time,
    reminder_id,
)
from app.domain.identity import Principal
from app.domain.medications import Medication
from app.domain.time import check_years, local_day_bounds
from app.errors import Conflict, Invalid, NotFound
from app.ports import Clock, UnitOfWork
from app.services.audit import event_for, record
from app.services.reminders import REMINDER_LEAD
from app.services.zones import zone_of

__all__ = [
    "DOSE_BATCH",
    "MAX_LIST_DAYS",
    "ScheduleInput",
    "acting_id",
    "medication_of",
    "put_schedule",
    "reminders",
    "remove_schedule",
    "snooze",
    "zone_of",
]

#: schedules one worker transaction handles at most
DOSE_BATCH = 500
MAX_TIMES = 12
MAX_LIST_DAYS = 62
_SNOOZE_MINUTES = (1, 240)


async def medication_of(uow: UnitOfWork, citizen_id: str, medication_id: str) -> Medication:
    medication = await uow.medications.get(citizen_id, medication_id)
    if medication is None:
        raise NotFound(f"no medication {medication_id} on your list")
    return medication


def acting_id(principal: Principal) -> str:
    return f"proxy:{principal.proxy.id}" if principal.proxy is not None else principal.id


# -- schedules --------------------------------------------------------------------------


class ScheduleInput(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Wall-clock times in the citizen's zone ("08:00"), optional weekdays ("mon"…),
    first and last day, and the dose as the citizen reads it."""

    times: list[str]
    weekdays: list[str] | None = None
    starts: date | None = None
    ends: date | None = None
    dose: str = ""


def _checked(body: ScheduleInput) -> tuple[list[str], list[str] | None]:
    if not 1 <= len(body.times) <= MAX_TIMES:
        raise Invalid(f"give 1 to {MAX_TIMES} times")
    try:
        times = sorted({f"{parse_time(t):%H:%M}" for t in body.times})
    except ValueError as exc:
        raise Invalid(f"{exc}; write times as HH:MM, e.g. 08:00") from exc
    weekdays = None
    if body.weekdays is not None:
        unknown = [d for d in body.weekdays if d not in WEEKDAYS]
        if unknown or not body.weekdays:
            raise Invalid(f"weekdays are some of {', '.join(WEEKDAYS)}, or null for every day")
        weekdays = sorted(set(body.weekdays), key=WEEKDAYS.index)
    if body.starts and body.ends and body.ends < body.starts:
        raise Invalid("'ends' is before 'starts'")
    if len(body.dose) > 200:
        raise Invalid("the dose is at most 200 characters")
    return times, weekdays


async def put_schedule(
    uow: UnitOfWork, clock: Clock, citizen: Principal, medication_id: str, body: ScheduleInput
) -> DoseSchedule:
    """Set when a medication is taken; reminders follow from the next planned time."""
    await medication_of(uow, citizen.id, medication_id)
    times, weekdays = _checked(body)
    check_years(*(d for d in (body.starts, body.ends) if d is not None))
    now = clock.now()
    schedule = DoseSchedule(
        citizen_id=citizen.id,
        medication_id=medication_id,
        times=times,
        weekdays=weekdays,
        starts=body.starts,
        ends=body.ends,
        dose=body.dose.strip(),
        since=now,
        cursor=now,
    )
    schedule = msgspec.structs.replace(
        schedule, next_at=next_after(schedule, await zone_of(uow, citizen.id), now)
    )
    await uow.dose_schedules.put(schedule)
    await record(
        uow,
        clock,
        event_for(
            citizen,
            citizen_id=citizen.id,
            action="dosing.schedule",
            resource=f"medications/{medication_id}/schedule",
            detail={"times": ",".join(times)},
        ),
    )
    return schedule


async def remove_schedule(
    uow: UnitOfWork, clock: Clock, citizen: Principal, medication_id: str
) -> None:
    if not await uow.dose_schedules.remove(citizen.id, medication_id):
        raise NotFound("no schedule for that medication")
    await record(
        uow,
        clock,
        event_for(
            citizen,
            citizen_id=citizen.id,
            action="dosing.schedule_removed",
            resource=f"medications/{medication_id}/schedule",
        ),
    )


# -- the list ---------------------------------------------------------------------------

#: reminder kind -> the power-of-attorney scope that shows it
_SCOPE = {
    "medication": "medications",
    "vaccination": "medications",
    "appointment": "booking",
    "questionnaire": "questionnaires",
}


async def reminders(
    uow: UnitOfWork, clock: Clock, citizen: Principal, first: date, last: date
) -> list[PlannedReminder]:
    """Every reminder planned on the local days [first, last], in time order; a relative
    sees the kinds their power of attorney covers."""
    check_years(first, last)
    if last < first:
        raise Invalid("'to' is before 'from'")
    if (last - first).days >= MAX_LIST_DAYS:
        raise Invalid(f"ask for at most {MAX_LIST_DAYS} days")
    zone = await zone_of(uow, citizen.id)
    start, _ = local_day_bounds(first, zone)
    _, end = local_day_bounds(last, zone)
    now = clock.now()
    sent = {r.id: r for r in await uow.reminder_log.between(citizen.id, start, end)}
    out: dict[str, PlannedReminder] = {}
    for schedule in await uow.dose_schedules.for_citizen(citizen.id):
        ref = f"medications/{schedule.medication_id}"
        for at in instants(schedule, zone, first, last):
            if at <= schedule.cursor:  # handled: the worker's log below says how
                continue
            rid = reminder_id("medication", ref, at)
            out[rid] = PlannedReminder(
                id=rid,
                kind="medication",
                at=at,
                ref=ref,
                medication_id=schedule.medication_id,
                dose=schedule.dose,
            )
    for r in sent.values():  # sent under an earlier form of the schedule, too
        if r.kind == "medication":
            old = out.get(r.id)
            out[r.id] = PlannedReminder(
                id=r.id,
                kind="medication",
                at=r.planned_at,
                ref=r.ref,
                status=r.status,
                snoozed_until=r.snooze_until,
                medication_id=r.ref.removeprefix("medications/"),
                dose=old.dose if old else None,
            )
    for a in await uow.appointments.for_citizen(citizen.id):
        at = a.starts_at - REMINDER_LEAD
        if a.status == "booked" and a.created_at <= at and start <= at < end:
            rid = reminder_id("appointment", f"appointments/{a.id}", at)
            out[rid] = PlannedReminder(
                id=rid,
                kind="appointment",
                at=at,
                ref=f"appointments/{a.id}",
                status="sent" if at <= now else "planned",
            )
    for assignment_id, at in await uow.reminder_log.questionnaire_openings(citizen.id, start, end):
        ref = f"questionnaire-assignments/{assignment_id}"
        rid = reminder_id("questionnaire", ref, at)
        out[rid] = PlannedReminder(id=rid, kind="questionnaire", at=at, ref=ref)
    for v in await uow.vaccinations.for_citizen(citizen.id):
        if v.remind_at is not None and v.given_on is None and start <= v.remind_at < end:
            ref = f"vaccinations/{v.id}"
            rid = reminder_id("vaccination", ref, v.remind_at)
            out[rid] = PlannedReminder(
                id=rid,
                kind="vaccination",
                at=v.remind_at,
                ref=ref,
                status="sent" if v.reminded_at is not None else "planned",
            )
    items = sorted(out.values(), key=lambda r: (r.at, r.kind, r.ref))
    if citizen.proxy is not None:
        scopes = set(citizen.proxy.scopes)
        items = [r for r in items if _SCOPE[r.kind] in scopes]
    return items


async def snooze(
    uow: UnitOfWork, clock: Clock, citizen: Principal, rid: str, minutes: int
) -> SentReminder:
    """Send a dose reminder again in a while (it must have been sent or listed late)."""
    lo, hi = _SNOOZE_MINUTES
    if not lo <= minutes <= hi:
        raise Invalid(f"snooze for {lo} to {hi} minutes")
    found = await uow.reminder_log.get(citizen.id, rid)
    if found is None:
        raise NotFound("no such reminder has been sent")
    if found.kind != "medication":
        raise Conflict("only medicine reminders can be snoozed")
    snoozed = msgspec.structs.replace(
        found, status="snoozed", snooze_until=clock.now() + timedelta(minutes=minutes)
    )
    await uow.reminder_log.snooze(snoozed)
    return snoozed
