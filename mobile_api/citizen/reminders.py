"""Medicine at the right time: dosing schedules, the reminder list, snoozes, doses,
adherence, pack supply with a one-tap renewal, and vaccinations (contracts §8)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any
from zoneinfo import ZoneInfo

import msgspec
from litestar import Controller, Request, Response, delete, get, post, put
from litestar.params import FromPath, JSONBody, QueryParameter

from app.domain.dosing import Adherence, Dose, DoseSchedule, PlannedReminder, Supply, Vaccination
from app.errors import NotFound
from app.services import doses, dosing, renewals, supplies
from app.services.doses import DoseInput
from app.services.dosing import ScheduleInput
from app.services.supplies import SupplyInput
from mobile_api.citizen.medications import RenewalView, renewal_view
from mobile_api.security import principal_of, runtime_of

__all__ = [
    "AdherenceController",
    "DoseScheduleController",
    "DosesController",
    "MedicationSupplyController",
    "RemindersController",
    "VaccinationsController",
    "dose_view",
    "vaccination_view",
]


class ScheduleView(msgspec.Struct, frozen=True, kw_only=True):
    medication_id: str
    times: list[str]
    weekdays: list[str] | None
    starts: date | None
    ends: date | None
    dose: str
    #: the next reminder, in the citizen's zone
    next_at: datetime | None


def _schedule_view(s: DoseSchedule, zone: str) -> ScheduleView:
    return ScheduleView(
        medication_id=s.medication_id,
        times=s.times,
        weekdays=s.weekdays,
        starts=s.starts,
        ends=s.ends,
        dose=s.dose,
        next_at=None if s.next_at is None else s.next_at.astimezone(ZoneInfo(zone)),
    )


class ReminderView(msgspec.Struct, frozen=True, kw_only=True):
    id: str
    kind: str
    #: the planned time, with the citizen's local offset
    at: datetime
    ref: str
    #: planned, sent, late (listed, not pushed: the worker was more than 2 hours late),
    #: snoozed
    status: str
    snoozed_until: datetime | None = None
    medication_id: str | None = None
    dose: str | None = None


class ReminderList(msgspec.Struct, frozen=True, kw_only=True):
    items: list[ReminderView]


def _reminder_view(r: PlannedReminder, zone: str) -> ReminderView:
    tz = ZoneInfo(zone)
    return ReminderView(
        id=r.id,
        kind=r.kind,
        at=r.at.astimezone(tz),
        ref=r.ref,
        status=r.status,
        snoozed_until=None if r.snoozed_until is None else r.snoozed_until.astimezone(tz),
        medication_id=r.medication_id,
        dose=r.dose,
    )


class Snooze(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    #: 1 to 240
    minutes: int = 10


class DoseView(msgspec.Struct, frozen=True, kw_only=True):
    id: str
    medication_id: str
    planned_at: datetime | None
    status: str
    at: datetime
    recorded_at: datetime
    #: "proxy:<id>" when a relative recorded it under a power of attorney
    recorded_by: str


def dose_view(d: Dose, zone: str) -> DoseView:
    tz = ZoneInfo(zone)
    return DoseView(
        id=d.id,
        medication_id=d.medication_id,
        planned_at=None if d.planned_at is None else d.planned_at.astimezone(tz),
        status=d.status,
        at=d.at.astimezone(tz),
        recorded_at=d.recorded_at,
        recorded_by=d.recorded_by,
    )


class AdherenceView(msgspec.Struct, frozen=True, kw_only=True):
    #: local days, inclusive
    from_: date = msgspec.field(name="from")
    to: date
    medications: list[Adherence]


class SupplyView(msgspec.Struct, frozen=True, kw_only=True):
    medication_id: str
    pack_size: float
    per_day: float
    started_on: date
    #: "clinic" or "citizen" (the citizen's own entry wins)
    source: str
    #: the first day without medicine; a notice with a one-tap renewal comes 7 days before
    runs_out_on: date


def supply_view(s: Supply) -> SupplyView:
    return SupplyView(
        medication_id=s.medication_id,
        pack_size=s.pack_size,
        per_day=s.per_day,
        started_on=s.started_on,
        source=s.source,
        runs_out_on=s.runs_out_on,
    )


class VaccinationView(msgspec.Struct, frozen=True, kw_only=True):
    id: str
    atc: str
    name: str
    dose_number: int
    given_on: date | None
    due_on: date | None
    #: given, or due (a reminder comes on the due day)
    status: str
    #: "clinic", or the key of the clinic's seasonal rule that made it
    source: str


def vaccination_view(v: Vaccination) -> VaccinationView:
    return VaccinationView(
        id=v.id,
        atc=v.atc,
        name=v.name,
        dose_number=v.dose_number,
        given_on=v.given_on,
        due_on=v.due_on,
        status="given" if v.given_on is not None else "due",
        source=v.source,
    )


class DoseScheduleController(Controller):
    path = "/medications/{medication_id:str}/schedule"
    opt = {"proxy_scope": "medications"}

    @put(operation_id="setDoseSchedule", status_code=200)
    async def put_(
        self,
        request: Request[Any, Any, Any],
        medication_id: FromPath[str],
        data: JSONBody[ScheduleInput],
    ) -> ScheduleView:
        """Times are wall-clock times in the citizen's zone, and stay so when it changes."""
        runtime = runtime_of(request)
        me = principal_of(request)
        async with runtime.store.transaction() as uow:
            schedule = await dosing.put_schedule(uow, runtime.clock, me, medication_id, data)
            zone = await dosing.zone_of(uow, me.id)
        return _schedule_view(schedule, zone)

    @get(operation_id="getDoseSchedule")
    async def get_(
        self, request: Request[Any, Any, Any], medication_id: FromPath[str]
    ) -> ScheduleView:
        me = principal_of(request)
        async with runtime_of(request).store.read() as uow:
            schedule = await uow.dose_schedules.get(me.id, medication_id)
            if schedule is None:
                raise NotFound("no schedule for that medication")
            return _schedule_view(schedule, await dosing.zone_of(uow, me.id))

    @delete(operation_id="removeDoseSchedule", status_code=204)
    async def remove(self, request: Request[Any, Any, Any], medication_id: FromPath[str]) -> None:
        """No more reminders for this medication."""
        runtime = runtime_of(request)
        async with runtime.store.transaction() as uow:
            await dosing.remove_schedule(uow, runtime.clock, principal_of(request), medication_id)


