"""E-consultation threads, messages and photo metadata in SQL."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from app.domain.consultations import Consultation, Message, PhotoRef
from app.domain.time import from_ms, to_ms
from app.store.db import Connection, Row

__all__ = ["SqlConsultations"]

_THREAD = (
    "citizen_id, id, clinic_id, category, subject, status, created_at, updated_at,"
    " answer_expected_by"
)
_MSG = "citizen_id, id, consultation_id, author_role, author_id, author_name, body, created_at"
_PHOTO = "id, message_id, blob_key, media_type, width, height, size"


def _thread(r: Row) -> Consultation:
    category: Any = r[3]
    status: Any = r[5]
    return Consultation(
        citizen_id=r[0],
        id=r[1],
        clinic_id=r[2],
        category=category,
        subject=r[4],
        status=status,
        created_at=from_ms(r[6]),
        updated_at=from_ms(r[7]),
        answer_expected_by=None if r[8] is None else from_ms(r[8]),
    )


class SqlConsultations:
    def __init__(self, conn: Connection) -> None:
        self._c = conn

    async def add(self, t: Consultation) -> None:
        await self._c.execute(
            f"INSERT INTO consultations ({_THREAD}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                t.citizen_id,
                t.id,
                t.clinic_id,
                t.category,
                t.subject,
                t.status,
                to_ms(t.created_at),
                to_ms(t.updated_at),
                None if t.answer_expected_by is None else to_ms(t.answer_expected_by),
            ),
        )

    async def get(self, citizen_id: str, thread_id: str) -> Consultation | None:
        row = await self._c.fetchone(
            f"SELECT {_THREAD} FROM consultations WHERE citizen_id = ? AND id = ?",
            (citizen_id, thread_id),
        )
        return None if row is None else _thread(row)

    async def in_clinic(self, clinic_id: str, thread_id: str) -> Consultation | None:
        row = await self._c.fetchone(
            f"SELECT {_THREAD} FROM consultations WHERE clinic_id = ? AND id = ?",
            (clinic_id, thread_id),
        )
        return None if row is None else _thread(row)

    async def for_citizen(self, citizen_id: str) -> list[Consultation]:
        rows = await self._c.fetchall(
            f"SELECT {_THREAD} FROM consultations WHERE citizen_id = ?"
            " ORDER BY updated_at DESC, id",
            (citizen_id,),
        )
        return [_thread(r) for r in rows]

    async def for_clinic(
        self, clinic_id: str, statuses: Sequence[str], limit: int
    ) -> list[tuple[Consultation, str]]:
        """Threads in the given statuses, the longest-waiting first, with citizen names."""
        marks = ", ".join("?" * len(statuses))
        cols = ", ".join(f"t.{c.strip()}" for c in _THREAD.split(","))
        rows = await self._c.fetchall(
            f"SELECT {cols}, c.name FROM consultations t JOIN citizens c ON c.id = t.citizen_id"
            f" WHERE t.clinic_id = ? AND t.status IN ({marks})"
            " ORDER BY t.updated_at, t.id LIMIT ?",
            (clinic_id, *statuses, limit),
        )
        return [(_thread(r), r[9]) for r in rows]

    async def set_status(
        self,
        citizen_id: str,
        thread_id: str,
        status: str,
        at: datetime,
        answer_expected_by: datetime | None,
    ) -> None:
        await self._c.execute(
            "UPDATE consultations SET status = ?, updated_at = ?, answer_expected_by = ?"
            " WHERE citizen_id = ? AND id = ?",
            (
                status,
                to_ms(at),
                None if answer_expected_by is None else to_ms(answer_expected_by),
                citizen_id,
                thread_id,
            ),
        )

    async def add_message(self, m: Message) -> None:
        await self._c.execute(
            f"INSERT INTO consultation_messages ({_MSG}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                m.citizen_id,
                m.id,
                m.consultation_id,
                m.author_role,
                m.author_id,
                m.author_name,
                m.body,
                to_ms(m.created_at),
            ),
        )
        for p in m.photos:
            await self._c.execute(
                f"INSERT INTO consultation_photos (citizen_id, consultation_id, {_PHOTO})"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    m.citizen_id,
                    m.consultation_id,
                    p.id,
                    p.message_id,
                    p.blob_key,
                    p.media_type,
                    p.width,
                    p.height,
                    p.size,
                ),
            )

    async def messages(self, citizen_id: str, thread_id: str) -> list[Message]:
        rows = await self._c.fetchall(
            f"SELECT {_MSG} FROM consultation_messages WHERE citizen_id = ?"
            " AND consultation_id = ? ORDER BY created_at, id",
            (citizen_id, thread_id),
        )
        photos: dict[str, list[PhotoRef]] = {}
        for p in await self._c.fetchall(
            f"SELECT {_PHOTO} FROM consultation_photos WHERE citizen_id = ?"
            " AND consultation_id = ? ORDER BY id",
            (citizen_id, thread_id),
        ):
            photos.setdefault(p[1], []).append(
                PhotoRef(
                    id=p[0],
                    message_id=p[1],
                    blob_key=p[2],
                    media_type=p[3],
                    width=p[4],
                    height=p[5],
                    size=p[6],
                )
            )
        out = []
        for r in rows:
            role: Any = r[3]
            out.append(
                Message(
                    citizen_id=r[0],
                    id=r[1],
                    consultation_id=r[2],
                    author_role=role,
                    author_id=r[4],
                    author_name=r[5],
                    body=r[6],
                    created_at=from_ms(r[7]),
                    photos=photos.get(r[1], []),
                )
            )
        return out

    async def photo(self, citizen_id: str, thread_id: str, photo_id: str) -> PhotoRef | None:
        row = await self._c.fetchone(
            f"SELECT {_PHOTO} FROM consultation_photos WHERE citizen_id = ?"
            " AND consultation_id = ? AND id = ?",
            (citizen_id, thread_id, photo_id),
        )
        if row is None:
            return None
        return PhotoRef(
            id=row[0],
            message_id=row[1],
            blob_key=row[2],
            media_type=row[3],
            width=row[4],
            height=row[5],
            size=row[6],
        )
