"""Ports of cloud connections (ADR 0021): the vendors' clients and the store's tables."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from datetime import datetime
from typing import Protocol

import msgspec

from app.domain.connections import ConnectionRow, PullJob, Tokens
from app.domain.samples import Sample

__all__ = [
    "CloudVendor",
    "ConnectionRepository",
    "Fetched",
    "Permit",
    "PushNote",
    "PushRefused",
    "TokenSealer",
    "VendorError",
    "VendorInvalidGrant",
    "VendorRateLimited",
    "VendorTransient",
    "VendorUnauthorized",
]

#: asks the app-wide budget for one request to the vendor; raises VendorRateLimited
#: (with the seconds to wait) when the bucket is empty
Permit = Callable[[], Awaitable[None]]


class VendorError(Exception):
    """A vendor call failed; the subclasses say what to do about it."""


class VendorTransient(VendorError):
    """Try again later (network, 5xx, the vendor's 'unknown error')."""


class VendorRateLimited(VendorTransient):
    """The budget (ours or the vendor's) is spent: wait `retry_after` seconds."""

    def __init__(self, detail: str, retry_after: float) -> None:
        super().__init__(detail)
        self.retry_after = retry_after


class VendorUnauthorized(VendorError):
    """The access token was refused: refresh it and try again."""


class VendorInvalidGrant(VendorError):
    """The vendor said `invalid_grant`: the link is gone until the citizen reconnects."""


class PushRefused(VendorError):
    """A push to our webhook that must not be believed (a bad or missing signature)."""


class PushNote(msgspec.Struct, frozen=True, kw_only=True):
    """What a vendor's push names: whose data to pull, and which. Never the data itself
    taken on trust: the pull fetches it with the account's own token.

    The seam every pushing vendor fits (Withings' form, Polar's signed JSON, Garmin's
    ping or push payloads, ADR 0025): the webhook turns a push into notes, each note
    into a pull row."""

    vendor_user: str
    #: see `PullJob.topic`; empty: everything
    topic: str = ""
    #: UTC epoch seconds the push names (clamped before use), if any
    start_s: int | None = None
    end_s: int | None = None
    #: one thing to fetch (a Polar exercise id or date), else empty
    entity: str = ""
    #: the user withdrew the app's access at the vendor (Garmin's deregistration and
    #: permission-change pushes): the link is broken and the citizen told
    revoked: bool = False


class Fetched(msgspec.Struct, kw_only=True):
    """What one pull brought back."""

    samples: list[Sample] = msgspec.field(default_factory=list)
    #: external ids of samples the vendor says changed since first sent
    modified: list[str] = msgspec.field(default_factory=list)
    requests: int = 0
    #: the vendor only took a request for the window and pushes the data later
    #: (Garmin's backfill answers 202): the chunk counts as asked for, `last_sync`
    #: stays where it was
    deferred: bool = False


class CloudVendor(Protocol):
    """One vendor's OAuth and data API, as the services need them."""

    name: str
    #: whether the authorize/token endpoints take PKCE (S256)
    pkce: bool
    #: how many days back the vendor serves data at all (None: no limit); a backfill
    #: never asks for more
    history_days: int | None

    def authorize_url(
        self, *, state: str, redirect_uri: str, code_challenge: str | None
    ) -> str: ...

    async def exchange(
        self, *, code: str, redirect_uri: str, code_verifier: str | None, permit: Permit
    ) -> Tokens: ...

    async def register(self, tokens: Tokens, *, member_id: str, permit: Permit) -> None:
        """After the token exchange, before the link counts (Polar registers the user;
        others do nothing)."""
        ...

    async def refresh(self, tokens: Tokens, *, permit: Permit) -> Tokens: ...

    async def fetch(
        self,
        tokens: Tokens,
        start_s: int,
        end_s: int,
        *,
        permit: Permit,
        zone: str,
        topic: str = "",
        entity: str = "",
        purpose: str = "",
    ) -> Fetched:
        """The samples of the window (or of `entity`); `zone` is the citizen's time
        zone, for vendor times that carry none; `purpose` the pull's kind (`backfill`,
        `notify`, `poll`), for vendors that ask for a backfill differently."""
        ...

    def read_push(self, body: bytes, headers: Mapping[str, str]) -> list[PushNote]:
        """The notes of a push to our webhook (`headers` lower-cased); raises
        `PushRefused` when it must not be believed. Pings give no notes."""
        ...

    async def subscribe(self, tokens: Tokens, callback_url: str, *, permit: Permit) -> None: ...

    async def unsubscribe(self, tokens: Tokens, callback_url: str, *, permit: Permit) -> None: ...


class TokenSealer(Protocol):
    """Seals vendor tokens with a key derived from the data key (like the CPR vault)."""

    def seal_tokens(self, tokens: Tokens) -> str: ...
    def open_tokens(self, sealed: str) -> Tokens: ...
    def seal_text(self, text: str) -> str: ...
    def open_text(self, sealed: str) -> str: ...


class ConnectionRepository(Protocol):
    # -- OAuth states -------------------------------------------------------------------
    async def add_state(
        self,
        state_hash: str,
        citizen_id: str,
        vendor: str,
        code_verifier: str | None,
        expires_at: datetime,
    ) -> None: ...

    async def take_state(self, state_hash: str) -> tuple[str, str, str | None, datetime] | None:
        """Delete the state and return (citizen, vendor, sealed verifier, expiry); once."""
        ...

    async def purge_states(self, now: datetime) -> int: ...

    # -- accounts -----------------------------------------------------------------------
    async def get(self, citizen_id: str, vendor: str) -> ConnectionRow | None: ...
    async def by_vendor_user(self, vendor: str, vendor_user: str) -> ConnectionRow | None: ...
    async def for_citizen(self, citizen_id: str) -> list[ConnectionRow]: ...

    async def put(
        self,
        citizen_id: str,
        vendor: str,
        vendor_user: str,
        sealed_tokens: str,
        *,
        at: datetime,
        next_poll_at: datetime,
        backfill_total: int,
    ) -> None:
        """Link (or re-link) the account: connected, new tokens, backfill restarted."""
        ...

    async def delete(self, citizen_id: str, vendor: str) -> bool: ...

    async def start_refresh(
        self, citizen_id: str, vendor: str, version: int, now: datetime, until: datetime
    ) -> bool:
        """Take the refresh lease if the tokens are still at `version` and no one else
        holds it."""
        ...

    async def store_refreshed(
        self, citizen_id: str, vendor: str, version: int, sealed_tokens: str
    ) -> bool:
        """The rotated tokens over `version`, in one statement; the lease is let go."""
        ...

    async def end_refresh(self, citizen_id: str, vendor: str, version: int) -> None:
        """Let go of the refresh lease after a failed refresh (tokens unchanged)."""
        ...

    async def mark_broken(self, citizen_id: str, vendor: str) -> bool: ...

    async def synced(
        self, citizen_id: str, vendor: str, at: datetime | None, *, backfill_step: bool
    ) -> None:
        """A pull done: `last_sync` moves to `at` (None: stays), a backfill chunk counts."""
        ...

    async def due_polls(self, now: datetime, until: datetime, limit: int) -> list[ConnectionRow]:
        """Connected accounts whose daily poll is due, each moved on to `until`."""
        ...

    # -- pulls --------------------------------------------------------------------------
    async def add_pulls(
        self,
        citizen_id: str,
        vendor: str,
        kind: str,
        windows: Sequence[tuple[str, int, int]],
        at: datetime,
        *,
        topic: str = "",
        entity: str = "",
    ) -> None: ...

    async def claim_pulls(
        self, now: datetime, lease_until: datetime, owner: str, limit: int
    ) -> list[PullJob]: ...

    async def finish_pull(self, pull_id: str) -> None: ...

    async def retry_pull(self, pull_id: str, at: datetime, *, count_attempt: bool) -> None: ...

    async def drop_pulls(self, citizen_id: str, vendor: str) -> int: ...

    async def pending_pulls(self, citizen_id: str, vendor: str) -> int: ...

    # -- the app-wide budget ------------------------------------------------------------
    async def take_token(self, name: str, now_ms: int, capacity: float, per_ms: float) -> float:
        """Take one request from the bucket; 0 when taken, else the ms until one is there."""
        ...
