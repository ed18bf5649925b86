"""Power of attorney: grant, list, revoke; and acting for someone under a grant."""

from __future__ import annotations

from datetime import timedelta

import msgspec

from app.domain.identity import Principal, ProxyActor, Role
from app.domain.ids import new_id
from app.domain.people import normalise_cpr
from app.domain.proxies import ProxyGrant, ProxyScope
from app.domain.time import AwareDatetime
from app.errors import Conflict, Forbidden, Invalid, NotFound
from app.ports import Clock, CprVault, UnitOfWork
from app.services.audit import event_for, record

__all__ = ["NewProxy", "act_for", "grant", "held", "revoke"]

MAX_GRANT_DAYS = 3 * 366


class NewProxy(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Whom (their CPR number and name), what they may do, and until when."""

    cpr: str
    name: str
    scopes: list[ProxyScope]
    expires_at: AwareDatetime | None = None
    valid_days: int | None = None


async def grant(
    uow: UnitOfWork, clock: Clock, vault: CprVault, citizen: Principal, new: NewProxy
) -> ProxyGrant:
    try:
        cpr = normalise_cpr(new.cpr)
    except ValueError as exc:
        raise Invalid(str(exc)) from exc
    name = new.name.strip()
    if not 0 < len(name) <= 200:
        raise Invalid("give the relative's name (1 to 200 characters)")
    scopes = list(dict.fromkeys(new.scopes))
    if not scopes:
        raise Invalid("choose at least one thing the relative may do")
    now = clock.now()
    if new.expires_at is not None and new.valid_days is not None:
        raise Invalid("give either expires_at or valid_days, not both")
    if new.valid_days is not None and not 1 <= new.valid_days <= MAX_GRANT_DAYS:
        raise Invalid(f"valid_days is 1 to {MAX_GRANT_DAYS}")
    expires = new.expires_at or now + timedelta(days=new.valid_days or 365)
    if expires <= now:
        raise Invalid("the power of attorney must end in the future (with a UTC offset)")
    if expires - now > timedelta(days=MAX_GRANT_DAYS):
        raise Invalid(f"a power of attorney lasts at most {MAX_GRANT_DAYS} days; renew it later")
    holder = vault.lookup_hash(cpr)
    if holder == await uow.citizens.cpr_hash(citizen.id):
        raise Invalid("you cannot give yourself a power of attorney")
    g = ProxyGrant(
        id=new_id(),
        citizen_id=citizen.id,
        proxy_cpr_hash=holder,
        proxy_name=name,
        scopes=scopes,
        expires_at=expires,
        created_at=now,
    )
    await uow.proxies.add(g)
    await record(
        uow,
        clock,
        event_for(
            citizen,
            citizen_id=citizen.id,
            action="proxy.grant",
            resource=f"proxies/{g.id}",
            detail={"to": name, "scopes": ",".join(scopes)},
        ),
    )
    return g


async def revoke(uow: UnitOfWork, clock: Clock, citizen: Principal, grant_id: str) -> ProxyGrant:
    """Effective at once: the relative's next request is refused."""
    if await uow.proxies.get(citizen.id, grant_id) is None:
        raise NotFound("no such power of attorney")
    if not await uow.proxies.revoke(citizen.id, grant_id, clock.now()):
        raise Conflict("the power of attorney is already revoked")
    await record(
        uow,
        clock,
        event_for(
            citizen, citizen_id=citizen.id, action="proxy.revoke", resource=f"proxies/{grant_id}"
        ),
    )
    revoked = await uow.proxies.get(citizen.id, grant_id)
    assert revoked is not None
    return revoked


async def held(uow: UnitOfWork, clock: Clock, relative: Principal) -> list[tuple[ProxyGrant, str]]:
    """The active grants this citizen holds for others, with each grantor's name."""
    mine = await uow.citizens.cpr_hash(relative.id)
    if mine is None:
        return []
    out = []
    for g in await uow.proxies.held(mine, clock.now()):
        grantor = await uow.citizens.get(g.citizen_id)
        out.append((g, grantor.name if grantor else ""))
    return out


async def act_for(uow: UnitOfWork, clock: Clock, relative: Principal, citizen_id: str) -> Principal:
    """The principal for a request made by `relative` on behalf of `citizen_id`.

    Refused unless the relative holds an active grant from that citizen right now.
    """
    if relative.role is not Role.CITIZEN or relative.proxy is not None:
        raise Forbidden("only a citizen can act under a power of attorney", kind="no-proxy")
    mine = await uow.citizens.cpr_hash(relative.id)
    found = None
    if mine is not None:
        found = next(
            (g for g in await uow.proxies.held(mine, clock.now()) if g.citizen_id == citizen_id),
            None,
        )
    if found is None:
        raise Forbidden("you hold no active power of attorney from this person", kind="no-proxy")
    grantor = await uow.citizens.get(citizen_id)
    if grantor is None:
        raise Forbidden("you hold no active power of attorney from this person", kind="no-proxy")
    return Principal(
        role=Role.CITIZEN,
        subject=grantor.subject,
        id=grantor.id,
        name=grantor.name,
        clinic_id=grantor.clinic_id,
        proxy=ProxyActor(
            id=relative.id, name=relative.name, grant_id=found.id, scopes=tuple(found.scopes)
        ),
    )
