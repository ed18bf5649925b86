"""The citizen's access log: who did what with their data, newest first."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, get
from litestar.params import FromQuery, QueryParameter

from app.domain.audit_texts import describe
from app.services import audit
from mobile_api.pagination import decode_cursor, encode_cursor
from mobile_api.security import principal_of, runtime_of

__all__ = ["AuditLogController"]


class Actor(msgspec.Struct, frozen=True, kw_only=True):
    role: str
    id: str
    name: str
    clinic_id: str | None
    on_behalf_of: str | None


class AuditLogItem(msgspec.Struct, frozen=True, kw_only=True):
    seq: int
    at: datetime
    actor: Actor
    action: str
    resource: str
    #: one readable sentence, in the caller's language
    text: str
    text_en: str


class AuditLogPage(msgspec.Struct, frozen=True, kw_only=True):
    items: list[AuditLogItem]
    #: pass as `cursor` for the next (older) page; null at the end
    next_cursor: str | None


class AuditLogController(Controller):
    path = "/audit-log"

    @get(operation_id="getAuditLog")
    async def list_entries(
        self,
        request: Request[Any, Any, Any],
        cursor: FromQuery[str | None] = None,
        limit: Annotated[int, QueryParameter(ge=1, le=200)] = 50,
    ) -> AuditLogPage:
        """A page of the log; this read is itself logged."""
        runtime = runtime_of(request)
        me = principal_of(request)
        before = decode_cursor(cursor)
        async with runtime.store.transaction() as uow:
            citizen = await uow.citizens.get(me.id)
            result = await audit.page(
                uow, runtime.clock, me, citizen_id=me.id, before=before, limit=limit
            )
        language = citizen.language if citizen else "da"
        items = [
            AuditLogItem(
                seq=e.seq,
                at=e.at,
                actor=Actor(
                    role=e.actor_role,
                    id=e.actor_id,
                    name=e.actor_name,
                    clinic_id=e.clinic_id,
                    on_behalf_of=e.on_behalf_of,
                ),
                action=e.action,
                resource=e.resource,
                text=describe(e.action, e.actor_role, e.actor_name, language=language),
                text_en=describe(e.action, e.actor_role, e.actor_name, language="en"),
            )
            for e in result.entries
        ]
        next_cursor = None if result.next_before is None else encode_cursor(result.next_before)
        return AuditLogPage(items=items, next_cursor=next_cursor)
