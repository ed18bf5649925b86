"""`POST /v1/me/healthkit/samples`: the app's everyday sync after an anchored query."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, post
from litestar.params import JSONBody

from adapters.ingest.healthkit_sync import SyncBatch, to_item
from app.services.sync import SyncResult, apply_sync
from mobile_api.security import principal_of, runtime_of

__all__ = ["HealthKitController"]


class HealthKitController(Controller):
    path = "/healthkit"
    opt = {"proxy_scope": "wearables"}

    @post(
        "/samples",
        operation_id="syncHealthKit",
        status_code=200,
        request_max_body_size=8 * 1024 * 1024,  # 5,000 samples with long names fit
    )
    async def sync(self, request: Request[Any, Any, Any], data: JSONBody[SyncBatch]) -> SyncResult:
        """Up to 5,000 new samples and the UUIDs deleted since the last anchor.

        Answers each sample's outcome (stored, duplicate, rejected with a reason); sending
        the same batch again stores nothing.
        """
        runtime = runtime_of(request)
        items = [(s.uuid, to_item(s)) for s in data.samples]
        async with runtime.store.transaction() as uow:
            return await apply_sync(
                uow,
                runtime.clock,
                citizen_id=principal_of(request).id,
                items=items,
                deleted=data.deleted,
            )
