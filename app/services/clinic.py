"""What a clinician may see of the clinic's own patients, each look audited."""

from __future__ import annotations

from app.domain.identity import Principal, Role
from app.domain.people import Citizen
from app.errors import NotFound
from app.ports import Clock, UnitOfWork
from app.services.audit import event_for, record

__all__ = ["citizen_for_clinician"]


async def citizen_for_clinician(
    uow: UnitOfWork, clock: Clock, clinician: Principal, citizen_id: str
) -> Citizen:
    """The citizen's profile if they are listed at the clinician's clinic; 404 otherwise.

    A citizen of another clinic and a citizen who does not exist look the same, so ids
    do not leak across clinics.
    """
    if clinician.role is not Role.CLINICIAN or clinician.clinic_id is None:
        raise NotFound("no such citizen")
    citizen = await uow.citizens.in_clinic(clinician.clinic_id, citizen_id)
    if citizen is None:
        raise NotFound("no such citizen at your clinic")
    await record(
        uow,
        clock,
        event_for(clinician, citizen_id=citizen.id, action="profile.read", resource="profile"),
    )
    return citizen
