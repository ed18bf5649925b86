"""The clinic publishes availability: weekly hours that become slots, closures, one-offs.

Generation is idempotent (slot ids are derived from clinic, instant and kind), so a
clinic can re-run it for the coming weeks whenever its hours change; closures block the
free slots they cover, and booked appointments inside a closure are listed back so the
clinic can cancel them with a message.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta

import msgspec

from app.domain.appointments import Appointment
from app.domain.identity import Principal
from app.domain.ids import new_id, stable_id
from app.domain.people import Clinic, ClinicRules
from app.domain.schedule import (
    Closure,
    OpeningHours,
    generate_slots,
    validate_closure,
    validate_hours,
)
from app.domain.slots import SLOT_MINUTES, Slot, SlotKind
from app.domain.time import local_day_bounds
from app.errors import Invalid, NotFound
from app.ports import Clock, UnitOfWork

__all__ = [
    "GenerateResult",
    "add_closure",
    "add_slot",
    "clinic_for",
    "generate",
    "set_hours",
    "set_rules",
]

#: how far ahead slots may be generated in one go
MAX_GENERATE_DAYS = 120


async def clinic_for(uow: UnitOfWork, clinician: Principal) -> Clinic:
    clinic = None if clinician.clinic_id is None else await uow.clinics.get(clinician.clinic_id)
    if clinic is None:
        raise NotFound("you do not belong to a clinic", kind="no-clinic")
    return clinic


async def set_hours(
    uow: UnitOfWork, clinician: Principal, hours: Sequence[OpeningHours]
) -> list[OpeningHours]:
    """Replace the clinic's weekly hours; each range's slot length defaults by kind."""
    clinic = await clinic_for(uow, clinician)
    if len(hours) > 100:
        raise Invalid("at most 100 opening-hour ranges")
    filled = [
        h if h.minutes is not None else msgspec.structs.replace(h, minutes=SLOT_MINUTES[h.kind])
        for h in hours
    ]
    for h in filled:
        validate_hours(h)
    await uow.schedule.replace_hours(clinic.id, filled)
    return filled


class GenerateResult(msgspec.Struct, frozen=True, kw_only=True):
    """How many slots the run made, and how many already existed."""

    created: int
    existing: int


async def generate(
    uow: UnitOfWork, clock: Clock, clinician: Principal, first: date, last: date
) -> GenerateResult:
    """Turn the weekly hours into slots for the local days first..last, minus closures."""
    clinic = await clinic_for(uow, clinician)
    if last < first:
        raise Invalid("'to' must not be before 'from'")
    if (last - first).days >= MAX_GENERATE_DAYS:
        raise Invalid(f"generate at most {MAX_GENERATE_DAYS} days at a time")
    hours = await uow.schedule.hours(clinic.id)
    start, _ = local_day_bounds(first, clinic.timezone)
    _, end = local_day_bounds(last, clinic.timezone)
    closures = [c for _, c in await uow.schedule.closures(clinic.id, start, end)]
    slots = generate_slots(
        clinic_id=clinic.id,
        timezone=clinic.timezone,
        hours=hours,
        closures=closures,
        first=first,
        last=last,
    )
    now = clock.now()
    slots = [s for s in slots if s.starts_at > now]
    created = await uow.slots.add_many(slots)
    return GenerateResult(created=created, existing=len(slots) - created)


class ClosureResult(msgspec.Struct, frozen=True, kw_only=True):
    """The closure, how many free slots it blocked, and the bookings it overlaps."""

    id: str
    closure: Closure
    blocked_slots: int
    affected_appointments: list[str]


async def add_closure(uow: UnitOfWork, clinician: Principal, closure: Closure) -> ClosureResult:
    clinic = await clinic_for(uow, clinician)
    validate_closure(closure)
    closure_id = new_id()
    await uow.schedule.add_closure(clinic.id, closure_id, closure)
    blocked = await uow.slots.block_between(clinic.id, closure.starts_at, closure.ends_at)
    booked: list[Appointment] = [
        a
        for a, _ in await uow.appointments.for_clinic(
            clinic.id, closure.starts_at - timedelta(hours=24), closure.ends_at
        )
        if a.status == "booked" and a.starts_at < closure.ends_at and a.ends_at > closure.starts_at
    ]
    return ClosureResult(
        id=closure_id,
        closure=closure,
        blocked_slots=blocked,
        affected_appointments=[a.id for a in booked],
    )


async def add_slot(
    uow: UnitOfWork,
    clock: Clock,
    clinician: Principal,
    *,
    kind: SlotKind,
    starts_at: datetime,
    minutes: int | None,
) -> Slot:
    """A one-off slot outside the weekly hours (e.g. an extra phone slot)."""
    clinic = await clinic_for(uow, clinician)
    length = minutes if minutes is not None else SLOT_MINUTES[kind]
    if not 5 <= length <= 240:
        raise Invalid("a slot is 5 to 240 minutes long")
    if starts_at <= clock.now():
        raise Invalid("a new slot must start in the future")
    slot = Slot(
        id=stable_id("slot", clinic.id, starts_at.astimezone(UTC).isoformat(), kind),
        clinic_id=clinic.id,
        kind=kind,
        starts_at=starts_at,
        ends_at=starts_at + timedelta(minutes=length),
    )
    if await uow.slots.add_many([slot]) == 0:
        raise Invalid("there is already a slot of this kind at that time", kind="slot-exists")
    return slot


async def set_rules(uow: UnitOfWork, clinician: Principal, rules: ClinicRules) -> Clinic:
    clinic = await clinic_for(uow, clinician)
    if not 0 <= rules.cancel_cutoff_minutes <= 7 * 24 * 60:
        raise Invalid("the cancel cut-off is 0 minutes to 7 days")
    if not 5 <= rules.waitlist_hold_minutes <= 24 * 60:
        raise Invalid("a waitlist offer is held 5 minutes to 24 hours")
    if not 1 <= rules.answer_working_days <= 10:
        raise Invalid("the answer time is 1 to 10 working days")
    await uow.clinics.set_rules(clinic.id, rules)
    updated = await uow.clinics.get(clinic.id)
    assert updated is not None
    return updated
