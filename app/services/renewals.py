"""Prescription renewal: the citizen asks, the clinic reviews, a GP decides.

The open-request rule (one per medication) is a unique index, so a double tap or two
devices cannot create two requests. Every clinic action is in the citizen's audit log;
every decision is a notice to the citizen, written in the same transaction.
"""

from __future__ import annotations

from collections.abc import Sequence

import msgspec

from app.domain.identity import Principal
from app.domain.ids import new_id
from app.domain.medications import OPEN_STATUSES, Medication, Renewal
from app.domain.notices import notice
from app.errors import Conflict, Forbidden, Invalid, NotFound
from app.ports import Clock, UnitOfWork
from app.services.audit import event_for, record, record_all
from app.services.booking import clinic_of
from app.services.clinic_schedule import clinic_for
from app.services.notify import tell
from app.services.supplies import restart_supply, set_clinic_supply

__all__ = [
    "MedicationInput",
    "approve",
    "clinic_medications",
    "load_medications",
    "queue",
    "reject",
    "request_renewals",
    "review",
]

MAX_NOTE = 1000
MAX_PER_REQUEST = 20


async def request_renewals(
    uow: UnitOfWork, clock: Clock, citizen: Principal, medication_ids: Sequence[str], note: str
) -> list[Renewal]:
    """One request per medication, all or none: a pending one for any of them is a 409."""
    clinic = await clinic_of(uow, citizen)
    ids = list(dict.fromkeys(medication_ids))
    if not 1 <= len(ids) <= MAX_PER_REQUEST:
        raise Invalid(f"choose 1 to {MAX_PER_REQUEST} medications")
    text = note.strip()
    if len(text) > MAX_NOTE:
        raise Invalid(f"the note is at most {MAX_NOTE} characters")
    now = clock.now()
    made: list[Renewal] = []
    for medication_id in ids:
        medication = await uow.medications.get(citizen.id, medication_id)
        if medication is None:
            raise NotFound(f"no medication {medication_id} on your list")
        if not medication.renewable:
            raise Invalid(
                f"{medication.name} cannot be renewed in the app; please contact the clinic",
                kind="not-renewable",
            )
        renewal = Renewal(
            id=new_id(),
            citizen_id=citizen.id,
            clinic_id=clinic.id,
            medication_id=medication_id,
            note=text,
            requested_at=now,
        )
        if not await uow.renewals.add(renewal):
            raise Conflict(
                f"a renewal of {medication.name} is already pending", kind="renewal-pending"
            )
        made.append(renewal)
    return made


