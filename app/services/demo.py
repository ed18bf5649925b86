"""Demo data: a clinic, a GP and a nurse, two citizens with medications, a gateway and
a week of free slots.

Ids come from `stable_id`, and every insert skips what exists, so running it twice
changes nothing and prints the same ids.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import msgspec

from app.domain.identity import Principal, Role
from app.domain.ids import stable_id
from app.domain.medications import Medication
from app.domain.people import Citizen, Clinic, Clinician, Gateway
from app.domain.slots import SLOT_MINUTES, Slot
from app.ports import Clock, CprVault, UnitOfWork
from app.services.demo_measurements import seed_measurements
from app.services.questionnaires import assign, load_definition

__all__ = ["DemoIds", "Person", "seed_demo"]

CLINIC_NAME = "Lægehuset Nørrebro (demo)"
GP_SUBJECT = "demo-gp-hansen"
NURSE_SUBJECT = "demo-nurse-larsen"
#: subject -> (name, strength, dosage, ATC, renewable)
MEDICATIONS: dict[str, tuple[tuple[str, str, str, str, bool], ...]] = {
    "demo-citizen-anna": (
        ("Metformin", "500 mg", "1 tablet morgen og aften", "A10BA02", True),
        ("Amlodipin", "5 mg", "1 tablet om morgenen", "C08CA01", True),
    ),
    "demo-citizen-bent": (
        ("Atorvastatin", "20 mg", "1 tablet om aftenen", "C10AA05", True),
        # dependence-forming: the GP wants to see the patient before renewing
        ("Tramadol", "50 mg", "1-2 tabletter ved behov, højst 8 i døgnet", "N02AX02", False),
    ),
}
CITIZENS = (
    ("demo-citizen-anna", "Anna Jensen", "0101501234"),
    ("demo-citizen-bent", "Bent Nielsen", "1212451235"),
)


class Person(msgspec.Struct, frozen=True):
    subject: str
    id: str


class DemoIds(msgspec.Struct, frozen=True, kw_only=True):
    """The ids `minlaege seed-demo` prints (contracts §1)."""

    clinic_id: str
    clinician: Person
    nurse: Person
    citizens: list[Person]
    gateway_id: str
    #: the demo share: the first citizen's month of measurements, open to the clinic
    share_id: str | None = None
    slot_ids: list[str]


def _week_of_slots(clinic_id: str, tz: str, first_day: date) -> list[Slot]:
    """Weekday mornings 08:00–12:00 in the clinic's zone, 15-minute consultations."""
    zone = ZoneInfo(tz)
    slots: list[Slot] = []
    minutes = SLOT_MINUTES["consultation"]
    for offset in range(7):
        day = first_day + timedelta(days=offset)
        if day.weekday() >= 5:
            continue
        start = datetime.combine(day, time(8, 0), tzinfo=zone)
        while start.time() < time(12, 0):
            end = start + timedelta(minutes=minutes)
            slots.append(
                Slot(
                    id=stable_id("slot", clinic_id, start.isoformat(), "consultation"),
                    clinic_id=clinic_id,
                    kind="consultation",
                    starts_at=start,
                    ends_at=end,
                )
            )
            start = end
    return slots


#: the two demo PRO questionnaires, written for this project (fixtures/questionnaires)
DEMO_QUESTIONNAIRES = Path(__file__).resolve().parents[2] / "fixtures" / "questionnaires"
DEMO_PHONE = "+45 35 00 00 00"


async def _seed_questionnaires(
    uow: UnitOfWork, clock: Clock, gp: Clinician, citizen_id: str
) -> None:
    """Load the demo questionnaires, give the clinic a phone number, and give the first
    citizen the blood-pressure follow-up every 30 days (once; seeding again skips)."""
    clinic = await uow.clinics.get(gp.clinic_id)
    if clinic is not None and not clinic.rules.phone:
        await uow.clinics.set_rules(
            clinic.id, msgspec.structs.replace(clinic.rules, phone=DEMO_PHONE)
        )
    if not DEMO_QUESTIONNAIRES.is_dir():  # an installed package has no fixtures
        return
    staff = Principal(
        role=Role.CLINICIAN, subject=gp.subject, id=gp.id, name=gp.name, clinic_id=gp.clinic_id
    )
    for path in sorted(DEMO_QUESTIONNAIRES.glob("*.json")):
        if await uow.questionnaires.latest(gp.clinic_id, path.stem) is None:
            await load_definition(uow, clock, staff, path.stem, path.read_bytes())
    if await uow.questionnaires.latest(
        gp.clinic_id, "home-blood-pressure"
    ) is not None and not await uow.questionnaires.instances(citizen_id):
        await assign(
            uow,
            clock,
            staff,
            citizen_id,
            key="home-blood-pressure",
            every_days=30,
            first_due=None,
        )


