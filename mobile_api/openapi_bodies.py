"""Request bodies of the handlers that read the body themselves (file upload, multipart,
the OAuth form, FHIR JSON), as the contract describes them (used by `mobile_api.openapi`)."""

from __future__ import annotations

from typing import Any

from app.domain.photos import MAX_PHOTO_BYTES, MAX_PHOTOS_PER_MESSAGE
from app.settings import Settings
from mobile_api.consultation_forms import MAX_MESSAGE_BODY

__all__ = ["EXTRA_COMPONENTS", "raw_bodies"]


def _binary(description: str) -> dict[str, Any]:
    return {"type": "string", "format": "binary", "description": description}


def raw_bodies(settings: Settings) -> dict[str, dict[str, Any]]:
    """Request bodies of the handlers that read the body themselves."""
    from mobile_api.citizen.imports import UPLOAD_TYPES

    upload_limit = settings.max_upload_body
    upload = _binary(
        f"The file itself: an Apple Health `export.zip` or `export.xml`, or a `.fit` file"
        f" (at most {upload_limit} bytes; larger is 413). What it is is decided from its"
        " first bytes, not from the Content-Type."
    )
    message_fields = {
        "category": {
            "type": "string",
            "enum": ["results", "medication", "practical", "other"],
            "description": "only when starting a consultation",
        },
        "subject": {
            "type": "string",
            "description": "only when starting a consultation",
        },
        "body": {"type": "string", "description": "the message text"},
    }
    photo_note = (
        f"JPEG, PNG or HEIC, at most {MAX_PHOTO_BYTES} bytes each and"
        f" {MAX_PHOTOS_PER_MESSAGE} per message, recognised by their content; stored"
        " without metadata."
    )

    def message(start: bool) -> dict[str, Any]:
        fields = dict(message_fields)
        if not start:
            fields = {"body": message_fields["body"]}
        required = ["category", "subject", "body"] if start else ["body"]
        json_schema = {
            "type": "object",
            "properties": fields,
            "required": required,
            "additionalProperties": False,
        }
        multipart = {
            "type": "object",
            "properties": {
                **fields,
                "photos": {
                    "type": "array",
                    "items": _binary(photo_note),
                    "maxItems": MAX_PHOTOS_PER_MESSAGE,
                    "description": photo_note,
                },
            },
            "required": required,
            "additionalProperties": False,
        }
        example = (
            {"category": "medication", "subject": "Bivirkninger", "body": "Jeg får hovedpine."}
            if start
            else {"body": "Det er blevet bedre, tak."}
        )
        return {
            "required": True,
            "description": (
                "JSON, or `multipart/form-data` with the same fields and up to"
                f" {MAX_PHOTOS_PER_MESSAGE} parts named `photos`; the whole body at most"
                f" {MAX_MESSAGE_BODY} bytes (larger is 413)."
            ),
            "content": {
                "application/json": {"schema": json_schema, "example": example},
                "multipart/form-data": {
                    "schema": multipart,
                    "encoding": {"photos": {"contentType": "image/jpeg, image/png, image/heic"}},
                },
            },
        }

    questionnaire_response = {
        "type": "object",
        "title": "FhirQuestionnaireResponse",
        "description": "A FHIR R4 QuestionnaireResponse; items nested as in the questionnaire.",
        "properties": {
            "resourceType": {"type": "string", "enum": ["QuestionnaireResponse"]},
            "status": {"type": "string", "examples": ["completed"]},
            "item": {"type": "array", "items": {"type": "object"}},
        },
        "required": ["resourceType", "item"],
    }
    response_example = {
        "resourceType": "QuestionnaireResponse",
        "status": "completed",
        "item": [
            {"linkId": "measured", "answer": [{"valueBoolean": True}]},
            {"linkId": "medicine", "answer": [{"valueCoding": {"code": "every-day"}}]},
        ],
    }
    definition = {
        "type": "object",
        "description": (
            "A questionnaire definition (contracts §6): a FHIR R4 Questionnaire, the triage"
            " rules, and the clinic's answer to a green response."
        ),
        "properties": {
            "questionnaire": {"type": "object", "description": "a FHIR R4 Questionnaire"},
            "triage": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "level": {"type": "string", "enum": ["red", "yellow"]},
                        "any": {"type": "array", "items": {"type": "object"}},
                    },
                    "required": ["level", "any"],
                },
            },
            "green_answer_da": {"type": "string"},
            "green_answer_en": {"type": "string"},
        },
        "required": ["questionnaire"],
        "additionalProperties": False,
    }
    definition_example = {
        "questionnaire": {
            "resourceType": "Questionnaire",
            "status": "active",
            "title": "Blodtryk hjemme",
            "item": [
                {"linkId": "chest-pain", "text": "Har du trykken for brystet?", "type": "boolean"}
            ],
        },
        "triage": [{"level": "red", "any": [{"item": "chest-pain", "answer": "true"}]}],
        "green_answer_da": "Tak for dine svar.",
        "green_answer_en": "Thank you for your answers.",
    }
    form = {
        "type": "object",
        "properties": {
            "grant_type": {"type": "string", "enum": ["client_credentials"]},
            "client_id": {
                "type": "string",
                "description": "the gateway's id (or send it with the secret as HTTP Basic)",
            },
            "client_secret": {"type": "string", "description": "the gateway's secret"},
        },
        "required": ["grant_type"],
    }
    EXTRA_COMPONENTS["FhirQuestionnaireResponse"] = questionnaire_response
    return {
        "createImport": {
            "required": True,
            "description": upload["description"],
            "content": {media: {"schema": upload} for media in UPLOAD_TYPES},
        },
        "startConsultation": message(start=True),
        "writeConsultationMessage": message(start=False),
        "gatewayToken": {
            "required": True,
            "description": "OAuth 2 client credentials (RFC 6749 §4.4), at most 4096 bytes.",
            "content": {
                "application/x-www-form-urlencoded": {
                    "schema": form,
                    "example": {
                        "grant_type": "client_credentials",
                        "client_id": "3f0c9a4e-2b7d-4c11-9e55-7d1a8b2c6f00",
                        "client_secret": "k3Jx…",
                    },
                }
            },
        },
        "answerQuestionnaire": {
            "required": True,
            "content": {
                media: {
                    "schema": {"$ref": "#/components/schemas/FhirQuestionnaireResponse"},
                    "example": response_example,
                }
                for media in ("application/fhir+json", "application/json")
            },
        },
        "putQuestionnaire": {
            "required": True,
            "content": {"application/json": {"schema": definition, "example": definition_example}},
        },
    }


#: components the raw bodies refer to (filled by `raw_bodies`)
EXTRA_COMPONENTS: dict[str, dict[str, Any]] = {}
