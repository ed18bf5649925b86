"""PRO questionnaires in SQL: versioned definitions, assignments, instances and answers."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from app.domain.pro import Assignment, Instance, StoredQuestionnaire
from app.domain.time import from_ms, to_ms
from app.store.db import Connection, Row

__all__ = ["SqlQuestionnaires"]

_Q_COLS = "clinic_id, qkey, version, title_da, title_en, body, created_by, created_at"
_A_COLS = (
    "citizen_id, id, clinic_id, qkey, every_days, next_due, opens_at, created_by, created_at,"
    " ended_at"
)
_I_COLS = (
    "citizen_id, id, assignment_id, clinic_id, qkey, version, due, status, opened_at,"
    " submitted_at, submitted_by, triage, score, response, reasons, idempotency_key"
)


def _bytes(v: Any) -> bytes | None:
    if v is None:
        return None
    return v.encode() if isinstance(v, str) else bytes(v)


def _text(v: bytes | None) -> str | None:
    return None if v is None else v.decode()


def _questionnaire(r: Row) -> StoredQuestionnaire:
    return StoredQuestionnaire(
        clinic_id=r[0],
        key=r[1],
        version=r[2],
        title_da=r[3],
        title_en=r[4],
        body=_bytes(r[5]) or b"",
        created_by=r[6],
        created_at=from_ms(r[7]),
    )


def _assignment(r: Row) -> Assignment:
    return Assignment(
        citizen_id=r[0],
        id=r[1],
        clinic_id=r[2],
        key=r[3],
        every_days=r[4],
        next_due=None if r[5] is None else date.fromisoformat(r[5]),
        opens_at=None if r[6] is None else from_ms(r[6]),
        created_by=r[7],
        created_at=from_ms(r[8]),
        ended_at=None if r[9] is None else from_ms(r[9]),
    )


def _instance(r: Row) -> Instance:
    return Instance(
        citizen_id=r[0],
        id=r[1],
        assignment_id=r[2],
        clinic_id=r[3],
        key=r[4],
        version=r[5],
        due=date.fromisoformat(r[6]),
        status=r[7],
        opened_at=from_ms(r[8]),
        submitted_at=None if r[9] is None else from_ms(r[9]),
        submitted_by=r[10],
        triage=r[11],
        score=r[12],
        response=_bytes(r[13]),
        reasons=_bytes(r[14]),
        idempotency_key=r[15],
    )


class SqlQuestionnaires:
    def __init__(self, conn: Connection) -> None:
        self._c = conn

    async def add_version(self, q: StoredQuestionnaire) -> bool:
        row = (
            q.clinic_id,
            q.key,
            q.version,
            q.title_da,
            q.title_en,
            q.body.decode(),
            q.created_by,
            to_ms(q.created_at),
        )
        types = ("text", "text", "int4", "text", "text", "text", "text", "int8")
        return await self._c.insert_ignore("questionnaires", _Q_COLS.split(", "), types, [row]) == 1

    async def latest(self, clinic_id: str, key: str) -> StoredQuestionnaire | None:
        row = await self._c.fetchone(
            f"SELECT {_Q_COLS} FROM questionnaires WHERE clinic_id = ? AND qkey = ?"
            " ORDER BY version DESC LIMIT 1",
            (clinic_id, key),
        )
        return None if row is None else _questionnaire(row)

    async def version(self, clinic_id: str, key: str, version: int) -> StoredQuestionnaire | None:
        row = await self._c.fetchone(
            f"SELECT {_Q_COLS} FROM questionnaires WHERE clinic_id = ? AND qkey = ?"
            " AND version = ?",
            (clinic_id, key, version),
        )
        return None if row is None else _questionnaire(row)

    async def keys(self, clinic_id: str) -> list[StoredQuestionnaire]:
        rows = await self._c.fetchall(
            f"SELECT {_Q_COLS} FROM questionnaires q WHERE clinic_id = ? AND version ="
            " (SELECT MAX(version) FROM questionnaires v"
            " WHERE v.clinic_id = q.clinic_id AND v.qkey = q.qkey) ORDER BY qkey",
            (clinic_id,),
        )
        return [_questionnaire(r) for r in rows]

    async def assign(self, a: Assignment) -> None:
        await self._c.execute(
            f"INSERT INTO questionnaire_assignments ({_A_COLS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                a.citizen_id,
                a.id,
                a.clinic_id,
                a.key,
                a.every_days,
                None if a.next_due is None else a.next_due.isoformat(),
                None if a.opens_at is None else to_ms(a.opens_at),
                a.created_by,
                to_ms(a.created_at),
                None if a.ended_at is None else to_ms(a.ended_at),
            ),
        )

    async def assignment(self, citizen_id: str, assignment_id: str) -> Assignment | None:
        row = await self._c.fetchone(
            f"SELECT {_A_COLS} FROM questionnaire_assignments WHERE citizen_id = ? AND id = ?",
            (citizen_id, assignment_id),
        )
        return None if row is None else _assignment(row)

    async def plan_next(
        self, citizen_id: str, assignment_id: str, due: date | None, opens_at: datetime | None
    ) -> None:
        await self._c.execute(
            "UPDATE questionnaire_assignments SET next_due = ?, opens_at = ?"
            " WHERE citizen_id = ? AND id = ?",
            (
                None if due is None else due.isoformat(),
                None if opens_at is None else to_ms(opens_at),
                citizen_id,
                assignment_id,
            ),
        )

    async def has_due(self, now: datetime) -> bool:
        row = await self._c.fetchone(
            "SELECT 1 FROM questionnaire_assignments WHERE opens_at IS NOT NULL"
            " AND opens_at <= ? AND ended_at IS NULL LIMIT 1",
            (to_ms(now),),
        )
        return row is not None

    async def claim_due(self, now: datetime, limit: int) -> list[Assignment]:
        rows = await self._c.fetchall(
            f"SELECT {_A_COLS} FROM questionnaire_assignments"
            " WHERE opens_at IS NOT NULL AND opens_at <= ? AND ended_at IS NULL"
            " ORDER BY opens_at LIMIT ?" + (" FOR UPDATE SKIP LOCKED" if self._pg else ""),
            (to_ms(now), limit),
        )
        taken: list[Assignment] = []
        for r in rows:
            a = _assignment(r)
            changed = await self._c.execute(
                "UPDATE questionnaire_assignments SET opens_at = NULL"
                " WHERE citizen_id = ? AND id = ? AND opens_at = ?",
                (a.citizen_id, a.id, r[6]),
            )
            if changed == 1:
                taken.append(a)
        return taken

    @property
    def _pg(self) -> bool:
        return self._c.dialect == "postgres"

    async def add_instance(self, i: Instance) -> None:
        await self._c.execute(
            f"INSERT INTO questionnaire_instances ({_I_COLS})"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                i.citizen_id,
                i.id,
                i.assignment_id,
                i.clinic_id,
                i.key,
                i.version,
                i.due.isoformat(),
                i.status,
                to_ms(i.opened_at),
                None if i.submitted_at is None else to_ms(i.submitted_at),
                i.submitted_by,
                i.triage,
                i.score,
                _text(i.response),
                _text(i.reasons),
                i.idempotency_key,
            ),
        )

    async def instance(self, citizen_id: str, instance_id: str) -> Instance | None:
        row = await self._c.fetchone(
            f"SELECT {_I_COLS} FROM questionnaire_instances WHERE citizen_id = ? AND id = ?",
            (citizen_id, instance_id),
        )
        return None if row is None else _instance(row)

    async def instance_in_clinic(self, clinic_id: str, instance_id: str) -> Instance | None:
        row = await self._c.fetchone(
            f"SELECT {_I_COLS} FROM questionnaire_instances WHERE id = ? AND clinic_id = ?",
            (instance_id, clinic_id),
        )
        return None if row is None else _instance(row)

    async def instances(self, citizen_id: str) -> list[Instance]:
        rows = await self._c.fetchall(
            f"SELECT {_I_COLS} FROM questionnaire_instances WHERE citizen_id = ?"
            " ORDER BY CASE WHEN status = 'due' THEN 0 ELSE 1 END, due DESC, opened_at DESC",
            (citizen_id,),
        )
        return [_instance(r) for r in rows]

    async def submitted(self, citizen_id: str) -> list[Instance]:
        rows = await self._c.fetchall(
            f"SELECT {_I_COLS} FROM questionnaire_instances WHERE citizen_id = ?"
            " AND status = 'submitted' ORDER BY submitted_at",
            (citizen_id,),
        )
        return [_instance(r) for r in rows]

    async def submit(self, i: Instance) -> bool:
        changed = await self._c.execute(
            "UPDATE questionnaire_instances SET status = 'submitted', submitted_at = ?,"
            " submitted_by = ?, triage = ?, score = ?, response = ?, reasons = ?,"
            " idempotency_key = ? WHERE citizen_id = ? AND id = ? AND status = 'due'",
            (
                None if i.submitted_at is None else to_ms(i.submitted_at),
                i.submitted_by,
                i.triage,
                i.score,
                _text(i.response),
                _text(i.reasons),
                i.idempotency_key,
                i.citizen_id,
                i.id,
            ),
        )
        return changed == 1
