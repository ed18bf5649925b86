"""`POST /v1/gateway/readings`: raw characteristic values, decoded and stored per reading."""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

import msgspec
from litestar import Request, post
from litestar.params import JSONBody

from adapters.ingest.ble_gatt import GattError, decode_hex
from app.domain.readings import Decoded, GatewayReading
from app.services.gateways import (
    YIELD_EVERY,
    ReadingOutcome,
    ReadingWriter,
    citizen_zone,
    prepare_readings,
)
from mobile_api.security import principal_of, runtime_of
from mobile_api.strict_body import StrictRequest

__all__ = ["MAX_READINGS", "upload_readings"]

MAX_READINGS = 1000


class ReadingBatch(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    readings: Annotated[list[GatewayReading], msgspec.Meta(min_length=1, max_length=MAX_READINGS)]


class BatchResult(msgspec.Struct, frozen=True, kw_only=True):
    results: list[ReadingOutcome]
    accepted: int
    duplicates: int
    rejected: int


_BATCH = msgspec.json.Decoder(ReadingBatch)


class _BatchRequest(StrictRequest):
    """Decodes the body straight into a `ReadingBatch` in one pass.

    Litestar's own path builds the JSON as dicts and lists and then converts those into
    the handler's type: two passes, 1.8 ms for a 500-reading batch against 0.4 ms for
    the typed decode. The signature model passes an already built `ReadingBatch`
    through untouched. A body that does not decode as a batch takes Litestar's path, so
    malformed and invalid bodies get exactly the errors they always got.
    """

    async def json(self) -> Any:
        try:
            return _BATCH.decode(await self.body())
        except msgspec.DecodeError:  # also ValidationError: the strict 400 names the field
            return await super().json()


def _decode(reading: GatewayReading) -> Decoded | str:
    try:
        r = decode_hex(reading.characteristic, reading.payload_hex)
    except GattError as exc:
        return str(exc)
    return Decoded(
        time=r.time,
        values=[(s.metric, s.value) for s in r.samples],
        sequence=r.sequence,
        withheld=r.withheld,
    )


async def _decode_all(readings: list[GatewayReading]) -> list[tuple[GatewayReading, Decoded | str]]:
    """Decode every payload, yielding to the event loop now and then (see
    `prepare_readings`: the store's writer should not wait for a whole batch's decode)."""
    out: list[tuple[GatewayReading, Decoded | str]] = []
    for at in range(0, len(readings), YIELD_EVERY):
        if at:
            await asyncio.sleep(0)
        out += [(r, _decode(r)) for r in readings[at : at + YIELD_EVERY]]
    return out


def _writer(request: Request[Any, Any, Any]) -> ReadingWriter:
    """The app's one `ReadingWriter` for its store (batches share its transactions)."""
    runtime = runtime_of(request)
    state = request.app.state
    writer = state.get("gateway_writer")
    if not isinstance(writer, ReadingWriter) or not writer.serves(runtime.store):
        writer = state["gateway_writer"] = ReadingWriter(runtime.store, runtime.clock)
    return writer


@post(
    "/readings",
    operation_id="uploadReadings",
    status_code=200,
    request_max_body_size=1024 * 1024,
    request_class=_BatchRequest,
)
async def upload_readings(
    request: Request[Any, Any, Any], data: JSONBody[ReadingBatch]
) -> BatchResult:
    """Up to 1,000 readings; each gets accepted, duplicate, or rejected with the reason."""
    runtime = runtime_of(request)
    gateway = principal_of(request)
    # Everything that needs no writing happens before the write transaction, so the
    # store's one writer is held only for the inserts and roll-ups.
    items = await _decode_all(data.readings)
    async with runtime.store.read() as uow:
        zone = await citizen_zone(uow, gateway)
    batch = await prepare_readings(gateway, zone, runtime.clock.now(), items)
    results = await _writer(request).write(batch)
    accepted = duplicates = 0
    for r in results:
        if r.outcome == "accepted":
            accepted += 1
        elif r.outcome == "duplicate":
            duplicates += 1
    return BatchResult(
        results=results,
        accepted=accepted,
        duplicates=duplicates,
        rejected=len(results) - accepted - duplicates,
    )
