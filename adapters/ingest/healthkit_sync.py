"""Everyday HealthKit sync: the batch the app sends after an anchored query.

The same type and unit tables as the export reader, so a sample that arrives both ways
normalises to the same sample and is stored once (§4).
"""

from __future__ import annotations

import math
import uuid as uuid_lib
from datetime import datetime
from typing import Annotated

import msgspec

from adapters.ingest.apple_health import SLEEP_STAGES, SLEEP_TYPE, map_quantity, source_for
from app.domain.metrics import Metric
from app.domain.samples import Rejected, RejectReason, Sample
from app.domain.time import to_ms

__all__ = ["MAX_BATCH", "SyncBatch", "SyncSample", "to_item"]

MAX_BATCH = 5000


class SyncSample(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """One HKSample as the app read it."""

    uuid: Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
    #: an HKQuantityTypeIdentifier… or HKCategoryTypeIdentifierSleepAnalysis
    type: Annotated[str, msgspec.Meta(max_length=200)]
    #: the unit the value is in, as HealthKit writes it ("count", "mmol<180.1558800000541>/L")
    unit: Annotated[str, msgspec.Meta(max_length=100)] | None = None
    #: a number for quantities; the category value's name for sleep
    value: float | str
    start: datetime
    end: datetime
    source_name: Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
    bundle_id: Annotated[str, msgspec.Meta(max_length=200)] | None = None
    #: HKDevice.model: "Watch", "iPhone", …
    device_model: Annotated[str, msgspec.Meta(max_length=100)] | None = None


class SyncBatch(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    samples: Annotated[list[SyncSample], msgspec.Meta(max_length=MAX_BATCH)] = []
    #: UUIDs HealthKit reported deleted since the last anchor
    deleted: Annotated[
        list[Annotated[str, msgspec.Meta(max_length=64)]], msgspec.Meta(max_length=MAX_BATCH)
    ] = []


def _valid_uuid(text: str) -> bool:
    try:
        uuid_lib.UUID(text)
    except ValueError:
        return False
    return True


def to_item(s: SyncSample) -> Sample | Rejected:
    """The normalised sample, or why it cannot be one."""
    if not _valid_uuid(s.uuid):
        return Rejected(reason=RejectReason.MALFORMED, detail="uuid is not a UUID")
    if s.start.tzinfo is None or s.end.tzinfo is None:
        return Rejected(reason=RejectReason.MALFORMED, detail="times need an offset")
    device = f"model:{s.device_model}" if s.device_model else None
    source = source_for(s.source_name, device)
    start_ms, end_ms = to_ms(s.start), to_ms(s.end)
    if s.type == SLEEP_TYPE:
        stage = SLEEP_STAGES.get(str(s.value))
        if stage is None:
            return Rejected(reason=RejectReason.MALFORMED, detail=f"sleep value {s.value!r}")
        return Sample(
            metric=Metric.SLEEP,
            start_ms=start_ms,
            end_ms=end_ms,
            value=(end_ms - start_ms) / 60_000,
            source=source,
            external_id=s.uuid.upper(),
            stage=stage.value,
        )
    if isinstance(s.value, float) and not math.isfinite(s.value):
        return Rejected(reason=RejectReason.MALFORMED, detail="value is not finite")
    mapped = map_quantity(s.type, s.unit, repr(s.value) if isinstance(s.value, float) else s.value)
    if mapped is None:
        return Rejected(reason=RejectReason.MALFORMED, detail=f"type {s.type} is not read")
    if isinstance(mapped, RejectReason):
        return Rejected(reason=mapped, detail=f"{s.type} in {s.unit!r}")
    metric, value = mapped
    return Sample(
        metric=metric,
        start_ms=start_ms,
        end_ms=end_ms,
        value=value,
        source=source,
        external_id=s.uuid.upper(),
    )
