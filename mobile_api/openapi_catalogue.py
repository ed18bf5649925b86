"""What the contract says of each operation beyond its signature: the error statuses
and problem kinds it answers, other successes, and the tags that group operations by
screen (used by `mobile_api.openapi`)."""

from __future__ import annotations

__all__ = [
    "ALSO_SUCCEEDS",
    "FILES",
    "KINDS",
    "STATUS",
    "SUCCESS_SCHEMA",
    "TAGS",
    "TAG_BY_PATH",
    "TAG_OF",
]

#: status -> (description, the problem kinds every operation answering it may send)
STATUS: dict[int, tuple[str, tuple[str, ...]]] = {
    400: (
        "The request is malformed: a body that is not JSON, a wrong type, a missing or"
        " unknown field, a bad parameter. `errors` names each field.",
        ("validation",),
    ),
    401: (
        "No valid access token. Get a new one (refresh), or log in again.",
        ("unauthenticated", "invalid-token", "token-expired", "session-ended", "unknown-subject"),
    ),
    403: ("The caller is known but may not do this.", ("forbidden",)),
    404: (
        "Not found, or not the caller's to see (the two answer alike).",
        ("not-found",),
    ),
    409: ("The request clashes with the current state; nothing changed.", ("conflict",)),
    410: (
        "Gone for good: the download link has expired and the file is deleted.",
        ("gone",),
    ),
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
KINDS: dict[str, dict[int, tuple[str, ...]]] = {
    "login": {
        401: ("invalid-id-token", "insufficient-assurance", "unknown-subject"),
        503: ("login-provider-unavailable", "login-not-configured"),
    },
    "refresh": {401: ("token-reused",)},
    "logout": {401: ("token-reused",)},
    "pairGateway": {401: ("invalid-pairing-code",)},
    "gatewayToken": {401: ("invalid-client", "gateway-revoked")},
    "polarWebhook": {401: ("bad-signature",), 404: ("not-found",)},
    "openSummaryLink": {404: ("link-used-or-expired", "not-shared")},
    "openInboxLink": {404: ("link-used-or-expired",)},
    "createSummaryLink": {404: ("not-shared",)},
    "getSummary": {404: ("not-shared",)},
    "getSummaryFhir": {404: ("not-shared",)},
    "getSummaryHtml": {404: ("not-shared",)},
    "getSharedDaily": {404: ("not-shared",)},
    "createImport": {422: ("unsupported-file",)},
    "downloadExport": {409: ("export-not-ready",), 410: ("export-expired",)},
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
    "assignQuestionnaire": {404: ("questionnaire-not-found",), 409: ("account-closed",)},
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
    # issue 14 part B (ADR 0023): a closed account's tokens name no one any more
    "closeAccount": {401: ("unknown-subject",)},
}

#: operations that answer more than one success status: status -> description
ALSO_SUCCEEDS: dict[str, dict[int, str]] = {
    "bookAppointment": {
        200: "A retry with the same `Idempotency-Key`: the booking made the first time."
    },
    "putQuestionnaire": {201: "The first version of a new key (200: a new version)."},
}
#: handlers that build their Response themselves: the component their body is
SUCCESS_SCHEMA = {"putQuestionnaire": "DefinitionView", "healthReady": "Health"}
#: handlers that send files: their media types
FILES = {
    "getConsultationPhoto": ("image/jpeg", "image/png"),
    "viewConsultationPhoto": ("image/jpeg", "image/png"),
    "downloadExport": ("application/zip",),
}

#: tag -> (description, operation ids); operations not named keep their router's tag
TAGS: dict[str, tuple[str, tuple[str, ...]]] = {
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
    "my-data": (
        "Download everything we hold about the citizen as a zip (FHIR, JSON, photos).",
        ("createExport", "getExport", "downloadExport"),
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
TAG_OF = {op: tag for tag, (_, ops) in TAGS.items() for op in ops}
#: where an operation not named above goes, by its path
TAG_BY_PATH = (
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
