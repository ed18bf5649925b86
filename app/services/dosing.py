"""Medicine at the right time: schedules, the reminder list, the worker that sends it,
snoozes, doses taken or skipped, and the notice before a pack runs out.

The list (`reminders`) and the worker (`send_dose_reminders`) read the same planner
(`app.domain.dosing`), so what is listed is what is sent. The worker finds due
schedules by an index on `next_at`, and in one transaction moves the schedule's
`done_until` past the instant (a conditional UPDATE: a second worker changes nothing)
and writes the reminder and its notice, so each is sent once, after a restart too. A
dose reminder more than two hours late (the worker or the whole service was down) is
written as `late`: listed, not pushed, so an outage ends without a flood.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

import msgspec

from app.domain.dosing import (
    LATE_AFTER,
    WEEKDAYS,
    Adherence,
    Dose,
    DoseSchedule,
    PlannedReminder,
    SentReminder,
    Supply,
    day_da,
    day_en,
    instants,
    next_after,
    parse_time,
    reminder_id,
    runs_out_on,
    wall_instant,
)
from app.domain.identity import Principal
from app.domain.ids import new_id
from app.domain.medications import Medication
from app.domain.notices import notice
from app.domain.time import AwareDatetime, local_day_bounds
from app.errors import Conflict, Invalid, NotFound
from app.ports import Clock, CprVault, Store, UnitOfWork
from app.services.adherence import adherence_for
from app.services.audit import event_for, record
from app.services.inbox import refresh_measurements
from app.services.notify import tell
from app.services.reminders import REMINDER_LEAD
from app.services.summary import shared_access
from app.services.vaccinations import apply_seasonal_rules, send_vaccination_reminders

__all__ = [
    "DOSE_BATCH",
    "DoseInput",
    "ScheduleInput",
    "SupplyInput",
    "adherence",
    "clinic_doses",
    "dose_history",
    "put_schedule",
    "put_supply",
    "record_dose",
    "reminders",
    "remove_schedule",
    "restart_supply",
    "send_dose_reminders",
    "send_medicine_reminders",
    "send_runout_notices",
    "set_clinic_supply",
    "snooze",
]

#: schedules one worker transaction handles at most
DOSE_BATCH = 500
MAX_TIMES = 12
MAX_LIST_DAYS = 62
#: the run-out notice comes this many days before the pack is empty, at 09:00 local
RUNOUT_LEAD_DAYS = 7
NOTICE_TIME = time(9, 0)
_SNOOZE_MINUTES = (1, 240)


async def zone_of(uow: UnitOfWork, citizen_id: str) -> str:
    citizen = await uow.citizens.get(citizen_id)
    return citizen.timezone if citizen else "Europe/Copenhagen"


async def _medication(uow: UnitOfWork, citizen_id: str, medication_id: str) -> Medication:
    medication = await uow.medications.get(citizen_id, medication_id)
    if medication is None:
        raise NotFound(f"no medication {medication_id} on your list")
    return medication


def _in_range(*days: date) -> None:
    if any(not 2000 <= d.year <= 2200 for d in days):
        raise Invalid("dates are between the years 2000 and 2200")


def _who(principal: Principal) -> str:
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
    await _medication(uow, citizen.id, medication_id)
    times, weekdays = _checked(body)
    _in_range(*(d for d in (body.starts, body.ends) if d is not None))
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
    _in_range(first, last)
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


# -- the worker -------------------------------------------------------------------------


class DoseReport(msgspec.Struct, kw_only=True):
    """What one pass wrote: reminders pushed, late ones only listed, snoozes woken."""

    sent: int = 0
    late: int = 0
    woken: int = 0

    @property
    def rows(self) -> int:
        return self.sent + self.late + self.woken


async def _dose_notice(
    uow: UnitOfWork,
    clock: Clock,
    citizen_id: str,
    medication: str,
    rid: str,
    at: datetime,
    zone: str,
    dose: str,
) -> None:
    await tell(
        uow,
        clock,
        citizen_id,
        notice(
            "medication.reminder",
            f"reminders/{rid}",
            medication=medication,
            dose=dose or "din dosis",
            dose_en=dose or "your dose",
            time=f"{at.astimezone(ZoneInfo(zone)):%H:%M}",
        ),
    )


async def send_dose_reminders(store: Store, clock: Clock, *, limit: int = DOSE_BATCH) -> DoseReport:
    """One transaction: the due schedules (by index) and the snoozes that end now.

    The due schedules are this transaction's alone (SQLite has one writer; PostgreSQL
    locks them and other workers skip them), and each `done_until` moves on only if it
    is still what was read, in the transaction that writes the reminders and notices.
    """
    now = clock.now()
    report = DoseReport()
    async with store.transaction() as uow:
        moves: list[tuple[str, str, datetime, datetime, datetime | None]] = []
        written: list[SentReminder] = []
        pushes: list[tuple[SentReminder, str, str, str]] = []
        for schedule, zone, name in await uow.dose_schedules.due(now, limit):
            cid = schedule.citizen_id
            cursor = schedule.cursor
            at = next_after(schedule, zone, cursor)
            ref = f"medications/{schedule.medication_id}"
            while at is not None and at <= now:
                late = now - at > LATE_AFTER
                sent = SentReminder(
                    citizen_id=cid,
                    id=reminder_id("medication", ref, at),
                    kind="medication",
                    ref=ref,
                    planned_at=at,
                    status="late" if late else "sent",
                    sent_at=None if late else now,
                )
                written.append(sent)
                if late:
                    report.late += 1
                else:
                    pushes.append((sent, name, zone, schedule.dose))
                cursor = at
                at = next_after(schedule, zone, at)
            moves.append((cid, schedule.medication_id, schedule.cursor, cursor, at))
        if moves:
            await uow.dose_schedules.advance_many(moves)
            await uow.reminder_log.add_many(written)
        for sent, name, zone, dose in pushes:
            await _dose_notice(
                uow, clock, sent.citizen_id, name, sent.id, sent.planned_at, zone, dose
            )
            report.sent += 1
        for r in await uow.reminder_log.due_snoozed(now, limit):
            assert r.snooze_until is not None
            if not await uow.reminder_log.wake(r.citizen_id, r.id, r.snooze_until, now):
                continue
            mid = r.ref.removeprefix("medications/")
            current = await uow.dose_schedules.get(r.citizen_id, mid)
            await _dose_notice(
                uow,
                clock,
                r.citizen_id,
                await uow.medications.name_of(r.citizen_id, mid) or "",
                r.id,
                r.planned_at,
                await zone_of(uow, r.citizen_id),
                current.dose if current else "",
            )
            report.woken += 1
    return report


async def send_runout_notices(store: Store, clock: Clock, *, limit: int = 200) -> int:
    """Seven days before a pack runs out: a notice with a one-tap renewal, unless a
    renewal is open already or the drug cannot be renewed in the app."""
    now = clock.now()
    told = 0
    async with store.transaction() as uow:
        for supply in await uow.supplies.due(now, limit):
            assert supply.notify_at is not None
            cid, mid = supply.citizen_id, supply.medication_id
            if not await uow.supplies.handled(cid, mid, supply.notify_at, now):
                continue
            medication = await uow.medications.get(cid, mid)
            if medication is None or not medication.renewable:
                continue
            if any(r.open and r.medication_id == mid for r in await uow.renewals.for_citizen(cid)):
                continue
            await tell(
                uow,
                clock,
                cid,
                notice(
                    "medication.runout",
                    f"medications/{mid}/renewal",
                    medication=f"{medication.name} {medication.strength}".strip(),
                    day=day_da(supply.runs_out_on),
                    day_en=day_en(supply.runs_out_on),
                ),
            )
            told += 1
    return told


async def send_medicine_reminders(store: Store, clock: Clock, vault: CprVault) -> int:
    """The worker's step: dose reminders (repeating while batches come back full), snoozes,
    run-out notices, seasonal vaccination rules and due vaccinations; how many written."""
    written = 0
    while True:
        report = await send_dose_reminders(store, clock)
        written += report.rows
        if report.rows < DOSE_BATCH:
            break
    written += await send_runout_notices(store, clock)
    await apply_seasonal_rules(store, clock, vault)
    written += await send_vaccination_reminders(store, clock)
    return written


# -- doses ------------------------------------------------------------------------------


class DoseInput(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """A dose taken or skipped: `planned_at` from the reminder, or null by hand; `at`
    when it happened (default now)."""

    medication_id: str
    planned_at: AwareDatetime | None = None
    status: Literal["taken", "skipped"]
    at: AwareDatetime | None = None


async def record_dose(
    uow: UnitOfWork, clock: Clock, citizen: Principal, body: DoseInput
) -> tuple[Dose, bool]:
    """Store a dose once per (medication, planned time): (the stored dose, created)."""
    medication = await _medication(uow, citizen.id, body.medication_id)
    now = clock.now()
    at = body.at or now
    if at > now + timedelta(minutes=5):
        raise Invalid("'at' is in the future")
    planned = None if body.planned_at is None else body.planned_at.astimezone(UTC)
    _in_range(at.date(), *([] if planned is None else [planned.date()]))
    if planned is not None:
        zone = await zone_of(uow, citizen.id)
        day = planned.astimezone(ZoneInfo(zone)).date()
        ref = f"medications/{medication.id}"
        schedule = await uow.dose_schedules.get(citizen.id, medication.id)
        known = schedule is not None and planned in instants(
            schedule, zone, day - timedelta(days=1), day + timedelta(days=1)
        )
        if (
            not known
            and await uow.reminder_log.get(citizen.id, reminder_id("medication", ref, planned))
            is None
        ):
            raise Invalid(f"no dose of {medication.name} was planned at {body.planned_at}")
    dose, created = await uow.doses.add(
        Dose(
            id=new_id(),
            citizen_id=citizen.id,
            medication_id=medication.id,
            planned_at=planned,
            status=body.status,
            at=at,
            recorded_at=now,
            recorded_by=_who(citizen),
        )
    )
    if created and planned is not None:
        await refresh_measurements(uow, clock, citizen.id, ["adherence"])
    return dose, created


async def dose_history(
    uow: UnitOfWork, clock: Clock, citizen_id: str, first: date | None, last: date | None
) -> list[Dose]:
    zone = await zone_of(uow, citizen_id)
    today = clock.now().astimezone(ZoneInfo(zone)).date()
    last = last or today
    first = first or last - timedelta(days=29)
    _in_range(first, last)
    if last < first:
        raise Invalid("'to' is before 'from'")
    if (last - first).days >= 366:
        raise Invalid("ask for at most 366 days")
    start, _ = local_day_bounds(first, zone)
    _, end = local_day_bounds(last, zone)
    return await uow.doses.between(citizen_id, start, end)


async def adherence(
    uow: UnitOfWork, clock: Clock, citizen_id: str, days: int
) -> tuple[date, date, list[Adherence]]:
    """Per scheduled medication, over the last `days` local days up to now."""
    if not 1 <= days <= 366:
        raise Invalid("days is 1 to 366")
    zone = await zone_of(uow, citizen_id)
    now = clock.now()
    last = now.astimezone(ZoneInfo(zone)).date()
    first = last - timedelta(days=days - 1)
    return first, last, await adherence_for(uow, citizen_id, zone, first, last, now)


async def clinic_doses(
    uow: UnitOfWork,
    clock: Clock,
    clinician: Principal,
    citizen_id: str,
    first: date | None,
    last: date | None,
) -> list[Dose]:
    """A patient's doses, when they share their adherence with this clinician (audited)."""
    access = await shared_access(uow, clock, clinician, citizen_id)
    opened = access.first_day.get("adherence")
    if opened is None:
        raise NotFound("adherence is not shared with you", kind="not-shared")
    last = last or access.today
    first = max(first or last - timedelta(days=29), opened)
    doses = await dose_history(uow, clock, citizen_id, first, last) if first <= last else []
    await record(
        uow,
        clock,
        event_for(
            clinician,
            citizen_id=citizen_id,
            action="doses.read",
            resource="doses",
            detail={
                "shares": ",".join(s.id for s in access.shares),
                "from": first.isoformat(),
                "to": last.isoformat(),
            },
        ),
    )
    return doses


