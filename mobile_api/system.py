"""Routes anyone may call: liveness, readiness, and our public keys."""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Request, Response, get

from mobile_api.problems import problem_response
from mobile_api.security import runtime_of

__all__ = ["jwks", "live", "ready"]


class Health(msgspec.Struct, frozen=True):
    status: str


@get("/health/live", exclude_from_auth=True, operation_id="healthLive", tags=["system"])
async def live() -> Health:
    """The process answers."""
    return Health("ok")


@get("/health/ready", exclude_from_auth=True, operation_id="healthReady", tags=["system"])
async def ready(request: Request[Any, Any, Any]) -> Response[Any]:
    """The database answers too; 503 problem+json when it does not."""
    try:
        await runtime_of(request).store.ping()
    except Exception as exc:  # any failure of the database means not ready
        return problem_response(request, status=503, kind="not-ready", detail=f"database: {exc}")
    return Response(Health("ok"))


@get(
    "/.well-known/jwks.json",
    exclude_from_auth=True,
    operation_id="jwks",
    tags=["system"],
    cache_control=None,
)
async def jwks(request: Request[Any, Any, Any]) -> dict[str, list[dict[str, Any]]]:
    """The public keys our access tokens are signed with (all that are still accepted)."""
    return runtime_of(request).ring.jwks()
