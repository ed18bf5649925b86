"""The clinic's triage inbox (contracts §6): red, yellow, blue; resolve with a note."""

from __future__ import annotations

import base64
from datetime import date, datetime
from typing import Annotated, Any, Literal

import msgspec
from litestar import Controller, Request, get, post
from litestar.params import FromPath, JSONBody, QueryParameter

from app.domain.inbox import InboxAction, InboxItem
from app.errors import Invalid
from app.services import inbox_queue
from mobile_api.security import principal_of, runtime_of

__all__ = ["InboxController", "InboxItemView", "decode_inbox_cursor", "encode_inbox_cursor"]


class InboxItemView(msgspec.Struct, frozen=True, kw_only=True):
    id: str
    citizen_id: str
    citizen_name: str
    severity: str
    kind: str
    code: str
    title_da: str
    title_en: str
    detail_da: str
    detail_en: str
    #: the number that tripped the rule and the limit it was held to
    value: float | None
    threshold: float | None
    #: the days the finding is about (local dates)
    period_from: date | None
    period_to: date | None
    #: where to read more: the patient's summary or the answers
    link: str
    created_at: datetime
    updated_at: datetime
    status: str
    resolved_at: datetime | None = None
    resolved_by_name: str | None = None
    note: str | None = None
    action: str | None = None


class InboxList(msgspec.Struct, frozen=True, kw_only=True):
    items: list[InboxItemView]
    next_cursor: str | None


class Resolution(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    note: str
    action: InboxAction


def item_view(item: InboxItem, citizen_name: str) -> InboxItemView:
    return InboxItemView(
        id=item.id,
        citizen_id=item.citizen_id,
        citizen_name=citizen_name,
        severity=item.severity,
        kind=item.kind,
        code=item.code,
        title_da=item.title_da,
        title_en=item.title_en,
        detail_da=item.detail_da,
        detail_en=item.detail_en,
        value=item.value,
        threshold=item.threshold,
        period_from=item.period_from,
        period_to=item.period_to,
        link=item.link,
        created_at=item.created_at,
        updated_at=item.updated_at,
        status=item.status,
        resolved_at=item.resolved_at,
        resolved_by_name=item.resolved_by_name,
        note=item.note,
        action=item.action,
    )


def encode_inbox_cursor(position: tuple[int, int, str]) -> str:
    rank, created, item_id = position
    return base64.urlsafe_b64encode(f"i1:{rank}:{created}:{item_id}".encode()).decode().rstrip("=")


def decode_inbox_cursor(cursor: str | None) -> tuple[int, int, str] | None:
    if not cursor:
        return None
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        version, rank, created, item_id = text.split(":", 3)
        if version != "i1" or not item_id:
            raise ValueError(version)
        return int(rank), int(created), item_id
    except (ValueError, UnicodeDecodeError) as exc:
        raise Invalid("the cursor is not one we gave out") from exc


class InboxController(Controller):
    path = "/inbox"

    @get(operation_id="clinicInbox")
    async def list_(
        self,
        request: Request[Any, Any, Any],
        status: Annotated[
            Literal["open", "all"], QueryParameter(description="open (default) or all")
        ] = "open",
        cursor: Annotated[
            str | None, QueryParameter(description="next_cursor of the previous page")
        ] = None,
        limit: Annotated[int, QueryParameter(ge=1, le=200)] = 50,
    ) -> InboxList:
        """Red before yellow before blue, oldest first within each; each look is logged
        in the patient's audit log."""
        runtime = runtime_of(request)
        async with runtime.store.transaction() as uow:
            page = await inbox_queue.list_inbox(
                uow,
                runtime.clock,
                principal_of(request),
                status=status,
                after=decode_inbox_cursor(cursor),
                limit=limit,
            )
        return InboxList(
            items=[item_view(r.item, r.citizen_name) for r in page.rows],
            next_cursor=None if page.next_after is None else encode_inbox_cursor(page.next_after),
        )

    @get("/{item_id:str}", operation_id="getInboxItem")
    async def read(self, request: Request[Any, Any, Any], item_id: FromPath[str]) -> InboxItemView:
        runtime = runtime_of(request)
        async with runtime.store.transaction() as uow:
            item, name = await inbox_queue.read_item(
                uow, runtime.clock, principal_of(request), item_id
            )
        return item_view(item, name)

    @post("/{item_id:str}/resolve", operation_id="resolveInboxItem", status_code=200)
    async def resolve(
        self,
        request: Request[Any, Any, Any],
        item_id: FromPath[str],
        data: JSONBody[Resolution],
    ) -> InboxItemView:
        """Close an open item with a note and an action: none, call, or book (the patient
        is offered a consultation through the waitlist)."""
        runtime = runtime_of(request)
        async with runtime.store.transaction() as uow:
            item = await inbox_queue.resolve_item(
                uow,
                runtime.clock,
                principal_of(request),
                item_id,
                note=data.note,
                action=data.action,
            )
            citizen = await uow.citizens.get(item.citizen_id)
        return item_view(item, citizen.name if citizen else "")
