"""The clinic's renewal queue and patients' medication lists."""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, get, post, put
from litestar.params import FromPath, JSONBody, QueryParameter

from app.services import renewals
from app.services.renewals import MedicationInput
from mobile_api.citizen.medications import (
    MedicationView,
    RenewalView,
    medication_view,
    renewal_view,
)
from mobile_api.security import principal_of, runtime_of

__all__ = ["ClinicMedicationsController", "RenewalQueueController"]


class MedicationList(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    medications: list[MedicationInput]


class QueueItem(msgspec.Struct, frozen=True, kw_only=True):
    citizen_id: str
    citizen_name: str
    requested: RenewalView


class Rejection(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    #: told to the citizen
    reason: str


class ClinicMedicationsController(Controller):
    path = "/citizens/{citizen_id:str}/medications"

    @get(operation_id="getPatientMedications")
    async def list_(
        self, request: Request[Any, Any, Any], citizen_id: FromPath[str]
    ) -> list[MedicationView]:
        runtime = runtime_of(request)
        async with runtime.store.transaction() as uow:
            meds = await renewals.clinic_medications(
                uow, runtime.clock, principal_of(request), citizen_id
            )
        return [medication_view(m) for m in meds]

    @put(operation_id="setPatientMedications")
    async def replace(
        self,
        request: Request[Any, Any, Any],
        citizen_id: FromPath[str],
        data: JSONBody[MedicationList],
    ) -> list[MedicationView]:
        """Load the patient's current list (from the clinic's system); ids keep history."""
        runtime = runtime_of(request)
        async with runtime.store.transaction() as uow:
            meds = await renewals.load_medications(
                uow, runtime.clock, principal_of(request), citizen_id, data.medications
            )
        return [medication_view(m) for m in meds]


class RenewalQueueController(Controller):
    path = "/renewals"

    @get(operation_id="renewalQueue")
    async def queue(
        self,
        request: Request[Any, Any, Any],
        limit: Annotated[int, QueryParameter(ge=1, le=500)] = 100,
    ) -> list[QueueItem]:
        """Open requests, oldest first."""
        runtime = runtime_of(request)
        async with runtime.store.transaction() as uow:
            rows = await renewals.queue(uow, runtime.clock, principal_of(request), limit)
        return [
            QueueItem(citizen_id=r.citizen_id, citizen_name=name, requested=renewal_view(r, med))
            for r, name, med in rows
        ]

    async def _after(self, request: Request[Any, Any, Any], action: Any, *args: Any) -> RenewalView:
        runtime = runtime_of(request)
        async with runtime.store.transaction() as uow:
            r = await action(uow, runtime.clock, principal_of(request), *args)
            return renewal_view(
                r, await uow.medications.name_of(r.citizen_id, r.medication_id) or ""
            )

    @post("/{renewal_id:str}/review", operation_id="reviewRenewal", status_code=200)
    async def review(
        self, request: Request[Any, Any, Any], renewal_id: FromPath[str]
    ) -> RenewalView:
        return await self._after(request, renewals.review, renewal_id)

    @post("/{renewal_id:str}/approve", operation_id="approveRenewal", status_code=200)
    async def approve(
        self, request: Request[Any, Any, Any], renewal_id: FromPath[str]
    ) -> RenewalView:
        """GPs only: the renewal is recorded with who and when."""
        return await self._after(request, renewals.approve, renewal_id)

    @post("/{renewal_id:str}/reject", operation_id="rejectRenewal", status_code=200)
    async def reject(
        self,
        request: Request[Any, Any, Any],
        renewal_id: FromPath[str],
        data: JSONBody[Rejection],
    ) -> RenewalView:
        """GPs only, with a reason the citizen reads."""
        return await self._after(request, renewals.reject, renewal_id, data.reason)
