"""Cloud connections (contracts §11, ADR 0021): link, pull, refresh, disconnect.

A citizen links a vendor account with OAuth 2 (authorization code; PKCE where the
vendor has it): the `state` is random, stored only as its hash, bound to the citizen,
good for 10 minutes and taken once. The tokens are sealed with the data key and never
leave the store in clear. Every fetch is a pull row any worker can claim (a lease, as
the push relay claims the outbox); a backfill is a row per chunk, so its progress is
the share of chunks done. Each request to a vendor first takes a token from the
app-wide bucket in the database, so all nodes together keep to the vendor's limit.

Refresh tokens rotate: a worker takes a short refresh lease on the account, refreshes,
and stores the new pair over the version it started from in one statement. Network
trouble, 5xx and the vendor's own "unknown error" are retried with a growing delay;
only `invalid_grant` breaks the link, and then the citizen is told to reconnect.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta

import msgspec
from authlib.oauth2.rfc7636 import create_s256_code_challenge

from app.domain.connections import (
    STATE_SECONDS,
    VENDORS,
    ConnectionRow,
    PullJob,
    Tokens,
    Vendor,
    backfill_windows,
    clamp_window,
    retry_delay_seconds,
)
from app.domain.identity import Principal
from app.domain.metrics import Metric
from app.domain.notices import notice
from app.domain.plausibility import check
from app.domain.samples import Sample
from app.domain.time import to_ms
from app.errors import NotFound
from app.ports import Clock, Store, UnitOfWork
from app.ports.connections import (
    CloudVendor,
    Fetched,
    Permit,
    TokenSealer,
    VendorError,
    VendorInvalidGrant,
    VendorRateLimited,
    VendorUnauthorized,
)
from app.services.audit import event_for, record
from app.services.inbox import refresh_measurements
from app.services.ingest import reroll
from app.services.notify import tell
from app.services.sample_rows import SourceNumbers, sample_row

__all__ = [
    "BACKFILL_CHUNK_DAYS",
    "VENDOR_NAMES",
    "CloudConnections",
    "ConnectionView",
    "PullReport",
]

_log = logging.getLogger("minlaege.connections")

VENDOR_NAMES: dict[str, str] = {"withings": "Withings", "polar": "Polar"}
#: a backfill is fetched in chunks of this many days (one pull row each)
BACKFILL_CHUNK_DAYS = 10
#: the polling fallback: every account is pulled at least this often
POLL_EVERY = timedelta(hours=24)
#: a pull claimed and not settled comes back after this long
_LEASE = timedelta(minutes=2)
#: a refresh in flight holds the account this long
_REFRESH_LEASE = timedelta(seconds=60)
#: refresh an access token this long before it runs out
_EARLY_S = 300
#: tries of one pull before it is given up (the daily poll fetches the window again)
MAX_ATTEMPTS = 8
_DAY_MS = 86_400_000


class Backfill(msgspec.Struct, frozen=True, kw_only=True):
    done: int
    total: int
    progress: float


class ConnectionView(msgspec.Struct, frozen=True, kw_only=True):
    """What the app shows of a linked account (never a token)."""

    vendor: str
    name: str
    status: str
    connected_at: str
    last_sync: str | None
    backfill: Backfill
    #: pulls waiting (notifications, backfill chunks, polls)
    pending: int
    #: said in the app: what this vendor can give, Danish and English
    note_da: str
    note_en: str


_NOTES: dict[str, tuple[str, str]] = {
    "withings": (
        "Vægt, blodtryk, puls og iltmætning fra dine Withings-apparater hentes automatisk.",
        "Weight, blood pressure, pulse and oxygen saturation from your Withings devices are"
        " fetched automatically.",
    ),
    "polar": (
        "Polar deler kun data, der er uploadet efter, at du har forbundet kontoen.",
        "Polar only shares data uploaded after you linked your account.",
    ),
}


class PullReport(msgspec.Struct, kw_only=True):
    """What one pass over due pulls did."""

    pulled: int = 0
    stored: int = 0
    duplicates: int = 0
    retrying: int = 0
    waiting: int = 0
    broken: int = 0
    given_up: int = 0
    polls_queued: int = 0
    requests: int = 0

    @property
    def anything(self) -> bool:
        return bool(self.pulled or self.retrying or self.broken or self.polls_queued)


def _hash(state: str) -> str:
    return hashlib.sha256(state.encode()).hexdigest()


@dataclass(slots=True)
class CloudConnections:
    """The use cases of cloud connections, bound to one process's ports."""

    store: Store
    clock: Clock
    sealer: TokenSealer
    vendors: Mapping[str, CloudVendor]
    public_url: str
    app_link: str = "minlaege://connections"
    backfill_days: int = 90
    #: requests a minute for the whole app, per vendor (absent: no budget)
    budgets: Mapping[str, int] = field(default_factory=dict)

    # -- URLs -----------------------------------------------------------------------------
    def redirect_uri(self, vendor: str) -> str:
        return f"{self.public_url.rstrip('/')}/v1/connections/{vendor}/callback"

    def webhook_url(self, vendor: str) -> str:
        return f"{self.public_url.rstrip('/')}/v1/webhooks/{vendor}"

    def app_url(self, vendor: str, outcome: str) -> str:
        return f"{self.app_link.rstrip('/')}/{vendor}?outcome={outcome}"

    def _vendor(self, vendor: str) -> CloudVendor:
        found = self.vendors.get(vendor)
        if found is None:
            raise NotFound(f"{vendor} is not available here" if vendor in VENDORS else vendor)
        return found

    # -- the app-wide budget --------------------------------------------------------------
    def permit(self, vendor: str) -> Permit:
        per_minute = self.budgets.get(vendor, 0)

        async def take() -> None:
            if per_minute <= 0:
                return
            async with self.store.transaction() as uow:
                wait_ms = await uow.connections.take_token(
                    vendor, to_ms(self.clock.now()), float(per_minute), per_minute / 60_000
                )
            if wait_ms > 0:
                raise VendorRateLimited(f"{vendor}: the app-wide budget is spent", wait_ms / 1000)

        return take

    # -- linking --------------------------------------------------------------------------
    async def start(self, principal: Principal, vendor: str) -> str:
        """A new authorize URL for the caller; the state in it works once, 10 minutes."""
        client = self._vendor(vendor)
        state = secrets.token_urlsafe(32)
        verifier = secrets.token_urlsafe(48) if client.pkce else None
        challenge = create_s256_code_challenge(verifier) if verifier else None
        now = self.clock.now()
        async with self.store.transaction() as uow:
            await uow.connections.purge_states(now)
            await uow.connections.add_state(
                _hash(state),
                principal.id,
                vendor,
                self.sealer.seal_text(verifier) if verifier else None,
                now + timedelta(seconds=STATE_SECONDS),
            )
            await record(
                uow,
                self.clock,
                event_for(
                    principal, citizen_id=principal.id, action="connection.started", resource=vendor
                ),
            )
        return client.authorize_url(
            state=state, redirect_uri=self.redirect_uri(vendor), code_challenge=challenge
        )

    async def finish(
        self, vendor: str, *, code: str | None, state: str | None, error: str | None
    ) -> str:
        """The callback: the outcome for the app (connected, denied, expired, invalid,
        taken, failed). Nothing here trusts the browser beyond the state it brings."""
        client = self.vendors.get(vendor)
        if client is None or not state:
            return "invalid"
        now = self.clock.now()
        async with self.store.transaction() as uow:
            taken = await uow.connections.take_state(_hash(state))
        if taken is None:
            return "invalid"
        citizen_id, state_vendor, sealed_verifier, expires_at = taken
        if state_vendor != vendor:
            return "invalid"
        if expires_at <= now:
            return "expired"
        if error:
            return "denied"
        if not code:
            return "invalid"
        verifier = self.sealer.open_text(sealed_verifier) if sealed_verifier else None
        try:
            tokens = await client.exchange(
                code=code,
                redirect_uri=self.redirect_uri(vendor),
                code_verifier=verifier,
                permit=self.permit(vendor),
            )
        except VendorError as exc:
            _log.warning("connection %s: token exchange failed: %s", vendor, exc)
            return "failed"
        windows = backfill_windows(int(now.timestamp()), self.backfill_days, BACKFILL_CHUNK_DAYS)
        async with self.store.transaction() as uow:
            other = await uow.connections.by_vendor_user(vendor, tokens.vendor_user)
            if other is not None and other.citizen_id != citizen_id:
                return "taken"
            await uow.connections.drop_pulls(citizen_id, vendor)
            await uow.connections.put(
                citizen_id,
                vendor,
                tokens.vendor_user,
                self.sealer.seal_tokens(tokens),
                at=now,
                next_poll_at=now + POLL_EVERY,
                backfill_total=len(windows),
            )
            now_s = int(now.timestamp())
            await uow.connections.add_pulls(
                citizen_id, vendor, "subscribe", [("", now_s, now_s)], now
            )
            await uow.connections.add_pulls(
                citizen_id, vendor, "backfill", [("", lo, hi) for lo, hi in windows], now
            )
        return "connected"

    async def list(self, citizen_id: str) -> list[ConnectionView]:
        async with self.store.read() as uow:
            rows = await uow.connections.for_citizen(citizen_id)
            pending = {
                r.vendor: await uow.connections.pending_pulls(citizen_id, r.vendor) for r in rows
            }
        return [self._view(r, pending[r.vendor]) for r in rows]

    def _view(self, r: ConnectionRow, pending: int) -> ConnectionView:
        total = r.backfill_total
        done = min(r.backfill_done, total)
        note_da, note_en = _NOTES.get(r.vendor, ("", ""))
        return ConnectionView(
            vendor=r.vendor,
            name=VENDOR_NAMES.get(r.vendor, r.vendor),
            status=r.status,
            connected_at=r.created_at.isoformat(),
            last_sync=r.last_sync.isoformat() if r.last_sync else None,
            backfill=Backfill(
                done=done, total=total, progress=round(done / total, 3) if total else 1.0
            ),
            pending=pending,
            note_da=note_da,
            note_en=note_en,
        )

    async def disconnect(self, principal: Principal, vendor: str) -> None:
        """Revoke the vendor's notifications where it can, then delete the tokens and
        the pulls. The samples already fetched stay (§10 deletes them by source)."""
        async with self.store.read() as uow:
            row = await uow.connections.get(principal.id, vendor)
        if row is None:
            raise NotFound("no such connection")
        client = self.vendors.get(vendor)
        if client is not None and row.status == "connected":
            try:
                await client.unsubscribe(
                    self.sealer.open_tokens(row.sealed_tokens),
                    self.webhook_url(vendor),
                    permit=self.permit(vendor),
                )
            except VendorError as exc:  # the link goes anyway; Withings drops dead ones
                _log.info("connection %s: revoking the subscription failed: %s", vendor, exc)
        async with self.store.transaction() as uow:
            await uow.connections.drop_pulls(principal.id, vendor)
            await uow.connections.delete(principal.id, vendor)
            await record(
                uow,
                self.clock,
                event_for(
                    principal,
                    citizen_id=principal.id,
                    action="connection.removed",
                    resource=vendor,
                ),
            )

    async def unsubscribe_all(self, citizen_id: str) -> None:
        """Turn off every vendor's notifications for a closing account, best effort:
        the tokens and pulls go with the account's transaction either way (ADR 0023)."""
        async with self.store.read() as uow:
            rows = await uow.connections.for_citizen(citizen_id)
        for row in rows:
            client = self.vendors.get(row.vendor)
            if client is None or row.status != "connected":
                continue
            try:
                await client.unsubscribe(
                    self.sealer.open_tokens(row.sealed_tokens),
                    self.webhook_url(row.vendor),
                    permit=self.permit(row.vendor),
                )
            except VendorError as exc:
                _log.info("connection %s: revoking the subscription failed: %s", row.vendor, exc)

    # -- notifications and polls ----------------------------------------------------------
    async def notified(
        self, vendor: Vendor, vendor_user: str, start: int | None, end: int | None
    ) -> bool:
        """Queue a pull for what a notification names; its content is not trusted
        (unsigned): only the account is looked up, and the window is clamped. The pull
        fetches from the vendor with the account's own token."""
        now = self.clock.now()
        now_s = int(now.timestamp())
        lo, hi = clamp_window(start, end, now_s, max_days=self.backfill_days)
        async with self.store.transaction() as uow:
            row = await uow.connections.by_vendor_user(vendor, vendor_user)
            if row is None or row.status != "connected":
                return False
            await uow.connections.add_pulls(row.citizen_id, vendor, "notify", [("", lo, hi)], now)
        return True

    async def queue_polls(self, limit: int = 100) -> int:
        """The polling fallback: accounts not pulled for a day get a pull of the time
        since their last sync (a day more, for late uploads)."""
        now = self.clock.now()
        now_s = int(now.timestamp())
        async with self.store.transaction() as uow:
            due = await uow.connections.due_polls(now, now + POLL_EVERY, limit)
            for row in due:
                since = row.last_sync or (now - POLL_EVERY)
                lo = max(now_s - self.backfill_days * 86_400, int(since.timestamp()) - 86_400)
                await uow.connections.add_pulls(
                    row.citizen_id, row.vendor, "poll", [("", lo, now_s + 60)], now
                )
        return len(due)

    # -- the worker's step ----------------------------------------------------------------
    async def work(self, owner: str, *, limit: int = 20) -> PullReport:
        """Queue due polls, then claim and run due pulls (one at a time)."""
        report = PullReport(polls_queued=await self.queue_polls())
        now = self.clock.now()
        async with self.store.transaction() as uow:
            jobs = await uow.connections.claim_pulls(now, now + _LEASE, owner, limit)
        for job in jobs:
            await self._run(job, report)
        return report

    async def _run(self, job: PullJob, report: PullReport) -> None:
        client = self.vendors.get(job.vendor)
        async with self.store.read() as uow:
            row = await uow.connections.get(job.citizen_id, job.vendor)
        if client is None or row is None or row.status != "connected":
            async with self.store.transaction() as uow:
                await uow.connections.finish_pull(job.id)
            return
        permit = self.permit(job.vendor)
        fetched: Fetched | None = None
        try:
            tokens = await self._fresh(row, client, permit)
            try:
                fetched = await self._call(job, client, tokens, permit)
            except VendorUnauthorized:  # revoked early: one refresh, one more try
                tokens = await self._fresh(row, client, permit, force=True)
                fetched = await self._call(job, client, tokens, permit)
        except VendorInvalidGrant:
            await self._broken(job)
            report.broken += 1
            return
        except VendorRateLimited as exc:
            async with self.store.transaction() as uow:
                at = self.clock.now() + timedelta(seconds=max(1.0, exc.retry_after))
                await uow.connections.retry_pull(job.id, at, count_attempt=False)
            report.waiting += 1
            return
        except VendorError as exc:
            async with self.store.transaction() as uow:
                if job.attempts >= MAX_ATTEMPTS:
                    _log.warning("pull %s %s given up: %s", job.vendor, job.kind, exc)
                    await uow.connections.finish_pull(job.id)
                    report.given_up += 1
                else:
                    at = self.clock.now() + timedelta(seconds=retry_delay_seconds(job.attempts))
                    await uow.connections.retry_pull(job.id, at, count_attempt=True)
                    report.retrying += 1
            return
        async with self.store.transaction() as uow:
            # disconnected (or the account closed) while the vendor answered: store
            # nothing; the citizen lock waits for a closing transaction (ADR 0023)
            await uow.gateway_io.lock_citizen(job.citizen_id)
            if await uow.connections.get(job.citizen_id, job.vendor) is None:
                await uow.connections.finish_pull(job.id)
                return
            if fetched is not None:
                stored, duplicates = await self._store(uow, job.citizen_id, fetched)
                report.stored += stored
                report.duplicates += duplicates
                report.requests += fetched.requests
            await uow.connections.synced(
                job.citizen_id, job.vendor, self.clock.now(), backfill_step=job.kind == "backfill"
            )
            await uow.connections.finish_pull(job.id)
        report.pulled += 1

    async def _call(
        self, job: PullJob, client: CloudVendor, tokens: Tokens, permit: Permit
    ) -> Fetched | None:
        if job.kind == "subscribe":
            await client.subscribe(tokens, self.webhook_url(job.vendor), permit=permit)
            return None
        return await client.fetch(tokens, job.start_s, job.end_s, permit=permit)

    async def _fresh(
        self, row: ConnectionRow, client: CloudVendor, permit: Permit, *, force: bool = False
    ) -> Tokens:
        """The account's tokens, refreshed first when they run out soon (or `force`)."""
        tokens = self.sealer.open_tokens(row.sealed_tokens)
        now = self.clock.now()
        if not force and (
            tokens.expires_at is None or tokens.expires_at - _EARLY_S > int(now.timestamp())
        ):
            return tokens
        async with self.store.transaction() as uow:
            mine = await uow.connections.start_refresh(
                row.citizen_id, row.vendor, row.token_version, now, now + _REFRESH_LEASE
            )
            current = None if mine else await uow.connections.get(row.citizen_id, row.vendor)
        if not mine:
            if current is not None and current.token_version != row.token_version:
                return self.sealer.open_tokens(current.sealed_tokens)  # refreshed meanwhile
            raise VendorRateLimited("another worker is refreshing these tokens", 5.0)
        try:
            fresh = await client.refresh(tokens, permit=permit)
        except VendorError as exc:
            if not isinstance(exc, VendorInvalidGrant):  # the next try may refresh at once
                async with self.store.transaction() as uow:
                    await uow.connections.end_refresh(row.citizen_id, row.vendor, row.token_version)
            raise
        fresh = msgspec.structs.replace(
            fresh,
            vendor_user=fresh.vendor_user or tokens.vendor_user,
            refresh_token=fresh.refresh_token or tokens.refresh_token,
        )
        async with self.store.transaction() as uow:
            await uow.connections.store_refreshed(
                row.citizen_id, row.vendor, row.token_version, self.sealer.seal_tokens(fresh)
            )
        return fresh

    async def _broken(self, job: PullJob) -> None:
        name = VENDOR_NAMES.get(job.vendor, job.vendor)
        async with self.store.transaction() as uow:
            if await uow.connections.mark_broken(job.citizen_id, job.vendor):
                await tell(
                    uow,
                    self.clock,
                    job.citizen_id,
                    notice("connection.broken", f"connections/{job.vendor}", vendor=name),
                )
            await uow.connections.drop_pulls(job.citizen_id, job.vendor)

    async def _store(self, uow: UnitOfWork, citizen_id: str, fetched: Fetched) -> tuple[int, int]:
        """New samples in, the same sample (§4) again skipped; the touched days re-rolled
        and the clinic inbox brought up to date, as every ingest road does."""
        now_ms = to_ms(self.clock.now())
        numbers = await SourceNumbers.load(uow, self.clock, citizen_id)
        touched: dict[Metric, set[int]] = {}

        def touch(metric: Metric, start: int, end: int) -> None:
            touched.setdefault(metric, set()).update(range(start // _DAY_MS, end // _DAY_MS + 1))

        deleted = 0
        for ext in dict.fromkeys(fetched.modified):  # changed at the vendor: replace it
            gone = await uow.samples.delete_external(citizen_id, ext)
            if gone is not None:
                deleted += 1
                touch(Metric(gone[0]), gone[1], gone[2])
        rows = []
        kept: list[Sample] = []
        for s in fetched.samples:
            if check(s, now_ms) is not None:
                continue
            rows.append(sample_row(citizen_id, await numbers.of(s.source), s))
            kept.append(s)
        inserted = await uow.samples.insert(rows) if rows else 0
        if inserted or deleted:
            for s in kept:
                touch(s.metric, s.start_ms, s.end_ms)
            await reroll(uow, citizen_id, touched)
            await refresh_measurements(uow, self.clock, citizen_id, [m.value for m in touched])
        stored = max(0, inserted - deleted)
        return stored, len(rows) - stored
