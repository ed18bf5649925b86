"""`POST /v1/me/healthconnect/records`: the Android app's everyday Health Connect sync."""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Controller, Request, post
from litestar.exceptions import HTTPException, ValidationException
from litestar.params import JSONBody

from adapters.ingest.healthconnect import MAX_RECORDS, HealthConnectBatch, map_record
from app.services.healthconnect import HealthConnectResult, apply_records
from mobile_api.security import principal_of, runtime_of

__all__ = ["MAX_BODY", "HealthConnectController"]

#: 5,000 records with heart-rate series and full metadata fit; a bigger body gets 413
MAX_BODY = 16 * 1024 * 1024

_BATCH = msgspec.json.Decoder(HealthConnectBatch)


class _BatchRequest(Request[Any, Any, Any]):
    """Decodes the body straight into a `HealthConnectBatch`, its records left raw.

    Each record is then decoded on its own, so one record Health Connect wrote in a shape
    we do not read is rejected with its reason instead of failing the batch.
    """

    async def json(self) -> Any:
        try:
            return _BATCH.decode(await self.body())
        except msgspec.ValidationError as exc:
            raise ValidationException(detail=str(exc)) from None
        except msgspec.DecodeError:  # not JSON: Litestar words the 400
            return await super().json()


class HealthConnectController(Controller):
    path = "/healthconnect"
    opt = {"proxy_scope": "wearables"}

    @post(
        "/records",
        operation_id="syncHealthConnect",
        status_code=200,
        request_max_body_size=MAX_BODY,
        request_class=_BatchRequest,
    )
    async def sync(
        self, request: Request[Any, Any, Any], data: JSONBody[HealthConnectBatch]
    ) -> HealthConnectResult:
        """Up to 5,000 Health Connect records and 5,000 deleted record ids.

        Answers each record's outcome (stored, duplicate, rejected with a reason). A
        record whose id we hold in the same or a later `lastModifiedTime` is a duplicate,
        so sending the same batch again stores nothing; a later version replaces it.
        """
        if len(data.records) > MAX_RECORDS or len(data.deleted) > MAX_RECORDS:
            raise HTTPException(
                status_code=413,
                detail=f"at most {MAX_RECORDS} records and {MAX_RECORDS} deleted ids a batch",
            )
        runtime = runtime_of(request)
        items = [map_record(r) for r in data.records]
        async with runtime.store.transaction() as uow:
            return await apply_records(
                uow,
                runtime.clock,
                citizen_id=principal_of(request).id,
                items=items,
                deleted=data.deleted,
            )
