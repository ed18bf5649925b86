"""Booking for the citizen: the clinic, its free slots, appointments, the waitlist."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date, datetime, timedelta
from typing import Annotated, Any
from zoneinfo import ZoneInfo

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.params import FromPath, HeaderParameter, JSONBody, QueryParameter

from adapters.calendar.ics import appointments_ics
from app.domain.appointments import Appointment, can_cancel
from app.domain.people import Clinic
from app.domain.slots import Slot, SlotKind
from app.domain.time import AwareDatetime, local_day_bounds
from app.domain.waitlist import WaitlistEntry
from app.errors import Invalid, NotFound
from app.ports import UnitOfWork
from app.services import booking
from mobile_api.security import principal_of, runtime_of

__all__ = [
    "AppointmentController",
    "CalendarController",
    "ClinicController",
    "WaitlistController",
]

#: how far ahead the slot list looks when the app gives no `to`
DEFAULT_WINDOW = timedelta(days=14)


class ClinicView(msgspec.Struct, frozen=True, kw_only=True):
    id: str
    name: str
    timezone: str
    cancel_cutoff_minutes: int
    waitlist_hold_minutes: int
    photos_enabled: bool
    answer_working_days: int
    #: the clinic's phone number ("" when not set)
    phone: str


def clinic_view(c: Clinic) -> ClinicView:
    return ClinicView(
        id=c.id,
        name=c.name,
        timezone=c.timezone,
        cancel_cutoff_minutes=c.rules.cancel_cutoff_minutes,
        waitlist_hold_minutes=c.rules.waitlist_hold_minutes,
        photos_enabled=c.rules.photos_enabled,
        answer_working_days=c.rules.answer_working_days,
        phone=c.rules.phone,
    )


class SlotView(msgspec.Struct, frozen=True, kw_only=True):
    id: str
    kind: SlotKind
    #: in the clinic's time zone, with its offset
    starts_at: datetime
    ends_at: datetime
    minutes: int


def slot_view(s: Slot, zone: ZoneInfo) -> SlotView:
    return SlotView(
        id=s.id,
        kind=s.kind,
        starts_at=s.starts_at.astimezone(zone),
        ends_at=s.ends_at.astimezone(zone),
        minutes=int((s.ends_at - s.starts_at).total_seconds() // 60),
    )


class AppointmentView(msgspec.Struct, frozen=True, kw_only=True):
    id: str
    slot_id: str
    kind: SlotKind
    starts_at: datetime
    ends_at: datetime
    reason: str
    status: str
    created_at: datetime
    cancelled_at: datetime | None
    clinic_message: str | None
    replaces: str | None
    #: whether the app may still offer cancel and reschedule
    changeable: bool


def appointment_view(a: Appointment, clinic: Clinic, now: datetime) -> AppointmentView:
    zone = ZoneInfo(clinic.timezone)
    return AppointmentView(
        id=a.id,
        slot_id=a.slot_id,
        kind=a.kind,
        starts_at=a.starts_at.astimezone(zone),
        ends_at=a.ends_at.astimezone(zone),
        reason=a.reason,
        status=a.status,
        created_at=a.created_at,
        cancelled_at=a.cancelled_at,
        clinic_message=a.clinic_message,
        replaces=a.replaces,
        changeable=can_cancel(a, now, clinic.rules.cancel_cutoff_minutes),
    )


class AppointmentList(msgspec.Struct, frozen=True, kw_only=True):
    upcoming: list[AppointmentView]
    past: list[AppointmentView]


class NewAppointment(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    slot_id: str
    reason: str = ""


class Reschedule(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    slot_id: str


def _instant(raw: str, zone: str, *, end: bool) -> datetime:
    """A `YYYY-MM-DD` local day (its start, or for `to` its end) or an RFC 3339 instant."""
    try:
        if len(raw) == 10:
            start, stop = local_day_bounds(date.fromisoformat(raw), zone)
            return stop if end else start
        value = datetime.fromisoformat(raw)
    except ValueError as exc:
        raise Invalid(f"{raw!r} is neither a date (YYYY-MM-DD) nor an RFC 3339 time") from exc
    if value.tzinfo is None:
        raise Invalid(f"{raw!r} has no UTC offset; add one (e.g. +01:00 or Z)")
    return value


async def _changed(
    request: Request[Any, Any, Any],
    change: Callable[..., Awaitable[Appointment]],
    *args: str,
) -> AppointmentView:
    """Run a booking change in one transaction and show its appointment."""
    runtime = runtime_of(request)
    me = principal_of(request)
    async with runtime.store.transaction() as uow:
        appointment = await change(uow, runtime.clock, me, *args)
        clinic = await booking.clinic_of(uow, me)
    return appointment_view(appointment, clinic, runtime.clock.now())


class ClinicController(Controller):
    path = "/clinic"
    opt = {"proxy_scope": "booking"}

    @get(operation_id="getMyClinic")
    async def clinic(self, request: Request[Any, Any, Any]) -> ClinicView:
        """The citizen's GP clinic and its rules (cancel cut-off, photos, answer time)."""
        async with runtime_of(request).store.read() as uow:
            return clinic_view(await booking.clinic_of(uow, principal_of(request)))

    @get("/slots", operation_id="listFreeSlots")
    async def slots(
        self,
        request: Request[Any, Any, Any],
        from_: Annotated[
            str | None,
            QueryParameter(name="from", description="local date YYYY-MM-DD or RFC 3339 time"),
        ] = None,
        to: Annotated[
            str | None,
            QueryParameter(description="local date (inclusive) or RFC 3339 time (exclusive)"),
        ] = None,
        type_: Annotated[
            SlotKind | None, QueryParameter(name="type", description="kind of appointment")
        ] = None,
    ) -> list[SlotView]:
        """Free slots at the citizen's own clinic, earliest first."""
        runtime = runtime_of(request)
        me = principal_of(request)
        async with runtime.store.read() as uow:
            clinic = await booking.clinic_of(uow, me)
            now = runtime.clock.now()
            start = now if from_ is None else _instant(from_, clinic.timezone, end=False)
            stop = start + DEFAULT_WINDOW if to is None else _instant(to, clinic.timezone, end=True)
            slots = await booking.free_slots(uow, runtime.clock, me, start, stop, type_)
        zone = ZoneInfo(clinic.timezone)
        return [slot_view(s, zone) for s in slots]


