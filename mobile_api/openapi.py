"""The API contract: the OpenAPI document Litestar builds, finished so clients can be
generated from it (ADR 0017).

Litestar describes each handler from its signature. What it cannot see is added here,
once, for every operation (new routes included the day they are added):

- every error status an operation can answer, each with the one RFC 9457 `Problem`
  schema under `application/problem+json` and the problem types to expect;
- `additionalProperties: false` on request bodies, which refuse unknown fields;
- the bodies the handlers read themselves (file upload, multipart, OAuth form, FHIR);
- headers: `X-Act-For`, `Idempotency-Key`, `Location`, `Retry-After`, `RateLimit-*`;
- an example on every request and response body, and tags by screen.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

import msgspec
from litestar import Litestar
from litestar._openapi.plugin import OpenAPIPlugin
from litestar.routes import HTTPRoute

from app.domain.photos import MAX_PHOTO_BYTES, MAX_PHOTOS_PER_MESSAGE
from app.settings import Settings
from mobile_api.consultation_forms import MAX_MESSAGE_BODY
from mobile_api.problems import PROBLEM_BASE, PROBLEM_JSON, TITLES
from mobile_api.rate_limits import SENSITIVE

__all__ = ["PROBLEMS_DOC", "install_contract"]

#: where each problem type is explained (also served as the types' base URI)
PROBLEMS_DOC = "https://minlaege.dk/problems/"
_REF = "#/components/schemas/Problem"
_WRITES = frozenset({"post", "put", "patch", "delete"})
_METHODS = ("get", "put", "post", "delete", "patch", "head", "options")

PROBLEM_SCHEMA: dict[str, Any] = {
    "type": "object",
    "title": "Problem",
    "description": (
        "An RFC 9457 problem document, sent with `Content-Type: application/problem+json`"
        " for every error. Branch on `type` (its last segment names the kind of problem:"
        " see docs/problems.md, or open the URI); show `title` (Danish, or English with"
        " `Accept-Language: en`) as is; `detail` is for developers."
    ),
    "externalDocs": {"description": "The problem types and what they mean", "url": PROBLEMS_DOC},
    "properties": {
        "type": {
            "type": "string",
            "format": "uri",
            "description": f"`{PROBLEM_BASE}<kind>`; the kinds are listed in docs/problems.md",
            "examples": [PROBLEM_BASE + "slot-taken"],
        },
        "title": {"type": "string", "examples": ["Tiden er desværre optaget"]},
        "status": {"type": "integer", "minimum": 400, "maximum": 599, "examples": [409]},
        "detail": {"type": "string", "examples": ["the slot is no longer free; pick another"]},
        "instance": {"type": "string", "examples": ["/v1/me/appointments"]},
        "errors": {
            "type": "array",
            "description": (
                "For validation problems: one entry per problem found, naming where it is"
                " (`key` for a body field or parameter, `linkId` for a questionnaire item)"
                " and what is wrong (`message`)."
            ),
            "items": {"$ref": "#/components/schemas/ProblemError"},
        },
    },
    "required": ["type", "title", "status"],
}

PROBLEM_ERROR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "title": "ProblemError",
    "description": "One problem found in the request; more keys may appear.",
    "properties": {
        "key": {"type": "string", "description": "the body field or parameter"},
        "message": {"type": "string"},
        "source": {"type": "string", "description": "body, query, path or header"},
        "linkId": {"type": "string", "description": "a questionnaire item"},
    },
    "additionalProperties": True,
}

#: status -> (description, the problem kinds every operation answering it may send)
_STATUS: dict[int, tuple[str, tuple[str, ...]]] = {
    400: (
        "The request is malformed: a body that is not JSON, a wrong type, a missing or"
        " unknown field, a bad parameter. `errors` names each field.",
        ("validation",),
    ),
    401: (
        "No valid access token. Get a new one (refresh), or log in again.",
        ("unauthenticated", "invalid-token", "token-expired"),
    ),
    403: ("The caller is known but may not do this.", ("forbidden",)),
    404: (
        "Not found, or not the caller's to see (the two answer alike).",
        ("not-found",),
    ),
    409: ("The request clashes with the current state; nothing changed.", ("conflict",)),
    413: ("The body is larger than this operation takes.", ("too-large",)),
    415: ("The body's Content-Type is not one this operation reads.", ("unsupported-media-type",)),
    422: (
        "The request is well formed but breaks a rule; nothing changed.",
        ("invalid",),
    ),
    429: (
        "Too many requests: wait the number of seconds in `Retry-After` and try again.",
        ("too-many-requests",),
    ),
    503: (
        "The service cannot reach its database for now: try again after `Retry-After`"
        " seconds. Nothing changed.",
        ("unavailable",),
    ),
}

#: problem kinds beyond the generic ones, per operation and status
_KINDS: dict[str, dict[int, tuple[str, ...]]] = {
    "login": {
        401: ("invalid-id-token", "insufficient-assurance", "unknown-subject"),
        503: ("login-provider-unavailable", "login-not-configured"),
    },
    "refresh": {401: ("token-reused",)},
    "logout": {401: ("token-reused",)},
    "pairGateway": {401: ("invalid-pairing-code",)},
    "gatewayToken": {401: ("invalid-client", "gateway-revoked")},
    "openSummaryLink": {404: ("link-used-or-expired", "not-shared")},
    "openInboxLink": {404: ("link-used-or-expired",)},
    "createSummaryLink": {404: ("not-shared",)},
    "getSummary": {404: ("not-shared",)},
    "getSummaryFhir": {404: ("not-shared",)},
    "getSummaryHtml": {404: ("not-shared",)},
    "getSharedDaily": {404: ("not-shared",)},
    "createImport": {422: ("unsupported-file",)},
    "listFreeSlots": {404: ("no-clinic",)},
    "getMyClinic": {404: ("no-clinic",)},
    "bookAppointment": {
        404: ("no-clinic", "slot-not-found"),
        409: ("slot-taken", "idempotency-key-reused"),
    },
    "cancelAppointment": {409: ("too-late", "not-booked")},
    "rescheduleAppointment": {
        404: ("slot-not-found",),
        409: ("too-late", "not-booked", "same-slot", "slot-taken"),
    },
    "joinWaitlist": {404: ("no-clinic",), 409: ("conflict",)},
    "acceptWaitlistOffer": {409: ("no-offer", "slot-taken", "not-booked")},
    "declineWaitlistOffer": {409: ("no-offer",)},
    "leaveWaitlist": {409: ("conflict",)},
    "requestRenewal": {409: ("renewal-pending",), 422: ("not-renewable",)},
    "renewFromReminder": {409: ("renewal-pending",), 422: ("not-renewable",)},
    "startConsultation": {
        404: ("no-clinic",),
        422: ("photos-off", "photo-rejected", "photo-too-large", "too-many-photos"),
    },
    "writeConsultationMessage": {
        409: ("thread-closed",),
        422: ("photos-off", "photo-rejected", "photo-too-large", "too-many-photos"),
    },
    "answerConsultation": {409: ("thread-closed",)},
    "closeConsultation": {409: ("conflict",)},
    "reopenConsultation": {409: ("conflict",)},
    "revokeShare": {409: ("conflict",)},
    "revokeProxy": {409: ("conflict",)},
    "registerPushDevice": {422: ("bad-push-token",)},
    "answerQuestionnaire": {
        404: ("questionnaire-not-found",),
        409: ("already-submitted", "idempotency-key-reused"),
        422: ("invalid-response",),
    },
    "getMyQuestionnaire": {404: ("questionnaire-not-found",)},
    "putQuestionnaire": {409: ("conflict",), 422: ("invalid-questionnaire",)},
    "getQuestionnaire": {404: ("questionnaire-not-found",)},
    "assignQuestionnaire": {404: ("questionnaire-not-found",)},
    "getQuestionnaireResponse": {404: ("questionnaire-not-found",)},
    "getQuestionnaireResponseFhir": {404: ("questionnaire-not-found",)},
    "resolveInboxItem": {409: ("not-open",)},
    "reviewRenewal": {409: ("conflict",)},
    "approveRenewal": {403: ("gp-only",), 409: ("conflict",)},
    "rejectRenewal": {403: ("gp-only",), 409: ("conflict",)},
    "clinicCancelAppointment": {409: ("conflict",)},
    "addSlot": {422: ("slot-exists",)},
    "uploadReadings": {401: ("gateway-revoked",)},
    "getGatewayMe": {401: ("gateway-revoked",)},
}

#: operations that answer more than one success status: status -> description
_ALSO_SUCCEEDS: dict[str, dict[int, str]] = {
    "bookAppointment": {
        200: "A retry with the same `Idempotency-Key`: the booking made the first time."
    },
    "putQuestionnaire": {201: "The first version of a new key (200: a new version)."},
}
#: handlers that build their Response themselves: the component their body is
_SUCCESS_SCHEMA = {"putQuestionnaire": "DefinitionView", "healthReady": "Health"}
#: handlers that send files: their media types
_FILES = {
    "getConsultationPhoto": ("image/jpeg", "image/png"),
    "viewConsultationPhoto": ("image/jpeg", "image/png"),
}

#: tag -> (description, operation ids); operations not named keep their router's tag
_TAGS: dict[str, tuple[str, tuple[str, ...]]] = {
    "session": (
        "Log in with the national login, refresh, log out.",
        ("login", "refresh", "logout"),
    ),
    "profile": ("The citizen's own profile.", ("getMe", "updateMe")),
    "booking": (
        "The clinic, free slots, appointments and the waitlist.",
        (
            "getMyClinic",
            "listFreeSlots",
            "bookAppointment",
            "listAppointments",
            "getAppointment",
            "cancelAppointment",
            "rescheduleAppointment",
            "exportAppointmentsIcs",
            "joinWaitlist",
            "listWaitlist",
            "acceptWaitlistOffer",
            "declineWaitlistOffer",
            "leaveWaitlist",
        ),
    ),
    "medications": (
        "Medications and prescription renewals.",
        ("listMyMedications", "requestRenewal", "listMyRenewals", "getMyRenewal"),
    ),
    "e-consultation": (
        "Written questions to the clinic, with photos.",
        (
            "startConsultation",
            "listConsultations",
            "getConsultation",
            "writeConsultationMessage",
            "getConsultationPhoto",
        ),
    ),
    "notices": (
        "What the clinic and the system told the citizen, and the phones that get pushes.",
        ("listNotices", "registerPushDevice", "listPushDevices", "removePushDevice"),
    ),
    "health-data": (
        "Wearable data: daily series, sources, file imports, HealthKit and Health Connect.",
        ("getDaily", "listSources", "reorderSources", "createImport", "getImport", "syncHealthKit"),
    ),
    "home-gateways": (
        "The citizen's home BLE gateways: pair, list, revoke.",
        ("startGatewayPairing", "listGateways", "getGateway", "revokeGateway"),
    ),
    "sharing": (
        "Consents that share wearable data with the GP.",
        ("createShare", "listShares", "getShare", "revokeShare"),
    ),
    "power-of-attorney": (
        "Letting a relative act for the citizen (send `X-Act-For`).",
        ("grantProxy", "listGivenProxies", "listHeldProxies", "revokeProxy"),
    ),
    "questionnaires": (
        "PRO questionnaires from the clinic: what is due, answering.",
        ("listMyQuestionnaires", "getMyQuestionnaire", "answerQuestionnaire"),
    ),
    "access-log": (
        "Who did what with the citizen's data.",
        ("getAuditLog", "getAuditLogPeople"),
    ),
    "clinic-calendar": (
        "Clinic staff: rules, opening hours, slots, closures, the day's list.",
        (
            "getClinicianMe",
            "getClinicRules",
            "setClinicRules",
            "getOpeningHours",
            "setOpeningHours",
            "generateSlots",
            "addSlot",
            "addClosure",
            "listClinicDay",
            "clinicCancelAppointment",
        ),
    ),
    "clinic-patients": (
        "Clinic staff: a patient's record, medications, shared data and its summary.",
        (
            "getClinicCitizen",
            "getPatientMedications",
            "setPatientMedications",
            "getSummary",
            "getSummaryFhir",
            "getSummaryHtml",
            "createSummaryLink",
            "openSummaryLink",
            "getSharedDaily",
            "getThresholds",
            "setThresholds",
        ),
    ),
    "clinic-renewals": (
        "Clinic staff: the renewal queue.",
        ("renewalQueue", "reviewRenewal", "approveRenewal", "rejectRenewal"),
    ),
    "clinic-consultations": (
        "Clinic staff: triage and answer e-consultations.",
        (
            "triageConsultations",
            "readConsultation",
            "answerConsultation",
            "closeConsultation",
            "reopenConsultation",
            "viewConsultationPhoto",
        ),
    ),
    "clinic-inbox": (
        "Clinic staff: the triage inbox, as JSON or a page.",
        (
            "clinicInbox",
            "getInboxItem",
            "resolveInboxItem",
            "createInboxLink",
            "getInboxHtml",
            "openInboxLink",
        ),
    ),
    "clinic-questionnaires": (
        "Clinic staff: questionnaire definitions, assigning them, reading answers.",
        (
            "listQuestionnaires",
            "putQuestionnaire",
            "getQuestionnaire",
            "assignQuestionnaire",
            "getQuestionnaireResponse",
            "getQuestionnaireResponseFhir",
        ),
    ),
    "gateway": (
        "For home gateways: pairing, client-credentials token, readings.",
        ("pairGateway", "gatewayToken", "getGatewayMe", "uploadReadings"),
    ),
    "system": ("Health checks and public keys.", ("healthLive", "healthReady", "jwks")),
}
_TAG_OF = {op: tag for tag, (_, ops) in _TAGS.items() for op in ops}
#: where an operation not named above goes, by its path
_TAG_BY_PATH = (
    ("/v1/me/healthconnect", "health-data"),
    ("/v1/me/wearables", "health-data"),
    ("/v1/me/sources", "health-data"),
    ("/v1/me/medications", "medications"),
    ("/v1/me/reminders", "medications"),
    ("/v1/me/doses", "medications"),
    ("/v1/me/exports", "profile"),
    ("/v1/me/connections", "health-data"),
    ("/v1/me", "profile"),
    ("/v1/clinician", "clinic-patients"),
    ("/v1/gateway", "gateway"),
)


# --------------------------------------------------------------------------- bodies


def _binary(description: str) -> dict[str, Any]:
    return {"type": "string", "format": "binary", "description": description}


def _raw_bodies(settings: Settings) -> dict[str, dict[str, Any]]:
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
    _EXTRA_COMPONENTS["FhirQuestionnaireResponse"] = questionnaire_response
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


#: components the raw bodies refer to (filled by `_raw_bodies`)
_EXTRA_COMPONENTS: dict[str, dict[str, Any]] = {}


def _unique_titles(components: dict[str, Any]) -> None:
    """Generators name models by `title`: two components titled alike (Litestar names
    `sync_Outcome` and `pro_answers_Outcome` apart by key only) get titles from their keys."""
    seen: dict[str, int] = {}
    for component in components.values():
        title = component.get("title")
        if title:
            seen[title] = seen.get(title, 0) + 1
    for key, component in components.items():
        if seen.get(component.get("title", ""), 0) > 1:
            component["title"] = "".join(p[:1].upper() + p[1:] for p in key.split("_"))


# ------------------------------------------------------------------------ examples

_UUID = "9b1e4c2a-5d3f-4e8a-b6c7-1f2e3d4c5b6a"
_BY_NAME: dict[str, Any] = {
    "name": "Anna Jensen",
    "citizen_name": "Anna Jensen",
    "author_name": "Anna Jensen",
    "decided_by_name": "Dr. Karen Hansen",
    "resolved_by_name": "Dr. Karen Hansen",
    "timezone": "Europe/Copenhagen",
    "language": "da",
    "lang": "da",
    "reason": "Ondt i ryggen",
    "note": "Jeg har 5 tabletter tilbage",
    "subject": "Bivirkninger",
    "body": "Jeg får hovedpine af den nye medicin.",
    "metric": "blood_pressure_systolic",
    "unit": "mmHg",
    "kind": "consultation",
    "status": "booked",
    "category": "medication",
    "title": "Blodtryk hjemme",
    "title_da": "Blodtryk hjemme",
    "title_en": "Home blood pressure",
    "key": "home-blood-pressure",
    "url": "/v1/summary-links/Zx8…",
    "href": "/v1/me/consultations/9b1e…/photos/p1…",
    "phone": "+45 35 12 34 56",
    "token": "3f1d…9f3c01ab",
    "token_end": "9f3c01ab",
    "platform": "apns",
    "media_type": "image/jpeg",
    "format": "apple-health",
    "medication": "Metformin 500 mg",
    "strength": "500 mg",
    "dosage": "1 tablet morgen og aften",
    "atc": "A10BA02",
    "cpr": "121245-1235",
    "pairing_code": "K7Q2-M9XD",
    "access_token": "eyJhbGciOiJFUzI1NiIs…",
    "refresh_token": "rt_5Hc…",
    "id_token": "eyJhbGciOiJSUzI1NiIs…",
    "nonce": "n-0S6_WzA2Mj",
    "token_type": "Bearer",
    "characteristic": "2A35",
    "payload_hex": "1E7A00500063004C04",
    "severity": "yellow",
    "triage": "green",
    "action": "none",
    "role": "citizen",
    "next_cursor": "djE6MTI",
    "starts_at": "2026-11-23T08:00:00+01:00",
    "ends_at": "2026-11-23T12:00:00+01:00",
    "expires_at": "2026-12-20T09:00:00Z",
    "before": "2026-11-30T12:00:00+01:00",
    "from": "2026-11-23",
    "to": "2026-11-27",
    "data_from": "2026-09-01",
    "first_due": "2026-12-01",
    "text": "Dr. Karen Hansen (behandler) så oversigten over dine delte målinger",
    "text_en": "Dr. Karen Hansen (clinician) viewed the summary of your shared measurements",
}


def _resolve(schema: dict[str, Any], components: dict[str, Any]) -> dict[str, Any]:
    seen = 0
    while "$ref" in schema and seen < 20:
        schema = components.get(schema["$ref"].rsplit("/", 1)[-1], {})
        seen += 1
    return schema


def example_for(
    schema: dict[str, Any], components: dict[str, Any], name: str = "", depth: int = 0
) -> Any:
    """A realistic value that fits `schema` (its own example or default first)."""
    schema = _resolve(schema, components)
    if depth > 8:
        return None
    for key in ("examples", "enum"):
        if schema.get(key):
            return copy.deepcopy(schema[key][0])
    if "example" in schema:
        return copy.deepcopy(schema["example"])
    if "const" in schema:
        return schema["const"]
    for key in ("oneOf", "anyOf"):
        if key in schema:
            options = [o for o in schema[key] if _resolve(o, components).get("type") != "null"]
            return example_for((options or schema[key])[0], components, name, depth + 1)
    if "default" in schema and schema["default"] not in (None, "", [], {}):
        return copy.deepcopy(schema["default"])
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), None)
    if kind == "object" or "properties" in schema:
        return {
            prop: example_for(sub, components, prop, depth + 1)
            for prop, sub in schema.get("properties", {}).items()
        }
    if kind == "array":
        item = example_for(schema.get("items", {}), components, name.rstrip("s"), depth + 1)
        return [] if item is None else [item]
    if kind == "integer":
        return max(int(schema.get("minimum", 1)), 1) if "minimum" in schema else 1
    if kind == "number":
        return 128.0 if "pressure" in name else 1.5
    if kind == "boolean":
        return name in ("active", "changeable", "renewable", "photos_enabled")
    if kind == "string":
        fmt = schema.get("format")
        if name in _BY_NAME and fmt != "binary":
            return _BY_NAME[name]
        if fmt == "date-time":
            return "2026-11-23T08:00:00+01:00"
        if fmt == "date":
            return "2026-11-23"
        if fmt == "binary":
            return None
        if name in _BY_NAME:
            return _BY_NAME[name]
        if name == "id" or name.endswith("_id") or fmt == "uuid":
            return _UUID
        if name.endswith("_at"):
            return "2026-11-20T09:00:00Z"
        return "tekst"
    return None


# ------------------------------------------------------------------------- finish


def _handlers(app: Litestar) -> dict[tuple[str, str], Any]:
    out: dict[tuple[str, str], Any] = {}
    for route in app.routes:
        if not isinstance(route, HTTPRoute):
            continue
        for method, (handler, _) in route.route_handler_map.items():
            out[(route.path_format or "/", method.lower())] = handler
    return out


def _forbid_unknown(app: Litestar) -> set[str]:
    """Names of the request Structs (and those nested in them) that refuse unknown fields."""
    names: set[str] = set()
    seen: set[type] = set()

    def walk(t: Any) -> None:
        if isinstance(t, msgspec.inspect.StructType):
            if t.cls in seen:
                return
            seen.add(t.cls)
            if t.forbid_unknown_fields:
                names.add(t.cls.__name__)
            for f in t.fields:
                walk(f.type)
        elif isinstance(t, msgspec.inspect.CollectionType):
            walk(t.item_type)
        elif isinstance(t, msgspec.inspect.UnionType):
            for x in t.types:
                walk(x)
        elif isinstance(t, msgspec.inspect.DictType):
            walk(t.value_type)
        elif isinstance(t, msgspec.inspect.TupleType):
            for x in t.item_types:
                walk(x)

    for route in app.routes:
        if not isinstance(route, HTTPRoute):
            continue
        for handler in route.route_handlers:
            data = handler.parsed_fn_signature.parameters.get("data")
            if data is None:
                continue
            try:
                walk(msgspec.inspect.type_info(data.annotation))
            except (TypeError, ValueError):  # not a msgspec type: nothing to say
                continue
    return names


def _problem(status: int, kinds: tuple[str, ...], extra: str = "") -> dict[str, Any]:
    base, _ = _STATUS.get(status, ("", ()))
    listed = ", ".join(f"[`{k}`]({PROBLEMS_DOC}{k})" for k in kinds)
    description = f"{base} {extra}".strip() + (f" Problem types: {listed}." if listed else "")
    kind = kinds[0] if kinds else "error"
    da, _en = TITLES.get(kind, TITLES["error"])
    response: dict[str, Any] = {
        "description": description,
        "content": {
            PROBLEM_JSON: {
                "schema": {"$ref": _REF},
                "example": {
                    "type": PROBLEM_BASE + kind,
                    "title": da,
                    "status": status,
                    "detail": "…",
                    "instance": "/v1/…",
                },
            }
        },
    }
    headers: dict[str, Any] = {}
    if status in (429, 503):
        headers["Retry-After"] = {
            "description": "seconds to wait before trying again",
            "schema": {"type": "integer", "minimum": 0},
        }
    if status == 401:
        headers["WWW-Authenticate"] = {
            "description": 'the challenge: `Bearer realm="minlaege"`',
            "schema": {"type": "string"},
        }
    if headers:
        response["headers"] = headers
    return response


def _statuses(
    op_id: str,
    path: str,
    method: str,
    op: dict[str, Any],
    handler: Any,
) -> dict[int, tuple[str, ...]]:
    """Every error status this operation can answer, with its problem kinds."""
    secured = bool(op.get("security"))
    params = op.get("parameters", [])
    has_body = "requestBody" in op
    out: dict[int, list[str]] = {}

    def add(status: int, *kinds: str, generic: bool = True) -> None:
        out.setdefault(status, list(_STATUS[status][1]) if generic else [])
        out[status] += [k for k in kinds if k not in out[status]]

    if secured:
        add(401)
        add(403)
        if path.startswith("/v1/me"):
            add(403, "no-proxy", "proxy-scope")
        if path.startswith("/v1/gateway"):
            add(401, "gateway-revoked")
        # the caller's own record (citizen, clinic) may be gone or not set up
        add(404)
    if has_body:
        add(400)
        add(413)
        add(415)
        add(422)
    if params:
        add(400)
        add(422)
    if any(p.get("in") == "path" for p in params):
        add(404)
    if op_id in SENSITIVE or (secured and method in _WRITES):
        add(429)
    if op_id not in ("healthLive", "jwks"):
        add(503)
    for status, kinds in _KINDS.get(op_id, {}).items():
        if status in _STATUS:
            add(status, *kinds, generic=status != 401 or secured)
    return {s: tuple(k) for s, k in sorted(out.items())}


def _act_for_header() -> dict[str, Any]:
    return {
        "name": "X-Act-For",
        "in": "header",
        "required": False,
        "description": (
            "A relative acting under a power of attorney names the citizen (their id, from"
            " `GET /v1/me/proxies/received`); `403 no-proxy` without an active grant,"
            " `403 proxy-scope` outside it."
        ),
        "schema": {"type": "string"},
    }


_RATE_HEADERS = {
    "RateLimit-Limit": "requests allowed in the window",
    "RateLimit-Remaining": "requests left in the window",
    "RateLimit-Reset": "seconds until the window starts again",
    "RateLimit-Policy": "the limit and its window, e.g. `60; w=60`",
}


def _finish_operation(
    op_id: str,
    path: str,
    method: str,
    op: dict[str, Any],
    handler: Any,
    components: dict[str, Any],
    bodies: dict[str, dict[str, Any]],
    rate_limited: bool,
) -> None:
    tag = _TAG_OF.get(op_id) or next(
        (t for prefix, t in _TAG_BY_PATH if path.startswith(prefix)), None
    )
    if tag is not None:
        op["tags"] = [tag]
    if op_id in bodies:
        op["requestBody"] = bodies[op_id]
    # parameters: the proxy header on citizen routes, tidy optional header types
    params: list[dict[str, Any]] = op.setdefault("parameters", [])
    citizen = path.startswith("/v1/me") and bool(op.get("security"))
    if citizen and not any(p.get("name") == "X-Act-For" for p in params):
        params.append(_act_for_header())
    for p in params:
        if p.get("in") == "header" and not p.get("required"):
            schema = p.get("schema", {})
            options = schema.get("oneOf")
            if options and {"type": "null"} in options:
                rest = [o for o in options if o != {"type": "null"}]
                p["schema"] = {**rest[0], **{k: v for k, v in schema.items() if k != "oneOf"}}
        if p.get("name") == "cursor":
            p.setdefault(
                "description",
                "opaque: pass back `next_cursor` from the previous page; never build one",
            )
    if not params:
        del op["parameters"]
    # request body example
    for media, content in op.get("requestBody", {}).get("content", {}).items():
        if "example" not in content and "schema" in content and "multipart" not in media:
            example = example_for(content["schema"], components)
            if example is not None:
                content["example"] = example
    # success responses: examples, Location, extra success statuses
    responses: dict[str, Any] = op.setdefault("responses", {})
    _fix_success(op_id, responses)
    for code, description in _ALSO_SUCCEEDS.get(op_id, {}).items():
        first = next((r for s, r in responses.items() if s.startswith("2")), None)
        if first is not None and str(code) not in responses:
            responses[str(code)] = {**copy.deepcopy(first), "description": description}
    for status, response in list(responses.items()):
        if not status.startswith("2"):
            continue
        for media, content in response.get("content", {}).items():
            if "example" not in content and "schema" in content and media.endswith("json"):
                example = example_for(content["schema"], components)
                if example is not None:
                    content["example"] = example
        headers = response.get("headers")
        if headers == {}:
            del response["headers"]
        if rate_limited:
            response.setdefault("headers", {}).update(
                {
                    name: {"description": text, "schema": {"type": "string"}}
                    for name, text in _RATE_HEADERS.items()
                }
            )
    if op_id == "createImport":
        for status in ("202",):
            responses.setdefault(status, {"description": "Accepted"}).setdefault("headers", {})[
                "Location"
            ] = {
                "description": "where to poll the import: `/v1/me/imports/{import_id}`",
                "schema": {"type": "string"},
            }
    # errors: Litestar's own 400 shape goes; every status gets the Problem
    for error, kinds in _statuses(op_id, path, method, op, handler).items():
        responses[str(error)] = _problem(error, kinds)
    op["responses"] = dict(sorted(responses.items()))


def _fix_success(op_id: str, responses: dict[str, Any]) -> None:
    """Success bodies Litestar cannot see: built Responses, files, FHIR JSON."""
    for status, response in responses.items():
        if not status.startswith("2"):
            continue
        content = response.get("content", {})
        if op_id in _SUCCESS_SCHEMA:
            response["content"] = {
                "application/json": {
                    "schema": {"$ref": f"#/components/schemas/{_SUCCESS_SCHEMA[op_id]}"}
                }
            }
        elif op_id in _FILES:
            response["content"] = {
                media: {"schema": {"type": "string", "format": "binary"}} for media in _FILES[op_id]
            }
        else:
            for media, body in content.items():
                if media.endswith("+json") and body.get("schema") == {"type": "string"}:
                    body["schema"] = {"type": "object", "description": "a FHIR R4 resource"}


def _request_schemas(app: Litestar, doc: dict[str, Any]) -> None:
    """Request bodies described by msgspec itself, from the very type the body is decoded
    into: its constraints, defaults and `additionalProperties: false` as enforced."""
    handlers = _handlers(app)
    wanted: list[tuple[dict[str, Any], Any, bool]] = []
    for path, method, op in iter_operations(doc):
        handler = handlers.get((path, method))
        data = None if handler is None else handler.parsed_fn_signature.parameters.get("data")
        body = op.get("requestBody", {}).get("content", {}).get("application/json")
        if data is None or body is None:
            continue
        wanted.append((op, data.annotation, data.has_default))
    if not wanted:
        return
    try:
        tops, components = msgspec.json.schema_components(
            [t for _, t, _ in wanted], ref_template="#/components/schemas/{name}"
        )
    except (TypeError, ValueError):  # a type msgspec cannot describe: keep Litestar's
        return
    existing = doc["components"]["schemas"]
    for name, component in components.items():
        _keep_formats(component, existing.get(name, {}))
    existing.update(components)
    for (op, _, optional), top in zip(wanted, tops, strict=True):
        op["requestBody"]["content"]["application/json"]["schema"] = top
        op["requestBody"]["required"] = not optional


def _format_of(schema: dict[str, Any]) -> str | None:
    if "format" in schema:
        return str(schema["format"])
    for key in ("oneOf", "anyOf"):
        for option in schema.get(key, []):
            found = _format_of(option)
            if found:
                return found
    return None


def _keep_formats(component: dict[str, Any], litestar: dict[str, Any]) -> None:
    """msgspec leaves `format: date-time` off a datetime that may lack an offset;
    Litestar's description of the same field says what clients must send."""
    theirs = litestar.get("properties", {})
    for name, prop in component.get("properties", {}).items():
        fmt = _format_of(theirs.get(name, {}))
        if not fmt:
            continue
        branches = prop.get("anyOf", [prop])
        for branch in branches:
            if branch.get("type") == "string" and "format" not in branch:
                branch["format"] = fmt


