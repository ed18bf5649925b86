"""Turning samples into store rows: one place for source numbers and the row layout.

Every ingest road (file imports, HealthKit sync, gateway readings) goes through here, so
a source is numbered the same way and a sample is keyed the same way whichever road it
took — which is what lets the same sample from two roads be stored once.
"""

from __future__ import annotations

from app.domain.samples import Sample, Source
from app.errors import Unauthenticated
from app.ports import Clock, SampleRow, UnitOfWork

__all__ = ["SourceNumbers", "sample_row"]


class SourceNumbers:
    """A citizen's source numbers, read once per transaction; new sources added on sight."""

    def __init__(self, uow: UnitOfWork, clock: Clock, citizen_id: str, known: dict[str, int]):
        self._uow = uow
        self._clock = clock
        self._citizen_id = citizen_id
        self._known = known

    @classmethod
    async def load(cls, uow: UnitOfWork, clock: Clock, citizen_id: str) -> SourceNumbers:
        """The citizen's numbers; refused for a closed account, so a batch authenticated
        just before the closure and written after it stores nothing (ADR 0023: every
        road takes the citizen lock first, which the closure holds until it commits)."""
        if await uow.erasure.is_closed(citizen_id):
            raise Unauthenticated("this account is closed", kind="unknown-subject")
        sources = await uow.sources.for_citizen(citizen_id)
        return cls(uow, clock, citizen_id, {s.key: s.source_no for s in sources})

    def get(self, key: str) -> int | None:
        """The number of a source seen before, without a round trip (the hot path)."""
        return self._known.get(key)

    async def of(self, source: Source) -> int:
        number = self._known.get(source.key)
        if number is None:
            number = await self._uow.sources.add(
                self._citizen_id,
                key=source.key,
                name=source.name,
                kind=source.kind.value,
                device=source.device,
                at=self._clock.now(),
            )
            self._known[source.key] = number
        return number


def sample_row(citizen_id: str, source_no: int, s: Sample) -> SampleRow:
    """The row of the samples table; its key is the same-sample rule of contracts §4."""
    return (
        citizen_id,
        s.metric.value,
        s.start_ms,
        source_no,
        s.end_ms,
        s.value,
        s.stage or "",
        s.external_id,
    )
