"""Booking from the citizen's side: free slots, book, cancel, reschedule, the waitlist.

Every use case runs inside the caller's transaction. A slot is taken with one
conditional UPDATE, so two citizens can never both get it; rescheduling takes the new
slot and frees the old one in the same transaction, or does neither. A freed slot goes
first to the waitlist, held for the first in line for the clinic's hold time.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import msgspec

from app.domain.appointments import Appointment, can_cancel
from app.domain.identity import Principal
from app.domain.ids import new_id
from app.domain.notices import notice
from app.domain.people import Clinic
from app.domain.slots import Slot, SlotKind
from app.domain.waitlist import WaitlistEntry
from app.domain.wording import when_da, when_en
from app.errors import Conflict, Invalid, NotFound
from app.ports import Clock, Store, UnitOfWork
from app.services.notify import tell

__all__ = [
    "MAX_REASON",
    "accept_offer",
    "book",
    "cancel",
    "clinic_of",
    "decline_offer",
    "free_slots",
    "join_waitlist",
    "leave_waitlist",
    "offer_freed_slot",
    "offer_slot_to",
    "reschedule",
    "sweep_lapsed_offers",
]

#: a booking reason is a line or two for the clinic, not a medical history
MAX_REASON = 500
#: how far ahead a citizen may look for slots in one request
MAX_RANGE = timedelta(days=31)
#: more free slots than this in one month is more than any GP clinic publishes
MAX_SLOTS = 5000


async def clinic_of(uow: UnitOfWork, citizen: Principal) -> Clinic:
    """The citizen's own GP clinic; a citizen without one has nothing to book."""
    clinic = None if citizen.clinic_id is None else await uow.clinics.get(citizen.clinic_id)
    if clinic is None:
        raise NotFound("you are not listed with a GP clinic", kind="no-clinic")
    return clinic


async def free_slots(
    uow: UnitOfWork,
    clock: Clock,
    citizen: Principal,
    start: datetime,
    end: datetime,
    kind: SlotKind | None,
) -> list[Slot]:
    if end <= start:
        raise Invalid("'to' must be after 'from'")
    if end - start > MAX_RANGE:
        raise Invalid(f"ask for at most {MAX_RANGE.days} days of slots at a time")
    clinic = await clinic_of(uow, citizen)
    return await uow.slots.free(clinic.id, start, end, now=clock.now(), kind=kind, limit=MAX_SLOTS)


def _reason(text: str) -> str:
    text = text.strip()
    if len(text) > MAX_REASON:
        raise Invalid(f"the reason is at most {MAX_REASON} characters")
    return text


async def _take(
    uow: UnitOfWork, clock: Clock, citizen: Principal, clinic: Clinic, slot_id: str
) -> Slot:
    slot = await uow.slots.get(clinic.id, slot_id)
    if slot is None:
        raise NotFound("no such slot at your clinic", kind="slot-not-found")
    if not await uow.slots.take(clinic.id, slot_id, citizen.id, clock.now()):
        raise Conflict("the slot is no longer free; pick another", kind="slot-taken")
    return slot


def _appointment(
    citizen: Principal, slot: Slot, reason: str, now: datetime, replaces: str | None = None
) -> Appointment:
    return Appointment(
        id=new_id(),
        citizen_id=citizen.id,
        clinic_id=slot.clinic_id,
        slot_id=slot.id,
        kind=slot.kind,
        starts_at=slot.starts_at,
        ends_at=slot.ends_at,
        reason=reason,
        created_at=now,
        replaces=replaces,
    )


def _when(slot_start: datetime, clinic: Clinic) -> dict[str, str]:
    return {
        "when": when_da(slot_start, clinic.timezone),
        "when_en": when_en(slot_start, clinic.timezone),
    }


