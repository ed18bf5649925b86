"""The citizen's PRO questionnaires: what is due, what was answered, and answering."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.params import FromPath, HeaderParameter

from app.domain.pro import Instance, StoredQuestionnaire
from app.services import pro_answers
from app.services.pro_answers import ClinicAction, Outcome
from mobile_api.security import principal_of, runtime_of

__all__ = ["CitizenQuestionnairesController"]

_FHIR_TYPES = ("application/json", "application/fhir+json")


class QuestionnaireListItem(msgspec.Struct, frozen=True, kw_only=True):
    id: str
    key: str
    #: in the citizen's language (title_da and title_en give both)
    title: str
    title_da: str
    title_en: str
    status: str
    due: date
    submitted_at: datetime | None
    triage: str | None


class QuestionnaireList(msgspec.Struct, frozen=True, kw_only=True):
    items: list[QuestionnaireListItem]


class QuestionnaireDetail(msgspec.Struct, frozen=True, kw_only=True):
    id: str
    key: str
    version: int
    status: str
    due: date
    title_da: str
    title_en: str
    #: the FHIR R4 Questionnaire to show (Danish texts, English as translations)
    questionnaire: dict[str, Any]
    submitted_at: datetime | None = None
    triage: str | None = None
    #: the answers as submitted (FHIR R4 QuestionnaireResponse)
    response: dict[str, Any] | None = None
    #: what the clinic did with a yellow or red answer
    clinic_action: ClinicAction | None = None


def _title(stored: StoredQuestionnaire, language: str) -> str:
    return stored.title_en if language == "en" else stored.title_da


def _item(instance: Instance, stored: StoredQuestionnaire, language: str) -> QuestionnaireListItem:
    return QuestionnaireListItem(
        id=instance.id,
        key=instance.key,
        title=_title(stored, language),
        title_da=stored.title_da,
        title_en=stored.title_en,
        status=instance.status,
        due=instance.due,
        submitted_at=instance.submitted_at,
        triage=instance.triage,
    )


class CitizenQuestionnairesController(Controller):
    path = "/questionnaires"
    opt = {"proxy_scope": "questionnaires"}

    @get(operation_id="listMyQuestionnaires")
    async def list_(self, request: Request[Any, Any, Any]) -> QuestionnaireList:
        """Due questionnaires first, then answered ones with their triage (newest first)."""
        runtime = runtime_of(request)
        me = principal_of(request)
        async with runtime.store.read() as uow:
            rows = await pro_answers.citizen_instances(uow, me)
            citizen = await uow.citizens.get(me.id)
        language = citizen.language if citizen else "da"
        return QuestionnaireList(items=[_item(i, s, language) for i, s in rows])

    @get("/{instance_id:str}", operation_id="getMyQuestionnaire")
    async def read(
        self, request: Request[Any, Any, Any], instance_id: FromPath[str]
    ) -> QuestionnaireDetail:
        """One questionnaire to answer, or an answered one with what the clinic did."""
        runtime = runtime_of(request)
        async with runtime.store.read() as uow:
            instance, stored, action = await pro_answers.citizen_instance(
                uow, principal_of(request), instance_id
            )
        body = msgspec.json.decode(stored.body)
        return QuestionnaireDetail(
            id=instance.id,
            key=instance.key,
            version=instance.version,
            status=instance.status,
            due=instance.due,
            title_da=stored.title_da,
            title_en=stored.title_en,
            questionnaire=body["questionnaire"],
            submitted_at=instance.submitted_at,
            triage=instance.triage,
            response=None if instance.response is None else msgspec.json.decode(instance.response),
            clinic_action=action,
        )

    @post(
        "/{instance_id:str}/response",
        operation_id="answerQuestionnaire",
        status_code=201,
        opt={"accept": _FHIR_TYPES},
    )
    async def answer(
        self,
        request: Request[Any, Any, Any],
        instance_id: FromPath[str],
        idempotency_key: Annotated[
            str | None,
            HeaderParameter(
                name="Idempotency-Key",
                description="one string per answer; a retry with it gets the first outcome",
            ),
        ] = None,
    ) -> Response[Outcome]:
        """Submit a FHIR R4 QuestionnaireResponse: 201 with the triage and what to do;
        422 naming each linkId that breaks the questionnaire (nothing is stored); 409
        when it is answered already (a retry with the same Idempotency-Key gets 201)."""
        runtime = runtime_of(request)
        raw = await request.body()
        async with runtime.store.transaction() as uow:
            outcome = await pro_answers.submit(
                uow,
                runtime.clock,
                principal_of(request),
                instance_id,
                raw,
                idempotency_key=idempotency_key,
            )
        return Response(outcome, status_code=201)
