"""One-time links to the clinic's inbox page.

The same idea as the summary links (`app.domain.summary_links`), for the page that
lists a clinician's inbox: the clinic's system (which holds the clinician's token) asks
for a link and opens it in the GP's browser. The secret opens the page once, within
`LINK_TTL`, as the clinician is at that moment. A link names no citizen: what the page
shows is decided when it is opened, from the inbox as it is then.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

import msgspec

from app.domain.people import Language
from app.domain.summary_links import LINK_TTL

__all__ = ["LINK_TTL", "InboxLink", "InboxLinkStatus"]

#: which items the page lists: the open ones (default) or every one still visible
InboxLinkStatus = Literal["open", "all"]


class InboxLink(msgspec.Struct, frozen=True, kw_only=True):
    token_hash: str
    clinician_subject: str
    language: Language
    status: InboxLinkStatus
    created_at: datetime
    expires_at: datetime
    used_at: datetime | None = None
