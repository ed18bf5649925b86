"""Citizens and clinicians as the rest of the system sees them: found or made on first use."""

from __future__ import annotations

import msgspec

from app.domain.identity import Principal, Role
from app.domain.ids import new_id
from app.domain.people import Citizen, Language, normalise_cpr
from app.domain.time import valid_timezone
from app.errors import Invalid, NotFound, Unauthenticated
from app.ports import AccessClaims, Clock, CprVault, UnitOfWork
from app.services.inbox import refresh_measurements
from app.services.ingest import rezone
from app.services.vaccinations import rezone_vaccinations

__all__ = [
    "Caller",
    "ProfileChange",
    "ensure_citizen",
    "resolve_caller",
    "resolve_principal",
    "update_profile",
]


async def ensure_citizen(
    uow: UnitOfWork,
    clock: Clock,
    vault: CprVault,
    *,
    subject: str,
    name: str = "",
    cpr: str | None = None,
) -> Citizen:
    """The citizen with this login subject, created on first use.

    A CPR number from the login is kept only as a keyed hash and a sealed copy.
    """
    if not subject:
        raise Invalid("a citizen needs a subject")
    digits = None
    if cpr is not None:
        try:
            digits = normalise_cpr(cpr)
        except ValueError as exc:
            raise Invalid(str(exc)) from exc
    found = await uow.citizens.by_subject(subject)
    if found is None and digits:
        # The same person under a new login subject (e.g. a new broker id): the CPR
        # number, verified by the national login, decides who they are.
        same_person = await uow.citizens.by_cpr_hash(vault.lookup_hash(digits))
        if same_person is not None:
            found = msgspec.structs.replace(same_person, subject=subject)
            await uow.citizens.update(found)
    if found is None:
        citizen = Citizen(id=new_id(), subject=subject, name=name, created_at=clock.now())
        await uow.citizens.add(
            citizen,
            cpr_hash=vault.lookup_hash(digits) if digits else None,
            cpr_sealed=vault.seal(digits) if digits else None,
        )
        return msgspec.structs.replace(citizen, has_cpr=digits is not None)
    if digits and not found.has_cpr:
        await uow.citizens.set_cpr(
            found.id, cpr_hash=vault.lookup_hash(digits), cpr_sealed=vault.seal(digits)
        )
        found = msgspec.structs.replace(found, has_cpr=True)
    if name and name != found.name:
        found = msgspec.structs.replace(found, name=name)
        await uow.citizens.update(found)
    return found


class Caller(msgspec.Struct, frozen=True, kw_only=True):
    """The caller of a request, and, for a citizen, their own record as read then."""

    principal: Principal
    citizen: Citizen | None = None


async def resolve_caller(uow: UnitOfWork, claims: AccessClaims) -> Caller:
    """Turn a verified token's claims into the caller, or refuse.

    Looked up on every request, so a logged-out session, a removed clinician or a
    revoked gateway is refused at once on every node, not when its token expires. The
    citizen's record comes along so a handler that shows it (`GET /v1/me`) need not
    read it again.
    """
    role, subject = claims.role, claims.subject
    if role is Role.CITIZEN and claims.session is not None:  # the hot path: one statement
        citizen, ended = await uow.citizens.signed_in(subject, claims.session)
    else:
        ended = claims.session is not None and await uow.refresh_tokens.session_ended(
            claims.session
        )
        citizen = await uow.citizens.by_subject(subject) if role is Role.CITIZEN else None
    if ended:
        raise Unauthenticated("this session has ended: log in again", kind="session-ended")
    if role is Role.CITIZEN:
        if citizen is None:
            raise Unauthenticated("no citizen has this login", kind="unknown-subject")
        principal = Principal(
            role=role,
            subject=subject,
            id=citizen.id,
            name=citizen.name,
            clinic_id=citizen.clinic_id,
        )
        return Caller(principal=principal, citizen=citizen)
    if role is Role.CLINICIAN:
        clinician = await uow.clinicians.by_subject(subject)
        if clinician is None:
            raise Unauthenticated("no clinician has this login", kind="unknown-subject")
        principal = Principal(
            role=role,
            subject=subject,
            id=clinician.id,
            name=clinician.name,
            clinic_id=clinician.clinic_id,
            staff_role=clinician.role,
        )
        return Caller(principal=principal)
    gateway = await uow.gateways.get(subject)
    if gateway is None or not gateway.active:
        raise Unauthenticated("this gateway is unknown or revoked", kind="gateway-revoked")
    return Caller(
        principal=Principal(
            role=role,
            subject=subject,
            id=gateway.id,
            name=gateway.name,
            citizen_id=gateway.citizen_id,
        )
    )


async def resolve_principal(uow: UnitOfWork, role: Role, subject: str) -> Principal:
    """The caller named by a role and subject, outside any session (a link, the CLI)."""
    return (await resolve_caller(uow, AccessClaims(role=role, subject=subject))).principal


class ProfileChange(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """What a citizen may change about themselves."""

    name: str | None = msgspec.field(default=None)
    timezone: str | None = None
    language: Language | None = None


async def update_profile(
    uow: UnitOfWork, citizen_id: str, change: ProfileChange, *, clock: Clock
) -> Citizen:
    citizen = await uow.citizens.get(citizen_id)
    if citizen is None:
        raise NotFound("no such citizen")
    if change.timezone is not None and not valid_timezone(change.timezone):
        raise Invalid(f"unknown time zone {change.timezone!r}")
    if change.name is not None and not (0 < len(change.name.strip()) <= 200):
        raise Invalid("a name is 1 to 200 characters")
    updated = msgspec.structs.replace(
        citizen,
        name=change.name.strip() if change.name is not None else citizen.name,
        timezone=change.timezone or citizen.timezone,
        language=change.language or citizen.language,
    )
    await uow.citizens.update(updated)
    if updated.timezone != citizen.timezone:
        await rezone(uow, citizen_id, citizen.timezone)  # days are local: rebuild them
        await uow.dose_schedules.recheck(citizen_id)  # dose times stay wall-clock times
        await rezone_vaccinations(uow, clock, citizen_id, updated.timezone)
        await refresh_measurements(uow, clock, citizen_id)
    return updated
