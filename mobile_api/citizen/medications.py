"""The citizen's medications and their renewal requests with a status timeline."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import msgspec
from litestar import Controller, Request, get, post
from litestar.params import FromPath, JSONBody

from app.domain.dosing import Supply
from app.domain.medications import Medication, Renewal, TimelineStep, timeline
from app.errors import NotFound
from app.ports import UnitOfWork
from app.services import renewals
from mobile_api.security import principal_of, runtime_of

__all__ = [
    "MedicationView",
    "MedicationsController",
    "RenewalView",
    "RenewalsController",
    "medication_view",
    "renewal_view",
]


class MedicationView(msgspec.Struct, frozen=True, kw_only=True):
    id: str
    name: str
    strength: str
    dosage: str
    atc: str | None
    renewable: bool
    last_renewed_at: datetime | None
    #: units in a pack and used per day (the clinic's figures or the citizen's own)
    pack_size: float | None = None
    per_day: float | None = None
    #: the first day without medicine, when pack size and use per day are known
    runs_out_on: date | None = None


def medication_view(m: Medication, supply: Supply | None = None) -> MedicationView:
    return MedicationView(
        id=m.id,
        name=m.name,
        strength=m.strength,
        dosage=m.dosage,
        atc=m.atc,
        renewable=m.renewable,
        last_renewed_at=m.last_renewed_at,
        pack_size=supply.pack_size if supply else None,
        per_day=supply.per_day if supply else None,
        runs_out_on=supply.runs_out_on if supply else None,
    )


class RenewalView(msgspec.Struct, frozen=True, kw_only=True):
    id: str
    medication_id: str
    medication: str
    note: str
    status: str
    timeline: list[TimelineStep]
    decided_by_name: str | None
    reason: str | None


def renewal_view(r: Renewal, medication: str) -> RenewalView:
    return RenewalView(
        id=r.id,
        medication_id=r.medication_id,
        medication=medication,
        note=r.note,
        status=r.status,
        timeline=timeline(r),
        decided_by_name=r.decided_by_name,
        reason=r.reason,
    )


async def _view(uow: UnitOfWork, r: Renewal) -> RenewalView:
    return renewal_view(r, await uow.medications.name_of(r.citizen_id, r.medication_id) or "")


class NewRenewal(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    medication_ids: list[str]
    note: str = ""


class MedicationsController(Controller):
    path = "/medications"
    opt = {"proxy_scope": "medications"}

    @get(operation_id="listMyMedications")
    async def list_(self, request: Request[Any, Any, Any]) -> list[MedicationView]:
        """Current medications as the clinic keeps them; `renewable` says if the app can ask."""
        me = principal_of(request)
        async with runtime_of(request).store.read() as uow:
            supplies = {s.medication_id: s for s in await uow.supplies.for_citizen(me.id)}
            return [
                medication_view(m, supplies.get(m.id))
                for m in await uow.medications.for_citizen(me.id)
            ]


class RenewalsController(Controller):
    path = "/renewals"
    opt = {"proxy_scope": "medications"}

    @post(operation_id="requestRenewal", status_code=201)
    async def request_(
        self, request: Request[Any, Any, Any], data: JSONBody[NewRenewal]
    ) -> list[RenewalView]:
        """Ask to renew one or more medications; `409 renewal-pending` if one is already asked."""
        runtime = runtime_of(request)
        async with runtime.store.transaction() as uow:
            made = await renewals.request_renewals(
                uow, runtime.clock, principal_of(request), data.medication_ids, data.note
            )
            return [await _view(uow, r) for r in made]

    @get(operation_id="listMyRenewals")
    async def list_(self, request: Request[Any, Any, Any]) -> list[RenewalView]:
        """Newest first, each with its timeline (requested → in review → decided)."""
        async with runtime_of(request).store.read() as uow:
            return [
                await _view(uow, r)
                for r in await uow.renewals.for_citizen(principal_of(request).id)
            ]

    @get("/{renewal_id:str}", operation_id="getMyRenewal")
    async def get_one(
        self, request: Request[Any, Any, Any], renewal_id: FromPath[str]
    ) -> RenewalView:
        async with runtime_of(request).store.read() as uow:
            r = await uow.renewals.get(principal_of(request).id, renewal_id)
            if r is None:
                raise NotFound("no such renewal request")
            return await _view(uow, r)