async def book(
    uow: UnitOfWork,
    clock: Clock,
    citizen: Principal,
    slot_id: str,
    reason: str,
    *,
    idempotency_key: str | None = None,
) -> tuple[Appointment, bool]:
    """Book a free slot at the citizen's clinic; `Conflict` when someone got there first.

    With an idempotency key, a repeat of an earlier booking returns that booking (and
    False: nothing new was made) instead of a conflict with oneself.
    """
    text = _reason(reason)
    clinic = await clinic_of(uow, citizen)
    if idempotency_key is not None:
        if not 1 <= len(idempotency_key) <= 200:
            raise Invalid("an Idempotency-Key is 1 to 200 characters")
        earlier = await uow.appointments.by_key(citizen.id, idempotency_key)
        if earlier is not None:
            return _same_request(earlier, slot_id), False
    try:
        slot = await _take(uow, clock, citizen, clinic, slot_id)
    except Conflict:
        # a concurrent retry with the same key may have just committed the booking
        earlier = (
            None
            if idempotency_key is None
            else await uow.appointments.by_key(citizen.id, idempotency_key)
        )
        if earlier is None:
            raise
        return _same_request(earlier, slot_id), False
    appointment = _appointment(citizen, slot, text, clock.now())
    await uow.appointments.add(appointment, idempotency_key=idempotency_key)
    await tell(
        uow,
        clock,
        citizen.id,
        notice(
            "appointment.booked", f"appointments/{appointment.id}", **_when(slot.starts_at, clinic)
        ),
    )
    return appointment, True


def _same_request(earlier: Appointment, slot_id: str) -> Appointment:
    if earlier.slot_id != slot_id:
        raise Conflict(
            "this Idempotency-Key was used for another slot", kind="idempotency-key-reused"
        )
    return earlier


async def _own_booked(
    uow: UnitOfWork, clock: Clock, citizen: Principal, clinic: Clinic, appointment_id: str
) -> Appointment:
    appointment = await uow.appointments.get(citizen.id, appointment_id)
    if appointment is None:
        raise NotFound("no such appointment")
    if appointment.status != "booked":
        raise Conflict(
            f"the appointment is {appointment.status.replace('_', ' ')}", kind="not-booked"
        )
    if not can_cancel(appointment, clock.now(), clinic.rules.cancel_cutoff_minutes):
        hours = clinic.rules.cancel_cutoff_minutes / 60
        raise Conflict(
            f"too late to change online: the clinic allows it until {hours:g} hours before;"
            " please call the clinic",
            kind="too-late",
        )
    return appointment


async def cancel(
    uow: UnitOfWork, clock: Clock, citizen: Principal, appointment_id: str
) -> Appointment:
    """Cancel up to the clinic's cut-off; the slot is freed and offered to the waitlist."""
    clinic = await clinic_of(uow, citizen)
    appointment = await _own_booked(uow, clock, citizen, clinic, appointment_id)
    now = clock.now()
    await uow.appointments.end(citizen.id, appointment.id, "cancelled", now)
    await _release(uow, clock, clinic, appointment.slot_id)
    cancelled = await uow.appointments.get(citizen.id, appointment.id)
    assert cancelled is not None
    return cancelled


async def reschedule(
    uow: UnitOfWork, clock: Clock, citizen: Principal, appointment_id: str, slot_id: str
) -> Appointment:
    """Move an appointment to another slot: both changes commit together or not at all."""
    clinic = await clinic_of(uow, citizen)
    old = await _own_booked(uow, clock, citizen, clinic, appointment_id)
    if slot_id == old.slot_id:
        raise Conflict("the appointment is already in that slot", kind="same-slot")
    return await _move(uow, clock, citizen, clinic, old, slot_id)


async def _move(
    uow: UnitOfWork,
    clock: Clock,
    citizen: Principal,
    clinic: Clinic,
    old: Appointment,
    slot_id: str,
) -> Appointment:
    slot = await _take(uow, clock, citizen, clinic, slot_id)
    now = clock.now()
    if not await uow.appointments.end(citizen.id, old.id, "rescheduled", now):
        raise Conflict("the appointment changed meanwhile; try again", kind="not-booked")
    new = _appointment(citizen, slot, old.reason, now, replaces=old.id)
    await uow.appointments.add(new)
    await _release(uow, clock, clinic, old.slot_id)
    await tell(
        uow,
        clock,
        citizen.id,
        notice(
            "appointment.rescheduled", f"appointments/{new.id}", **_when(slot.starts_at, clinic)
        ),
    )
    return new


