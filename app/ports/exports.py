"""Ports of the citizen's data export: the job rows and the paged read of samples."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from app.domain.exports import ExportJob

__all__ = ["ExportRepository", "SampleKey", "StoredSample"]

#: (start_ms, source_no, end_ms, value, stage): a sample's place in its metric's order,
#: the keyset a page continues after
SampleKey = tuple[int, int, int, float, str]
#: (start_ms, source_no, end_ms, value, stage, external_id)
StoredSample = tuple[int, int, int, float, str, str | None]


class ExportRepository(Protocol):
    async def add(self, job: ExportJob) -> None: ...
    async def get(self, citizen_id: str, export_id: str) -> ExportJob | None: ...
    async def unfinished(self, citizen_id: str) -> ExportJob | None:
        """The citizen's export still queued or running, if any (the newest)."""
        ...

    async def claim(self, owner: str, now: datetime, lease_until: datetime) -> ExportJob | None:
        """The oldest queued export (or one whose worker's lease lapsed), leased to `owner`."""
        ...

    async def renew(
        self, export_id: str, owner: str, at: datetime, lease_until: datetime, progress: float
    ) -> bool:
        """Extend `owner`'s lease and write progress; False once it is not `owner`'s."""
        ...

    async def release(self, export_id: str, owner: str, at: datetime) -> bool: ...
    async def finish(
        self,
        export_id: str,
        owner: str,
        at: datetime,
        *,
        blob: str,
        size: int,
        expires_at: datetime,
    ) -> bool:
        """Done, with its zip, while `owner` still holds it; False otherwise."""
        ...

    async def fail(self, export_id: str, owner: str, at: datetime, detail: str) -> bool: ...
    async def expired(self, now: datetime, limit: int) -> list[ExportJob]:
        """Done exports whose link ran out (their zips are to be deleted)."""
        ...

    async def mark_expired(self, export_id: str, at: datetime) -> bool: ...
    async def withdraw(self, citizen_id: str, at: datetime) -> list[str]:
        """After the citizen deleted data: finished exports expire at once (their zips'
        keys are returned, for the blob trash) and unfinished ones start again, so no
        download holds what was deleted."""
        ...

    async def waiting(self) -> int:
        """Exports queued or running."""
        ...

    async def sample_counts(self, citizen_id: str) -> dict[str, int]:
        """Samples per metric (metric order)."""
        ...

    async def sample_page(
        self, citizen_id: str, metric: str, after: SampleKey | None, limit: int
    ) -> Sequence[StoredSample]:
        """The next `limit` samples of one metric in key order, after `after`."""
        ...