class MedicationSupplyController(Controller):
    path = "/medications/{medication_id:str}"
    opt = {"proxy_scope": "medications"}

    @put("/supply", operation_id="setMedicationSupply", status_code=200)
    async def supply(
        self,
        request: Request[Any, Any, Any],
        medication_id: FromPath[str],
        data: JSONBody[SupplyInput],
    ) -> SupplyView:
        """Pack size and use per day: the day it runs out follows."""
        runtime = runtime_of(request)
        async with runtime.store.transaction() as uow:
            made = await supplies.put_supply(
                uow, runtime.clock, principal_of(request), medication_id, data
            )
        return supply_view(made)

    @post("/renewal", operation_id="renewFromReminder", status_code=201)
    async def renew(
        self, request: Request[Any, Any, Any], medication_id: FromPath[str]
    ) -> RenewalView:
        """The run-out notice's one tap: a renewal request for this medication."""
        runtime = runtime_of(request)
        async with runtime.store.transaction() as uow:
            made = await renewals.request_renewals(
                uow, runtime.clock, principal_of(request), [medication_id], ""
            )
            name = await uow.medications.name_of(made[0].citizen_id, medication_id) or ""
        return renewal_view(made[0], name)


class RemindersController(Controller):
    path = "/reminders"
    #: any grant: a relative sees the kinds their power of attorney covers
    opt = {"proxy_scope": "*"}

    @get(operation_id="listReminders")
    async def list_(
        self,
        request: Request[Any, Any, Any],
        from_: Annotated[
            date | None, QueryParameter(name="from", description="first local date")
        ] = None,
        to: Annotated[date | None, QueryParameter(description="last local date, inclusive")] = None,
    ) -> ReminderList:
        """Every reminder planned in those local days (default today), in time order:
        exactly what the worker sends."""
        runtime = runtime_of(request)
        me = principal_of(request)
        async with runtime.store.read() as uow:
            zone = await dosing.zone_of(uow, me.id)
            today = runtime.clock.now().astimezone(ZoneInfo(zone)).date()
            first = from_ or today
            items = await dosing.reminders(uow, runtime.clock, me, first, to or first)
        return ReminderList(items=[_reminder_view(r, zone) for r in items])

    @post(
        "/{reminder_id:str}/snooze",
        operation_id="snoozeReminder",
        status_code=200,
        opt={"proxy_scope": "medications"},
    )
    async def snooze(
        self,
        request: Request[Any, Any, Any],
        reminder_id: FromPath[str],
        data: JSONBody[Snooze | None] = None,
    ) -> ReminderView:
        """Remind again in a while (default 10 minutes)."""
        runtime = runtime_of(request)
        me = principal_of(request)
        async with runtime.store.transaction() as uow:
            r = await dosing.snooze(uow, runtime.clock, me, reminder_id, (data or Snooze()).minutes)
            zone = await dosing.zone_of(uow, me.id)
            schedule = await uow.dose_schedules.get(me.id, r.ref.removeprefix("medications/"))
        return _reminder_view(
            PlannedReminder(
                id=r.id,
                kind=r.kind,
                at=r.planned_at,
                ref=r.ref,
                status=r.status,
                snoozed_until=r.snooze_until,
                medication_id=r.ref.removeprefix("medications/"),
                dose=schedule.dose if schedule else None,
            ),
            zone,
        )


