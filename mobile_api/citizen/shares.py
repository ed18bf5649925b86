"""The citizen's consents to share wearable data with their GP."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import msgspec
from litestar import Controller, Request, get, post
from litestar.params import FromPath, JSONBody

from app.domain.sharing import Share
from app.errors import NotFound
from app.services.sharing import NewShare, create_share, revoke_share
from mobile_api.security import principal_of, runtime_of

__all__ = ["ShareView", "SharesController", "share_view"]


class ShareView(msgspec.Struct, frozen=True, kw_only=True):
    id: str
    clinic_id: str
    clinician_id: str | None
    metrics: list[str]
    data_from: date | None
    data_days: int | None
    expires_at: datetime
    created_at: datetime
    revoked_at: datetime | None
    #: shared right now (not expired, not revoked)
    active: bool


def share_view(s: Share, now: datetime) -> ShareView:
    return ShareView(
        id=s.id,
        clinic_id=s.clinic_id,
        clinician_id=s.clinician_id,
        metrics=s.metrics,
        data_from=s.data_from,
        data_days=s.data_days,
        expires_at=s.expires_at,
        created_at=s.created_at,
        revoked_at=s.revoked_at,
        active=s.active(now),
    )


class SharesController(Controller):
    path = "/shares"
    opt = {"proxy_scope": "shares"}

    @post(operation_id="createShare", status_code=201)
    async def create(self, request: Request[Any, Any, Any], data: JSONBody[NewShare]) -> ShareView:
        """Share chosen metrics with the GP clinic (or one GP), for a period of data, until
        a time. Nothing is shared without this."""
        runtime = runtime_of(request)
        async with runtime.store.transaction() as uow:
            share = await create_share(uow, runtime.clock, principal_of(request), data)
        return share_view(share, runtime.clock.now())

    @get(operation_id="listShares")
    async def list_(self, request: Request[Any, Any, Any]) -> list[ShareView]:
        runtime = runtime_of(request)
        async with runtime.store.read() as uow:
            shares = await uow.shares.for_citizen(principal_of(request).id)
        now = runtime.clock.now()
        return [share_view(s, now) for s in shares]

    @get("/{share_id:str}", operation_id="getShare")
    async def get_one(self, request: Request[Any, Any, Any], share_id: FromPath[str]) -> ShareView:
        runtime = runtime_of(request)
        async with runtime.store.read() as uow:
            share = await uow.shares.get(principal_of(request).id, share_id)
        if share is None:
            raise NotFound("no such share")
        return share_view(share, runtime.clock.now())

    @post("/{share_id:str}/revoke", operation_id="revokeShare", status_code=200)
    async def revoke(self, request: Request[Any, Any, Any], share_id: FromPath[str]) -> ShareView:
        """Stop sharing now: the clinic's next request gets nothing."""
        runtime = runtime_of(request)
        async with runtime.store.transaction() as uow:
            share = await revoke_share(uow, runtime.clock, principal_of(request), share_id)
        return share_view(share, runtime.clock.now())
