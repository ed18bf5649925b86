"""RFC 9457 problem+json for every error, with a stable type and a Danish/English title.

Handlers here catch domain errors, Litestar's own HTTP errors (routing, validation, body
size) and anything unexpected, so no error leaves the app in another shape.
"""

from __future__ import annotations

import logging
import socket
import sqlite3
from typing import Any

import asyncpg
import msgspec
from litestar import Request, Response
from litestar.exceptions import HTTPException, ValidationException

from app.errors import Conflict, DomainError, Forbidden, Gone, Invalid, NotFound, Unauthenticated

__all__ = [
    "PROBLEM_BASE",
    "PROBLEM_JSON",
    "RETRY_AFTER_SECONDS",
    "TITLES",
    "Problem",
    "database_unreachable",
    "exception_handlers",
    "problem_response",
]

log = logging.getLogger("minlaege.problems")

PROBLEM_BASE = "https://minlaege.dk/problems/"
PROBLEM_JSON = "application/problem+json"
#: what a 503 for an unreachable database tells the client to wait
RETRY_AFTER_SECONDS = 5

#: kind -> (Danish title, English title)
TITLES: dict[str, tuple[str, str]] = {
    "validation": ("Ugyldig forespørgsel", "Invalid request"),
    "invalid": ("Ugyldige oplysninger", "Invalid data"),
    "unauthenticated": ("Du er ikke logget ind", "Not logged in"),
    "invalid-token": ("Ugyldigt login", "Invalid credentials"),
    "token-expired": ("Dit login er udløbet", "Your login has expired"),
    "token-reused": ("Sessionen er afsluttet", "The session has ended"),
    "session-ended": ("Du er logget ud", "You are logged out"),
    "account-closed": ("Patienten har lukket sin konto", "The patient closed their account"),
    "invalid-id-token": ("Login blev afvist", "Login was refused"),
    "insufficient-assurance": ("Login-sikringsniveauet er for lavt", "Login assurance too low"),
    "unknown-subject": ("Ukendt bruger", "Unknown user"),
    "gateway-revoked": ("Gatewayen er tilbagekaldt", "The gateway is revoked"),
    "bad-signature": (
        "Signaturen er forkert eller mangler",
        "The signature is wrong or missing",
    ),
    "login-provider-unavailable": ("Login er ikke tilgængeligt", "Login is unavailable"),
    "login-not-configured": ("Login er ikke sat op", "Login is not configured"),
    "forbidden": ("Ingen adgang", "Access denied"),
    "not-found": ("Ikke fundet", "Not found"),
    "method-not-allowed": ("Metoden er ikke tilladt", "Method not allowed"),
    "conflict": ("Konflikt", "Conflict"),
    "too-large": ("Forespørgslen er for stor", "Request too large"),
    "unsupported-media-type": ("Forkert indholdstype", "Unsupported media type"),
    "not-ready": ("Tjenesten er ikke klar", "Service not ready"),
    "internal": ("Der skete en fejl hos os", "Something went wrong on our side"),
    "invalid-pairing-code": ("Parringskoden virker ikke", "The pairing code does not work"),
    "invalid-client": ("Ukendt gateway", "Unknown gateway"),
    "unsupported-file": ("Filen kan ikke læses", "The file cannot be read"),
    "no-clinic": ("Du er ikke tilknyttet en lægeklinik", "You are not listed with a GP clinic"),
    "slot-not-found": ("Tiden findes ikke", "No such appointment slot"),
    "slot-taken": ("Tiden er desværre optaget", "The appointment slot is taken"),
    "slot-exists": ("Der er allerede en tid på det tidspunkt", "There is already a slot then"),
    "too-late": ("For sent at ændre tiden her", "Too late to change the appointment here"),
    "not-booked": ("Tiden er ikke længere bestilt", "The appointment is no longer booked"),
    "same-slot": ("Det er den samme tid", "That is the same appointment slot"),
    "no-offer": ("Der er ikke noget tilbud at svare på", "There is no offer to answer"),
    "not-renewable": ("Medicinen kan ikke fornyes her", "This medication cannot be renewed here"),
    "renewal-pending": ("Der er allerede bedt om fornyelse", "A renewal is already requested"),
    "gp-only": ("Kun en læge kan gøre dette", "Only a doctor can do this"),
    "thread-closed": ("Samtalen er lukket", "The conversation is closed"),
    "photos-off": ("Klinikken modtager ikke billeder", "The clinic does not accept photos"),
    "photo-rejected": ("Billedet kan ikke bruges", "The picture cannot be used"),
    "photo-too-large": ("Billedet er for stort", "The picture is too large"),
    "too-many-photos": ("For mange billeder", "Too many pictures"),
    "idempotency-key-reused": (
        "Nøglen er brugt til en anden forespørgsel",
        "The Idempotency-Key was used for another request",
    ),
    "not-shared": ("Ingen delte data", "No shared data"),
    "no-proxy": ("Du har ikke fuldmagt", "You hold no power of attorney"),
    "proxy-scope": ("Fuldmagten dækker ikke dette", "The power of attorney does not cover this"),
    "invalid-questionnaire": ("Spørgeskemaet er ikke gyldigt", "The questionnaire is not valid"),
    "invalid-response": (
        "Svarene passer ikke til spørgeskemaet",
        "The answers do not fit the questionnaire",
    ),
    "already-submitted": (
        "Spørgeskemaet er allerede besvaret",
        "The questionnaire is already answered",
    ),
    "questionnaire-not-found": ("Spørgeskemaet findes ikke", "No such questionnaire"),
    "not-open": ("Punktet er ikke åbent", "The item is not open"),
    "link-used-or-expired": (
        "Linket er brugt eller udløbet",
        "The link has been used or has expired",
    ),
    "bad-push-token": ("Telefonens push-nøgle er ugyldig", "The phone's push token is invalid"),
    "too-many-requests": (
        "For mange forespørgsler; prøv igen om lidt",
        "Too many requests; try again shortly",
    ),
    "unavailable": (
        "Tjenesten er midlertidigt utilgængelig",
        "The service is temporarily unavailable",
    ),
    "gone": ("Findes ikke længere", "No longer available"),
    "export-expired": (
        "Linket til dine data er udløbet; bestil en ny download",
        "The link to your data has expired; ask for a new download",
    ),
    "export-not-ready": (
        "Dine data er ikke klar endnu",
        "Your data are not ready yet",
    ),
    "error": ("Fejl", "Error"),
}

