"""What the ingest roads need: sources, samples, daily roll-ups, import jobs and the
gateway readings log."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Protocol

import msgspec

from app.domain.imports import ImportJob
from app.domain.sources import StoredSource

__all__ = [
    "DailyRepository",
    "DailyRow",
    "GatewayIORepository",
    "ImportRepository",
    "ReadingLogKey",
    "ReadingLogRow",
    "SampleRepository",
    "SampleRow",
    "SourceRepository",
]


#: a gateway readings-log row: (citizen, gateway, reading id, device key,
#: characteristic, sequence, received ms); its key is the same without the time
ReadingLogRow = tuple[str, str, str, str, str, int | None, int]
ReadingLogKey = tuple[str, str, str, str, str, int | None]

#: (citizen_id, metric, start_ms, source_no, end_ms, value, stage, external_id)
SampleRow = tuple[str, str, int, int, int, float, str, str | None]


class DailyRow(msgspec.Struct, frozen=True, kw_only=True):
    """One roll-up row: `total` for cumulative metrics, the rest for discrete ones."""

    day: str
    total: float | None = None
    count: int
    min: float | None = None
    max: float | None = None
    mean: float | None = None
    #: the source numbers that contributed, comma-separated ("" when unknown)
    sources: str = ""


class SourceRepository(Protocol):
    async def for_citizen(self, citizen_id: str) -> list[StoredSource]: ...
    async def add(
        self, citizen_id: str, *, key: str, name: str, kind: str, device: str | None, at: datetime
    ) -> int: ...
    async def set_priorities(self, citizen_id: str, order: Sequence[str]) -> None: ...


class SampleRepository(Protocol):
    async def insert(self, rows: Sequence[SampleRow]) -> int: ...
    async def claim_external(self, row: SampleRow) -> bool: ...
    async def delete_external(
        self, citizen_id: str, external_id: str
    ) -> tuple[str, int, int] | None: ...
    async def between(
        self, citizen_id: str, metric: str, start_from: int, start_before: int
    ) -> list[tuple[int, int, float, int, str]]: ...
    async def stats_by_day(
        self,
        citizen_id: str,
        metric: str,
        days: Sequence[tuple[str, int, int]],
        ranks: Mapping[int, int],
    ) -> dict[str, tuple[int, float, float, float, str]]: ...


class DailyRepository(Protocol):
    async def replace(
        self, citizen_id: str, metric: str, days: Sequence[str], rows: Sequence[DailyRow]
    ) -> None: ...
    async def days(self, citizen_id: str, metric: str) -> list[str]: ...
    async def series(
        self, citizen_id: str, metric: str, first: str, last: str
    ) -> list[DailyRow]: ...
    async def last_day(self, citizen_id: str, metric: str) -> str | None: ...
    async def series_many(
        self, citizen_id: str, metrics: Sequence[str], first: str, last: str
    ) -> dict[str, list[DailyRow]]:
        """`series` of several metrics in one read, by metric."""
        ...


class ImportRepository(Protocol):
    async def add(self, job: ImportJob) -> None: ...
    async def get(self, citizen_id: str, job_id: str) -> ImportJob | None: ...
    async def by_id(self, job_id: str) -> ImportJob | None: ...
    async def claim(self, owner: str, now: datetime, lease_until: datetime) -> ImportJob | None:
        """The oldest waiting job (or one whose lease lapsed), leased to `owner`."""
        ...

    async def renew(
        self, job_id: str, owner: str, at: datetime, lease_until: datetime, progress: float
    ) -> bool: ...
    async def release(self, job_id: str, owner: str, at: datetime) -> bool: ...
    async def set_status(
        self,
        job_id: str,
        status: str,
        at: datetime,
        *,
        report: str | None = None,
        error_kind: str | None = None,
        error_detail: str | None = None,
        owner: str | None = None,
    ) -> bool: ...
    async def waiting(self) -> tuple[int, datetime | None]: ...


class GatewayIORepository(Protocol):
    async def add_pairing(
        self, code_hash: str, citizen_id: str, name: str, expires_at: datetime
    ) -> None: ...
    async def use_pairing(self, code_hash: str, at: datetime) -> tuple[str, str] | None: ...
    async def set_secret(self, gateway_id: str, secret_hash: str) -> None: ...
    async def secret_hash(self, gateway_id: str) -> str | None: ...
    async def log_new(self, rows: Sequence[ReadingLogRow]) -> set[ReadingLogKey]:
        """Log readings; the keys of those that were new (the others are duplicates)."""
        ...

    async def lock_citizen(self, citizen_id: str) -> None:
        """Serialise roll-up updates for one citizen (PostgreSQL; SQLite has one writer)."""
        ...

    async def day_stats(
        self,
        citizen_id: str,
        metric: str,
        days: Sequence[tuple[str, int, int]],
        ranks: Mapping[int, int],
    ) -> dict[str, tuple[int, float, float, float, str]]: ...
