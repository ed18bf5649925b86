"""One-time links to the GP summary page (see `app.domain.summary_links`)."""

from __future__ import annotations

import hashlib
import secrets
from datetime import date

from app.domain.identity import Principal, Role
from app.domain.people import Language
from app.domain.summary_links import LINK_TTL, SummaryLink
from app.errors import NotFound
from app.ports import Clock, UnitOfWork
from app.services.accounts import resolve_principal
from app.services.summary import period, shared_access

__all__ = ["create_link", "open_link"]


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def create_link(
    uow: UnitOfWork,
    clock: Clock,
    clinician: Principal,
    citizen_id: str,
    *,
    language: Language,
    first: date | None,
    last: date | None,
) -> tuple[str, SummaryLink]:
    """A link for this clinician to open the citizen's page once; (secret, link).

    Refused (404 `not-shared`) when nothing is shared with them now, so a link is never
    handed out for a page that would not open.
    """
    period(await shared_access(uow, clock, clinician, citizen_id), first, last)
    token = secrets.token_urlsafe(32)
    now = clock.now()
    link = SummaryLink(
        token_hash=_hash(token),
        clinician_subject=clinician.subject,
        citizen_id=citizen_id,
        language=language,
        first_day=first,
        last_day=last,
        created_at=now,
        expires_at=now + LINK_TTL,
    )
    await uow.summary_links.add(link)
    return token, link


async def open_link(uow: UnitOfWork, clock: Clock, token: str) -> tuple[Principal, SummaryLink]:
    """Spend the link: the clinician who asked for it (as they are now) and the link.

    Unknown, used and expired links are refused alike. A clinician removed since is
    refused by `resolve_principal`; what they may see is checked by the summary itself.
    """
    link = await uow.summary_links.take(_hash(token), clock.now())
    if link is None:
        raise NotFound(
            "this link is used or expired; open the summary again from the clinic's system",
            kind="link-used-or-expired",
        )
    return await resolve_principal(uow, Role.CLINICIAN, link.clinician_subject), link
