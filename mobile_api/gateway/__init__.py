"""The gateway API, `/v1/gateway/...`: a paired gateway writes for its own citizen only."""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Request, Router, get

from app.domain.identity import Role
from mobile_api.gateway.pairing import GatewayPairingController
from mobile_api.gateway.readings import upload_readings
from mobile_api.security import check_content_type, guarded, principal_of, require_role

__all__ = ["GatewayPairingController", "gateway_router"]


class GatewaySelf(msgspec.Struct, frozen=True, kw_only=True):
    id: str
    name: str


@get("/me", operation_id="getGatewayMe")
async def gateway_me(request: Request[Any, Any, Any]) -> GatewaySelf:
    """Which gateway these credentials belong to (a connectivity check for installers)."""
    p = principal_of(request)
    return GatewaySelf(id=p.id, name=p.name)


gateway_router = Router(
    path="/v1/gateway",
    route_handlers=[gateway_me, upload_readings],
    guards=[guarded(require_role(Role.GATEWAY), check_content_type)],
    tags=["gateway"],
    security=[{"bearer": []}],
)
