"""Doses taken or skipped, their history, adherence, and what the clinic sees of them."""

from __future__ import annotations

from datetime import UTC, date, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

import msgspec

from app.domain.dosing import (
    Adherence,
    Dose,
    instants,
    reminder_id,
)
from app.domain.identity import Principal
from app.domain.ids import new_id
from app.domain.time import AwareDatetime, check_years, local_day_bounds
from app.errors import Invalid, NotFound
from app.ports import Clock, UnitOfWork
from app.services.adherence import adherence_for
from app.services.audit import event_for, record
from app.services.dosing import acting_id, medication_of, zone_of
from app.services.inbox import refresh_measurements
from app.services.summary import shared_access

__all__ = [
    "DoseInput",
    "adherence",
    "clinic_doses",
    "dose_history",
    "record_dose",
]


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
    medication = await medication_of(uow, citizen.id, body.medication_id)
    now = clock.now()
    at = body.at or now
    if at > now + timedelta(minutes=5):
        raise Invalid("'at' is in the future")
    planned = None if body.planned_at is None else body.planned_at.astimezone(UTC)
    check_years(at.date(), *([] if planned is None else [planned.date()]))
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
            recorded_by=acting_id(citizen),
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
    check_years(first, last)
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
