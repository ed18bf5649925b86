"""The citizen's notices: everything the clinic or the system told them, newest first.

The same rows the push relay delivers from the outbox, so a missed push is never a
missed message: the app shows this list.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, get
from litestar.params import QueryParameter

from app.domain.notices import scope_of
from app.services.notify import inbox
from mobile_api.pagination import decode_cursor, encode_cursor
from mobile_api.security import principal_of, runtime_of

__all__ = ["NoticesController"]


class NoticeView(msgspec.Struct, frozen=True, kw_only=True):
    id: str
    kind: str
    at: datetime
    #: in the citizen's language; both languages follow
    title: str
    body: str
    title_da: str
    body_da: str
    title_en: str
    body_en: str
    ref: str


class NoticePage(msgspec.Struct, frozen=True, kw_only=True):
    items: list[NoticeView]
    next_cursor: str | None


class NoticesController(Controller):
    path = "/notices"
    opt = {"proxy_scope": "*"}

    @get(operation_id="listNotices")
    async def list_(
        self,
        request: Request[Any, Any, Any],
        cursor: Annotated[str | None, QueryParameter(description="from next_cursor")] = None,
        limit: Annotated[int, QueryParameter(ge=1, le=100)] = 50,
    ) -> NoticePage:
        me = principal_of(request)
        async with runtime_of(request).store.read() as uow:
            citizen = await uow.citizens.get(me.id)
            proxy = me.proxy
            items, more = await inbox(
                uow,
                me.id,
                before=decode_cursor(cursor),
                limit=limit,
                # a relative sees only notices of the areas granted, a full page of them
                keep=None if proxy is None else (lambda i: scope_of(i.notice.kind) in proxy.scopes),
            )
        en = citizen is not None and citizen.language == "en"
        return NoticePage(
            items=[
                NoticeView(
                    id=i.id,
                    kind=i.notice.kind,
                    at=i.created_at,
                    title=i.notice.title_en if en else i.notice.title_da,
                    body=i.notice.body_en if en else i.notice.body_da,
                    title_da=i.notice.title_da,
                    body_da=i.notice.body_da,
                    title_en=i.notice.title_en,
                    body_en=i.notice.body_en,
                    ref=i.notice.ref,
                )
                for i in items
            ],
            next_cursor=None if more is None else encode_cursor(more),
        )
