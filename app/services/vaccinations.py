"""Vaccinations: the clinic records given and due ones, the citizen sees them and is
reminded when one is due, and a clinic's seasonal rule (influenza every autumn for 65+)
makes due vaccinations by itself once a season.

A due vaccination is reminded at 09:00 local on its due day (or at once if that has
passed when it is recorded); `reminded_at` is set in the transaction that writes the
notice, so it is sent once. A seasonal rule is claimed for the year with a conditional
UPDATE, so two workers apply it once. Age comes from the CPR number (its date and
century digit); citizens without one are not included.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import msgspec

from app.domain.dosing import (
    Vaccination,
    VaccinationRule,
    age_on,
    birth_date_from_cpr,
    day_da,
    day_en,
    valid_atc_vaccine,
    wall_instant,
)
from app.domain.identity import Principal
from app.domain.ids import new_id, stable_id
from app.domain.notices import notice
from app.errors import Invalid, NotFound
from app.ports import Clock, CprVault, Store, UnitOfWork
from app.services.audit import event_for, record
from app.services.clinic_schedule import clinic_for
from app.services.notify import tell

__all__ = [
    "RuleInput",
    "VaccinationInput",
    "apply_seasonal_rules",
    "clinic_vaccinations",
    "load_vaccinations",
    "put_rules",
    "remind_instant",
    "rezone_vaccinations",
    "send_vaccination_reminders",
]

REMIND_TIME = time(9, 0)
#: a vaccination given or due this long before the season starts counts for the season
SEASON_GRACE = timedelta(days=90)
MAX_ITEMS = 200


class VaccinationInput(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """One vaccination as the clinic records it: given (`given_on`) or due (`due_on`)."""

    id: str | None = None
    atc: str
    name: str
    dose_number: int = 1
    given_on: date | None = None
    due_on: date | None = None


class RuleInput(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """A seasonal rule: from `month`/`day` every year, citizens aged `min_age` or more
    are due a vaccination of `atc`."""

    key: str
    atc: str
    name: str
    min_age: int = 65
    month: int = 10
    day: int = 1


def remind_instant(due_on: date, zone: str, now: datetime) -> datetime:
    return max(wall_instant(due_on, REMIND_TIME, ZoneInfo(zone)), now)


async def rezone_vaccinations(uow: UnitOfWork, clock: Clock, citizen_id: str, zone: str) -> None:
    """After a change of zone: a due vaccination is reminded at 09:00 where the citizen
    is now (a reminder already sent stays sent)."""
    now = clock.now()
    for v in await uow.vaccinations.for_citizen(citizen_id):
        if v.due_on is not None and v.remind_at is not None and v.reminded_at is None:
            await uow.vaccinations.set_remind_at(
                citizen_id, v.id, remind_instant(v.due_on, zone, now)
            )


async def _patient(uow: UnitOfWork, clinician: Principal, citizen_id: str) -> tuple[str, str]:
    clinic = await clinic_for(uow, clinician)
    citizen = await uow.citizens.in_clinic(clinic.id, citizen_id)
    if citizen is None:
        raise NotFound("no such citizen at your clinic")
    return citizen.id, citizen.timezone


def _check_atc(atc: str) -> str:
    code = atc.strip().upper()
    if not valid_atc_vaccine(code):
        raise Invalid(f"{atc!r} is not an ATC code of a vaccine (J07…)")
    return code


async def load_vaccinations(
    uow: UnitOfWork,
    clock: Clock,
    clinician: Principal,
    citizen_id: str,
    items: Sequence[VaccinationInput],
) -> list[Vaccination]:
    """Replace a patient's vaccinations (audited); a due one keeps its reminder state
    while its due day is unchanged."""
    cid, zone = await _patient(uow, clinician, citizen_id)
    if len(items) > MAX_ITEMS:
        raise Invalid(f"at most {MAX_ITEMS} vaccinations")
    now = clock.now()
    current = {v.id: v for v in await uow.vaccinations.for_citizen(cid)}
    out = []
    for item in items:
        atc = _check_atc(item.atc)
        if not item.name.strip() or len(item.name) > 200:
            raise Invalid("a vaccination needs a name of 1 to 200 characters")
        if not 1 <= item.dose_number <= 20:
            raise Invalid("dose_number is 1 to 20")
        if any(not 1900 <= d.year <= 2200 for d in (item.given_on, item.due_on) if d):
            raise Invalid("dates are between the years 1900 and 2200")
        if item.given_on is None and item.due_on is None:
            raise Invalid("give given_on (given) or due_on (due)")
        keep = current.get(item.id) if item.id else None
        remind_at = reminded_at = None
        if item.given_on is None and item.due_on is not None:
            if keep is not None and keep.due_on == item.due_on and keep.given_on is None:
                remind_at, reminded_at = keep.remind_at, keep.reminded_at
            else:
                remind_at = remind_instant(item.due_on, zone, now)
        out.append(
            Vaccination(
                id=item.id or new_id(),
                citizen_id=cid,
                atc=atc,
                name=item.name.strip(),
                dose_number=item.dose_number,
                given_on=item.given_on,
                due_on=item.due_on,
                remind_at=remind_at,
                reminded_at=reminded_at,
                source=keep.source if keep else "clinic",
                updated_at=now,
            )
        )
    if len({v.id for v in out}) != len(out):
        raise Invalid("each vaccination id once")
    await uow.vaccinations.replace(cid, out)
    await record(
        uow,
        clock,
        event_for(clinician, citizen_id=cid, action="vaccinations.update", resource="vaccinations"),
    )
    return await uow.vaccinations.for_citizen(cid)


async def clinic_vaccinations(
    uow: UnitOfWork, clock: Clock, clinician: Principal, citizen_id: str
) -> list[Vaccination]:
    cid, _ = await _patient(uow, clinician, citizen_id)
    await record(
        uow,
        clock,
        event_for(clinician, citizen_id=cid, action="vaccinations.read", resource="vaccinations"),
    )
    return await uow.vaccinations.for_citizen(cid)


async def put_rules(
    uow: UnitOfWork, clock: Clock, clinician: Principal, rules: Sequence[RuleInput]
) -> list[VaccinationRule]:
    """Replace the clinic's seasonal rules; a rule applies from its next season start
    (this year's, if it has passed and the rule is new)."""
    clinic = await clinic_for(uow, clinician)
    if len(rules) > 20:
        raise Invalid("at most 20 rules")
    current = {r.key: r for r in await uow.vaccinations.rules(clinic.id)}
    now = clock.now()
    out = []
    for r in rules:
        if not (1 <= len(r.key) <= 40 and r.key.replace("-", "").replace("_", "").isalnum()):
            raise Invalid("a rule key is 1 to 40 letters, digits, '-' or '_'")
        if not 0 <= r.min_age <= 130:
            raise Invalid("min_age is 0 to 130")
        try:
            date(2001, r.month, r.day)
        except ValueError as exc:
            raise Invalid(f"{r.month}/{r.day} is not a day of the year") from exc
        if not r.name.strip():
            raise Invalid("a rule needs a name")
        keep = current.get(r.key)
        out.append(
            VaccinationRule(
                clinic_id=clinic.id,
                key=r.key,
                atc=_check_atc(r.atc),
                name=r.name.strip(),
                min_age=r.min_age,
                month=r.month,
                day=r.day,
                applied_year=keep.applied_year if keep else 0,
                updated_at=now,
                updated_by=clinician.id,
            )
        )
    if len({r.key for r in out}) != len(out):
        raise Invalid("each rule key once")
    await uow.vaccinations.put_rules(clinic.id, out)
    return await uow.vaccinations.rules(clinic.id)


async def apply_seasonal_rules(store: Store, clock: Clock, vault: CprVault) -> int:
    """Once a season per rule: a due vaccination for each citizen of the age who has
    none given or due this season; how many made."""
    now = clock.now()
    async with store.read() as uow:
        waiting = await uow.vaccinations.rules_before(now.year)
    if not waiting:
        return 0
    made = 0
    async with store.transaction() as uow:
        for rule in waiting:
            clinic = await uow.clinics.get(rule.clinic_id)
            zone = clinic.timezone if clinic else "Europe/Copenhagen"
            today = now.astimezone(ZoneInfo(zone)).date()
            season = date(today.year, rule.month, rule.day)
            if today < season or not await uow.vaccinations.claim_rule(
                rule.clinic_id, rule.key, today.year
            ):
                continue
            for cid, sealed, citizen_zone in await uow.vaccinations.clinic_people(rule.clinic_id):
                born = None if sealed is None else birth_date_from_cpr(vault.open(sealed))
                if born is None or age_on(born, season) < rule.min_age:
                    continue
                if await uow.vaccinations.has_since(cid, rule.atc, season - SEASON_GRACE):
                    continue
                await uow.vaccinations.add(
                    Vaccination(
                        id=stable_id("vaccination", rule.clinic_id, rule.key, cid, str(season)),
                        citizen_id=cid,
                        atc=rule.atc,
                        name=rule.name,
                        due_on=season,
                        remind_at=remind_instant(season, citizen_zone, now),
                        source=rule.key,
                        updated_at=now,
                    )
                )
                made += 1
    return made


async def send_vaccination_reminders(store: Store, clock: Clock, *, limit: int = 200) -> int:
    """Due vaccinations whose day has come get one notice each."""
    now = clock.now()
    sent = 0
    async with store.transaction() as uow:
        for v in await uow.vaccinations.due(now, limit):
            if not await uow.vaccinations.mark_reminded(v.citizen_id, v.id, now):
                continue
            due = v.due_on or now.date()
            await tell(
                uow,
                clock,
                v.citizen_id,
                notice(
                    "vaccination.due",
                    f"vaccinations/{v.id}",
                    vaccine=v.name,
                    dose=str(v.dose_number),
                    day=day_da(due),
                    day_en=day_en(due),
                ),
            )
            sent += 1
    return sent
