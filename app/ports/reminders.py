"""Ports of medicine reminders: dosing schedules, the reminders written, doses, supplies
and vaccinations."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Protocol

from app.domain.dosing import (
    Dose,
    DoseSchedule,
    SentReminder,
    Supply,
    Vaccination,
    VaccinationRule,
)

__all__ = [
    "DoseRepository",
    "DoseScheduleRepository",
    "ReminderLogRepository",
    "SupplyRepository",
    "VaccinationRepository",
]


class DoseScheduleRepository(Protocol):
    async def put(self, s: DoseSchedule) -> None:
        """Add or replace the schedule of one medication."""
        ...

    async def get(self, citizen_id: str, medication_id: str) -> DoseSchedule | None: ...
    async def for_citizen(self, citizen_id: str) -> list[DoseSchedule]: ...
    async def remove(self, citizen_id: str, medication_id: str) -> bool: ...
    async def due(self, now: datetime, limit: int) -> list[tuple[DoseSchedule, str, str]]:
        """Schedules whose next instant is at or before `now`, earliest first (an index
        on `next_at`, never a scan), each with the citizen's zone and the medication's
        name; on PostgreSQL locked for this transaction, skipping rows others hold."""
        ...

    async def advance_many(
        self, moves: Sequence[tuple[str, str, datetime, datetime, datetime | None]]
    ) -> None:
        """(citizen, medication, done_until was, done_until, next_at) for each schedule
        `due` handed this transaction."""
        ...

    async def recheck(self, citizen_id: str) -> None:
        """Make the citizen's schedules due now, so the worker plans them again (their
        zone changed)."""
        ...


class ReminderLogRepository(Protocol):
    async def add(self, r: SentReminder) -> bool:
        """Insert; False when the reminder is there already."""
        ...

    async def add_many(self, rs: Sequence[SentReminder]) -> int:
        """Insert those not there already; how many went in."""
        ...

    async def get(self, citizen_id: str, reminder_id: str) -> SentReminder | None: ...
    async def between(self, citizen_id: str, start: datetime, end: datetime) -> list[SentReminder]:
        """What was written for reminders planned in [start, end)."""
        ...

    async def snooze(self, r: SentReminder) -> None:
        """Insert or move a reminder's snooze."""
        ...

    async def due_snoozed(self, now: datetime, limit: int) -> list[SentReminder]: ...
    async def wake(
        self, citizen_id: str, reminder_id: str, snooze_was: datetime, at: datetime
    ) -> bool:
        """Snoozed → sent, if still snoozed until `snooze_was`; False if taken meanwhile."""
        ...

    async def questionnaire_openings(
        self, citizen_id: str, start: datetime, end: datetime
    ) -> list[tuple[str, datetime]]:
        """(assignment id, opens_at) of the citizen's questionnaires planned to open in
        [start, end)."""
        ...


class DoseRepository(Protocol):
    async def add(self, d: Dose) -> tuple[Dose, bool]:
        """Store a dose once per (medication, planned time): (the stored one, created)."""
        ...

    async def between(
        self, citizen_id: str, start: datetime, end: datetime, medication_id: str | None = None
    ) -> list[Dose]:
        """Doses whose planned time (or, by hand, their time) is in [start, end), oldest
        first."""
        ...


class SupplyRepository(Protocol):
    async def put(self, s: Supply) -> None: ...
    async def get(self, citizen_id: str, medication_id: str) -> Supply | None: ...
    async def for_citizen(self, citizen_id: str) -> list[Supply]: ...
    async def due(self, now: datetime, limit: int) -> list[Supply]: ...
    async def handled(
        self, citizen_id: str, medication_id: str, notify_was: datetime, at: datetime
    ) -> bool:
        """The run-out notice is dealt with, if nobody did meanwhile."""
        ...


class VaccinationRepository(Protocol):
    async def replace(self, citizen_id: str, items: Sequence[Vaccination]) -> None: ...
    async def add(self, v: Vaccination) -> None: ...
    async def for_citizen(self, citizen_id: str) -> list[Vaccination]: ...
    async def set_remind_at(self, citizen_id: str, vaccination_id: str, at: datetime) -> None:
        """Move a reminder not sent yet (the citizen's zone changed)."""
        ...

    async def has_since(self, citizen_id: str, atc: str, since: date) -> bool:
        """Whether a vaccination of `atc` was given or is due on or after `since`."""
        ...

    async def due(self, now: datetime, limit: int) -> list[Vaccination]: ...
    async def mark_reminded(self, citizen_id: str, vaccination_id: str, at: datetime) -> bool: ...
    async def rules(self, clinic_id: str) -> list[VaccinationRule]: ...
    async def put_rules(self, clinic_id: str, rules: Sequence[VaccinationRule]) -> None: ...
    async def rules_before(self, year: int) -> list[VaccinationRule]:
        """Every clinic's rules not yet applied in `year`."""
        ...

    async def claim_rule(self, clinic_id: str, key: str, year: int) -> bool:
        """Mark the rule applied in `year`, if no other worker did."""
        ...

    async def clinic_people(self, clinic_id: str) -> list[tuple[str, str | None, str]]:
        """(citizen id, sealed CPR, zone) of everyone listed at the clinic."""
        ...
