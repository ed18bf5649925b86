"""The clinic's patients as a clinician sees them; every look is audited."""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Controller, Request, get
from litestar.params import FromPath

from app.services.clinic import citizen_for_clinician
from mobile_api.security import principal_of, runtime_of
from mobile_api.views import CitizenView, citizen_view

__all__ = ["ClinicianCitizensController", "ClinicianView"]


class ClinicianView(msgspec.Struct, frozen=True, kw_only=True):
    id: str
    name: str
    clinic_id: str | None


class ClinicianCitizensController(Controller):
    path = "/"

    @get("/me", operation_id="getClinicianMe")
    async def me(self, request: Request[Any, Any, Any]) -> ClinicianView:
        p = principal_of(request)
        return ClinicianView(id=p.id, name=p.name, clinic_id=p.clinic_id)

    @get("/citizens/{citizen_id:str}", operation_id="getClinicCitizen")
    async def citizen(
        self, request: Request[Any, Any, Any], citizen_id: FromPath[str]
    ) -> CitizenView:
        """A patient of the caller's clinic; 404 for anyone else."""
        runtime = runtime_of(request)
        async with runtime.store.transaction() as uow:
            citizen = await citizen_for_clinician(
                uow, runtime.clock, principal_of(request), citizen_id
            )
            closed = await uow.erasure.is_closed(citizen.id)
        return citizen_view(citizen, account_closed=closed)
