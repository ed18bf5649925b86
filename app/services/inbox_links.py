"""One-time links to the clinic's inbox page (see `app.domain.inbox_links`), and what
the page shows.

The page is the inbox list of `inbox_queue.list_inbox`, so every item it shows is
audited in its citizen's log exactly as the API list is. Each patient with a
measurement item gets one one-time summary link, minted as the page is built, so the
GP can open the home-measurement summary from the page without a token.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime

import msgspec

from app.domain.identity import Principal, Role
from app.domain.inbox_links import LINK_TTL, InboxLink, InboxLinkStatus
from app.domain.people import Language
from app.errors import NotFound
from app.ports import Clock, InboxPageRow, UnitOfWork
from app.services import summary_links
from app.services.accounts import resolve_principal
from app.services.clinic_schedule import clinic_for
from app.services.inbox_queue import list_inbox

__all__ = ["PAGE_LIMIT", "InboxView", "create_link", "inbox_view", "open_link"]

#: the most items one page lists (the API's largest page); the rest are in the clinic system
PAGE_LIMIT = 200


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class InboxView(msgspec.Struct, frozen=True, kw_only=True):
    """What the inbox page shows: the items in inbox order and, per patient with a
    measurement item, the secret of a one-time summary link."""

    clinic_name: str
    clinician_name: str
    timezone: str
    generated_at: datetime
    status: InboxLinkStatus
    rows: list[InboxPageRow]
    #: citizen id → secret of a one-time summary link (measurement items only)
    summary_tokens: dict[str, str]
    #: more items than `PAGE_LIMIT` wait beyond this page
    more: bool


async def create_link(
    uow: UnitOfWork,
    clock: Clock,
    clinician: Principal,
    *,
    language: Language,
    status: InboxLinkStatus,
) -> tuple[str, InboxLink]:
    """A link for this clinician to open their inbox page once; (secret, link).

    Refused (404 `no-clinic`) for a clinician without a clinic, as the inbox is.
    """
    await clinic_for(uow, clinician)
    token = secrets.token_urlsafe(32)
    now = clock.now()
    link = InboxLink(
        token_hash=_hash(token),
        clinician_subject=clinician.subject,
        language=language,
        status=status,
        created_at=now,
        expires_at=now + LINK_TTL,
    )
    await uow.inbox_links.add(link)
    return token, link


async def open_link(uow: UnitOfWork, clock: Clock, token: str) -> tuple[Principal, InboxLink]:
    """Spend the link: the clinician who asked for it (as they are now) and the link.

    Unknown, used and expired links are refused alike; a clinician removed since is
    refused by `resolve_principal`.
    """
    link = await uow.inbox_links.take(_hash(token), clock.now())
    if link is None:
        raise NotFound(
            "this link is used or expired; open the inbox again from the clinic's system",
            kind="link-used-or-expired",
        )
    return await resolve_principal(uow, Role.CLINICIAN, link.clinician_subject), link


async def inbox_view(
    uow: UnitOfWork,
    clock: Clock,
    clinician: Principal,
    *,
    status: InboxLinkStatus,
    language: Language,
    limit: int = PAGE_LIMIT,
) -> InboxView:
    """The clinician's inbox for the page (audited per item, like the API list), with a
    one-time summary link for each patient who has a measurement item on it."""
    clinic = await clinic_for(uow, clinician)
    page = await list_inbox(uow, clock, clinician, status=status, after=None, limit=limit)
    tokens: dict[str, str] = {}
    tried: set[str] = set()
    for row in page.rows:
        citizen_id = row.item.citizen_id
        if row.item.kind != "measurement" or citizen_id in tried:
            continue
        tried.add(citizen_id)
        try:
            token, _ = await summary_links.create_link(
                uow, clock, clinician, citizen_id, language=language, first=None, last=None
            )
        except NotFound:
            continue  # nothing shared with this clinician now: no link to a page that fails
        tokens[citizen_id] = token
    return InboxView(
        clinic_name=clinic.name,
        clinician_name=clinician.name,
        timezone=clinic.timezone,
        generated_at=clock.now(),
        status=status,
        rows=page.rows,
        summary_tokens=tokens,
        more=page.next_after is not None,
    )
