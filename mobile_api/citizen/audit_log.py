"""The citizen's access log: who did what with their data, newest first."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

import msgspec
from litestar import Controller, Request, get
from litestar.params import FromQuery, QueryParameter

from app.domain.audit_texts import describe
from app.services import audit
from mobile_api.pagination import decode_cursor, encode_cursor
from mobile_api.security import principal_of, runtime_of

__all__ = ["AuditLogController", "AuditPeopleController"]


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
        actor: Annotated[
            str | None, QueryParameter(description="only this person (an actor id)")
        ] = None,
        role: Annotated[
            Literal["citizen", "clinician", "proxy", "gateway"] | None,
            QueryParameter(description="only this kind of person"),
        ] = None,
        action: Annotated[
            str | None,
            QueryParameter(
                pattern=r"^[a-z_]+(\.[a-z_]+)*$",
                description="an action or its first part, e.g. 'summary' or 'summary.read'",
            ),
        ] = None,
    ) -> AuditLogPage:
        """A page of the log, newest first, filterable by person and kind; this read is
        itself logged."""
        runtime = runtime_of(request)
        me = principal_of(request)
        before = decode_cursor(cursor)
        async with runtime.store.transaction() as uow:
            citizen = await uow.citizens.get(me.id)
            result = await audit.page(
                uow,
                runtime.clock,
                me,
                citizen_id=me.id,
                before=before,
                limit=limit,
                actor_id=actor,
                actor_role=role,
                action=action,
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


class LogPerson(msgspec.Struct, frozen=True, kw_only=True):
    """Someone who appears in the log, for the app's filter picker."""

    role: str
    id: str
    name: str
    entries: int


class AuditPeopleController(Controller):
    path = "/audit-log/people"

    @get(operation_id="getAuditLogPeople")
    async def people(self, request: Request[Any, Any, Any]) -> list[LogPerson]:
        """Everyone who has touched the citizen's data, most recent first."""
        me = principal_of(request)
        async with runtime_of(request).store.read() as uow:
            rows = await uow.audit.actors(me.id)
        return [LogPerson(role=r, id=i, name=n, entries=c) for r, i, n, c in rows]