class MedicationInput(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """A medication as the clinic loads it; `id` keeps history when the list is reloaded."""

    id: str | None = None
    name: str
    strength: str = ""
    dosage: str = ""
    atc: str | None = None
    renewable: bool = True
    #: units in a pack and units used per day: with both, the app knows when it runs out
    pack_size: float | None = None
    per_day: float | None = None


async def _patient(uow: UnitOfWork, clinician: Principal, citizen_id: str) -> str:
    clinic = await clinic_for(uow, clinician)
    citizen = await uow.citizens.in_clinic(clinic.id, citizen_id)
    if citizen is None:
        raise NotFound("no such citizen at your clinic")
    return citizen.id


async def load_medications(
    uow: UnitOfWork,
    clock: Clock,
    clinician: Principal,
    citizen_id: str,
    meds: Sequence[MedicationInput],
) -> list[Medication]:
    """Replace a patient's current medication list (audited)."""
    cid = await _patient(uow, clinician, citizen_id)
    if len(meds) > 100:
        raise Invalid("at most 100 medications")
    current = {m.id: m for m in await uow.medications.for_citizen(cid)}
    out = []
    for m in meds:
        if not m.name.strip() or len(m.name) > 200:
            raise Invalid("a medication needs a name of 1 to 200 characters")
        if m.atc is not None and not (1 <= len(m.atc) <= 7 and m.atc.isalnum()):
            raise Invalid(f"{m.atc!r} is not an ATC code")
        keep = current.get(m.id) if m.id else None
        out.append(
            Medication(
                id=m.id or new_id(),
                citizen_id=cid,
                name=m.name.strip(),
                strength=m.strength.strip(),
                dosage=m.dosage.strip(),
                atc=m.atc.upper() if m.atc else None,
                renewable=m.renewable,
                last_renewed_at=keep.last_renewed_at if keep else None,
            )
        )
    await uow.medications.replace(cid, out)
    for given, stored in zip(meds, out, strict=True):
        await set_clinic_supply(uow, clock, stored, given.pack_size, given.per_day)
    await record(
        uow,
        clock,
        event_for(clinician, citizen_id=cid, action="medications.update", resource="medications"),
    )
    return await uow.medications.for_citizen(cid)


async def clinic_medications(
    uow: UnitOfWork, clock: Clock, clinician: Principal, citizen_id: str
) -> list[Medication]:
    cid = await _patient(uow, clinician, citizen_id)
    await record(
        uow,
        clock,
        event_for(clinician, citizen_id=cid, action="medications.read", resource="medications"),
    )
    return await uow.medications.for_citizen(cid)


async def queue(
    uow: UnitOfWork, clock: Clock, clinician: Principal, limit: int = 100
) -> list[tuple[Renewal, str, str]]:
    """Open requests, oldest first, with the citizen's name and the medication's name."""
    clinic = await clinic_for(uow, clinician)
    out = await uow.renewals.queue(clinic.id, limit)
    await record_all(
        uow,
        clock,
        [
            event_for(clinician, citizen_id=cid, action="renewals.read", resource="renewals")
            for cid in sorted({r.citizen_id for r, _, _ in out})
        ],
    )
    return out


async def _clinic_renewal(uow: UnitOfWork, clinician: Principal, renewal_id: str) -> Renewal:
    clinic = await clinic_for(uow, clinician)
    renewal = await uow.renewals.in_clinic(clinic.id, renewal_id)
    if renewal is None:
        raise NotFound("no such renewal request at your clinic")
    return renewal


async def _moved(uow: UnitOfWork, renewal: Renewal) -> Renewal:
    moved = await uow.renewals.get(renewal.citizen_id, renewal.id)
    assert moved is not None
    return moved


async def review(uow: UnitOfWork, clock: Clock, clinician: Principal, renewal_id: str) -> Renewal:
    """Take a request into review, so the citizen sees someone is on it."""
    renewal = await _clinic_renewal(uow, clinician, renewal_id)
    if not await uow.renewals.move(
        renewal.citizen_id,
        renewal.id,
        from_statuses=("requested",),
        status="in_review",
        at=clock.now(),
    ):
        raise Conflict(f"the request is already {renewal.status.replace('_', ' ')}")
    await record(
        uow,
        clock,
        event_for(
            clinician,
            citizen_id=renewal.citizen_id,
            action="renewal.review",
            resource=f"renewals/{renewal.id}",
        ),
    )
    return await _moved(uow, renewal)


def _gp_only(clinician: Principal) -> None:
    if clinician.staff_role != "gp":
        raise Forbidden("only a GP can decide on a prescription", kind="gp-only")


async def _decide(
    uow: UnitOfWork,
    clock: Clock,
    clinician: Principal,
    renewal_id: str,
    *,
    approved: bool,
    reason: str | None,
) -> Renewal:
    _gp_only(clinician)
    renewal = await _clinic_renewal(uow, clinician, renewal_id)
    now = clock.now()
    status = "approved" if approved else "rejected"
    if not await uow.renewals.move(
        renewal.citizen_id,
        renewal.id,
        from_statuses=OPEN_STATUSES,
        status=status,
        at=now,
        by=clinician.id,
        by_name=clinician.name,
        reason=reason,
    ):
        raise Conflict(f"the request is already {renewal.status.replace('_', ' ')}")
    if approved:
        await uow.medications.renewed(renewal.citizen_id, renewal.medication_id, now)
        await restart_supply(uow, renewal.citizen_id, renewal.medication_id, now)
    medication = await uow.medications.name_of(renewal.citizen_id, renewal.medication_id) or ""
    await record(
        uow,
        clock,
        event_for(
            clinician,
            citizen_id=renewal.citizen_id,
            action=f"renewal.{status}",
            resource=f"renewals/{renewal.id}",
        ),
    )
    await tell(
        uow,
        clock,
        renewal.citizen_id,
        notice(
            "renewal.approved" if approved else "renewal.rejected",
            f"renewals/{renewal.id}",
            medication=medication,
            reason=reason or "",
        ),
    )
    return await _moved(uow, renewal)


async def approve(uow: UnitOfWork, clock: Clock, clinician: Principal, renewal_id: str) -> Renewal:
    """A GP renews: recorded with who and when; the medication's last renewal moves."""
    return await _decide(uow, clock, clinician, renewal_id, approved=True, reason=None)


async def reject(
    uow: UnitOfWork, clock: Clock, clinician: Principal, renewal_id: str, reason: str
) -> Renewal:
    """A GP declines, with a reason the citizen reads."""
    text = reason.strip()
    if not 0 < len(text) <= MAX_NOTE:
        raise Invalid(f"give the citizen a reason of 1 to {MAX_NOTE} characters")
    return await _decide(uow, clock, clinician, renewal_id, approved=False, reason=text)
