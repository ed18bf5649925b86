"""The clinic's side of medicine reminders: patients' vaccinations, the clinic's seasonal
vaccination rules, and a patient's doses when they share their adherence (audited)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, get, put
from litestar.params import FromPath, JSONBody, QueryParameter

from app.domain.dosing import VaccinationRule
from app.services import doses, dosing, vaccinations
from app.services.clinic_schedule import clinic_for
from app.services.vaccinations import RuleInput, VaccinationInput
from mobile_api.citizen.reminders import DoseView, VaccinationView, dose_view, vaccination_view
from mobile_api.security import principal_of, runtime_of

__all__ = ["PatientDosesController", "PatientVaccinationsController", "VaccinationRulesController"]


class VaccinationList(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    vaccinations: list[VaccinationInput]


class RuleList(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    rules: list[RuleInput]


class RuleView(msgspec.Struct, frozen=True, kw_only=True):
    key: str
    atc: str
    name: str
    min_age: int
    month: int
    day: int
    #: the last year the rule made due vaccinations (0: not yet)
    applied_year: int


def _rule_view(r: VaccinationRule) -> RuleView:
    return RuleView(
        key=r.key,
        atc=r.atc,
        name=r.name,
        min_age=r.min_age,
        month=r.month,
        day=r.day,
        applied_year=r.applied_year,
    )


class PatientVaccinationsController(Controller):
    path = "/citizens/{citizen_id:str}/vaccinations"

    @get(operation_id="getPatientVaccinations")
    async def list_(
        self, request: Request[Any, Any, Any], citizen_id: FromPath[str]
    ) -> list[VaccinationView]:
        runtime = runtime_of(request)
        async with runtime.store.transaction() as uow:
            found = await vaccinations.clinic_vaccinations(
                uow, runtime.clock, principal_of(request), citizen_id
            )
        return [vaccination_view(v) for v in found]

    @put(operation_id="setPatientVaccinations")
    async def replace(
        self,
        request: Request[Any, Any, Any],
        citizen_id: FromPath[str],
        data: JSONBody[VaccinationList],
    ) -> list[VaccinationView]:
        """Given and due vaccinations (ATC under J07); a due one is reminded on its day."""
        runtime = runtime_of(request)
        async with runtime.store.transaction() as uow:
            found = await vaccinations.load_vaccinations(
                uow, runtime.clock, principal_of(request), citizen_id, data.vaccinations
            )
        return [vaccination_view(v) for v in found]


class VaccinationRulesController(Controller):
    path = "/clinic/vaccination-rules"

    @get(operation_id="getVaccinationRules")
    async def list_(self, request: Request[Any, Any, Any]) -> list[RuleView]:
        runtime = runtime_of(request)
        async with runtime.store.read() as uow:
            clinic = await clinic_for(uow, principal_of(request))
            return [_rule_view(r) for r in await uow.vaccinations.rules(clinic.id)]

    @put(operation_id="setVaccinationRules")
    async def replace(
        self, request: Request[Any, Any, Any], data: JSONBody[RuleList]
    ) -> list[RuleView]:
        """Seasonal rules, e.g. influenza (J07BB02) from 1 October every year for 65+."""
        runtime = runtime_of(request)
        async with runtime.store.transaction() as uow:
            rules = await vaccinations.put_rules(
                uow, runtime.clock, principal_of(request), data.rules
            )
        return [_rule_view(r) for r in rules]


class PatientDosesController(Controller):
    path = "/citizens/{citizen_id:str}/doses"

    @get(operation_id="getPatientDoses")
    async def list_(
        self,
        request: Request[Any, Any, Any],
        citizen_id: FromPath[str],
        from_: Annotated[
            date | None, QueryParameter(name="from", description="first local date")
        ] = None,
        to: Annotated[date | None, QueryParameter(description="last local date, inclusive")] = None,
    ) -> list[DoseView]:
        """Doses taken or skipped, when the patient shares `adherence` with you (audited)."""
        runtime = runtime_of(request)
        async with runtime.store.transaction() as uow:
            taken = await doses.clinic_doses(
                uow, runtime.clock, principal_of(request), citizen_id, from_, to
            )
            zone = await dosing.zone_of(uow, citizen_id)
        return [dose_view(d, zone) for d in taken]
