"""E-consultations for the clinic: triage list, read, answer, close and reopen."""

from __future__ import annotations

from typing import Annotated, Any, Literal

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.params import FromPath, JSONBody, QueryParameter

from app.services import consultations
from mobile_api.citizen.consultations import (
    MessageView,
    ThreadSummary,
    ThreadView,
    message_view,
    photo_response,
    summary,
    thread_view,
)
from mobile_api.security import principal_of, runtime_of

__all__ = ["ClinicConsultationsController"]

_BASE = "/v1/clinician/consultations"


class TriageItem(msgspec.Struct, frozen=True, kw_only=True):
    citizen_id: str
    citizen_name: str
    consultation: ThreadSummary


class Answer(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    body: str


async def _set_open(
    request: Request[Any, Any, Any], thread_id: str, *, open_: bool
) -> ThreadSummary:
    runtime = runtime_of(request)
    async with runtime.store.transaction() as uow:
        thread = await consultations.set_open(
            uow, runtime.clock, principal_of(request), thread_id, open_=open_
        )
    return summary(thread)


class ClinicConsultationsController(Controller):
    path = "/consultations"

    @get(operation_id="triageConsultations")
    async def triage(
        self,
        request: Request[Any, Any, Any],
        status: Annotated[
            Literal["open", "answered", "closed"],
            QueryParameter(description="open = waiting for the clinic"),
        ] = "open",
        limit: Annotated[int, QueryParameter(ge=1, le=500)] = 100,
    ) -> list[TriageItem]:
        """Threads in a status, the longest-waiting first, with category for triage."""
        runtime = runtime_of(request)
        async with runtime.store.transaction() as uow:
            rows = await consultations.triage(
                uow, runtime.clock, principal_of(request), [status], limit
            )
        return [
            TriageItem(citizen_id=t.citizen_id, citizen_name=name, consultation=summary(t))
            for t, name in rows
        ]

    @get("/{thread_id:str}", operation_id="readConsultation")
    async def read(self, request: Request[Any, Any, Any], thread_id: FromPath[str]) -> ThreadView:
        runtime = runtime_of(request)
        async with runtime.store.transaction() as uow:
            thread = await consultations.clinic_thread(
                uow, runtime.clock, principal_of(request), thread_id
            )
        return thread_view(thread, _BASE)

    @post("/{thread_id:str}/messages", operation_id="answerConsultation", status_code=201)
    async def answer(
        self, request: Request[Any, Any, Any], thread_id: FromPath[str], data: JSONBody[Answer]
    ) -> MessageView:
        """Answer; the citizen is told at once (outbox)."""
        runtime = runtime_of(request)
        async with runtime.store.transaction() as uow:
            message = await consultations.answer(
                uow, runtime.clock, principal_of(request), thread_id, data.body
            )
        return message_view(message, _BASE)

    @post("/{thread_id:str}/close", operation_id="closeConsultation", status_code=200)
    async def close(
        self, request: Request[Any, Any, Any], thread_id: FromPath[str]
    ) -> ThreadSummary:
        return await _set_open(request, thread_id, open_=False)

    @post("/{thread_id:str}/reopen", operation_id="reopenConsultation", status_code=200)
    async def reopen(
        self, request: Request[Any, Any, Any], thread_id: FromPath[str]
    ) -> ThreadSummary:
        return await _set_open(request, thread_id, open_=True)

    @get("/{thread_id:str}/photos/{photo_id:str}", operation_id="viewConsultationPhoto")
    async def photo(
        self, request: Request[Any, Any, Any], thread_id: FromPath[str], photo_id: FromPath[str]
    ) -> Response[bytes]:
        """The cleaned photo (no metadata); the look is in the citizen's log."""
        runtime = runtime_of(request)
        ref, data = await consultations.clinic_photo(
            runtime.store,
            runtime.clock,
            runtime.media.blobs,
            principal_of(request),
            thread_id,
            photo_id,
        )
        return photo_response(ref.media_type, data)
