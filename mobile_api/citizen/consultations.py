"""E-consultations for the citizen: start a thread, follow up, read answers, see photos."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.params import FromPath

from app.domain.consultations import CATEGORY_LABELS, Consultation, Message
from app.errors import Invalid, NotFound
from app.services import consultations
from mobile_api.consultation_forms import MAX_MESSAGE_BODY, MESSAGE_MEDIA, read_message
from mobile_api.security import principal_of, runtime_of

__all__ = [
    "ConsultationController",
    "ThreadView",
    "message_view",
    "photo_response",
    "thread_view",
]


class PhotoView(msgspec.Struct, frozen=True, kw_only=True):
    id: str
    media_type: str
    width: int
    height: int
    size: int
    #: path to fetch it with the same token
    href: str


class MessageView(msgspec.Struct, frozen=True, kw_only=True):
    id: str
    author_role: str
    author_name: str
    body: str
    created_at: datetime
    photos: list[PhotoView]


class ThreadSummary(msgspec.Struct, frozen=True, kw_only=True):
    id: str
    category: str
    category_label: str
    category_label_en: str
    subject: str
    status: str
    created_at: datetime
    updated_at: datetime
    #: while waiting for the clinic: when an answer can be expected
    answer_expected_by: datetime | None


class ThreadView(msgspec.Struct, frozen=True, kw_only=True):
    consultation: ThreadSummary
    messages: list[MessageView]


def summary(t: Consultation) -> ThreadSummary:
    da, en = CATEGORY_LABELS[t.category]
    return ThreadSummary(
        id=t.id,
        category=t.category,
        category_label=da,
        category_label_en=en,
        subject=t.subject,
        status=t.status,
        created_at=t.created_at,
        updated_at=t.updated_at,
        answer_expected_by=t.answer_expected_by,
    )


def message_view(m: Message, base: str) -> MessageView:
    return MessageView(
        id=m.id,
        author_role=m.author_role,
        author_name=m.author_name,
        body=m.body,
        created_at=m.created_at,
        photos=[
            PhotoView(
                id=p.id,
                media_type=p.media_type,
                width=p.width,
                height=p.height,
                size=p.size,
                href=f"{base}/{m.consultation_id}/photos/{p.id}",
            )
            for p in m.photos
        ],
    )


def thread_view(t: consultations.Thread, base: str) -> ThreadView:
    return ThreadView(
        consultation=summary(t.consultation),
        messages=[message_view(m, base) for m in t.messages],
    )


def photo_response(media_type: str, data: bytes) -> Response[bytes]:
    """Health data: never cached, never sniffed into something else."""
    return Response(
        data,
        media_type=media_type,
        headers={
            "Cache-Control": "private, no-store",
            "X-Content-Type-Options": "nosniff",
            "Content-Disposition": "inline",
        },
    )


_BASE = "/v1/me/consultations"
_UPLOAD = {"accept": MESSAGE_MEDIA}


class ConsultationController(Controller):
    path = "/consultations"
    opt = {"proxy_scope": "messages"}

    @post(
        operation_id="startConsultation",
        status_code=201,
        opt=_UPLOAD,
        request_max_body_size=MAX_MESSAGE_BODY,
    )
    async def start(self, request: Request[Any, Any, Any]) -> ThreadView:
        """JSON `{category, subject, body}`, or multipart with those fields and up to five
        `photos` parts (JPEG, PNG or HEIC, 10 MB each) when the clinic accepts photos."""
        runtime = runtime_of(request)
        form = await read_message(request)
        if form.category is None or form.subject is None:
            raise Invalid("a new consultation needs a category and a subject")
        thread = await consultations.start(
            runtime.store,
            runtime.clock,
            runtime.media,
            principal_of(request),
            category=form.category,
            subject=form.subject,
            body=form.body,
            photos=form.photos,
        )
        return thread_view(thread, _BASE)

    @get(operation_id="listConsultations")
    async def list_(self, request: Request[Any, Any, Any]) -> list[ThreadSummary]:
        """The citizen's threads, most recently active first."""
        async with runtime_of(request).store.read() as uow:
            return [
                summary(t) for t in await uow.consultations.for_citizen(principal_of(request).id)
            ]

    @get("/{thread_id:str}", operation_id="getConsultation")
    async def get_one(
        self, request: Request[Any, Any, Any], thread_id: FromPath[str]
    ) -> ThreadView:
        me = principal_of(request)
        async with runtime_of(request).store.read() as uow:
            thread = await uow.consultations.get(me.id, thread_id)
            if thread is None:
                raise NotFound("no such consultation")
            messages = await uow.consultations.messages(me.id, thread_id)
        return thread_view(consultations.Thread(consultation=thread, messages=messages), _BASE)

    @post(
        "/{thread_id:str}/messages",
        operation_id="writeConsultationMessage",
        status_code=201,
        opt=_UPLOAD,
        request_max_body_size=MAX_MESSAGE_BODY,
    )
    async def write(self, request: Request[Any, Any, Any], thread_id: FromPath[str]) -> MessageView:
        """A follow-up (JSON `{body}` or multipart with photos); 409 when the thread is closed."""
        runtime = runtime_of(request)
        form = await read_message(request)
        message = await consultations.citizen_writes(
            runtime.store,
            runtime.clock,
            runtime.media,
            principal_of(request),
            thread_id,
            body=form.body,
            photos=form.photos,
        )
        return message_view(message, _BASE)

    @get("/{thread_id:str}/photos/{photo_id:str}", operation_id="getConsultationPhoto")
    async def photo(
        self, request: Request[Any, Any, Any], thread_id: FromPath[str], photo_id: FromPath[str]
    ) -> Response[bytes]:
        runtime = runtime_of(request)
        ref, data = await consultations.citizen_photo(
            runtime.store, runtime.media.blobs, principal_of(request), thread_id, photo_id
        )
        return photo_response(ref.media_type, data)
