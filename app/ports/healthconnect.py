"""Port of Health Connect record versions (ADR 0018)."""

from __future__ import annotations

from collections.abc import Sequence, Set
from typing import Protocol

import msgspec

__all__ = ["HealthConnectRepository", "RecordVersion", "SampleKey"]

#: the same-sample key of contracts §4 within a citizen:
#: (metric, start_ms, source_no, end_ms, value, stage)
SampleKey = tuple[str, int, int, int, float, str]


class RecordVersion(msgspec.Struct, frozen=True):
    """The version of a record we hold: its lastModifiedTime, or that it was deleted."""

    modified_ms: int
    deleted: bool


class HealthConnectRepository(Protocol):
    async def versions(
        self, citizen_id: str, record_ids: Sequence[str]
    ) -> dict[str, RecordVersion]:
        """The versions held of these records (ids never seen are absent)."""
        ...

    async def put_versions(
        self, citizen_id: str, rows: Sequence[tuple[str, int, bool]], *, held: Set[str]
    ) -> None:
        """Write (record id, modified_ms, deleted); `held` names the ids stored already."""
        ...

    async def take_samples(self, citizen_id: str, record_ids: Sequence[str]) -> list[SampleKey]:
        """The keys of the samples these records produced; the records no longer hold them."""
        ...

    async def hold_samples(self, citizen_id: str, links: Sequence[tuple[str, SampleKey]]) -> None:
        """Note that record id produced the sample with this key."""
        ...

    async def drop_unheld(self, citizen_id: str, keys: Sequence[SampleKey]) -> None:
        """Delete the samples among `keys` that no record holds any more."""
        ...
