"""PRO answers as FHIR R4 QuestionnaireResponse resources, for the clinic's own systems."""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Controller, Request, Response, get
from litestar.params import FromPath

from adapters.fhir import questionnaire_response
from app.services import pro_answers
from app.services.summary import shared_response
from mobile_api.security import principal_of, runtime_of

__all__ = ["QuestionnaireResponseFhirController"]

FHIR_JSON = "application/fhir+json"


class QuestionnaireResponseFhirController(Controller):
    path = "/questionnaire-responses/{instance_id:str}/fhir"

    @get(operation_id="getQuestionnaireResponseFhir", media_type=FHIR_JSON)
    async def read(
        self, request: Request[Any, Any, Any], instance_id: FromPath[str]
    ) -> Response[bytes]:
        """The answers as a FHIR R4 QuestionnaireResponse; audited like the JSON view."""
        runtime = runtime_of(request)
        async with runtime.store.transaction() as uow:
            instance, stored, _ = await pro_answers.response_for_clinician(
                uow, runtime.clock, principal_of(request), instance_id
            )
        resource = questionnaire_response(shared_response(instance, stored))
        resource["subject"] = {"reference": f"Patient/{instance.citizen_id}"}
        return Response(
            msgspec.json.encode(resource),
            media_type=FHIR_JSON,
            headers={"Cache-Control": "private, no-store"},
        )
