"""Rate limits where abuse is cheap (ADR 0017), with Litestar's own RateLimitMiddleware.

Two limits, both per minute and configurable (`MINLAEGE_RATE_*`):

- **sensitive** operations (logging in, refreshing, pairing a gateway, the gateway's
  token, opening a one-time summary or inbox link): per client address and operation;
- **writes** (POST, PUT, PATCH, DELETE by a logged-in caller): per caller.

Over a limit the answer is 429 problem+json with `Retry-After` (see `mobile_api.problems`).
The counts live in the process (Litestar's memory store): each node counts on its own.
"""

from __future__ import annotations

from typing import Any

from litestar import Request
from litestar.middleware import DefineMiddleware
from litestar.middleware.rate_limit import RateLimitConfig, get_remote_address

from app.domain.identity import Principal
from app.settings import Settings

__all__ = ["SENSITIVE", "rate_limit_middleware", "rate_limited"]

#: operations limited per client address (guessing and brute force are cheap here)
SENSITIVE = frozenset(
    {
        "login",
        "refresh",
        "logout",
        "pairGateway",
        "gatewayToken",
        "openSummaryLink",
        "openInboxLink",
    }
)
_WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def _operation(request: Request[Any, Any, Any]) -> str:
    handler = request.scope.get("route_handler")
    return str(getattr(handler, "operation_id", "") or "")


def _sensitive(request: Request[Any, Any, Any]) -> bool:
    return _operation(request) in SENSITIVE


def _sensitive_key(request: Request[Any, Any, Any]) -> str:
    return f"sensitive:{_operation(request)}:{get_remote_address(request)}"


def _caller(request: Request[Any, Any, Any]) -> Principal | None:
    user = request.scope.get("user")
    return user if isinstance(user, Principal) else None


def _write(request: Request[Any, Any, Any]) -> bool:
    return request.method in _WRITES and _caller(request) is not None


def _write_key(request: Request[Any, Any, Any]) -> str:
    caller = _caller(request)
    who = f"{caller.role.value}:{caller.id}" if caller else get_remote_address(request)
    return f"writes:{who}"


def rate_limited(settings: Settings, operation_id: str, method: str, secured: bool) -> bool:
    """Whether this operation counts against a limit under these settings."""
    if not settings.rate_limits_on:
        return False
    if operation_id in SENSITIVE:
        return settings.rate_sensitive_per_minute > 0
    return secured and method.upper() in _WRITES and settings.rate_writes_per_minute > 0


def rate_limit_middleware(settings: Settings) -> list[DefineMiddleware]:
    """The middleware for these settings; put it after authentication (it needs the caller)."""
    if not settings.rate_limits_on:
        return []
    out: list[DefineMiddleware] = []
    if settings.rate_sensitive_per_minute > 0:
        out.append(
            RateLimitConfig(
                rate_limit=("minute", settings.rate_sensitive_per_minute),
                identifier_for_request=_sensitive_key,
                check_throttle_handler=_sensitive,
                store="rate_limit_sensitive",
            ).middleware
        )
    if settings.rate_writes_per_minute > 0:
        out.append(
            RateLimitConfig(
                rate_limit=("minute", settings.rate_writes_per_minute),
                identifier_for_request=_write_key,
                check_throttle_handler=_write,
                store="rate_limit_writes",
            ).middleware
        )
    return out