def finish_schema(app: Litestar, settings: Settings, schema: dict[str, Any]) -> dict[str, Any]:
    """The finished contract for `app` (a new dict; the input is left alone)."""
    from mobile_api.rate_limits import rate_limited

    doc = copy.deepcopy(schema)
    components = doc.setdefault("components", {}).setdefault("schemas", {})
    components["Problem"] = PROBLEM_SCHEMA
    components["ProblemError"] = PROBLEM_ERROR_SCHEMA
    for name in _forbid_unknown(app):
        if name in components:
            components[name]["additionalProperties"] = False
    _request_schemas(app, doc)
    handlers = _handlers(app)
    bodies = _raw_bodies(settings)
    components.update(copy.deepcopy(_EXTRA_COMPONENTS))
    _unique_titles(components)
    for path, item in doc.get("paths", {}).items():
        for method in _METHODS:
            op = item.get(method)
            if not isinstance(op, dict):
                continue
            handler = handlers.get((path, method))
            op_id = op.get("operationId", "")
            _finish_operation(
                op_id,
                path,
                method,
                op,
                handler,
                components,
                bodies,
                rate_limited(settings, op_id, method, bool(op.get("security"))),
            )
    doc["tags"] = [{"name": tag, "description": text} for tag, (text, _) in _TAGS.items()]
    doc.setdefault("info", {})["description"] = _INFO
    return doc


