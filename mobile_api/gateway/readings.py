"""`POST /v1/gateway/readings`: raw characteristic values, decoded and stored per reading."""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from litestar import Request, post
from litestar.params import JSONBody

from adapters.ingest.ble_gatt import GattError, decode_hex
from app.domain.metrics import Metric
from app.domain.readings import Decoded, GatewayReading
from app.services.gateways import ReadingOutcome, store_readings
from mobile_api.security import principal_of, runtime_of

__all__ = ["MAX_READINGS", "upload_readings"]

MAX_READINGS = 1000


class ReadingBatch(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    readings: Annotated[list[GatewayReading], msgspec.Meta(min_length=1, max_length=MAX_READINGS)]


class BatchResult(msgspec.Struct, frozen=True, kw_only=True):
    results: list[ReadingOutcome]
    accepted: int
    duplicates: int
    rejected: int


def _decode(reading: GatewayReading) -> Decoded | str:
    try:
        r = decode_hex(reading.characteristic, reading.payload_hex)
    except GattError as exc:
        return str(exc)
    return Decoded(
        time=r.time,
        values=[(Metric(s.metric), s.value) for s in r.samples],
        sequence=r.sequence,
        withheld=r.withheld,
    )


@post(
    "/readings", operation_id="uploadReadings", status_code=200, request_max_body_size=1024 * 1024
)
async def upload_readings(
    request: Request[Any, Any, Any], data: JSONBody[ReadingBatch]
) -> BatchResult:
    """Up to 1,000 readings; each gets accepted, duplicate, or rejected with the reason."""
    runtime = runtime_of(request)
    items = [(r, _decode(r)) for r in data.readings]
    async with runtime.store.transaction() as uow:
        results = await store_readings(uow, runtime.clock, principal_of(request), items)
    return BatchResult(
        results=results,
        accepted=sum(r.outcome == "accepted" for r in results),
        duplicates=sum(r.outcome == "duplicate" for r in results),
        rejected=sum(r.outcome == "rejected" for r in results),
    )
