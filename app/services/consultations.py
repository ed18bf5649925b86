"""E-consultation: citizens write to their clinic, with photos if the clinic allows them.

Photos are checked and cleaned (off the event loop) and written to the blob store
before the database transaction, so the single writer is never held while an image is
decoded; if anything fails after that, the blobs just written are deleted again, so a
refused message leaves nothing behind. Clinic reads and actions are audited; an answer
is a notice to the citizen in the same transaction.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import datetime

import msgspec

from app.domain.consultations import (
    Category,
    Consultation,
    Message,
    PhotoRef,
    answer_expected_by,
)
from app.domain.identity import Principal
from app.domain.ids import new_id
from app.domain.notices import notice
from app.domain.people import Clinic
from app.domain.photos import MAX_PHOTOS_PER_MESSAGE, CleanPhoto
from app.errors import Conflict, Invalid, NotFound
from app.ports import BlobStore, Clock, PhotoCleaner, Store, UnitOfWork
from app.services.audit import event_for, record, record_all
from app.services.booking import clinic_of
from app.services.clinic_schedule import clinic_for
from app.services.notify import tell

__all__ = [
    "Media",
    "Thread",
    "answer",
    "citizen_photo",
    "citizen_writes",
    "clinic_photo",
    "clinic_thread",
    "set_open",
    "start",
    "triage",
]

MAX_BODY = 5000
MAX_SUBJECT = 200


class Media(msgspec.Struct, frozen=True):
    """The two ports photos need."""

    blobs: BlobStore
    cleaner: PhotoCleaner


class Thread(msgspec.Struct, frozen=True, kw_only=True):
    consultation: Consultation
    messages: list[Message]


def _text(value: str, limit: int, what: str) -> str:
    text = value.strip()
    if not 0 < len(text) <= limit:
        raise Invalid(f"the {what} must be 1 to {limit} characters")
    return text


async def _clean(media: Media, clinic: Clinic, raw: Sequence[bytes]) -> list[CleanPhoto]:
    if not raw:
        return []
    if not clinic.rules.photos_enabled:
        raise Invalid("your clinic does not accept photos in messages", kind="photos-off")
    if len(raw) > MAX_PHOTOS_PER_MESSAGE:
        raise Invalid(
            f"at most {MAX_PHOTOS_PER_MESSAGE} photos per message", kind="too-many-photos"
        )
    return [await asyncio.to_thread(media.cleaner.clean, data) for data in raw]


async def _put(
    media: Media, citizen_id: str, thread_id: str, message_id: str, photos: list[CleanPhoto]
) -> list[PhotoRef]:
    refs: list[PhotoRef] = []
    try:
        for photo in photos:
            photo_id = new_id()
            key = f"consultations/{citizen_id}/{thread_id}/{photo_id}"
            await media.blobs.put(key, photo.data)
            refs.append(
                PhotoRef(
                    id=photo_id,
                    message_id=message_id,
                    blob_key=key,
                    media_type=photo.media_type,
                    width=photo.width,
                    height=photo.height,
                    size=len(photo.data),
                )
            )
    except BaseException:
        await _drop(media, refs)
        raise
    return refs


async def _drop(media: Media, refs: Sequence[PhotoRef]) -> None:
    for ref in refs:
        await media.blobs.delete(ref.blob_key)


async def start(
    store: Store,
    clock: Clock,
    media: Media,
    citizen: Principal,
    *,
    category: Category,
    subject: str,
    body: str,
    photos: Sequence[bytes],
) -> Thread:
    """Open a thread with its first message; the answer is due after N working days."""
    title = _text(subject, MAX_SUBJECT, "subject")
    text = _text(body, MAX_BODY, "message")
    async with store.read() as uow:
        clinic = await clinic_of(uow, citizen)
    cleaned = await _clean(media, clinic, photos)
    thread_id, message_id = new_id(), new_id()
    refs = await _put(media, citizen.id, thread_id, message_id, cleaned)
    try:
        async with store.transaction() as uow:
            now = clock.now()
            consultation = Consultation(
                id=thread_id,
                citizen_id=citizen.id,
                clinic_id=clinic.id,
                category=category,
                subject=title,
                created_at=now,
                updated_at=now,
                answer_expected_by=answer_expected_by(
                    now, clinic.timezone, clinic.rules.answer_working_days
                ),
            )
            await uow.consultations.add(consultation)
            message = _message(citizen, "citizen", thread_id, message_id, text, now, refs)
            await uow.consultations.add_message(message)
    except BaseException:
        await _drop(media, refs)
        raise
    return Thread(consultation=consultation, messages=[message])


def _message(
    author: Principal,
    role: str,
    thread: str,
    message_id: str,
    text: str,
    now: datetime,
    refs: list[PhotoRef],
    citizen_id: str | None = None,
) -> Message:
    return Message(
        id=message_id,
        consultation_id=thread,
        citizen_id=citizen_id or author.id,
        author_role="citizen" if role == "citizen" else "clinician",
        author_id=author.id,
        author_name=author.name,
        body=text,
        created_at=now,
        photos=refs,
    )


async def citizen_writes(
    store: Store,
    clock: Clock,
    media: Media,
    citizen: Principal,
    thread_id: str,
    *,
    body: str,
    photos: Sequence[bytes],
) -> Message:
    """A citizen's follow-up: the thread waits for the clinic again."""
    text = _text(body, MAX_BODY, "message")
    async with store.read() as uow:
        clinic = await clinic_of(uow, citizen)
        thread = await uow.consultations.get(citizen.id, thread_id)
    if thread is None:
        raise NotFound("no such consultation")
    if thread.status == "closed":
        raise Conflict(
            "the clinic has closed this consultation; start a new one", kind="thread-closed"
        )
    cleaned = await _clean(media, clinic, photos)
    message_id = new_id()
    refs = await _put(media, citizen.id, thread_id, message_id, cleaned)
    try:
        async with store.transaction() as uow:
            current = await uow.consultations.get(citizen.id, thread_id)
            if current is None or current.status == "closed":
                raise Conflict("the clinic has closed this consultation", kind="thread-closed")
            now = clock.now()
            due = current.answer_expected_by
            if current.status != "open" or due is None:
                due = answer_expected_by(now, clinic.timezone, clinic.rules.answer_working_days)
            message = _message(citizen, "citizen", thread_id, message_id, text, now, refs)
            await uow.consultations.add_message(message)
            await uow.consultations.set_status(citizen.id, thread_id, "open", now, due)
    except BaseException:
        await _drop(media, refs)
        raise
    return message