async def _release(uow: UnitOfWork, clock: Clock, clinic: Clinic, slot_id: str) -> None:
    """Free a slot that is no longer booked and offer it to the waitlist if still ahead."""
    slot = await uow.slots.get(clinic.id, slot_id)
    if slot is None:
        return
    await uow.slots.set_status(clinic.id, slot_id, "free")
    if slot.starts_at > clock.now():
        await offer_freed_slot(uow, clock, clinic, slot)


async def offer_freed_slot(uow: UnitOfWork, clock: Clock, clinic: Clinic, slot: Slot) -> bool:
    """Hold a free slot for the first citizen waiting for one like it; False if nobody."""
    entry = await uow.waitlist.next_in_line(clinic.id, slot.kind, slot.id, slot.starts_at)
    if entry is None:
        return False
    return await offer_slot_to(uow, clock, clinic, slot, entry)


async def offer_slot_to(
    uow: UnitOfWork, clock: Clock, clinic: Clinic, slot: Slot, entry: WaitlistEntry
) -> bool:
    """Hold a free slot for one waitlist entry and tell them; False if it is not free.

    The clinic's inbox uses this to offer a consultation to a patient it wants to see.
    """
    now = clock.now()
    until = now + timedelta(minutes=clinic.rules.waitlist_hold_minutes)
    if not await uow.slots.hold(clinic.id, slot.id, entry.citizen_id, until, now):
        return False
    await uow.waitlist.update(
        msgspec.structs.replace(
            entry, status="offered", offered_slot_id=slot.id, offer_expires_at=until
        )
    )
    await tell(
        uow,
        clock,
        entry.citizen_id,
        notice(
            "waitlist.offer",
            f"waitlist/{entry.id}",
            **_when(slot.starts_at, clinic),
            until=f"kl. {until.astimezone(ZoneInfo(clinic.timezone)):%H:%M}",
            until_en=f"{until.astimezone(ZoneInfo(clinic.timezone)):%H:%M}",
        ),
    )
    return True


async def join_waitlist(
    uow: UnitOfWork,
    clock: Clock,
    citizen: Principal,
    *,
    kind: SlotKind,
    before: datetime | None,
    appointment_id: str | None,
) -> WaitlistEntry:
    """Ask for an earlier slot: before a date, or earlier than one's own appointment."""
    clinic = await clinic_of(uow, citizen)
    now = clock.now()
    if appointment_id is not None:
        appointment = await uow.appointments.get(citizen.id, appointment_id)
        if appointment is None:
            raise NotFound("no such appointment")
        if appointment.status != "booked" or appointment.starts_at <= now:
            raise Conflict("only an upcoming booked appointment can be moved earlier")
        if appointment.kind != kind:
            raise Invalid("the waitlist kind must match the appointment's kind")
        limit = appointment.starts_at if before is None else min(before, appointment.starts_at)
    elif before is None:
        raise Invalid("say how early: give 'before' or the 'appointment_id' to move earlier")
    else:
        limit = before
    if limit <= now:
        raise Invalid("'before' must be in the future")
    for existing in await uow.waitlist.for_citizen(citizen.id):
        if existing.kind == kind and existing.status in ("waiting", "offered"):
            raise Conflict("you are already on the waitlist for this kind of appointment")
    entry = WaitlistEntry(
        id=new_id(),
        citizen_id=citizen.id,
        clinic_id=clinic.id,
        kind=kind,
        before=limit,
        appointment_id=appointment_id,
        created_at=now,
    )
    await uow.waitlist.add(entry)
    return entry


