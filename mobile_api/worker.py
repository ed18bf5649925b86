"""The outbox relay loop: push due notices every few seconds until told to stop.

`minlaege serve` runs it beside the app when a push service is configured, and
`minlaege push-relay` runs it on its own (several can run: rows are claimed under a
lease). A failing pass is logged and the loop goes on: the rows it held come back when
their lease runs out.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from app.services.push import RELAY_BATCH, RelayReport, relay_due
from mobile_api.runtime import Runtime

__all__ = ["relay_forever", "relay_once"]

_log = logging.getLogger("minlaege.push")


async def relay_once(runtime: Runtime) -> RelayReport:
    """One pass, repeated while passes come back full (a backlog after downtime)."""
    total = RelayReport()
    while True:
        report = await relay_due(runtime.store, runtime.clock, runtime.senders)
        for field in report.__struct_fields__:
            setattr(total, field, getattr(total, field) + getattr(report, field))
        if report.rows < RELAY_BATCH:
            return total


async def relay_forever(runtime: Runtime, stop: asyncio.Event) -> None:
    while not stop.is_set():
        try:
            report = await relay_once(runtime)
            if report.rows:
                _log.info("push relay: %s", report)
        except Exception:
            _log.exception("push relay pass failed; trying again")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=runtime.settings.push_interval_seconds)