async def triage(
    uow: UnitOfWork, clock: Clock, clinician: Principal, statuses: Sequence[str], limit: int
) -> list[tuple[Consultation, str]]:
    """The clinic's threads in these statuses, longest waiting first (audited per citizen)."""
    clinic = await clinic_for(uow, clinician)
    rows = await uow.consultations.for_clinic(clinic.id, statuses, limit)
    await record_all(
        uow,
        clock,
        [
            event_for(
                clinician,
                citizen_id=citizen_id,
                action="consultations.read",
                resource="consultations",
            )
            for citizen_id in sorted({t.citizen_id for t, _ in rows})
        ],
    )
    return rows


async def _audit(
    uow: UnitOfWork, clock: Clock, clinician: Principal, thread: Consultation, action: str
) -> None:
    """A clinic action on a thread, in the citizen's audit log."""
    await record(
        uow,
        clock,
        event_for(
            clinician,
            citizen_id=thread.citizen_id,
            action=action,
            resource=f"consultations/{thread.id}",
        ),
    )


async def _clinic_thread(uow: UnitOfWork, clinician: Principal, thread_id: str) -> Consultation:
    clinic = await clinic_for(uow, clinician)
    thread = await uow.consultations.in_clinic(clinic.id, thread_id)
    if thread is None:
        raise NotFound("no such consultation at your clinic")
    return thread


async def clinic_thread(
    uow: UnitOfWork, clock: Clock, clinician: Principal, thread_id: str
) -> Thread:
    thread = await _clinic_thread(uow, clinician, thread_id)
    await _audit(uow, clock, clinician, thread, "consultation.read")
    return Thread(
        consultation=thread,
        messages=await uow.consultations.messages(thread.citizen_id, thread.id),
    )


async def answer(
    uow: UnitOfWork, clock: Clock, clinician: Principal, thread_id: str, body: str
) -> Message:
    """The clinic answers: the thread is answered and the citizen is told."""
    text = _text(body, MAX_BODY, "answer")
    thread = await _clinic_thread(uow, clinician, thread_id)
    if thread.status == "closed":
        raise Conflict("reopen the consultation before answering", kind="thread-closed")
    now = clock.now()
    message = _message(
        clinician, "clinician", thread.id, new_id(), text, now, [], citizen_id=thread.citizen_id
    )
    await uow.consultations.add_message(message)
    await uow.consultations.set_status(thread.citizen_id, thread.id, "answered", now, None)
    await _audit(uow, clock, clinician, thread, "consultation.answer")
    await tell(
        uow,
        clock,
        thread.citizen_id,
        notice("consultation.answered", f"consultations/{thread.id}", subject=thread.subject),
    )
    return message


async def set_open(
    uow: UnitOfWork, clock: Clock, clinician: Principal, thread_id: str, *, open_: bool
) -> Consultation:
    """Close a thread, or reopen a closed one (it then waits for the clinic again)."""
    thread = await _clinic_thread(uow, clinician, thread_id)
    now = clock.now()
    if open_:
        if thread.status != "closed":
            raise Conflict("the consultation is not closed")
        clinic = await clinic_for(uow, clinician)
        due = answer_expected_by(now, clinic.timezone, clinic.rules.answer_working_days)
        await uow.consultations.set_status(thread.citizen_id, thread.id, "open", now, due)
    else:
        if thread.status == "closed":
            raise Conflict("the consultation is already closed")
        await uow.consultations.set_status(thread.citizen_id, thread.id, "closed", now, None)
    await _audit(
        uow, clock, clinician, thread, "consultation.reopen" if open_ else "consultation.close"
    )
    updated = await uow.consultations.get(thread.citizen_id, thread.id)
    assert updated is not None
    return updated


async def citizen_photo(
    store: Store, blobs: BlobStore, citizen: Principal, thread_id: str, photo_id: str
) -> tuple[PhotoRef, bytes]:
    async with store.read() as uow:
        ref = await uow.consultations.photo(citizen.id, thread_id, photo_id)
    if ref is None:
        raise NotFound("no such photo")
    return ref, await blobs.get(ref.blob_key)


async def clinic_photo(
    store: Store,
    clock: Clock,
    blobs: BlobStore,
    clinician: Principal,
    thread_id: str,
    photo_id: str,
) -> tuple[PhotoRef, bytes]:
    async with store.transaction() as uow:
        thread = await _clinic_thread(uow, clinician, thread_id)
        ref = await uow.consultations.photo(thread.citizen_id, thread.id, photo_id)
        if ref is None:
            raise NotFound("no such photo")
        await record(
            uow,
            clock,
            event_for(
                clinician,
                citizen_id=thread.citizen_id,
                action="consultation.photo.read",
                resource=f"consultations/{thread.id}/photos/{photo_id}",
            ),
        )
    return ref, await blobs.get(ref.blob_key)
