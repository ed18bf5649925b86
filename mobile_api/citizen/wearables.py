"""The citizen's own wearable data: daily series (contracts §4)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from litestar import Controller, Request, get
from litestar.params import QueryParameter

from app.services.wearables import DailySeries, daily_series, parse_metric
from mobile_api.security import principal_of, runtime_of

__all__ = ["DailyController"]


class DailyController(Controller):
    path = "/daily"

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
