"""The citizen's own wearable data: daily series (contracts §4)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from litestar import Controller, Request, get, put
from litestar.params import JSONBody, QueryParameter

from app.services.wearables import (
    DailySeries,
    SourceOrder,
    SourceView,
    daily_series,
    list_sources,
    parse_metric,
    reorder_sources,
)
from mobile_api.security import principal_of, runtime_of

__all__ = ["DailyController", "SourcesController"]


class DailyController(Controller):
    path = "/daily"
    opt = {"proxy_scope": "wearables"}

    @get(operation_id="getDaily")
    async def daily(
        self,
        request: Request[Any, Any, Any],
        metric: Annotated[str, QueryParameter(description="a metric name of contracts §2")],
        from_: Annotated[date, QueryParameter(name="from", description="first local date")],
        to: Annotated[date, QueryParameter(description="last local date, inclusive")],
    ) -> DailySeries:
        """One value per local day with data: `sum` for cumulative metrics, stats otherwise."""
        me = principal_of(request)
        async with runtime_of(request).store.read() as uow:
            return await daily_series(
                uow, citizen_id=me.id, metric=parse_metric(metric), first=from_, last=to
            )


class SourcesController(Controller):
    path = "/sources"
    opt = {"proxy_scope": "wearables"}

    @get(operation_id="listSources")
    async def list_(self, request: Request[Any, Any, Any]) -> list[SourceView]:
        """Where the data came from, in the order that decides overlapping time."""
        async with runtime_of(request).store.read() as uow:
            return await list_sources(uow, principal_of(request).id)

    @put(operation_id="reorderSources")
    async def reorder(
        self, request: Request[Any, Any, Any], data: JSONBody[SourceOrder]
    ) -> list[SourceView]:
        """Put sources in the citizen's own order; the daily roll-ups follow at once."""
        runtime = runtime_of(request)
        async with runtime.store.transaction() as uow:
            return await reorder_sources(uow, principal_of(request).id, data, clock=runtime.clock)
