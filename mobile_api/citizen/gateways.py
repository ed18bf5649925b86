"""The citizen's home gateways: list, look at one, revoke."""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Controller, Request, get, post
from litestar.params import FromPath, JSONBody

from app.errors import NotFound
from app.services.audit import event_for, record
from app.services.gateway_pairing import PairingCode, start_pairing
from mobile_api.security import principal_of, runtime_of
from mobile_api.views import GatewayView, gateway_view

__all__ = ["GatewayController"]


class NewGateway(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    name: str


class GatewayController(Controller):
    path = "/gateways"

    @post(operation_id="startGatewayPairing", status_code=201)
    async def start(
        self, request: Request[Any, Any, Any], data: JSONBody[NewGateway]
    ) -> PairingCode:
        """A single-use code, valid for 10 minutes, to type into the new gateway."""
        runtime = runtime_of(request)
        async with runtime.store.transaction() as uow:
            return await start_pairing(uow, runtime.clock, principal_of(request), data.name)

    @get(operation_id="listGateways")
    async def list_gateways(self, request: Request[Any, Any, Any]) -> list[GatewayView]:
        me = principal_of(request)
        async with runtime_of(request).store.read() as uow:
            return [gateway_view(g) for g in await uow.gateways.for_citizen(me.id)]

    @get("/{gateway_id:str}", operation_id="getGateway")
    async def get_gateway(
        self, request: Request[Any, Any, Any], gateway_id: FromPath[str]
    ) -> GatewayView:
        me = principal_of(request)
        async with runtime_of(request).store.read() as uow:
            gateway = await uow.gateways.get(gateway_id)
        if gateway is None or gateway.citizen_id != me.id:
            raise NotFound("no such gateway")
        return gateway_view(gateway)

    @post("/{gateway_id:str}/revoke", operation_id="revokeGateway", status_code=200)
    async def revoke(
        self, request: Request[Any, Any, Any], gateway_id: FromPath[str]
    ) -> GatewayView:
        """Revoke at once: the gateway's next request is refused."""
        runtime = runtime_of(request)
        me = principal_of(request)
        async with runtime.store.transaction() as uow:
            gateway = await uow.gateways.get(gateway_id)
            if gateway is None or gateway.citizen_id != me.id:
                raise NotFound("no such gateway")
            await uow.gateways.revoke(me.id, gateway_id, runtime.clock.now())
            await record(
                uow,
                runtime.clock,
                event_for(
                    me, citizen_id=me.id, action="gateway.revoke", resource=f"gateway/{gateway_id}"
                ),
            )
            revoked = await uow.gateways.get(gateway_id)
        assert revoked is not None
        return gateway_view(revoked)
