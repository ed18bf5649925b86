"""Packs: how long one lasts, from the clinic's figures or the citizen's own, and when
the run-out notice is due (`app.services.dose_sending` sends it)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

import msgspec

from app.domain.dosing import (
    Supply,
    runs_out_on,
    wall_instant,
)
from app.domain.identity import Principal
from app.domain.medications import Medication
from app.domain.time import check_years
from app.errors import Invalid
from app.ports import Clock, UnitOfWork
from app.services.dosing import medication_of, zone_of

__all__ = [
    "NOTICE_TIME",
    "RUNOUT_LEAD_DAYS",
    "SupplyInput",
    "put_supply",
    "restart_supply",
    "set_clinic_supply",
]


#: the run-out notice comes this many days before the pack is empty, at 09:00 local
RUNOUT_LEAD_DAYS = 7
NOTICE_TIME = time(9, 0)


class SupplyInput(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Units in a pack, units used per day, and the day the pack was started."""

    pack_size: float
    per_day: float
    started_on: date | None = None


def _notify_at(runs_out: date, zone: str, now: datetime) -> datetime:
    notify = wall_instant(runs_out - timedelta(days=RUNOUT_LEAD_DAYS), NOTICE_TIME, ZoneInfo(zone))
    return max(notify, now)


def _supply(
    citizen_id: str,
    medication_id: str,
    pack_size: float,
    per_day: float,
    started_on: date,
    source: Literal["clinic", "citizen"],
    zone: str,
    now: datetime,
) -> Supply:
    if not (0 < pack_size <= 10_000 and 0.01 <= per_day <= 100):
        raise Invalid("pack_size is above 0 and at most 10000; per_day 0.01 to 100")
    runs_out = runs_out_on(started_on, pack_size, per_day)
    return Supply(
        citizen_id=citizen_id,
        medication_id=medication_id,
        pack_size=pack_size,
        per_day=per_day,
        started_on=started_on,
        source=source,
        runs_out_on=runs_out,
        notify_at=_notify_at(runs_out, zone, now),
    )


async def put_supply(
    uow: UnitOfWork, clock: Clock, citizen: Principal, medication_id: str, body: SupplyInput
) -> Supply:
    """The citizen's own entry; it wins over the clinic's figures."""
    await medication_of(uow, citizen.id, medication_id)
    zone = await zone_of(uow, citizen.id)
    now = clock.now()
    today = now.astimezone(ZoneInfo(zone)).date()
    if body.started_on is not None:
        check_years(body.started_on)
    if body.started_on is not None and body.started_on > today:
        raise Invalid("'started_on' is in the future")
    supply = _supply(
        citizen.id,
        medication_id,
        body.pack_size,
        body.per_day,
        body.started_on or today,
        "citizen",
        zone,
        now,
    )
    await uow.supplies.put(supply)
    return supply


async def set_clinic_supply(
    uow: UnitOfWork,
    clock: Clock,
    medication: Medication,
    pack_size: float | None,
    per_day: float | None,
) -> None:
    """The clinic's pack size and use per day, unless the citizen gave their own."""
    if pack_size is None or per_day is None:
        return
    current = await uow.supplies.get(medication.citizen_id, medication.id)
    if current is not None and current.source == "citizen":
        return
    zone = await zone_of(uow, medication.citizen_id)
    now = clock.now()
    renewed = medication.last_renewed_at or now
    started = renewed.astimezone(ZoneInfo(zone)).date()
    if current is not None and (current.pack_size, current.per_day, current.started_on) == (
        pack_size,
        per_day,
        started,
    ):
        return  # unchanged: keep whether the notice was sent
    await uow.supplies.put(
        _supply(
            medication.citizen_id, medication.id, pack_size, per_day, started, "clinic", zone, now
        )
    )


async def restart_supply(
    uow: UnitOfWork, citizen_id: str, medication_id: str, at: datetime
) -> None:
    """A renewal was approved: a new pack from that day."""
    current = await uow.supplies.get(citizen_id, medication_id)
    if current is None:
        return
    zone = await zone_of(uow, citizen_id)
    await uow.supplies.put(
        _supply(
            citizen_id,
            medication_id,
            current.pack_size,
            current.per_day,
            at.astimezone(ZoneInfo(zone)).date(),
            current.source,
            zone,
            at,
        )
    )
