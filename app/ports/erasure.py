"""Ports of the citizen's own deletions and of retention (issue 14, ADR 0023).

The deletions are set-based SQL over many tables at once; one repository holds them so
each use case reads as a list of what goes, and the store can do each in one statement.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

import msgspec

__all__ = ["ClosureCounts", "ErasureRepository", "RetentionRepository", "SampleSpan"]

#: (metric, first instant, last instant) of deleted samples, UTC ms, rounded down to
#: 15 minutes (every zone's midnight falls on one): enough to name the local days
#: touched without bringing every deleted sample into Python
SampleSpan = tuple[str, int, int]


class ClosureCounts(msgspec.Struct, kw_only=True):
    """How many rows of each kind a closure deleted or revoked (never their values)."""

    samples: int = 0
    daily_rows: int = 0
    sources: int = 0
    raw_readings: int = 0
    healthconnect_records: int = 0
    imports: int = 0
    exports: int = 0
    connections: int = 0
    shares: int = 0
    proxies_given: int = 0
    proxies_held: int = 0
    gateways: int = 0
    push_devices: int = 0
    sessions: int = 0
    questionnaire_drafts: int = 0
    reminders: int = 0
    notices: int = 0
    summary_links: int = 0


class ErasureRepository(Protocol):
    async def source_no(self, citizen_id: str, key: str) -> int | None:
        """The number of the citizen's source with this key, or None."""
        ...

    async def delete_source(
        self, citizen_id: str, source_no: int, key: str
    ) -> tuple[int, list[SampleSpan]]:
        """Delete a source, its samples and their raw records (gateway log rows of its
        device, Health Connect record versions and links); how many samples went, and
        where they were."""
        ...

    async def delete_between(
        self, citizen_id: str, metrics: Sequence[str], lo_ms: int, hi_ms: int, longest_ms: int
    ) -> tuple[int, list[SampleSpan]]:
        """Delete every sample with any part in [lo, hi) (an instant: its start in it),
        the Health Connect links and versions of their records, and the gateway log rows
        received in [lo, hi); how many samples went, and where they were. No sample is
        longer than `longest_ms`."""
        ...

    async def close(self, citizen_id: str, at: datetime) -> tuple[ClosureCounts, list[str]]:
        """Close an account in the caller's transaction: revoke, delete and release as
        ADR 0023 lists; the counts, and the blob keys whose rows went (to be deleted)."""
        ...

    async def is_closed(self, citizen_id: str) -> bool: ...

    async def trash_blobs(self, citizen_id: str, keys: Sequence[str], at: datetime) -> None:
        """Note blobs to delete once the caller's transaction commits."""
        ...

    async def trashed(self, limit: int) -> list[str]:
        """Blob keys still to delete, oldest first."""
        ...

    async def untrash(self, keys: Sequence[str]) -> None: ...

    async def trash_failed(self, key: str) -> None: ...


class RetentionRepository(Protocol):
    """Each call deletes at most `limit` rows, oldest first; how many it deleted."""

    async def raw_readings(self, received_before: datetime, limit: int) -> int: ...
    async def summary_links(self, expired_before: datetime, limit: int) -> int: ...
    async def inbox_links(self, expired_before: datetime, limit: int) -> int: ...
    async def pairing_codes(self, expired_before: datetime, limit: int) -> int: ...
    async def oauth_states(self, expired_before: datetime, limit: int) -> int: ...
    async def notices(self, created_before: datetime, limit: int) -> int: ...
    async def sessions(self, expired_before: datetime, limit: int) -> int: ...