_STATUS_KIND = {
    400: "validation",
    401: "unauthenticated",
    403: "forbidden",
    404: "not-found",
    405: "method-not-allowed",
    409: "conflict",
    410: "gone",
    413: "too-large",
    415: "unsupported-media-type",
    422: "invalid",
    429: "too-many-requests",
    503: "unavailable",
}

_DOMAIN_STATUS: tuple[tuple[type[DomainError], int], ...] = (
    (NotFound, 404),
    (Conflict, 409),
    (Forbidden, 403),
    (Gone, 410),
    (Unauthenticated, 401),
    (Invalid, 422),
)


class Problem(msgspec.Struct, omit_defaults=True, kw_only=True):
    """An RFC 9457 problem document."""

    type: str
    title: str
    status: int
    detail: str = ""
    instance: str = ""
    errors: list[dict[str, Any]] = msgspec.field(default_factory=list)


def _english(request: Request[Any, Any, Any]) -> bool:
    accept = request.headers.get("accept-language", "")
    return accept.strip().lower().startswith("en")


def problem_response(
    request: Request[Any, Any, Any],
    *,
    status: int,
    kind: str,
    detail: str = "",
    errors: list[dict[str, Any]] | None = None,
    headers: dict[str, str] | None = None,
) -> Response[Problem]:
    da, en = TITLES.get(kind, TITLES["error"])
    body = Problem(
        type=PROBLEM_BASE + kind,
        title=en if _english(request) else da,
        status=status,
        detail=detail,
        instance=request.url.path,
        errors=errors or [],
    )
    return Response(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def _domain(request: Request[Any, Any, Any], exc: Exception) -> Response[Problem]:
    assert isinstance(exc, DomainError)
    status = next((code for cls, code in _DOMAIN_STATUS if isinstance(exc, cls)), 400)
    headers = {"WWW-Authenticate": 'Bearer realm="minlaege"'} if status == 401 else None
    return problem_response(
        request,
        status=status,
        kind=exc.kind,
        detail=exc.detail,
        errors=[dict(e) for e in exc.errors],
        headers=headers,
    )


def _http(request: Request[Any, Any, Any], exc: Exception) -> Response[Problem]:
    assert isinstance(exc, HTTPException)
    status = exc.status_code
    kind = _STATUS_KIND.get(status, "error")
    errors: list[dict[str, Any]] = []
    if isinstance(exc, ValidationException) and isinstance(exc.extra, list):
        errors = [e if isinstance(e, dict) else {"message": str(e)} for e in exc.extra]
    headers = dict(exc.headers or {})
    if status == 401:
        headers.setdefault("WWW-Authenticate", 'Bearer realm="minlaege"')
    if status == 429:  # Litestar's rate limiter says when the window starts again
        reset = headers.get("RateLimit-Reset", "")
        headers.setdefault("Retry-After", reset if reset.isdigit() else "60")
    return problem_response(
        request, status=status, kind=kind, detail=exc.detail, errors=errors, headers=headers
    )


#: errors that mean the database cannot be reached (not that a query was wrong)
_UNREACHABLE: tuple[type[BaseException], ...] = (
    ConnectionError,  # refused, reset, aborted
    socket.gaierror,
    asyncpg.PostgresConnectionError,  # SQLSTATE class 08
    asyncpg.CannotConnectNowError,  # the server is starting or shutting down
    asyncpg.AdminShutdownError,
    asyncpg.CrashShutdownError,
    asyncpg.ConnectionDoesNotExistError,  # the connection went away mid-query
)
_SQLITE_GONE = ("unable to open database file", "disk i/o error", "database is locked")


def database_unreachable(exc: BaseException) -> bool:
    """Whether `exc` (or what caused it) says the database cannot be reached."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, _UNREACHABLE):
            return True
        if isinstance(current, TimeoutError) and _from_driver(current):
            return True
        if isinstance(current, sqlite3.OperationalError) and any(
            text in str(current).lower() for text in _SQLITE_GONE
        ):
            return True
        current = current.__cause__ or current.__context__
    return False


def _from_driver(exc: BaseException) -> bool:
    tb = exc.__traceback__
    while tb is not None:
        if "asyncpg" in tb.tb_frame.f_code.co_filename:
            return True
        tb = tb.tb_next
    return False


def _unexpected(request: Request[Any, Any, Any], exc: Exception) -> Response[Problem]:
    if database_unreachable(exc):
        # one line per request, no traceback: the outage is the news, not the stack
        log.warning(
            "database unreachable: %s %s answered 503 (%s: %s)",
            request.method,
            request.url.path,
            type(exc).__name__,
            exc,
        )
        return problem_response(
            request,
            status=503,
            kind="unavailable",
            detail="the database cannot be reached; try again shortly",
            headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
        )
    log.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return problem_response(
        request, status=500, kind="internal", detail="The error has been logged."
    )


exception_handlers: dict[type[Exception] | int, Any] = {
    DomainError: _domain,
    HTTPException: _http,
    Exception: _unexpected,
}
