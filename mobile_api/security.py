"""Who is calling and what they may send: bearer auth, role guards, content types.

The middleware verifies our access token and resolves the caller and their session
against the store on every request (so revocation and logout are immediate on every
node); each router carries a guard for its role.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from typing import Any

from litestar.connection import ASGIConnection
from litestar.exceptions import HTTPException
from litestar.handlers.base import BaseRouteHandler
from litestar.middleware import AbstractAuthenticationMiddleware, AuthenticationResult

from app.domain.identity import Principal, Role
from app.domain.people import Citizen
from app.errors import Forbidden, Unauthenticated
from app.services.accounts import resolve_caller
from app.services.audit import event_for, record
from app.services.proxies import act_for
from mobile_api.runtime import Runtime

__all__ = [
    "ACT_FOR_HEADER",
    "JSON_ONLY",
    "BearerAuth",
    "check_content_type",
    "citizen_record_of",
    "guarded",
    "principal_of",
    "proxy_scope",
    "require_role",
]

JSON_ONLY = ("application/json",)
#: a relative acting under a power of attorney names the citizen here
ACT_FOR_HEADER = "x-act-for"
_BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})
#: where BearerAuth leaves the calling citizen's own record for the handler
_CITIZEN_RECORD = "minlaege.citizen"


_AUTHORIZATION = b"authorization"
_ACT_FOR = ACT_FOR_HEADER.encode()


def _auth_headers(raw: Iterable[tuple[bytes, bytes]]) -> tuple[str, str]:
    """`Authorization` and `X-Act-For` straight from the ASGI scope: building Litestar's
    Headers object for two values cost a twentieth of an authenticated request."""
    header: str | None = None
    acting_for: str | None = None
    for name, value in raw:  # the first of each counts, as with Headers.get
        lower = name.lower()
        if lower == _AUTHORIZATION and header is None:
            header = value.decode("latin-1")
        elif lower == _ACT_FOR and acting_for is None:
            acting_for = value.decode("latin-1").strip()
    return header or "", acting_for or ""


def runtime_of(connection: ASGIConnection[Any, Any, Any, Any]) -> Runtime:
    runtime: Runtime = connection.app.state.runtime
    return runtime


class BearerAuth(AbstractAuthenticationMiddleware):
    """`Authorization: Bearer <our access token>` → a Principal in `request.user`."""

    async def authenticate_request(
        self, connection: ASGIConnection[Any, Any, Any, Any]
    ) -> AuthenticationResult:
        header, acting_for = _auth_headers(connection.scope["headers"])
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise Unauthenticated("send an access token: Authorization: Bearer …")
        runtime = runtime_of(connection)
        claims = runtime.signer.verify(token.strip())
        # Lookups by key with no transaction around them (`Store.glance`): BEGIN and
        # ROLLBACK were two of an authenticated request's six trips to the database.
        async with runtime.store.glance() as uow:
            caller = await resolve_caller(uow, claims)
            principal = caller.principal
            if acting_for:
                principal = await act_for(uow, runtime.clock, principal, acting_for)
            elif caller.citizen is not None:
                connection.scope[_CITIZEN_RECORD] = caller.citizen  # type: ignore[literal-required]
        return AuthenticationResult(user=principal, auth=token)


def principal_of(connection: ASGIConnection[Any, Any, Any, Any]) -> Principal:
    user = connection.scope.get("user")
    if not isinstance(user, Principal):
        raise Unauthenticated("not authenticated")
    return user


def citizen_record_of(connection: ASGIConnection[Any, Any, Any, Any]) -> Citizen | None:
    """The calling citizen's own record as BearerAuth read it (None under a proxy)."""
    found = connection.scope.get(_CITIZEN_RECORD)
    return found if isinstance(found, Citizen) else None


async def proxy_scope(
    connection: ASGIConnection[Any, Any, Any, Any], handler: BaseRouteHandler
) -> None:
    """Under a power of attorney: the route's scope must be granted (deny by default).

    Routes name their scope in `opt["proxy_scope"]` ("*" = any grant; the handler then
    narrows what it shows). Every request a proxy makes, allowed or not, is written to
    the citizen's audit log with both identities.
    """
    principal = principal_of(connection)
    if principal.proxy is None:
        return
    scope = handler.opt.get("proxy_scope")
    allowed = scope == "*" or (scope is not None and scope in principal.proxy.scopes)
    runtime = runtime_of(connection)
    async with runtime.store.transaction() as uow:
        await record(
            uow,
            runtime.clock,
            event_for(
                principal,
                citizen_id=principal.id,
                action="proxy.request" if allowed else "proxy.denied",
                resource=f"{connection.scope.get('method', '')} {connection.url.path}",
            ),
        )
    if not allowed:
        raise Forbidden(
            "your power of attorney does not cover this" + (f" (needs '{scope}')" if scope else ""),
            kind="proxy-scope",
        )


def require_role(
    role: Role,
) -> Callable[[ASGIConnection[Any, Any, Any, Any], BaseRouteHandler], Awaitable[None]]:
    """A guard that admits only callers of one role.

    Guards are coroutines: Litestar runs a plain function guard in a worker thread, a
    thread hop that cost a tenth of an authenticated request (docs/benchmarks.md).
    """

    async def guard(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
        if principal_of(connection).role is not role:
            raise Forbidden(f"this API is for the {role.value} role", kind="forbidden")

    return guard


Guard = Callable[[ASGIConnection[Any, Any, Any, Any], BaseRouteHandler], Awaitable[None]]


def guarded(*guards: Guard) -> Guard:
    """Several guards run in order as one.

    Litestar copies the route handler for every guard it calls; one guard per router
    instead of three saved a tenth of an authenticated request (docs/benchmarks.md).
    """

    async def all_of(
        connection: ASGIConnection[Any, Any, Any, Any], handler: BaseRouteHandler
    ) -> None:
        for guard in guards:
            await guard(connection, handler)

    return all_of


async def check_content_type(
    connection: ASGIConnection[Any, Any, Any, Any], handler: BaseRouteHandler
) -> None:
    """415 unless a request with a body declares a type its handler reads.

    Handlers read JSON unless their `opt["accept"]` lists other media types (uploads).
    """
    if connection.scope.get("method") not in _BODY_METHODS:
        return
    length = connection.headers.get("content-length")
    chunked = "chunked" in connection.headers.get("transfer-encoding", "").lower()
    if not chunked and (length is None or length.strip() == "0"):
        return
    accepted: tuple[str, ...] = tuple(handler.opt.get("accept", JSON_ONLY))
    media = connection.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    ok = media in accepted or (
        "application/json" in accepted
        and media.startswith("application/")
        and media.endswith("+json")
    )
    if not ok:
        raise HTTPException(
            status_code=415,
            detail=f"send the body as {' or '.join(accepted)}, not {media or 'without a Content-Type'}",
        )
