"""The background worker: what has to happen without a request asking for it.

Each pass, every couple of seconds:
1. waitlist offers whose hold ran out go to the next in line (`sweep_lapsed_offers`);
2. appointments due a reminder get one (`send_reminders`);
3. PRO questionnaires whose time has come are opened (`open_due`), and medicine
   reminders are written: doses, run-out notices, vaccinations (`send_medicine_reminders`);
4. active shares not evaluated for a few hours get their inbox items brought up to date
   (`sweep_flags`: data that stop arriving raise "missing data");
5. cloud connections are pulled: notifications, backfill chunks, daily polls;
6. due notices are pushed to the citizens' phones, when a push service is configured;
7. retention: rows whose period is over go, a bounded batch of each kind, and blobs in
   the trash (uploads of closed accounts) are deleted (`enforce_retention`, ADR 0023).

`minlaege serve` runs it in the app's lifespan, and `minlaege worker` runs it on its own.
Several may run at once: each step claims its rows in a transaction. A failing pass is
logged and the loop goes on; pushes it held come back when their lease runs out.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time

import msgspec

from app.services.booking import sweep_lapsed_offers
from app.services.dose_sending import send_medicine_reminders
from app.services.inbox import sweep_flags
from app.services.push import RELAY_BATCH, RelayReport, relay_due
from app.services.questionnaires import open_due
from app.services.reminders import send_reminders
from app.services.retention import RetentionPeriods, empty_trash, enforce_retention
from mobile_api import metrics
from mobile_api.runtime import Runtime

__all__ = ["WorkReport", "retention_of", "work_forever", "work_once"]

_log = logging.getLogger("minlaege.worker")

#: retention runs at most this often per worker: nothing in it is urgent, and each kind
#: is a write transaction even when nothing is due
RETAIN_EVERY_SECONDS = 60.0


class WorkReport(msgspec.Struct, kw_only=True):
    offers_passed_on: int = 0
    reminders: int = 0
    questionnaires_opened: int = 0
    #: dose, run-out and vaccination reminders written (late dose reminders included)
    medicine_reminders: int = 0
    inbox_changes: int = 0
    #: cloud connection pulls done (Withings, Polar): notifications, backfill, polls
    connection_pulls: int = 0
    push: RelayReport = msgspec.field(default_factory=RelayReport)
    #: rows deleted because their retention period was over, and trashed blobs deleted
    retention_deleted: int = 0

    @property
    def anything(self) -> bool:
        return bool(
            self.offers_passed_on
            or self.reminders
            or self.questionnaires_opened
            or self.medicine_reminders
            or self.inbox_changes
            or self.connection_pulls
            or self.push.rows
            or self.retention_deleted
        )


async def work_once(runtime: Runtime) -> WorkReport:
    """One pass; pushes repeat while batches come back full (a backlog after downtime)."""
    report = WorkReport(
        offers_passed_on=await sweep_lapsed_offers(runtime.store, runtime.clock),
        reminders=await send_reminders(runtime.store, runtime.clock),
        questionnaires_opened=await open_due(runtime.store, runtime.clock),
        medicine_reminders=await send_medicine_reminders(
            runtime.store, runtime.clock, runtime.vault
        ),
        inbox_changes=await sweep_flags(runtime.store, runtime.clock),
    )
    if runtime.cloud is not None and runtime.cloud.vendors:
        report.connection_pulls = (await runtime.cloud.work(runtime.worker_id)).pulled
    while runtime.senders:
        done = await relay_due(runtime.store, runtime.clock, runtime.senders)
        for field in done.__struct_fields__:
            setattr(report.push, field, getattr(report.push, field) + getattr(done, field))
        if done.rows < RELAY_BATCH:
            break
    last = runtime.retained_at
    if last is None or time.monotonic() - last >= RETAIN_EVERY_SECONDS:
        runtime.retained_at = time.monotonic()
        report.retention_deleted = await retain(runtime)
    return report


async def retain(runtime: Runtime) -> int:
    """Retention's pass: rows past their period, expired download links, then the blob
    trash (the zips and uploads they left); how many went."""
    retention = await enforce_retention(runtime.store, runtime.clock, retention_of(runtime))
    return retention.total + await empty_trash(runtime.store, runtime.blobs)


def retention_of(runtime: Runtime) -> RetentionPeriods:
    """The retention periods of the settings (MINLAEGE_RETAIN_*)."""
    s = runtime.settings
    return RetentionPeriods(
        raw_readings_days=s.retain_raw_readings_days,
        links_days=s.retain_links_days,
        codes_days=s.retain_codes_days,
        notices_days=s.retain_notices_days,
        sessions_days=s.retain_sessions_days,
        batch=s.retain_batch,
    )


async def work_forever(runtime: Runtime, stop: asyncio.Event) -> None:
    while not stop.is_set():
        try:
            report = await work_once(runtime)
            metrics.worker_pass(report.reminders, report.push)
            if report.anything:
                _log.info("worker: %s", report)
            await metrics.refresh_from_store(runtime.store, runtime.clock.now)
        except Exception:
            _log.exception("worker pass failed; trying again")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=runtime.settings.worker_interval_seconds)
