"""Medications and renewal requests in SQL."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from app.domain.medications import Medication, Renewal
from app.domain.time import from_ms, to_ms
from app.store.db import Connection, Row

__all__ = ["SqlMedications", "SqlRenewals"]

_MED = "citizen_id, id, name, strength, dosage, atc, renewable, last_renewed_at"


def _ms(v: int | None) -> datetime | None:
    return None if v is None else from_ms(v)


def _med(r: Row) -> Medication:
    return Medication(
        citizen_id=r[0],
        id=r[1],
        name=r[2],
        strength=r[3],
        dosage=r[4],
        atc=r[5],
        renewable=bool(r[6]),
        last_renewed_at=_ms(r[7]),
    )


class SqlMedications:
    def __init__(self, conn: Connection) -> None:
        self._c = conn

    async def for_citizen(self, citizen_id: str) -> list[Medication]:
        rows = await self._c.fetchall(
            f"SELECT {_MED} FROM medications WHERE citizen_id = ? AND active = 1 ORDER BY name, id",
            (citizen_id,),
        )
        return [_med(r) for r in rows]

    async def get(self, citizen_id: str, medication_id: str) -> Medication | None:
        row = await self._c.fetchone(
            f"SELECT {_MED} FROM medications WHERE citizen_id = ? AND id = ? AND active = 1",
            (citizen_id, medication_id),
        )
        return None if row is None else _med(row)

    async def replace(self, citizen_id: str, meds: Sequence[Medication]) -> None:
        """Make `meds` the current list: others are retired (kept for old requests)."""
        await self._c.execute(
            "UPDATE medications SET active = 0 WHERE citizen_id = ?", (citizen_id,)
        )
        for m in meds:
            changed = await self._c.execute(
                "UPDATE medications SET name = ?, strength = ?, dosage = ?, atc = ?,"
                " renewable = ?, active = 1 WHERE citizen_id = ? AND id = ?",
                (m.name, m.strength, m.dosage, m.atc, int(m.renewable), citizen_id, m.id),
            )
            if changed == 0:
                await self._c.execute(
                    f"INSERT INTO medications ({_MED}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        citizen_id,
                        m.id,
                        m.name,
                        m.strength,
                        m.dosage,
                        m.atc,
                        int(m.renewable),
                        None if m.last_renewed_at is None else to_ms(m.last_renewed_at),
                    ),
                )

    async def renewed(self, citizen_id: str, medication_id: str, at: datetime) -> None:
        await self._c.execute(
            "UPDATE medications SET last_renewed_at = ? WHERE citizen_id = ? AND id = ?",
            (to_ms(at), citizen_id, medication_id),
        )

    async def name_of(self, citizen_id: str, medication_id: str) -> str | None:
        row = await self._c.fetchone(
            "SELECT name, strength FROM medications WHERE citizen_id = ? AND id = ?",
            (citizen_id, medication_id),
        )
        return None if row is None else f"{row[0]} {row[1]}".strip()


_REN = (
    "citizen_id, id, clinic_id, medication_id, note, status, requested_at, in_review_at,"
    " decided_at, decided_by, decided_by_name, reason"
)


def _renewal(r: Row) -> Renewal:
    status: Any = r[5]
    return Renewal(
        citizen_id=r[0],
        id=r[1],
        clinic_id=r[2],
        medication_id=r[3],
        note=r[4],
        status=status,
        requested_at=from_ms(r[6]),
        in_review_at=_ms(r[7]),
        decided_at=_ms(r[8]),
        decided_by=r[9],
        decided_by_name=r[10],
        reason=r[11],
    )


class SqlRenewals:
    def __init__(self, conn: Connection) -> None:
        self._c = conn

    async def add(self, r: Renewal) -> bool:
        """Insert; False when an open request for the medication already exists."""
        added = await self._c.insert_ignore(
            "renewals",
            ("citizen_id", "id", "clinic_id", "medication_id", "note", "status", "requested_at"),
            ("text", "text", "text", "text", "text", "text", "bigint"),
            [
                (
                    r.citizen_id,
                    r.id,
                    r.clinic_id,
                    r.medication_id,
                    r.note,
                    r.status,
                    to_ms(r.requested_at),
                )
            ],
        )
        return added == 1

    async def get(self, citizen_id: str, renewal_id: str) -> Renewal | None:
        row = await self._c.fetchone(
            f"SELECT {_REN} FROM renewals WHERE citizen_id = ? AND id = ?",
            (citizen_id, renewal_id),
        )
        return None if row is None else _renewal(row)

    async def in_clinic(self, clinic_id: str, renewal_id: str) -> Renewal | None:
        row = await self._c.fetchone(
            f"SELECT {_REN} FROM renewals WHERE clinic_id = ? AND id = ?",
            (clinic_id, renewal_id),
        )
        return None if row is None else _renewal(row)

    async def for_citizen(self, citizen_id: str) -> list[Renewal]:
        rows = await self._c.fetchall(
            f"SELECT {_REN} FROM renewals WHERE citizen_id = ? ORDER BY requested_at DESC, id",
            (citizen_id,),
        )
        return [_renewal(r) for r in rows]

    async def queue(self, clinic_id: str, limit: int) -> list[tuple[Renewal, str, str]]:
        """Open requests at the clinic, oldest first, with the citizen's name and the
        medication's name and strength (one query, however long the queue)."""
        cols = ", ".join(f"r.{c.strip()}" for c in _REN.split(","))
        rows = await self._c.fetchall(
            f"SELECT {cols}, c.name, m.name, m.strength FROM renewals r"
            " LEFT JOIN citizens c ON c.id = r.citizen_id"
            " LEFT JOIN medications m ON m.citizen_id = r.citizen_id AND m.id = r.medication_id"
            " WHERE r.clinic_id = ? AND r.status IN ('requested', 'in_review')"
            " ORDER BY r.requested_at, r.id LIMIT ?",
            (clinic_id, limit),
        )
        width = len(_REN.split(","))
        return [
            (
                _renewal(r),
                r[width] or "",
                f"{r[width + 1]} {r[width + 2]}".strip() if r[width + 1] is not None else "",
            )
            for r in rows
        ]

    async def move(
        self,
        citizen_id: str,
        renewal_id: str,
        *,
        from_statuses: Sequence[str],
        status: str,
        at: datetime,
        by: str | None = None,
        by_name: str | None = None,
        reason: str | None = None,
    ) -> bool:
        """Change status if it is one of `from_statuses`; False if it moved meanwhile."""
        marks = ", ".join("?" * len(from_statuses))
        column = "in_review_at" if status == "in_review" else "decided_at"
        changed = await self._c.execute(
            f"UPDATE renewals SET status = ?, {column} = ?,"
            " decided_by = COALESCE(?, decided_by), decided_by_name = COALESCE(?, decided_by_name),"
            " reason = COALESCE(?, reason)"
            f" WHERE citizen_id = ? AND id = ? AND status IN ({marks})",
            (status, to_ms(at), by, by_name, reason, citizen_id, renewal_id, *from_statuses),
        )
        return changed == 1