class DosesController(Controller):
    path = "/doses"
    opt = {"proxy_scope": "medications"}

    @post(operation_id="recordDose", status_code=201)
    async def record(
        self, request: Request[Any, Any, Any], data: JSONBody[DoseInput]
    ) -> Response[DoseView]:
        """Taken or skipped; the same (medication, planned_at) again answers `200` with the
        dose stored the first time."""
        runtime = runtime_of(request)
        me = principal_of(request)
        async with runtime.store.transaction() as uow:
            dose, created = await doses.record_dose(uow, runtime.clock, me, data)
            zone = await dosing.zone_of(uow, me.id)
        return Response(dose_view(dose, zone), status_code=201 if created else 200)

    @get(operation_id="listDoses")
    async def list_(
        self,
        request: Request[Any, Any, Any],
        from_: Annotated[
            date | None, QueryParameter(name="from", description="first local date")
        ] = None,
        to: Annotated[date | None, QueryParameter(description="last local date, inclusive")] = None,
    ) -> list[DoseView]:
        """The history, oldest first (default: the last 30 days)."""
        runtime = runtime_of(request)
        me = principal_of(request)
        async with runtime.store.read() as uow:
            history = await doses.dose_history(uow, runtime.clock, me.id, from_, to)
            zone = await dosing.zone_of(uow, me.id)
        return [dose_view(d, zone) for d in history]


class AdherenceController(Controller):
    path = "/adherence"
    opt = {"proxy_scope": "medications"}

    @get(operation_id="getAdherence")
    async def get_(
        self,
        request: Request[Any, Any, Any],
        days: Annotated[int, QueryParameter(ge=1, le=366, description="local days back")] = 14,
    ) -> AdherenceView:
        """Doses taken out of planned, per scheduled medication."""
        runtime = runtime_of(request)
        async with runtime.store.read() as uow:
            first, last, figures = await doses.adherence(
                uow, runtime.clock, principal_of(request).id, days
            )
        return AdherenceView(from_=first, to=last, medications=figures)


class VaccinationsController(Controller):
    path = "/vaccinations"
    opt = {"proxy_scope": "medications"}

    @get(operation_id="listMyVaccinations")
    async def list_(self, request: Request[Any, Any, Any]) -> list[VaccinationView]:
        """Given and due vaccinations as the clinic records them."""
        async with runtime_of(request).store.read() as uow:
            found = await uow.vaccinations.for_citizen(principal_of(request).id)
        return [vaccination_view(v) for v in found]
