"""Citizens, clinics, clinicians and gateways in SQL."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from app.domain.people import Citizen, Clinic, Clinician, ClinicRules, Gateway
from app.domain.time import from_ms, to_ms
from app.store.db import Connection, Row

__all__ = ["SqlCitizens", "SqlClinicians", "SqlClinics", "SqlGateways"]

_CITIZEN_COLS = "id, subject, name, timezone, language, clinic_id, cpr_hash, created_at"


def _citizen(row: Row) -> Citizen:
    lang: Any = row[4]
    return Citizen(
        id=row[0],
        subject=row[1],
        name=row[2],
        timezone=row[3],
        language=lang,
        clinic_id=row[5],
        has_cpr=row[6] is not None,
        created_at=from_ms(row[7]),
    )


class SqlCitizens:
    def __init__(self, conn: Connection) -> None:
        self._c = conn

    async def add(self, citizen: Citizen, *, cpr_hash: str | None, cpr_sealed: str | None) -> None:
        await self._c.execute(
            "INSERT INTO citizens (id, subject, name, timezone, language, clinic_id,"
            " cpr_hash, cpr_sealed, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                citizen.id,
                citizen.subject,
                citizen.name,
                citizen.timezone,
                citizen.language,
                citizen.clinic_id,
                cpr_hash,
                cpr_sealed,
                to_ms(citizen.created_at),
            ),
        )

    async def _one(self, where: str, value: str) -> Citizen | None:
        row = await self._c.fetchone(
            f"SELECT {_CITIZEN_COLS} FROM citizens WHERE {where}", (value,)
        )
        return None if row is None else _citizen(row)

    async def get(self, citizen_id: str) -> Citizen | None:
        return await self._one("id = ?", citizen_id)

    async def signed_in(self, subject: str, session: str) -> tuple[Citizen | None, bool]:
        """The citizen with this login subject, and whether `session` has ended: the
        check every request makes, in one statement (one trip to the database)."""
        row = await self._c.fetchone(
            f"SELECT {_CITIZEN_COLS}, EXISTS (SELECT 1 FROM refresh_tokens"
            " WHERE family_id = ? AND revoked_at IS NOT NULL)"
            " FROM citizens WHERE subject = ?",
            (session, subject),
        )
        if row is None:
            ended = await self._c.fetchone(
                "SELECT 1 FROM refresh_tokens WHERE family_id = ? AND revoked_at IS NOT NULL"
                " LIMIT 1",
                (session,),
            )
            return None, ended is not None
        return _citizen(row), bool(row[8])

    async def by_subject(self, subject: str) -> Citizen | None:
        return await self._one("subject = ?", subject)

    async def cpr_hash(self, citizen_id: str) -> str | None:
        row = await self._c.fetchone("SELECT cpr_hash FROM citizens WHERE id = ?", (citizen_id,))
        return None if row is None or row[0] is None else str(row[0])

    async def by_cpr_hash(self, cpr_hash: str) -> Citizen | None:
        return await self._one("cpr_hash = ?", cpr_hash)

    async def in_clinic(self, clinic_id: str, citizen_id: str) -> Citizen | None:
        row = await self._c.fetchone(
            f"SELECT {_CITIZEN_COLS} FROM citizens WHERE id = ? AND clinic_id = ?",
            (citizen_id, clinic_id),
        )
        return None if row is None else _citizen(row)

    async def sealed_cpr(self, citizen_id: str) -> str | None:
        row = await self._c.fetchone("SELECT cpr_sealed FROM citizens WHERE id = ?", (citizen_id,))
        return None if row is None else row[0]

    async def update(self, citizen: Citizen) -> None:
        await self._c.execute(
            "UPDATE citizens SET subject = ?, name = ?, timezone = ?, language = ?, clinic_id = ?"
            " WHERE id = ?",
            (
                citizen.subject,
                citizen.name,
                citizen.timezone,
                citizen.language,
                citizen.clinic_id,
                citizen.id,
            ),
        )

    async def set_cpr(self, citizen_id: str, *, cpr_hash: str, cpr_sealed: str) -> None:
        await self._c.execute(
            "UPDATE citizens SET cpr_hash = ?, cpr_sealed = ? WHERE id = ?",
            (cpr_hash, cpr_sealed, citizen_id),
        )


class SqlClinics:
    def __init__(self, conn: Connection) -> None:
        self._c = conn

    async def add(self, clinic: Clinic) -> None:
        await self._c.execute(
            "INSERT INTO clinics (id, name, timezone, created_at) VALUES (?, ?, ?, ?)",
            (clinic.id, clinic.name, clinic.timezone, to_ms(clinic.created_at)),
        )

    async def get(self, clinic_id: str) -> Clinic | None:
        row = await self._c.fetchone(
            "SELECT id, name, timezone, created_at, cancel_cutoff_minutes,"
            " waitlist_hold_minutes, photos_enabled, answer_working_days, phone"
            " FROM clinics WHERE id = ?",
            (clinic_id,),
        )
        if row is None:
            return None
        rules = ClinicRules(
            cancel_cutoff_minutes=row[4],
            waitlist_hold_minutes=row[5],
            photos_enabled=bool(row[6]),
            answer_working_days=row[7],
            phone=row[8] or "",
        )
        return Clinic(
            id=row[0], name=row[1], timezone=row[2], created_at=from_ms(row[3]), rules=rules
        )

    async def set_rules(self, clinic_id: str, rules: ClinicRules) -> None:
        await self._c.execute(
            "UPDATE clinics SET cancel_cutoff_minutes = ?, waitlist_hold_minutes = ?,"
            " photos_enabled = ?, answer_working_days = ?, phone = ? WHERE id = ?",
            (
                rules.cancel_cutoff_minutes,
                rules.waitlist_hold_minutes,
                int(rules.photos_enabled),
                rules.answer_working_days,
                rules.phone,
                clinic_id,
            ),
        )


_CLINICIAN_COLS = "id, subject, clinic_id, name, role, created_at"


def _clinician(row: Row) -> Clinician:
    role: Any = row[4]
    return Clinician(
        id=row[0],
        subject=row[1],
        clinic_id=row[2],
        name=row[3],
        role=role,
        created_at=from_ms(row[5]),
    )


class SqlClinicians:
    def __init__(self, conn: Connection) -> None:
        self._c = conn

    async def add(self, clinician: Clinician) -> None:
        await self._c.execute(
            "INSERT INTO clinicians (id, subject, clinic_id, name, role, created_at)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            (
                clinician.id,
                clinician.subject,
                clinician.clinic_id,
                clinician.name,
                clinician.role,
                to_ms(clinician.created_at),
            ),
        )

    async def get(self, clinician_id: str) -> Clinician | None:
        row = await self._c.fetchone(
            f"SELECT {_CLINICIAN_COLS} FROM clinicians WHERE id = ?", (clinician_id,)
        )
        return None if row is None else _clinician(row)

    async def by_subject(self, subject: str) -> Clinician | None:
        row = await self._c.fetchone(
            f"SELECT {_CLINICIAN_COLS} FROM clinicians WHERE subject = ?", (subject,)
        )
        return None if row is None else _clinician(row)


def _gateway(row: Row) -> Gateway:
    return Gateway(
        citizen_id=row[0],
        id=row[1],
        name=row[2],
        created_at=from_ms(row[3]),
        revoked_at=None if row[4] is None else from_ms(row[4]),
    )


class SqlGateways:
    def __init__(self, conn: Connection) -> None:
        self._c = conn

    async def add(self, gateway: Gateway) -> None:
        await self._c.execute(
            "INSERT INTO gateways (citizen_id, id, name, created_at, revoked_at)"
            " VALUES (?, ?, ?, ?, ?)",
            (
                gateway.citizen_id,
                gateway.id,
                gateway.name,
                to_ms(gateway.created_at),
                None if gateway.revoked_at is None else to_ms(gateway.revoked_at),
            ),
        )

    async def get(self, gateway_id: str) -> Gateway | None:
        row = await self._c.fetchone(
            "SELECT citizen_id, id, name, created_at, revoked_at FROM gateways WHERE id = ?",
            (gateway_id,),
        )
        return None if row is None else _gateway(row)

    async def for_citizen(self, citizen_id: str) -> list[Gateway]:
        rows = await self._c.fetchall(
            "SELECT citizen_id, id, name, created_at, revoked_at FROM gateways"
            " WHERE citizen_id = ? ORDER BY created_at, id",
            (citizen_id,),
        )
        return [_gateway(r) for r in rows]

    async def revoke(self, citizen_id: str, gateway_id: str, at: datetime) -> bool:
        changed = await self._c.execute(
            "UPDATE gateways SET revoked_at = ? WHERE citizen_id = ? AND id = ?"
            " AND revoked_at IS NULL",
            (to_ms(at), citizen_id, gateway_id),
        )
        return changed > 0
