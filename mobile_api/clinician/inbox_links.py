"""The inbox as a web page for a GP's browser: with the bearer token
(`/v1/clinician/inbox.html`), or through a one-time link made with it
(`POST /v1/clinician/inbox/links`, opened at `/v1/inbox-links/{token}` without one)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.params import FromPath, JSONBody, QueryParameter

from app.domain.identity import Principal
from app.domain.inbox_links import InboxLinkStatus
from app.domain.people import Language
from app.ports import UnitOfWork
from app.services import inbox_links
from mobile_api.clinician.summary import PAGE_CSP
from mobile_api.runtime import Runtime
from mobile_api.security import principal_of, runtime_of
from mobile_api.web.inbox_page import render_inbox_html

__all__ = [
    "InboxHtmlController",
    "InboxLinkView",
    "InboxPageController",
    "NewInboxLink",
    "inbox_page",
    "open_inbox_link",
]


class NewInboxLink(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    language: Literal["da", "en"] = "da"
    status: Literal["open", "all"] = "open"


class InboxLinkView(msgspec.Struct, frozen=True, kw_only=True):
    #: relative to the API's base URL; opens once
    url: str
    expires_at: datetime


def _summary_url(token: str) -> str:
    return f"/v1/summary-links/{token}"


async def _page(
    uow: UnitOfWork,
    runtime: Runtime,
    clinician: Principal,
    *,
    status: InboxLinkStatus,
    language: Language,
) -> Response[str]:
    """Build the page in the caller's transaction: the listing's audit entries and the
    summary links it hands out are written with it."""
    view = await inbox_links.inbox_view(
        uow, runtime.clock, clinician, status=status, language=language
    )
    urls = {citizen: _summary_url(token) for citizen, token in view.summary_tokens.items()}
    return inbox_page(render_inbox_html(view, summary_urls=urls, language=language))


def inbox_page(html: str) -> Response[str]:
    """The page with the summary page's headers: nothing cached, loaded or indexed, and
    no referrer (the links in it are secrets)."""
    return Response(
        html,
        media_type="text/html; charset=utf-8",
        headers={
            "Cache-Control": "private, no-store",
            "Content-Security-Policy": PAGE_CSP,
            "X-Content-Type-Options": "nosniff",
            "Referrer-Policy": "no-referrer",
            "X-Robots-Tag": "noindex",
        },
    )


@get(
    "/v1/inbox-links/{token:str}",
    operation_id="openInboxLink",
    media_type="text/html",
    tags=["clinician"],
)
async def open_inbox_link(request: Request[Any, Any, Any], token: FromPath[str]) -> Response[str]:
    """Open a one-time link from `POST /v1/clinician/inbox/links` (no token needed: the
    link is the credential). Used, expired or unknown links get 404."""
    runtime = runtime_of(request)
    async with runtime.store.transaction() as uow:
        clinician, link = await inbox_links.open_link(uow, runtime.clock, token)
        return await _page(uow, runtime, clinician, status=link.status, language=link.language)


class InboxPageController(Controller):
    path = "/inbox"

    @post("/links", operation_id="createInboxLink", status_code=201)
    async def create_link(
        self,
        request: Request[Any, Any, Any],
        data: JSONBody[NewInboxLink | None] = None,
    ) -> InboxLinkView:
        """A link that opens your inbox page once in a browser without a token, within
        10 minutes, as you: for a clinic system to hand to the GP's browser. The body
        may be left out (Danish, open items)."""
        body = data or NewInboxLink()
        runtime = runtime_of(request)
        async with runtime.store.transaction() as uow:
            token, link = await inbox_links.create_link(
                uow,
                runtime.clock,
                principal_of(request),
                language=body.language,
                status=body.status,
            )
        return InboxLinkView(url=f"/v1/inbox-links/{token}", expires_at=link.expires_at)


class InboxHtmlController(Controller):
    path = "/inbox.html"

    @get(operation_id="getInboxHtml", media_type="text/html")
    async def page(
        self,
        request: Request[Any, Any, Any],
        status: Annotated[
            Literal["open", "all"], QueryParameter(description="open (default) or all")
        ] = "open",
        lang: Annotated[
            Literal["da", "en"], QueryParameter(description="da (default) or en")
        ] = "da",
    ) -> Response[str]:
        """The inbox as one page in Danish (or English), red before yellow before blue;
        no JavaScript. Each item shown is logged in its patient's audit log."""
        runtime = runtime_of(request)
        async with runtime.store.transaction() as uow:
            return await _page(uow, runtime, principal_of(request), status=status, language=lang)
