"""The worker that sends dose reminders, wakes snoozes and warns before a pack runs out.

It finds due schedules by an index on `next_at`, and in one transaction moves the
schedule's `done_until` past the instant (a conditional UPDATE: a second worker changes
nothing) and writes the reminder and its notice, so each is sent once, after a restart
too. A dose reminder more than two hours late (the worker or the whole service was
down) is written as `late`: listed, not pushed, so an outage ends without a flood.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import msgspec

from app.domain.dosing import (
    LATE_AFTER,
    SentReminder,
    day_da,
    day_en,
    next_after,
    reminder_id,
)
from app.domain.notices import notice
from app.ports import Clock, CprVault, Store, UnitOfWork
from app.services.dosing import DOSE_BATCH, zone_of
from app.services.notify import tell
from app.services.vaccinations import apply_seasonal_rules, send_vaccination_reminders

__all__ = [
    "DoseReport",
    "send_dose_reminders",
    "send_medicine_reminders",
    "send_runout_notices",
]


class DoseReport(msgspec.Struct, kw_only=True):
    """What one pass wrote: reminders pushed, late ones only listed, snoozes woken."""

    sent: int = 0
    late: int = 0
    woken: int = 0

    @property
    def rows(self) -> int:
        return self.sent + self.late + self.woken


async def _dose_notice(
    uow: UnitOfWork,
    clock: Clock,
    citizen_id: str,
    medication: str,
    rid: str,
    at: datetime,
    zone: str,
    dose: str,
) -> None:
    await tell(
        uow,
        clock,
        citizen_id,
        notice(
            "medication.reminder",
            f"reminders/{rid}",
            medication=medication,
            dose=dose or "din dosis",
            dose_en=dose or "your dose",
            time=f"{at.astimezone(ZoneInfo(zone)):%H:%M}",
        ),
    )


async def send_dose_reminders(store: Store, clock: Clock, *, limit: int = DOSE_BATCH) -> DoseReport:
    """One transaction: the due schedules (by index) and the snoozes that end now.

    The due schedules are this transaction's alone (SQLite has one writer; PostgreSQL
    locks them and other workers skip them), and each `done_until` moves on only if it
    is still what was read, in the transaction that writes the reminders and notices.
    """
    now = clock.now()
    report = DoseReport()
    async with store.transaction() as uow:
        moves: list[tuple[str, str, datetime, datetime, datetime | None]] = []
        written: list[SentReminder] = []
        pushes: list[tuple[SentReminder, str, str, str]] = []
        for schedule, zone, name in await uow.dose_schedules.due(now, limit):
            cid = schedule.citizen_id
            cursor = schedule.cursor
            at = next_after(schedule, zone, cursor)
            ref = f"medications/{schedule.medication_id}"
            while at is not None and at <= now:
                late = now - at > LATE_AFTER
                sent = SentReminder(
                    citizen_id=cid,
                    id=reminder_id("medication", ref, at),
                    kind="medication",
                    ref=ref,
                    planned_at=at,
                    status="late" if late else "sent",
                    sent_at=None if late else now,
                )
                written.append(sent)
                if late:
                    report.late += 1
                else:
                    pushes.append((sent, name, zone, schedule.dose))
                cursor = at
                at = next_after(schedule, zone, at)
            moves.append((cid, schedule.medication_id, schedule.cursor, cursor, at))
        if moves:
            await uow.dose_schedules.advance_many(moves)
            await uow.reminder_log.add_many(written)
        for sent, name, zone, dose in pushes:
            await _dose_notice(
                uow, clock, sent.citizen_id, name, sent.id, sent.planned_at, zone, dose
            )
            report.sent += 1
        for r in await uow.reminder_log.due_snoozed(now, limit):
            assert r.snooze_until is not None
            if not await uow.reminder_log.wake(r.citizen_id, r.id, r.snooze_until, now):
                continue
            mid = r.ref.removeprefix("medications/")
            current = await uow.dose_schedules.get(r.citizen_id, mid)
            await _dose_notice(
                uow,
                clock,
                r.citizen_id,
                await uow.medications.name_of(r.citizen_id, mid) or "",
                r.id,
                r.planned_at,
                await zone_of(uow, r.citizen_id),
                current.dose if current else "",
            )
            report.woken += 1
    return report


async def send_runout_notices(store: Store, clock: Clock, *, limit: int = 200) -> int:
    """Seven days before a pack runs out: a notice with a one-tap renewal, unless a
    renewal is open already or the drug cannot be renewed in the app."""
    now = clock.now()
    told = 0
    async with store.transaction() as uow:
        for supply in await uow.supplies.due(now, limit):
            assert supply.notify_at is not None
            cid, mid = supply.citizen_id, supply.medication_id
            if not await uow.supplies.handled(cid, mid, supply.notify_at, now):
                continue
            medication = await uow.medications.get(cid, mid)
            if medication is None or not medication.renewable:
                continue
            if any(r.open and r.medication_id == mid for r in await uow.renewals.for_citizen(cid)):
                continue
            await tell(
                uow,
                clock,
                cid,
                notice(
                    "medication.runout",
                    f"medications/{mid}/renewal",
                    medication=f"{medication.name} {medication.strength}".strip(),
                    day=day_da(supply.runs_out_on),
                    day_en=day_en(supply.runs_out_on),
                ),
            )
            told += 1
    return told


async def send_medicine_reminders(store: Store, clock: Clock, vault: CprVault) -> int:
    """The worker's step: dose reminders (repeating while batches come back full), snoozes,
    run-out notices, seasonal vaccination rules and due vaccinations; how many written."""
    written = 0
    while True:
        report = await send_dose_reminders(store, clock)
        written += report.rows
        if report.rows < DOSE_BATCH:
            break
    written += await send_runout_notices(store, clock)
    await apply_seasonal_rules(store, clock, vault)
    written += await send_vaccination_reminders(store, clock)
    return written
