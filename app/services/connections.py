"""Cloud connections (contracts §11, ADR 0021): link, pull, refresh, disconnect.

A citizen links a vendor account with OAuth 2 (authorization code; PKCE where the
vendor has it): the `state` is random, stored only as its hash, bound to the citizen,
good for 10 minutes and taken once. The tokens are sealed with the data key and never
leave the store in clear. Every fetch is a pull row any worker can claim (a lease, as
the push relay claims the outbox); a backfill is a row per chunk, so its progress is
the share of chunks done. Each request to a vendor first takes a token from the
app-wide bucket in the database, so all nodes together keep to the vendor's limit.

A vendor's push (a webhook) is read by its adapter (`CloudVendor.read_push`, which
checks a signature where the vendor signs) into notes, each queued as a pull; running
pulls, refreshing tokens and storing what came back is `connection_pulls`.
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
    Vendor,
    backfill_windows,
    clamp_window,
)
from app.domain.identity import Principal
from app.domain.time import to_ms
from app.errors import NotFound, Unauthenticated
from app.ports import Clock, Store
from app.ports.connections import (
    CloudVendor,
    Permit,
    PushRefused,
    TokenSealer,
    VendorError,
    VendorRateLimited,
)
from app.services.audit import event_for, record
from app.services.connection_pulls import VENDOR_NAMES, PullReport, PullRunner, broken

__all__ = [
    "BACKFILL_CHUNK_DAYS",
    "VENDOR_NAMES",
    "CloudConnections",
    "ConnectionView",
    "PullReport",
    "member_id",
    "note",
]

_log = logging.getLogger("minlaege.connections")

#: a backfill is fetched in chunks of this many days (one pull row each)
BACKFILL_CHUNK_DAYS = 10
#: the polling fallback: every account is pulled at least this often
POLL_EVERY = timedelta(hours=24)


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
        "Vægt, blodtryk, puls, iltmætning, skridt og søvn fra dine Withings-apparater hentes"
        " automatisk.",
        "Weight, blood pressure, pulse, oxygen saturation, steps and sleep from your Withings"
        " devices are fetched automatically.",
    ),
    "polar": (
        "Træning, skridt, puls og søvn hentes automatisk. Polar deler kun data, der er"
        " uploadet efter, at du har forbundet kontoen.",
        "Exercises, steps, heart rate and sleep are fetched automatically. Polar only shares"
        " data uploaded after you linked your account.",
    ),
}


def _hash(state: str) -> str:
    return hashlib.sha256(state.encode()).hexdigest()


def member_id(vendor: str, citizen_id: str) -> str:
    """The id a vendor knows the citizen by where it asks for one (Polar's `member-id`):
    stable, so re-linking finds the same registration, and no internal id or CPR number
    leaves the service."""
    return hashlib.sha256(f"minlaege:{vendor}:{citizen_id}".encode()).hexdigest()[:32]


def note(vendor: str) -> tuple[str, str]:
    """What the app says where the vendor is listed or a link is started (da, en)."""
    return _NOTES.get(vendor, ("", ""))


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
        days = self.backfill_days
        if client.history_days is not None:  # the vendor serves no more than this
            days = min(days, client.history_days)
        windows = backfill_windows(int(now.timestamp()), days, BACKFILL_CHUNK_DAYS)
        async with self.store.read() as uow:
            other = await uow.connections.by_vendor_user(vendor, tokens.vendor_user)
        if other is not None and other.citizen_id != citizen_id:
            return "taken"
        try:  # Polar serves nothing to a user not registered with the app
            await client.register(
                tokens, member_id=member_id(vendor, citizen_id), permit=self.permit(vendor)
            )
        except VendorError as exc:
            _log.warning("connection %s: registering the user failed: %s", vendor, exc)
            return "failed"
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
        note_da, note_en = note(r.vendor)
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
        await self._unsubscribe(row)
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
            await self._unsubscribe(row)

    async def _unsubscribe(self, row: ConnectionRow) -> None:
        """Revoke the vendor's notifications (Polar: the registration) where it can; the
        link goes either way (Withings drops subscriptions whose callback stops answering)."""
        client = self.vendors.get(row.vendor)
        if client is None or row.status != "connected":
            return
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
        self,
        vendor: Vendor,
        vendor_user: str,
        start: int | None,
        end: int | None,
        *,
        topic: str = "",
        entity: str = "",
    ) -> bool:
        """Queue a pull for what a notification names; its content is not trusted
        (unsigned, or signed but naming only what to pull): only the account is looked
        up, and the window is clamped. The pull fetches from the vendor with the
        account's own token."""
        now = self.clock.now()
        now_s = int(now.timestamp())
        lo, hi = clamp_window(start, end, now_s, max_days=self.backfill_days)
        async with self.store.transaction() as uow:
            row = await uow.connections.by_vendor_user(vendor, vendor_user)
            if row is None or row.status != "connected":
                return False
            await uow.connections.add_pulls(
                row.citizen_id,
                vendor,
                "notify",
                [("", lo, hi)],
                now,
                topic=topic[:32],
                entity=entity[:128],
            )
        return True

    async def pushed(self, vendor: str, body: bytes, headers: Mapping[str, str]) -> int:
        """A push to `/v1/webhooks/{vendor}`: the vendor's adapter reads it (and checks
        its signature, where the vendor signs), each note queues a pull; the work is
        never done in the request. Returns the pulls queued (0 for a ping, or for
        accounts we do not know: the vendor is answered alike)."""
        client = self.vendors.get(vendor)
        if client is None or vendor not in VENDORS:
            raise NotFound(f"{vendor} is not available here")
        try:
            notes = client.read_push(body, headers)
        except PushRefused as exc:
            raise Unauthenticated(str(exc), kind="bad-signature") from None
        queued = 0
        for n in notes:
            if n.revoked:
                await self._revoked(vendor, n.vendor_user)
            elif await self.notified(
                vendor,
                n.vendor_user,
                n.start_s,
                n.end_s,
                topic=n.topic,
                entity=n.entity,
            ):
                queued += 1
        return queued

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
        return await PullRunner(self).run(owner, limit, report)

    async def _revoked(self, vendor: Vendor, vendor_user: str) -> None:
        """The vendor says the user withdrew our access: broken, and the citizen told."""
        async with self.store.read() as uow:
            row = await uow.connections.by_vendor_user(vendor, vendor_user)
        if row is not None:
            await broken(self.store, self.clock, row.citizen_id, vendor)
