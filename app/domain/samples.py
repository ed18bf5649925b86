"""Normalised samples: what every ingest road (Apple Health, FIT, BLE) turns its input into.

Times are UTC epoch milliseconds (`start_ms`, `end_ms`): an adapter reading a million
records builds a million samples, and integers keep that cheap; they are aware by
construction (always UTC) and `start`/`end` give datetimes where code wants them.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

import msgspec

from app.domain.metrics import Metric
from app.domain.time import from_ms

__all__ = ["RejectReason", "Rejected", "Sample", "Source", "SourceKind"]


class SourceKind(StrEnum):
    """What kind of thing measured a sample: decides the default priority (§4)."""

    #: wrist-worn: Apple Watch (`model:Watch`), a FIT watch
    WATCH = "watch"
    #: a phone (`model:iPhone`)
    PHONE = "phone"
    #: a dedicated home device read over BLE (cuff, scale, oximeter, …)
    DEVICE = "device"
    #: other apps and manual entry
    OTHER = "other"


class Source(msgspec.Struct, frozen=True, kw_only=True):
    """Where samples came from. `key` identifies it within a citizen's sources."""

    #: stable identity, e.g. "apple:Anna's Apple Watch", "fit:garmin:fenix2:3889412345"
    key: str
    #: what a person reads, e.g. "Anna's Apple Watch", "Garmin fenix 2"
    name: str
    kind: SourceKind
    #: model/manufacturer text where known ("Watch6,1", "garmin fenix2", "Omron M7")
    device: str | None = None


class Sample(msgspec.Struct, frozen=True, kw_only=True, gc=False):
    """One normalised measurement, in the unit of contracts §2 for its metric."""

    metric: Metric
    start_ms: int
    end_ms: int
    value: float
    source: Source
    #: id the outside world gave it (HealthKit UUID, gateway reading id), if any
    external_id: str | None = None
    #: sleep stage for Metric.SLEEP, else None
    stage: str | None = None

    @property
    def start(self) -> datetime:
        return from_ms(self.start_ms)

    @property
    def end(self) -> datetime:
        return from_ms(self.end_ms)


class RejectReason(StrEnum):
    """Why a record was refused; the keys of the import report's `rejected_reasons`."""

    IMPLAUSIBLE_VALUE = "implausible_value"
    UNKNOWN_UNIT = "unknown_unit"
    BAD_INTERVAL = "bad_interval"
    FUTURE_TIME = "future_time"
    MALFORMED = "malformed"


class Rejected(msgspec.Struct, frozen=True, kw_only=True):
    """A record an adapter read but could not turn into a sample."""

    reason: RejectReason
    detail: str = ""
    metric: Metric | None = None
