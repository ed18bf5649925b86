"""Cloud connections (contracts §11): linked vendor accounts, their tokens and pulls.

Pure values and rules: which vendors there are, what a pull covers, how long to wait
after a failure, and how far a notification's window may be trusted.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

import msgspec

__all__ = [
    "STATE_SECONDS",
    "VENDORS",
    "ConnectionRow",
    "ConnectionStatus",
    "PullJob",
    "PullKind",
    "Tokens",
    "Vendor",
    "backfill_windows",
    "clamp_window",
    "retry_delay_seconds",
]

Vendor = Literal["withings", "polar"]
VENDORS: tuple[Vendor, ...] = ("withings", "polar")
ConnectionStatus = Literal["connected", "broken"]
PullKind = Literal["backfill", "notify", "poll", "subscribe"]

#: an OAuth `state` is good for this long, once
STATE_SECONDS = 600
_DAY = 86_400


class Tokens(msgspec.Struct, frozen=True, kw_only=True):
    """A vendor's tokens for one account; sealed at rest, never logged or returned."""

    access_token: str
    refresh_token: str | None = None
    #: UTC epoch seconds; None: does not expire (Polar)
    expires_at: int | None = None
    #: the vendor's id of the user (Withings `userid`, Polar `x_user_id`)
    vendor_user: str = ""

    def __repr__(self) -> str:  # never show a token in a log or a traceback
        return f"Tokens(vendor_user={self.vendor_user!r}, expires_at={self.expires_at})"

    __str__ = __repr__


class ConnectionRow(msgspec.Struct, frozen=True, kw_only=True):
    """A linked account as the store holds it (tokens still sealed)."""

    citizen_id: str
    vendor: Vendor
    vendor_user: str
    status: ConnectionStatus
    sealed_tokens: str
    token_version: int
    created_at: datetime
    last_sync: datetime | None
    next_poll_at: datetime
    backfill_total: int
    backfill_done: int


class PullJob(msgspec.Struct, frozen=True, kw_only=True):
    """One window of one account to fetch from the vendor."""

    id: str
    citizen_id: str
    vendor: Vendor
    kind: PullKind
    #: UTC epoch seconds, inclusive start, exclusive end
    start_s: int
    end_s: int
    attempts: int
    #: what to fetch: a vendor's kind of data ("measures", "activity", "sleep",
    #: "exercise", "heart_rate"); empty: everything the vendor gives
    topic: str = ""
    #: the vendor's id of one thing to fetch (a Polar exercise id, a date), else empty
    entity: str = ""


def backfill_windows(now_s: int, days: int, chunk_days: int) -> list[tuple[int, int]]:
    """The last `days` days in chunks of `chunk_days`, newest first (what a citizen
    wants to see first), each (start, end) in epoch seconds."""
    out: list[tuple[int, int]] = []
    end = now_s
    first = now_s - days * _DAY
    while end > first:
        start = max(first, end - chunk_days * _DAY)
        out.append((start, end))
        end = start
    return out


def clamp_window(
    start: int | None, end: int | None, now_s: int, *, max_days: int
) -> tuple[int, int]:
    """A notification's window, never trusted: within the last `max_days`, not past
    now (plus a minute), at least a minute long; missing or garbled, the last 2 days."""
    lo_limit = now_s - max_days * _DAY
    if start is None or end is None or end < start:
        return max(lo_limit, now_s - 2 * _DAY), now_s + 60
    lo = min(max(start, lo_limit), now_s)
    hi = min(max(end, lo) + 60, now_s + 60)
    return lo, hi


def retry_delay_seconds(attempts: int) -> int:
    """After the n-th failed try: 30 s, 1, 2, 4 … minutes, at most an hour."""
    return int(min(3600, 30 * 2 ** max(0, attempts - 1)))
