"""The citizen's consents: share chosen metrics with their GP clinic (or one GP), for a
chosen period of data, until a chosen time; revoke at once."""

from __future__ import annotations

from datetime import date, timedelta

import msgspec

from app.domain.identity import Principal
from app.domain.ids import new_id
from app.domain.metrics import Metric
from app.domain.sharing import Share
from app.domain.time import AwareDatetime
from app.errors import Conflict, Invalid, NotFound
from app.ports import Clock, UnitOfWork
from app.services.audit import event_for, record
from app.services.booking import clinic_of
from app.services.inbox import evaluate_share
from app.services.summary import thresholds_for
from app.services.zones import zone_of

__all__ = ["SHARE_SCOPES", "NewShare", "create_share", "revoke_share"]

#: what a share may name besides metrics: the citizen's PRO answers, in the FHIR bundle;
#: adherence to their dosing schedules (doses taken out of planned, per medication)
SHARE_SCOPES = ("questionnaires", "adherence")

#: a share lasts at most two years; the citizen can renew it
MAX_SHARE_DAYS = 731


class NewShare(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """What to share: metrics; which data (`data_from` a date, or `data_days` back from
    today, default 90); until when (`expires_at`, or `valid_days`, default 90)."""

    metrics: list[str]
    clinician_id: str | None = None
    data_from: date | None = None
    data_days: int | None = None
    expires_at: AwareDatetime | None = None
    valid_days: int | None = None


async def create_share(uow: UnitOfWork, clock: Clock, citizen: Principal, new: NewShare) -> Share:
    clinic = await clinic_of(uow, citizen)
    now = clock.now()
    names = list(dict.fromkeys(new.metrics))
    known = {m.value for m in Metric} | set(SHARE_SCOPES)
    unknown = [m for m in names if m not in known]
    if not names or unknown:
        raise Invalid(
            f"choose metrics to share from: {', '.join(sorted(known))}"
            + (f" (unknown: {', '.join(unknown)})" if unknown else "")
        )
    if new.data_from is not None and new.data_days is not None:
        raise Invalid("give either data_from or data_days, not both")
    if new.data_days is not None and not 1 <= new.data_days <= 3650:
        raise Invalid("data_days is 1 to 3650")
    if new.expires_at is not None and new.valid_days is not None:
        raise Invalid("give either expires_at or valid_days, not both")
    if new.valid_days is not None and not 1 <= new.valid_days <= MAX_SHARE_DAYS:
        raise Invalid(f"valid_days is 1 to {MAX_SHARE_DAYS}")
    if new.expires_at is not None:
        expires = new.expires_at
    else:
        expires = now + timedelta(days=new.valid_days if new.valid_days is not None else 90)
    if expires <= now:
        raise Invalid("the share must end in the future")
    if expires - now > timedelta(days=MAX_SHARE_DAYS):
        raise Invalid(f"a share lasts at most {MAX_SHARE_DAYS} days; renew it later")
    if new.clinician_id is not None:
        gp = await uow.clinicians.get(new.clinician_id)
        if gp is None or gp.clinic_id != clinic.id:
            raise NotFound("no such clinician at your clinic")
    share = Share(
        id=new_id(),
        citizen_id=citizen.id,
        clinic_id=clinic.id,
        clinician_id=new.clinician_id,
        metrics=names,
        data_from=new.data_from,
        data_days=new.data_days if new.data_from is None else None,
        expires_at=expires,
        created_at=now,
    )
    if share.data_from is None and share.data_days is None:
        share = msgspec.structs.replace(share, data_days=90)
    await uow.shares.add(share)
    await evaluate_share(
        uow,
        clock,
        share,
        zone=await zone_of(uow, citizen.id),
        thresholds=await thresholds_for(uow, citizen.id),
    )
    await record(
        uow,
        clock,
        event_for(
            citizen,
            citizen_id=citizen.id,
            action="share.create",
            resource=f"shares/{share.id}",
            detail={"metrics": ",".join(names)},
        ),
    )
    return share


async def revoke_share(uow: UnitOfWork, clock: Clock, citizen: Principal, share_id: str) -> Share:
    """Effective at once: the next read by the clinic finds no share."""
    share = await uow.shares.get(citizen.id, share_id)
    if share is None:
        raise NotFound("no such share")
    if not await uow.shares.revoke(citizen.id, share_id, clock.now()):
        raise Conflict("the share is already revoked")
    await record(
        uow,
        clock,
        event_for(
            citizen, citizen_id=citizen.id, action="share.revoke", resource=f"shares/{share_id}"
        ),
    )
    revoked = await uow.shares.get(citizen.id, share_id)
    assert revoked is not None
    return revoked
