"""Running pulls of cloud connections (ADR 0021, 0024): claim due rows, refresh tokens
that run out, fetch from the vendor, store what came like every ingest road does.

Refresh tokens rotate: a worker takes a short refresh lease on the account, refreshes,
and stores the new pair over the version it started from in one statement. Network
trouble, 5xx and the vendor's own "unknown error" are retried with a growing delay;
only `invalid_grant` (or the vendor saying the user withdrew access) breaks the link,
and then the citizen is told to reconnect.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

import msgspec

from app.domain.connections import ConnectionRow, PullJob, Tokens, retry_delay_seconds
from app.domain.metrics import Metric
from app.domain.notices import notice
from app.domain.plausibility import check
from app.domain.samples import Sample
from app.domain.time import to_ms
from app.ports import Clock, Store, UnitOfWork
from app.ports.connections import (
    CloudVendor,
    Fetched,
    Permit,
    VendorError,
    VendorInvalidGrant,
    VendorRateLimited,
    VendorUnauthorized,
)
from app.services.inbox import refresh_measurements
from app.services.ingest import reroll, touch_days
from app.services.notify import tell
from app.services.sample_rows import SourceNumbers, sample_row
from app.services.zones import zone_of

if TYPE_CHECKING:
    from app.services.connections import CloudConnections

__all__ = ["MAX_ATTEMPTS", "VENDOR_NAMES", "PullReport", "PullRunner", "broken"]

_log = logging.getLogger("minlaege.connections")

VENDOR_NAMES: dict[str, str] = {"withings": "Withings", "polar": "Polar"}
#: a pull claimed and not settled comes back after this long
LEASE = timedelta(minutes=2)
#: a refresh in flight holds the account this long
_REFRESH_LEASE = timedelta(seconds=60)
#: refresh an access token this long before it runs out
_EARLY_S = 300
#: tries of one pull before it is given up (the daily poll fetches the window again)
MAX_ATTEMPTS = 8


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


async def broken(store: Store, clock: Clock, citizen_id: str, vendor: str) -> None:
    """The link is gone until the citizen reconnects: marked, told once, pulls dropped."""
    name = VENDOR_NAMES.get(vendor, vendor)
    async with store.transaction() as uow:
        if await uow.connections.mark_broken(citizen_id, vendor):
            await tell(
                uow,
                clock,
                citizen_id,
                notice("connection.broken", f"connections/{vendor}", vendor=name),
            )
        await uow.connections.drop_pulls(citizen_id, vendor)


@dataclass(slots=True)
class PullRunner:
    """Runs claimed pulls with the ports and settings of one `CloudConnections`."""

    c: CloudConnections

    async def run(self, owner: str, limit: int, report: PullReport) -> PullReport:
        """Claim due pulls and run them one at a time."""
        now = self.c.clock.now()
        async with self.c.store.transaction() as uow:
            jobs = await uow.connections.claim_pulls(now, now + LEASE, owner, limit)
        for job in jobs:
            await self._run(job, report)
        return report

    async def _run(self, job: PullJob, report: PullReport) -> None:
        client = self.c.vendors.get(job.vendor)
        async with self.c.store.read() as uow:
            row = await uow.connections.get(job.citizen_id, job.vendor)
            zone = await zone_of(uow, job.citizen_id)
        if client is None or row is None or row.status != "connected":
            async with self.c.store.transaction() as uow:
                await uow.connections.finish_pull(job.id)
            return
        permit = self.c.permit(job.vendor)
        fetched: Fetched | None = None
        try:
            tokens = await self._fresh(row, client, permit)
            try:
                fetched = await self._call(job, client, tokens, permit, zone)
            except VendorUnauthorized:  # revoked early: one refresh, one more try
                tokens = await self._fresh(row, client, permit, force=True)
                fetched = await self._call(job, client, tokens, permit, zone)
        except VendorInvalidGrant:
            await broken(self.c.store, self.c.clock, job.citizen_id, job.vendor)
            report.broken += 1
            return
        except VendorRateLimited as exc:
            async with self.c.store.transaction() as uow:
                at = self.c.clock.now() + timedelta(seconds=max(1.0, exc.retry_after))
                await uow.connections.retry_pull(job.id, at, count_attempt=False)
            report.waiting += 1
            return
        except Exception as exc:  # a vendor error, or a fault of ours: retried, given up
            if not isinstance(exc, VendorError):
                _log.exception("pull %s %s failed", job.vendor, job.kind)
            async with self.c.store.transaction() as uow:
                if job.attempts >= MAX_ATTEMPTS:
                    _log.warning("pull %s %s given up: %s", job.vendor, job.kind, exc)
                    await uow.connections.finish_pull(job.id)
                    report.given_up += 1
                else:
                    at = self.c.clock.now() + timedelta(seconds=retry_delay_seconds(job.attempts))
                    await uow.connections.retry_pull(job.id, at, count_attempt=True)
                    report.retrying += 1
            return
        async with self.c.store.transaction() as uow:
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
            # a subscription fetched nothing; a deferred backfill only asked for data
            deferred = fetched is None or fetched.deferred
            await uow.connections.synced(
                job.citizen_id,
                job.vendor,
                None if deferred else self.c.clock.now(),
                backfill_step=job.kind == "backfill",
            )
            await uow.connections.finish_pull(job.id)
        report.pulled += 1

    async def _call(
        self, job: PullJob, client: CloudVendor, tokens: Tokens, permit: Permit, zone: str
    ) -> Fetched | None:
        if job.kind == "subscribe":
            await client.subscribe(tokens, self.c.webhook_url(job.vendor), permit=permit)
            return None
        return await client.fetch(
            tokens,
            job.start_s,
            job.end_s,
            permit=permit,
            zone=zone,
            topic=job.topic,
            entity=job.entity,
            purpose=job.kind,
        )

    async def _fresh(
        self, row: ConnectionRow, client: CloudVendor, permit: Permit, *, force: bool = False
    ) -> Tokens:
        """The account's tokens, refreshed first when they run out soon (or `force`)."""
        tokens = self.c.sealer.open_tokens(row.sealed_tokens)
        now = self.c.clock.now()
        if not force and (
            tokens.expires_at is None or tokens.expires_at - _EARLY_S > int(now.timestamp())
        ):
            return tokens
        async with self.c.store.transaction() as uow:
            mine = await uow.connections.start_refresh(
                row.citizen_id, row.vendor, row.token_version, now, now + _REFRESH_LEASE
            )
            current = None if mine else await uow.connections.get(row.citizen_id, row.vendor)
        if not mine:
            if current is not None and current.token_version != row.token_version:
                return self.c.sealer.open_tokens(current.sealed_tokens)  # refreshed meanwhile
            raise VendorRateLimited("another worker is refreshing these tokens", 5.0)
        try:
            fresh = await client.refresh(tokens, permit=permit)
        except VendorError as exc:
            if not isinstance(exc, VendorInvalidGrant):  # the next try may refresh at once
                async with self.c.store.transaction() as uow:
                    await uow.connections.end_refresh(row.citizen_id, row.vendor, row.token_version)
            raise
        fresh = msgspec.structs.replace(
            fresh,
            vendor_user=fresh.vendor_user or tokens.vendor_user,
            refresh_token=fresh.refresh_token or tokens.refresh_token,
        )
        async with self.c.store.transaction() as uow:
            await uow.connections.store_refreshed(
                row.citizen_id, row.vendor, row.token_version, self.c.sealer.seal_tokens(fresh)
            )
        return fresh

    async def _store(self, uow: UnitOfWork, citizen_id: str, fetched: Fetched) -> tuple[int, int]:
        """New samples in, the same sample (§4) again skipped; the touched days re-rolled
        and the clinic inbox brought up to date, as every ingest road does."""
        now_ms = to_ms(self.c.clock.now())
        numbers = await SourceNumbers.load(uow, self.c.clock, citizen_id)
        touched: dict[Metric, set[int]] = {}

        deleted = 0
        for ext in dict.fromkeys(fetched.modified):  # changed at the vendor: replace it
            gone = await uow.samples.delete_external(citizen_id, ext)
            if gone is not None:
                deleted += 1
                touch_days(touched, Metric(gone[0]), gone[1], gone[2])
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
                touch_days(touched, s.metric, s.start_ms, s.end_ms)
            await reroll(uow, citizen_id, touched)
            await refresh_measurements(uow, self.c.clock, citizen_id, [m.value for m in touched])
        stored = max(0, inserted - deleted)
        return stored, len(rows) - stored