_INFO = (
    "Min Læge companion backend: citizens, clinic staff and home gateways.\n\n"
    "* **Errors** are RFC 9457 `application/problem+json` (`Problem`); the problem types"
    f" are listed at {PROBLEMS_DOC} (docs/problems.md).\n"
    "* **Unknown fields** in a JSON body are refused with 400 (`additionalProperties:"
    " false`); answers may gain fields at any time, so clients must ignore those they do"
    " not know.\n"
    "* **Versioning**: `/v1` never breaks; a breaking change gets `/v2`, and the old"
    " route then sends `Deprecation` and `Sunset` headers (docs/api.md).\n"
    "* **Rate limits** answer 429 with `Retry-After`; an unreachable database 503 with"
    " `Retry-After`."
)


def iter_operations(doc: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """(path, method, operation) for every operation of a finished document."""
    for path, item in doc.get("paths", {}).items():
        for method in _METHODS:
            if isinstance(item.get(method), dict):
                yield path, method, item[method]


class _ContractPlugin(OpenAPIPlugin):
    """Litestar's OpenAPI plugin, serving the finished contract."""

    __slots__ = ()

    def provide_openapi_schema(self) -> dict[str, Any]:
        if not self._openapi_schema:
            raw = self.provide_openapi().to_schema()
            settings: Settings = self.app.state.contract_settings
            self._openapi_schema = finish_schema(self.app, settings, raw)
        return self._openapi_schema


def install_contract(app: Litestar, settings: Settings) -> None:
    """Serve the finished contract at `/schema/openapi.json` (and in Swagger/Scalar)."""
    plugin = app.plugins.get(OpenAPIPlugin)
    app.state.contract_settings = settings
    plugin.__class__ = _ContractPlugin