async def _own_entry(uow: UnitOfWork, citizen: Principal, entry_id: str) -> WaitlistEntry:
    entry = await uow.waitlist.get(citizen.id, entry_id)
    if entry is None:
        raise NotFound("no such waitlist entry")
    return entry


async def accept_offer(
    uow: UnitOfWork, clock: Clock, citizen: Principal, entry_id: str
) -> Appointment:
    """Take the offered slot: moves the linked appointment, or books a new one."""
    clinic = await clinic_of(uow, citizen)
    entry = await _own_entry(uow, citizen, entry_id)
    now = clock.now()
    if (
        entry.status != "offered"
        or entry.offered_slot_id is None
        or entry.offer_expires_at is None
        or entry.offer_expires_at <= now
    ):
        raise Conflict("there is no open offer on this entry", kind="no-offer")
    old = None
    if entry.appointment_id is not None:
        old = await uow.appointments.get(citizen.id, entry.appointment_id)
    if old is not None and old.status == "booked":
        appointment = await _move(uow, clock, citizen, clinic, old, entry.offered_slot_id)
    else:
        slot = await _take(uow, clock, citizen, clinic, entry.offered_slot_id)
        appointment = _appointment(citizen, slot, "", now)
        await uow.appointments.add(appointment)
    await uow.waitlist.update(msgspec.structs.replace(entry, status="accepted"))
    return appointment


async def _pass_on(uow: UnitOfWork, clock: Clock, clinic: Clinic, entry: WaitlistEntry) -> None:
    """The offer ends unused: the citizen waits on, the slot goes to the next in line."""
    slot_id = entry.offered_slot_id
    await uow.waitlist.update(
        msgspec.structs.replace(
            entry, status="waiting", offered_slot_id=None, offer_expires_at=None
        )
    )
    if slot_id is None:
        return
    await uow.waitlist.pass_over(slot_id, entry.citizen_id)
    slot = await uow.slots.get(clinic.id, slot_id)
    if slot is None or slot.status != "held" or slot.held_for != entry.citizen_id:
        return
    await uow.slots.set_status(clinic.id, slot_id, "free")
    if slot.starts_at > clock.now():
        await offer_freed_slot(uow, clock, clinic, slot)


async def decline_offer(
    uow: UnitOfWork, clock: Clock, citizen: Principal, entry_id: str
) -> WaitlistEntry:
    clinic = await clinic_of(uow, citizen)
    entry = await _own_entry(uow, citizen, entry_id)
    if entry.status != "offered":
        raise Conflict("there is no open offer on this entry", kind="no-offer")
    await _pass_on(uow, clock, clinic, entry)
    updated = await _own_entry(uow, citizen, entry_id)
    return updated


async def leave_waitlist(
    uow: UnitOfWork, clock: Clock, citizen: Principal, entry_id: str
) -> WaitlistEntry:
    clinic = await clinic_of(uow, citizen)
    entry = await _own_entry(uow, citizen, entry_id)
    if entry.status not in ("waiting", "offered"):
        raise Conflict(f"the entry is already {entry.status}")
    if entry.status == "offered":
        await _pass_on(uow, clock, clinic, entry)
        entry = await _own_entry(uow, citizen, entry_id)
    await uow.waitlist.update(msgspec.structs.replace(entry, status="cancelled"))
    return await _own_entry(uow, citizen, entry_id)


async def sweep_lapsed_offers(store: Store, clock: Clock) -> int:
    """Pass on every offer whose hold time ran out; how many were passed on."""
    count = 0
    async with store.transaction() as uow:
        for slot in await uow.slots.lapsed_holds(clock.now()):
            clinic = await uow.clinics.get(slot.clinic_id)
            entry = await uow.waitlist.offered_slot(slot.id)
            if clinic is None:
                continue
            if entry is None:
                await uow.slots.set_status(clinic.id, slot.id, "free")
                continue
            await _pass_on(uow, clock, clinic, entry)
            count += 1
    return count
