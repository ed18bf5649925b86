"""Vaccinations and clinics' seasonal vaccination rules in SQL."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

from app.domain.dosing import Vaccination, VaccinationRule
from app.domain.time import from_ms, to_ms
from app.store.db import Connection, Row
from app.store.repos.dosing import skip_locked

__all__ = ["SqlVaccinations"]

_VAC = (
    "citizen_id, id, atc, name, dose_number, given_on, due_on, remind_at, reminded_at, source,"
    " updated_at"
)
_RULE = "clinic_id, rule_key, atc, name, min_age, month, day, applied_year, updated_at, updated_by"


def _vaccination(r: Row) -> Vaccination:
    return Vaccination(
        citizen_id=r[0],
        id=r[1],
        atc=r[2],
        name=r[3],
        dose_number=int(r[4]),
        given_on=None if r[5] is None else date.fromisoformat(r[5]),
        due_on=None if r[6] is None else date.fromisoformat(r[6]),
        remind_at=None if r[7] is None else from_ms(r[7]),
        reminded_at=None if r[8] is None else from_ms(r[8]),
        source=r[9],
        updated_at=from_ms(r[10]),
    )


def _rule(r: Row) -> VaccinationRule:
    return VaccinationRule(
        clinic_id=r[0],
        key=r[1],
        atc=r[2],
        name=r[3],
        min_age=int(r[4]),
        month=int(r[5]),
        day=int(r[6]),
        applied_year=int(r[7]),
        updated_at=from_ms(r[8]),
        updated_by=r[9],
    )


class SqlVaccinations:
    def __init__(self, conn: Connection) -> None:
        self._c = conn

    async def replace(self, citizen_id: str, items: Sequence[Vaccination]) -> None:
        await self._c.execute("DELETE FROM vaccinations WHERE citizen_id = ?", (citizen_id,))
        for v in items:
            await self.add(v)

    async def add(self, v: Vaccination) -> None:
        await self._c.execute(
            f"INSERT INTO vaccinations ({_VAC}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                v.citizen_id,
                v.id,
                v.atc,
                v.name,
                v.dose_number,
                None if v.given_on is None else v.given_on.isoformat(),
                None if v.due_on is None else v.due_on.isoformat(),
                None if v.remind_at is None else to_ms(v.remind_at),
                None if v.reminded_at is None else to_ms(v.reminded_at),
                v.source,
                to_ms(v.updated_at),
            ),
        )

    async def set_remind_at(self, citizen_id: str, vaccination_id: str, at: datetime) -> None:
        await self._c.execute(
            "UPDATE vaccinations SET remind_at = ? WHERE citizen_id = ? AND id = ?"
            " AND reminded_at IS NULL",
            (to_ms(at), citizen_id, vaccination_id),
        )

    async def for_citizen(self, citizen_id: str) -> list[Vaccination]:
        rows = await self._c.fetchall(
            f"SELECT {_VAC} FROM vaccinations WHERE citizen_id = ?"
            " ORDER BY COALESCE(given_on, due_on), atc, dose_number, id",
            (citizen_id,),
        )
        return [_vaccination(r) for r in rows]

    async def has_since(self, citizen_id: str, atc: str, since: date) -> bool:
        row = await self._c.fetchone(
            "SELECT 1 FROM vaccinations WHERE citizen_id = ? AND atc = ?"
            " AND (given_on >= ? OR due_on >= ?)",
            (citizen_id, atc, since.isoformat(), since.isoformat()),
        )
        return row is not None

    async def due(self, now: datetime, limit: int) -> list[Vaccination]:
        rows = await self._c.fetchall(
            f"SELECT {_VAC} FROM vaccinations WHERE remind_at IS NOT NULL"
            " AND reminded_at IS NULL AND remind_at <= ? ORDER BY remind_at LIMIT ?"
            + skip_locked(self._c),
            (to_ms(now), limit),
        )
        return [_vaccination(r) for r in rows]

    async def mark_reminded(self, citizen_id: str, vaccination_id: str, at: datetime) -> bool:
        changed = await self._c.execute(
            "UPDATE vaccinations SET reminded_at = ? WHERE citizen_id = ? AND id = ?"
            " AND reminded_at IS NULL",
            (to_ms(at), citizen_id, vaccination_id),
        )
        return changed == 1

    async def rules(self, clinic_id: str) -> list[VaccinationRule]:
        rows = await self._c.fetchall(
            f"SELECT {_RULE} FROM vaccination_rules WHERE clinic_id = ? ORDER BY rule_key",
            (clinic_id,),
        )
        return [_rule(r) for r in rows]

    async def put_rules(self, clinic_id: str, rules: Sequence[VaccinationRule]) -> None:
        await self._c.execute("DELETE FROM vaccination_rules WHERE clinic_id = ?", (clinic_id,))
        await self._c.executemany(
            f"INSERT INTO vaccination_rules ({_RULE}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                (
                    r.clinic_id,
                    r.key,
                    r.atc,
                    r.name,
                    r.min_age,
                    r.month,
                    r.day,
                    r.applied_year,
                    to_ms(r.updated_at),
                    r.updated_by,
                )
                for r in rules
            ],
        )

    async def rules_before(self, year: int) -> list[VaccinationRule]:
        rows = await self._c.fetchall(
            f"SELECT {_RULE} FROM vaccination_rules WHERE applied_year < ?"
            " ORDER BY clinic_id, rule_key",
            (year,),
        )
        return [_rule(r) for r in rows]

    async def claim_rule(self, clinic_id: str, key: str, year: int) -> bool:
        changed = await self._c.execute(
            "UPDATE vaccination_rules SET applied_year = ?"
            " WHERE clinic_id = ? AND rule_key = ? AND applied_year < ?",
            (year, clinic_id, key, year),
        )
        return changed == 1

    async def clinic_people(self, clinic_id: str) -> list[tuple[str, str | None, str]]:
        rows = await self._c.fetchall(
            "SELECT id, cpr_sealed, timezone FROM citizens WHERE clinic_id = ? ORDER BY id",
            (clinic_id,),
        )
        return [(str(r[0]), r[1], str(r[2])) for r in rows]
