"""Powers of attorney (fuldmagt): the ones a citizen gave, and the ones they hold."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import msgspec
from litestar import Controller, Request, get, post
from litestar.params import FromPath, JSONBody

from app.domain.proxies import ProxyGrant
from app.services import proxies
from app.services.proxies import NewProxy
from mobile_api.security import principal_of, runtime_of

__all__ = ["ProxiesController"]


class ProxyView(msgspec.Struct, frozen=True, kw_only=True):
    id: str
    name: str
    scopes: list[str]
    expires_at: datetime
    created_at: datetime
    revoked_at: datetime | None
    active: bool


class HeldView(msgspec.Struct, frozen=True, kw_only=True):
    """A citizen this caller may act for: send `X-Act-For: <citizen_id>` to do so."""

    grant_id: str
    citizen_id: str
    citizen_name: str
    scopes: list[str]
    expires_at: datetime


def proxy_view(g: ProxyGrant, now: datetime) -> ProxyView:
    return ProxyView(
        id=g.id,
        name=g.proxy_name,
        scopes=list(g.scopes),
        expires_at=g.expires_at,
        created_at=g.created_at,
        revoked_at=g.revoked_at,
        active=g.active(now),
    )


class ProxiesController(Controller):
    path = "/proxies"

    @post(operation_id="grantProxy", status_code=201)
    async def grant(self, request: Request[Any, Any, Any], data: JSONBody[NewProxy]) -> ProxyView:
        """Let a relative (by CPR number) act for you in the chosen areas until a time.
        Scopes: booking, messages, medications, wearables, shares."""
        runtime = runtime_of(request)
        async with runtime.store.transaction() as uow:
            g = await proxies.grant(uow, runtime.clock, runtime.vault, principal_of(request), data)
        return proxy_view(g, runtime.clock.now())

    @get(operation_id="listGivenProxies")
    async def given(self, request: Request[Any, Any, Any]) -> list[ProxyView]:
        runtime = runtime_of(request)
        async with runtime.store.read() as uow:
            grants = await uow.proxies.given(principal_of(request).id)
        now = runtime.clock.now()
        return [proxy_view(g, now) for g in grants]

    @get("/received", operation_id="listHeldProxies")
    async def received(self, request: Request[Any, Any, Any]) -> list[HeldView]:
        """The people you may act for now."""
        runtime = runtime_of(request)
        async with runtime.store.read() as uow:
            rows = await proxies.held(uow, runtime.clock, principal_of(request))
        return [
            HeldView(
                grant_id=g.id,
                citizen_id=g.citizen_id,
                citizen_name=name,
                scopes=list(g.scopes),
                expires_at=g.expires_at,
            )
            for g, name in rows
        ]

    @post("/{grant_id:str}/revoke", operation_id="revokeProxy", status_code=200)
    async def revoke(self, request: Request[Any, Any, Any], grant_id: FromPath[str]) -> ProxyView:
        """Effective at once."""
        runtime = runtime_of(request)
        async with runtime.store.transaction() as uow:
            g = await proxies.revoke(uow, runtime.clock, principal_of(request), grant_id)
        return proxy_view(g, runtime.clock.now())