class AppointmentController(Controller):
    path = "/appointments"
    opt = {"proxy_scope": "booking"}

    @post(operation_id="bookAppointment", status_code=201)
    async def book(
        self,
        request: Request[Any, Any, Any],
        data: JSONBody[NewAppointment],
        idempotency_key: Annotated[
            str | None,
            HeaderParameter(
                name="Idempotency-Key",
                description="any unique string per booking attempt; a retry returns the same booking",
            ),
        ] = None,
    ) -> Response[AppointmentView]:
        """Book a free slot; `409 slot-taken` when someone else got it first.

        A retry with the same `Idempotency-Key` answers `200` with the booking made the
        first time.
        """
        runtime = runtime_of(request)
        me = principal_of(request)
        async with runtime.store.transaction() as uow:
            appointment, created = await booking.book(
                uow, runtime.clock, me, data.slot_id, data.reason, idempotency_key=idempotency_key
            )
            clinic = await booking.clinic_of(uow, me)
        return Response(
            appointment_view(appointment, clinic, runtime.clock.now()),
            status_code=201 if created else 200,
        )

    @get(operation_id="listAppointments")
    async def list_(self, request: Request[Any, Any, Any]) -> AppointmentList:
        """Upcoming appointments (soonest first) and past or cancelled ones (newest first)."""
        runtime = runtime_of(request)
        me = principal_of(request)
        async with runtime.store.read() as uow:
            clinic = await booking.clinic_of(uow, me)
            all_ = await uow.appointments.for_citizen(me.id)
        now = runtime.clock.now()
        upcoming = [a for a in all_ if a.status == "booked" and a.ends_at > now]
        past = [a for a in reversed(all_) if a not in upcoming]
        return AppointmentList(
            upcoming=[appointment_view(a, clinic, now) for a in upcoming],
            past=[appointment_view(a, clinic, now) for a in past],
        )

    @get("/{appointment_id:str}", operation_id="getAppointment")
    async def get_one(
        self, request: Request[Any, Any, Any], appointment_id: FromPath[str]
    ) -> AppointmentView:
        runtime = runtime_of(request)
        me = principal_of(request)
        async with runtime.store.read() as uow:
            clinic = await booking.clinic_of(uow, me)
            appointment = await uow.appointments.get(me.id, appointment_id)
        if appointment is None:
            raise NotFound("no such appointment")
        return appointment_view(appointment, clinic, runtime.clock.now())

    @post("/{appointment_id:str}/cancel", operation_id="cancelAppointment", status_code=200)
    async def cancel(
        self, request: Request[Any, Any, Any], appointment_id: FromPath[str]
    ) -> AppointmentView:
        """Cancel up to the clinic's cut-off; after it, `409 too-late` (call the clinic)."""
        return await _changed(request, booking.cancel, appointment_id)

    @post("/{appointment_id:str}/reschedule", operation_id="rescheduleAppointment", status_code=201)
    async def reschedule(
        self,
        request: Request[Any, Any, Any],
        appointment_id: FromPath[str],
        data: JSONBody[Reschedule],
    ) -> AppointmentView:
        """Move to another slot in one step: the new appointment, or nothing changes."""
        return await _changed(request, booking.reschedule, appointment_id, data.slot_id)


