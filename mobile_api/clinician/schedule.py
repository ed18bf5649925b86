"""The clinic's calendar: opening hours, slot generation, closures, one-off slots, rules,
the day's list and cancelling with a message."""

from __future__ import annotations

from datetime import date, time
from typing import Annotated, Any
from zoneinfo import ZoneInfo

import msgspec
from litestar import Controller, Request, get, post, put
from litestar.params import FromPath, JSONBody, QueryParameter

from app.domain.people import ClinicRules
from app.domain.schedule import Closure, OpeningHours
from app.domain.slots import SlotKind
from app.domain.time import AwareDatetime
from app.services import clinic_appointments, clinic_schedule
from app.services.clinic_schedule import ClosureResult, GenerateResult
from mobile_api.citizen.booking import (
    AppointmentView,
    ClinicView,
    SlotView,
    appointment_view,
    clinic_view,
    slot_view,
)
from mobile_api.security import principal_of, runtime_of

__all__ = ["ClinicAppointmentsController", "ScheduleController"]


_HHMM = r"^([01][0-9]|2[0-3]):[0-5][0-9]$"
Clock = Annotated[str, msgspec.Meta(pattern=_HHMM, examples=["08:00"])]


class HoursRange(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """One weekly range: wall-clock times `HH:MM` in the clinic's zone, 0 = Monday."""

    weekday: int
    opens: Clock
    closes: Clock
    kind: SlotKind
    #: slot length; default by kind (consultation 15, long 30, phone 10, video 15)
    minutes: int | None = None

    def to_domain(self) -> OpeningHours:
        return OpeningHours(
            weekday=self.weekday,
            opens=time.fromisoformat(self.opens),
            closes=time.fromisoformat(self.closes),
            kind=self.kind,
            minutes=self.minutes,
        )


def hours_range(h: OpeningHours) -> HoursRange:
    return HoursRange(
        weekday=h.weekday,
        opens=h.opens.isoformat("minutes"),
        closes=h.closes.isoformat("minutes"),
        kind=h.kind,
        minutes=h.minutes,
    )


class HoursBody(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    hours: list[HoursRange]


class GenerateBody(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    #: first and last local day to fill with slots
    from_: date = msgspec.field(name="from")
    to: date


class OneOffSlot(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    kind: SlotKind
    starts_at: AwareDatetime
    minutes: int | None = None


class ScheduleController(Controller):
    path = "/clinic"

    @get(operation_id="getClinicRules")
    async def get_clinic(self, request: Request[Any, Any, Any]) -> ClinicView:
        async with runtime_of(request).store.read() as uow:
            return clinic_view(await clinic_schedule.clinic_for(uow, principal_of(request)))

    @put("/rules", operation_id="setClinicRules")
    async def set_rules(
        self, request: Request[Any, Any, Any], data: JSONBody[ClinicRules]
    ) -> ClinicView:
        """Cancel cut-off, waitlist hold time, photos on/off, e-consultation answer time."""
        async with runtime_of(request).store.transaction() as uow:
            return clinic_view(await clinic_schedule.set_rules(uow, principal_of(request), data))

    @get("/hours", operation_id="getOpeningHours")
    async def get_hours(self, request: Request[Any, Any, Any]) -> HoursBody:
        async with runtime_of(request).store.read() as uow:
            clinic = await clinic_schedule.clinic_for(uow, principal_of(request))
            return HoursBody(hours=[hours_range(h) for h in await uow.schedule.hours(clinic.id)])

    @put("/hours", operation_id="setOpeningHours")
    async def set_hours(
        self, request: Request[Any, Any, Any], data: JSONBody[HoursBody]
    ) -> HoursBody:
        """Replace the weekly hours (wall-clock times in the clinic's zone)."""
        async with runtime_of(request).store.transaction() as uow:
            hours = await clinic_schedule.set_hours(
                uow, principal_of(request), [h.to_domain() for h in data.hours]
            )
        return HoursBody(hours=[hours_range(h) for h in hours])

    @post("/slots/generate", operation_id="generateSlots", status_code=200)
    async def generate(
        self, request: Request[Any, Any, Any], data: JSONBody[GenerateBody]
    ) -> GenerateResult:
        """Make slots from the hours for the local days given; safe to run again."""
        runtime = runtime_of(request)
        async with runtime.store.transaction() as uow:
            return await clinic_schedule.generate(
                uow, runtime.clock, principal_of(request), data.from_, data.to
            )

    @post("/slots", operation_id="addSlot", status_code=201)
    async def add_slot(
        self, request: Request[Any, Any, Any], data: JSONBody[OneOffSlot]
    ) -> SlotView:
        runtime = runtime_of(request)
        async with runtime.store.transaction() as uow:
            me = principal_of(request)
            slot = await clinic_schedule.add_slot(
                uow,
                runtime.clock,
                me,
                kind=data.kind,
                starts_at=data.starts_at,
                minutes=data.minutes,
            )
            clinic = await clinic_schedule.clinic_for(uow, me)
        return slot_view(slot, ZoneInfo(clinic.timezone))

    @post("/closures", operation_id="addClosure", status_code=201)
    async def add_closure(
        self, request: Request[Any, Any, Any], data: JSONBody[Closure]
    ) -> ClosureResult:
        """Close a period (holiday, blocked time): its free slots are blocked; booked
        appointments inside it are listed for the clinic to cancel with a message."""
        async with runtime_of(request).store.transaction() as uow:
            return await clinic_schedule.add_closure(uow, principal_of(request), data)


class DayAppointment(msgspec.Struct, frozen=True, kw_only=True):
    citizen_id: str
    citizen_name: str
    appointment: AppointmentView


class ClinicCancel(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    #: told to the citizen, in the clinic's own words
    message: str
    #: put the slot back on offer (default: keep it blocked, e.g. the doctor is ill)
    reopen_slot: bool = False


class ClinicAppointmentsController(Controller):
    path = "/appointments"

    @get(operation_id="listClinicDay")
    async def day(
        self,
        request: Request[Any, Any, Any],
        day: Annotated[date, QueryParameter(description="local date YYYY-MM-DD")],
    ) -> list[DayAppointment]:
        """The day's appointments at the clinic, cancelled ones included."""
        runtime = runtime_of(request)
        me = principal_of(request)
        async with runtime.store.transaction() as uow:
            entries = await clinic_appointments.day_list(uow, runtime.clock, me, day)
            clinic = await clinic_schedule.clinic_for(uow, me)
        now = runtime.clock.now()
        return [
            DayAppointment(
                citizen_id=e.appointment.citizen_id,
                citizen_name=e.citizen_name,
                appointment=appointment_view(e.appointment, clinic, now),
            )
            for e in entries
        ]

    @post("/{appointment_id:str}/cancel", operation_id="clinicCancelAppointment", status_code=200)
    async def cancel(
        self,
        request: Request[Any, Any, Any],
        appointment_id: FromPath[str],
        data: JSONBody[ClinicCancel],
    ) -> AppointmentView:
        runtime = runtime_of(request)
        me = principal_of(request)
        async with runtime.store.transaction() as uow:
            cancelled = await clinic_appointments.cancel_by_clinic(
                uow,
                runtime.clock,
                me,
                appointment_id,
                message=data.message,
                reopen_slot=data.reopen_slot,
            )
            clinic = await clinic_schedule.clinic_for(uow, me)
        return appointment_view(cancelled, clinic, runtime.clock.now())
