"""One-time links to the GP summary page.

The page is for a GP's browser, which has no bearer token. The clinic's system (which
has the clinician's token) asks for a link and opens it in the browser: a random secret
in the path, good for one opening within ten minutes. Opening it is a read by that
clinician, checked against the citizen's shares and audited at that moment, exactly as
the bearer-token page is; the link carries no right the clinician lost meanwhile.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

import msgspec

from app.domain.people import Language

__all__ = ["LINK_TTL", "SummaryLink"]

#: long enough to click, short enough that a copied or logged link is soon worthless
LINK_TTL = timedelta(minutes=10)


class SummaryLink(msgspec.Struct, frozen=True, kw_only=True):
    token_hash: str
    clinician_subject: str
    citizen_id: str
    language: Language
    first_day: date | None = None
    last_day: date | None = None
    created_at: datetime
    expires_at: datetime
    used_at: datetime | None = None