class CalendarController(Controller):
    path = "/appointments.ics"
    opt = {"proxy_scope": "booking"}

    @get(operation_id="exportAppointmentsIcs", media_type="text/calendar")
    async def ics(self, request: Request[Any, Any, Any]) -> Response[bytes]:
        """The citizen's appointments as iCalendar, for the phone's calendar (no reasons)."""
        runtime = runtime_of(request)
        me = principal_of(request)
        async with runtime.store.read() as uow:
            clinic = await booking.clinic_of(uow, me)
            citizen = await uow.citizens.get(me.id)
            appointments = await uow.appointments.for_citizen(me.id)
        body = appointments_ics(
            appointments,
            clinic=clinic,
            language=citizen.language if citizen is not None else "da",
            now=runtime.clock.now(),
        )
        return Response(
            body,
            media_type="text/calendar; charset=utf-8",
            headers={"Content-Disposition": 'attachment; filename="laegetider.ics"'},
        )


class WaitlistView(msgspec.Struct, frozen=True, kw_only=True):
    id: str
    kind: SlotKind
    before: datetime
    appointment_id: str | None
    status: str
    created_at: datetime
    #: while an offer runs: the slot held for the citizen, and until when
    offered_slot: SlotView | None
    offer_expires_at: datetime | None


class NewWaitlistEntry(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    kind: SlotKind
    #: want a slot starting before this time
    before: AwareDatetime | None = None
    #: or: move this booked appointment earlier
    appointment_id: str | None = None


async def _waitlist_view(uow: UnitOfWork, clinic: Clinic, e: WaitlistEntry) -> WaitlistView:
    zone = ZoneInfo(clinic.timezone)
    offered = None
    if e.status == "offered" and e.offered_slot_id is not None:
        slot = await uow.slots.get(clinic.id, e.offered_slot_id)
        offered = None if slot is None else slot_view(slot, zone)
    return WaitlistView(
        id=e.id,
        kind=e.kind,
        before=e.before.astimezone(zone),
        appointment_id=e.appointment_id,
        status=e.status,
        created_at=e.created_at,
        offered_slot=offered,
        offer_expires_at=None
        if e.offer_expires_at is None
        else e.offer_expires_at.astimezone(zone),
    )


class WaitlistController(Controller):
    path = "/waitlist"
    opt = {"proxy_scope": "booking"}

    @post(operation_id="joinWaitlist", status_code=201)
    async def join(
        self, request: Request[Any, Any, Any], data: JSONBody[NewWaitlistEntry]
    ) -> WaitlistView:
        """Ask for an earlier slot; when one frees up it is held for you for a while."""
        runtime = runtime_of(request)
        me = principal_of(request)
        async with runtime.store.transaction() as uow:
            entry = await booking.join_waitlist(
                uow,
                runtime.clock,
                me,
                kind=data.kind,
                before=data.before,
                appointment_id=data.appointment_id,
            )
            clinic = await booking.clinic_of(uow, me)
            return await _waitlist_view(uow, clinic, entry)

    @get(operation_id="listWaitlist")
    async def list_(self, request: Request[Any, Any, Any]) -> list[WaitlistView]:
        runtime = runtime_of(request)
        me = principal_of(request)
        async with runtime.store.read() as uow:
            clinic = await booking.clinic_of(uow, me)
            return [
                await _waitlist_view(uow, clinic, e) for e in await uow.waitlist.for_citizen(me.id)
            ]

    @post("/{entry_id:str}/accept", operation_id="acceptWaitlistOffer", status_code=201)
    async def accept(
        self, request: Request[Any, Any, Any], entry_id: FromPath[str]
    ) -> AppointmentView:
        """Take the offered slot (moves the linked appointment, or books a new one)."""
        return await _changed(request, booking.accept_offer, entry_id)

    @post("/{entry_id:str}/decline", operation_id="declineWaitlistOffer", status_code=200)
    async def decline(
        self, request: Request[Any, Any, Any], entry_id: FromPath[str]
    ) -> WaitlistView:
        """Say no to this offer and stay in line; the slot goes to the next citizen."""
        runtime = runtime_of(request)
        me = principal_of(request)
        async with runtime.store.transaction() as uow:
            entry = await booking.decline_offer(uow, runtime.clock, me, entry_id)
            clinic = await booking.clinic_of(uow, me)
            return await _waitlist_view(uow, clinic, entry)

    @post("/{entry_id:str}/cancel", operation_id="leaveWaitlist", status_code=200)
    async def leave(self, request: Request[Any, Any, Any], entry_id: FromPath[str]) -> WaitlistView:
        runtime = runtime_of(request)
        me = principal_of(request)
        async with runtime.store.transaction() as uow:
            entry = await booking.leave_waitlist(uow, runtime.clock, me, entry_id)
            clinic = await booking.clinic_of(uow, me)
            return await _waitlist_view(uow, clinic, entry)
