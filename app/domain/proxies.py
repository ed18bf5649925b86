"""Power of attorney (fuldmagt): a relative acts for a citizen within scopes.

The relative logs in as themselves and names the citizen they act for; every request
checks the grant again (so revoking works at once), the route must belong to a granted
scope (deny by default: profile, access log, gateways and the grants themselves are
never open to a proxy), and everything done is audited with both identities.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal, get_args

import msgspec

__all__ = ["PROXY_SCOPES", "ProxyGrant", "ProxyScope"]

ProxyScope = Literal["booking", "messages", "medications", "wearables", "shares", "questionnaires"]
PROXY_SCOPES: tuple[str, ...] = get_args(ProxyScope)


class ProxyGrant(msgspec.Struct, frozen=True, kw_only=True):
    id: str
    citizen_id: str
    #: keyed hash of the relative's CPR number (never the number itself)
    proxy_cpr_hash: str
    proxy_name: str
    scopes: list[ProxyScope]
    expires_at: datetime
    created_at: datetime
    revoked_at: datetime | None = None

    def active(self, now: datetime) -> bool:
        return self.revoked_at is None and self.created_at <= now < self.expires_at