async def seed_demo(
    uow: UnitOfWork, clock: Clock, vault: CprVault, *, measurements: bool = False
) -> DemoIds:
    """Seed the demo; `measurements` adds a month of home measurements and a share for
    the first citizen (what `make run` shows a GP; tests start without them)."""
    now = clock.now()
    clinic_id = stable_id("clinic", "demo")
    if await uow.clinics.get(clinic_id) is None:
        await uow.clinics.add(Clinic(id=clinic_id, name=CLINIC_NAME, created_at=now))
    gp = await uow.clinicians.by_subject(GP_SUBJECT)
    if gp is None:
        gp = Clinician(
            id=stable_id("clinician", GP_SUBJECT),
            subject=GP_SUBJECT,
            clinic_id=clinic_id,
            name="Dr. Karen Hansen",
            role="gp",
            created_at=now,
        )
        await uow.clinicians.add(gp)
    if await uow.clinicians.by_subject(NURSE_SUBJECT) is None:
        await uow.clinicians.add(
            Clinician(
                id=stable_id("clinician", NURSE_SUBJECT),
                subject=NURSE_SUBJECT,
                clinic_id=clinic_id,
                name="Sygeplejerske Mette Larsen",
                role="nurse",
                created_at=now,
            )
        )
    people: list[Person] = []
    for subject, name, cpr in CITIZENS:
        citizen = await uow.citizens.by_subject(subject)
        if citizen is None:
            citizen = Citizen(
                id=stable_id("citizen", subject),
                subject=subject,
                name=name,
                clinic_id=clinic_id,
                created_at=now,
            )
            await uow.citizens.add(
                citizen, cpr_hash=vault.lookup_hash(cpr), cpr_sealed=vault.seal(cpr)
            )
        people.append(Person(subject, citizen.id))
        if not await uow.medications.for_citizen(citizen.id):
            await uow.medications.replace(
                citizen.id,
                [
                    Medication(
                        id=stable_id("medication", subject, name),
                        citizen_id=citizen.id,
                        name=name,
                        strength=strength,
                        dosage=dosage,
                        atc=atc,
                        renewable=renewable,
                    )
                    for name, strength, dosage, atc, renewable in MEDICATIONS[subject]
                ],
            )
    gateway_id = stable_id("gateway", CITIZENS[0][0])
    if await uow.gateways.get(gateway_id) is None:
        await uow.gateways.add(
            Gateway(id=gateway_id, citizen_id=people[0].id, name="Stuen (demo)", created_at=now)
        )
    # The week starts on the Monday of the seeding week, so re-running that week is a no-op.
    today = now.astimezone(ZoneInfo("Europe/Copenhagen")).date()
    monday = today - timedelta(days=today.weekday())
    slots = _week_of_slots(clinic_id, "Europe/Copenhagen", monday + timedelta(days=7))
    await uow.slots.add_many(slots)
    share_id = None
    if measurements:
        await _seed_questionnaires(uow, clock, gp, people[0].id)
        share_id = await seed_measurements(
            uow,
            clock,
            citizen_id=people[0].id,
            subject=people[0].subject,
            clinic_id=clinic_id,
            zone="Europe/Copenhagen",
        )
    return DemoIds(
        clinic_id=clinic_id,
        clinician=Person(gp.subject, gp.id),
        nurse=Person(NURSE_SUBJECT, stable_id("clinician", NURSE_SUBJECT)),
        citizens=people,
        gateway_id=gateway_id,
        share_id=share_id,
        slot_ids=[s.id for s in slots],
    )
