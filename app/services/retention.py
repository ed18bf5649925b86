"""Retention: what the worker deletes when its period is over (ADR 0023, docs/privacy.md).

Each kind is one bounded batch per pass, oldest first, in its own short transaction, so a
backlog (a first run, a long outage) is worked off over a few passes without holding the
writer. Blobs in the blob trash (uploads of a closed account) are deleted here too, until
they are gone.
"""

from __future__ import annotations

import logging
from datetime import timedelta

import msgspec

from app.ports import BlobStore, Clock, Store
from app.services.exports import expire_links

__all__ = [
    "RetentionPeriods",
    "RetentionReport",
    "delete_blobs",
    "empty_trash",
    "enforce_retention",
]

_log = logging.getLogger("minlaege.retention")


class RetentionPeriods(msgspec.Struct, frozen=True, kw_only=True):
    """Days each kind of row is kept (after its expiry, where it has one)."""

    raw_readings_days: int = 90
    links_days: int = 7
    codes_days: int = 1
    notices_days: int = 365
    sessions_days: int = 30
    #: rows each kind may delete in one pass
    batch: int = 1000


class RetentionReport(msgspec.Struct, kw_only=True):
    raw_readings: int = 0
    links: int = 0
    codes: int = 0
    notices: int = 0
    sessions: int = 0
    #: downloads of one's data whose link ran out (their zips go with the blob trash)
    exports: int = 0
    blobs: int = 0

    @property
    def total(self) -> int:
        return sum(msgspec.structs.astuple(self))


async def enforce_retention(
    store: Store, clock: Clock, periods: RetentionPeriods
) -> RetentionReport:
    """One pass: at most `periods.batch` rows of each kind whose time is up."""
    now = clock.now()
    n = periods.batch
    report = RetentionReport()

    def before(days: int) -> timedelta:
        return timedelta(days=days)

    async with store.transaction() as uow:
        report.raw_readings = await uow.retention.raw_readings(
            now - before(periods.raw_readings_days), n
        )
    async with store.transaction() as uow:
        cutoff = now - before(periods.links_days)
        report.links = await uow.retention.summary_links(cutoff, n)
        report.links += await uow.retention.inbox_links(cutoff, n)
    async with store.transaction() as uow:
        cutoff = now - before(periods.codes_days)
        report.codes = await uow.retention.pairing_codes(cutoff, n)
        report.codes += await uow.retention.oauth_states(cutoff, n)
    async with store.transaction() as uow:
        report.notices = await uow.retention.notices(now - before(periods.notices_days), n)
    async with store.transaction() as uow:
        report.sessions = await uow.retention.sessions(now - before(periods.sessions_days), n)
    async with store.transaction() as uow:  # the link's own period (MINLAEGE_EXPORT_LINK_DAYS)
        report.exports = await expire_links(uow, now, n)
    return report


async def empty_trash(store: Store, blobs: BlobStore, *, limit: int = 100) -> int:
    """Delete blobs waiting in the trash; how many went. One that fails stays for the
    next pass (counted, so it does not hold up the others)."""
    async with store.read() as uow:
        keys = await uow.erasure.trashed(limit)
    return await delete_blobs(store, blobs, keys)


async def delete_blobs(store: Store, blobs: BlobStore, keys: list[str]) -> int:
    """Delete these trashed blobs now; those that fail stay in the trash."""
    gone: list[str] = []
    for key in keys:
        try:
            await blobs.delete(key)
        except Exception:  # the store is down or refuses: try again next pass
            _log.warning("blob trash: could not delete a blob yet", exc_info=True)
            async with store.transaction() as uow:
                await uow.erasure.trash_failed(key)
            continue
        gone.append(key)
    if gone:
        async with store.transaction() as uow:
            await uow.erasure.untrash(gone)
    return len(gone)