# -- supply and run-out -----------------------------------------------------------------


class SupplyInput(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Units in a pack, units used per day, and the day the pack was started."""

    pack_size: float
    per_day: float
    started_on: date | None = None


def _notify_at(runs_out: date, zone: str, now: datetime) -> datetime:
    notify = wall_instant(runs_out - timedelta(days=RUNOUT_LEAD_DAYS), NOTICE_TIME, ZoneInfo(zone))
    return max(notify, now)


def _supply(
    citizen_id: str,
    medication_id: str,
    pack_size: float,
    per_day: float,
    started_on: date,
    source: Literal["clinic", "citizen"],
    zone: str,
    now: datetime,
) -> Supply:
    if not (0 < pack_size <= 10_000 and 0.01 <= per_day <= 100):
        raise Invalid("pack_size is above 0 and at most 10000; per_day 0.01 to 100")
    runs_out = runs_out_on(started_on, pack_size, per_day)
    return Supply(
        citizen_id=citizen_id,
        medication_id=medication_id,
        pack_size=pack_size,
        per_day=per_day,
        started_on=started_on,
        source=source,
        runs_out_on=runs_out,
        notify_at=_notify_at(runs_out, zone, now),
    )


async def put_supply(
    uow: UnitOfWork, clock: Clock, citizen: Principal, medication_id: str, body: SupplyInput
) -> Supply:
    """The citizen's own entry; it wins over the clinic's figures."""
    await _medication(uow, citizen.id, medication_id)
    zone = await zone_of(uow, citizen.id)
    now = clock.now()
    today = now.astimezone(ZoneInfo(zone)).date()
    if body.started_on is not None:
        _in_range(body.started_on)
    if body.started_on is not None and body.started_on > today:
        raise Invalid("'started_on' is in the future")
    supply = _supply(
        citizen.id,
        medication_id,
        body.pack_size,
        body.per_day,
        body.started_on or today,
        "citizen",
        zone,
        now,
    )
    await uow.supplies.put(supply)
    return supply


async def set_clinic_supply(
    uow: UnitOfWork,
    clock: Clock,
    medication: Medication,
    pack_size: float | None,
    per_day: float | None,
) -> None:
    """The clinic's pack size and use per day, unless the citizen gave their own."""
    if pack_size is None or per_day is None:
        return
    current = await uow.supplies.get(medication.citizen_id, medication.id)
    if current is not None and current.source == "citizen":
        return
    zone = await zone_of(uow, medication.citizen_id)
    now = clock.now()
    renewed = medication.last_renewed_at or now
    started = renewed.astimezone(ZoneInfo(zone)).date()
    if current is not None and (current.pack_size, current.per_day, current.started_on) == (
        pack_size,
        per_day,
        started,
    ):
        return  # unchanged: keep whether the notice was sent
    await uow.supplies.put(
        _supply(
            medication.citizen_id, medication.id, pack_size, per_day, started, "clinic", zone, now
        )
    )


async def restart_supply(
    uow: UnitOfWork, citizen_id: str, medication_id: str, at: datetime
) -> None:
    """A renewal was approved: a new pack from that day."""
    current = await uow.supplies.get(citizen_id, medication_id)
    if current is None:
        return
    zone = await zone_of(uow, citizen_id)
    await uow.supplies.put(
        _supply(
            citizen_id,
            medication_id,
            current.pack_size,
            current.per_day,
            at.astimezone(ZoneInfo(zone)).date(),
            current.source,
            zone,
            at,
        )
    )


def supplies_by_medication(items: Sequence[Supply]) -> dict[str, Supply]:
    return {s.medication_id: s for s in items}
