"""The clinic's PRO questionnaires: definitions, assigning them, reading answers."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import msgspec
from litestar import Controller, Request, Response, get, post, put
from litestar.params import FromPath, JSONBody

from app.domain.questionnaires import Reason
from app.errors import NotFound
from app.services import pro_answers, questionnaires
from app.services.clinic_schedule import clinic_for
from mobile_api.security import principal_of, runtime_of

__all__ = [
    "AssignmentController",
    "QuestionnaireDefinitionController",
    "QuestionnaireResponseController",
]


class DefinitionView(msgspec.Struct, frozen=True, kw_only=True):
    key: str
    version: int
    title_da: str
    title_en: str
    created_at: datetime


class NewAssignment(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    key: str
    #: every N days after an answer, or null for once
    every_days: int | None = None
    #: the local date the first one is due (default: today, at once)
    first_due: date | None = None


class AssignmentView(msgspec.Struct, frozen=True, kw_only=True):
    id: str
    citizen_id: str
    key: str
    every_days: int | None
    #: the instance opened now, if the first one is due at once
    instance_id: str | None
    next_due: date | None


class ResponseView(msgspec.Struct, frozen=True, kw_only=True):
    id: str
    citizen_id: str
    key: str
    version: int
    title_da: str
    title_en: str
    triage: str | None
    score: float | None
    submitted_at: datetime | None
    reasons: list[Reason]
    #: the FHIR R4 QuestionnaireResponse as submitted
    response: dict[str, Any]


class QuestionnaireDefinitionController(Controller):
    path = "/questionnaires"

    @get(operation_id="listQuestionnaires")
    async def list_(self, request: Request[Any, Any, Any]) -> list[DefinitionView]:
        """The latest version of each of the clinic's questionnaires."""
        runtime = runtime_of(request)
        async with runtime.store.read() as uow:
            clinic = await clinic_for(uow, principal_of(request))
            found = await uow.questionnaires.keys(clinic.id)
        return [
            DefinitionView(
                key=q.key,
                version=q.version,
                title_da=q.title_da,
                title_en=q.title_en,
                created_at=q.created_at,
            )
            for q in found
        ]

    @put("/{key:str}", operation_id="putQuestionnaire")
    async def put_(self, request: Request[Any, Any, Any], key: FromPath[str]) -> Response[Any]:
        """Load a definition (FHIR R4 Questionnaire and triage rules) as a new version:
        201 for a new key, 200 for a new version; 422 lists every problem found."""
        runtime = runtime_of(request)
        raw = await request.body()
        async with runtime.store.transaction() as uow:
            stored, first = await questionnaires.load_definition(
                uow, runtime.clock, principal_of(request), key, raw
            )
        return Response(
            DefinitionView(
                key=stored.key,
                version=stored.version,
                title_da=stored.title_da,
                title_en=stored.title_en,
                created_at=stored.created_at,
            ),
            status_code=201 if first else 200,
        )

    @get("/{key:str}", operation_id="getQuestionnaire")
    async def get_(self, request: Request[Any, Any, Any], key: FromPath[str]) -> dict[str, Any]:
        """The latest version as loaded, with its version number."""
        runtime = runtime_of(request)
        async with runtime.store.read() as uow:
            clinic = await clinic_for(uow, principal_of(request))
            stored = await uow.questionnaires.latest(clinic.id, key)
        if stored is None:
            raise NotFound(
                f"no questionnaire '{key}' at your clinic", kind="questionnaire-not-found"
            )
        body: dict[str, Any] = msgspec.json.decode(stored.body)
        return {"key": stored.key, "version": stored.version, **body}


class AssignmentController(Controller):
    path = "/citizens/{citizen_id:str}/questionnaires"

    @post(operation_id="assignQuestionnaire", status_code=201)
    async def assign(
        self,
        request: Request[Any, Any, Any],
        citizen_id: FromPath[str],
        data: JSONBody[NewAssignment],
    ) -> AssignmentView:
        """Give a patient a questionnaire, once or every N days after each answer."""
        runtime = runtime_of(request)
        async with runtime.store.transaction() as uow:
            assignment, instance = await questionnaires.assign(
                uow,
                runtime.clock,
                principal_of(request),
                citizen_id,
                key=data.key,
                every_days=data.every_days,
                first_due=data.first_due,
            )
        return AssignmentView(
            id=assignment.id,
            citizen_id=assignment.citizen_id,
            key=assignment.key,
            every_days=assignment.every_days,
            instance_id=None if instance is None else instance.id,
            next_due=assignment.next_due,
        )


class QuestionnaireResponseController(Controller):
    path = "/questionnaire-responses"

    @get("/{instance_id:str}", operation_id="getQuestionnaireResponse")
    async def read(
        self, request: Request[Any, Any, Any], instance_id: FromPath[str]
    ) -> ResponseView:
        """A patient's answers with the triage and why; the look is in their log."""
        runtime = runtime_of(request)
        async with runtime.store.transaction() as uow:
            instance, stored, reasons = await pro_answers.response_for_clinician(
                uow, runtime.clock, principal_of(request), instance_id
            )
        return ResponseView(
            id=instance.id,
            citizen_id=instance.citizen_id,
            key=instance.key,
            version=instance.version,
            title_da=stored.title_da,
            title_en=stored.title_en,
            triage=instance.triage,
            score=instance.score,
            submitted_at=instance.submitted_at,
            reasons=reasons,
            response=msgspec.json.decode(instance.response or b"{}"),
        )
