"""Measurement items kept current: the summary's flags, evaluated when data arrive.

Every path that changes a citizen's roll-ups (file import, HealthKit sync, gateway
upload, a new source order or time zone) calls `refresh_measurements` in its own
transaction with the metrics it touched; a new share or new thresholds evaluate
everything, and the worker re-evaluates each active share a few times a day so that
data which stop arriving raise "missing data" and old data age out of the window.

An evaluation reads the same roll-ups with the same rule code as the GP summary
(`metric_summaries` and `app.domain.flags.evaluate`), over the same default period
(the 90 days up to today, clipped to what the share opens), so the inbox and the
summary never disagree. Items are per share: each share is what its citizen agreed
to show, to the whole clinic or to one GP.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from app.domain.flags import Thresholds, evaluate
from app.domain.ids import new_id
from app.domain.inbox import (
    FAMILY_METRICS,
    InboxItem,
    condition_of,
    conditions_checked,
    families_for,
    plan,
)
from app.domain.metrics import Metric
from app.domain.sharing import Share
from app.domain.summary import Flag
from app.ports import Clock, Store, UnitOfWork
from app.services.adherence import adherence_summaries
from app.services.summary import DEFAULT_PERIOD_DAYS, metric_summaries, thresholds_for
from app.services.zones import zone_of

__all__ = [
    "FLAGS_RECHECK",
    "evaluate_share",
    "refresh_measurements",
    "sweep_flags",
]

#: how often the worker re-evaluates an active share without new data
FLAGS_RECHECK = timedelta(hours=6)
_SWEEP_BATCH = 100
_ALL_METRICS = frozenset(m.value for m in Metric)


def _period(today: date) -> tuple[date, date]:
    return today - timedelta(days=DEFAULT_PERIOD_DAYS - 1), today


def summary_link(citizen_id: str) -> str:
    return f"/v1/clinician/citizens/{citizen_id}/summary"


async def evaluate_share(
    uow: UnitOfWork,
    clock: Clock,
    share: Share,
    *,
    zone: str,
    thresholds: Thresholds,
    touched: Iterable[str] | None = None,
) -> int:
    """Bring one share's measurement items in line with its data; how many changed.

    `touched` limits the work to the rule families of those metrics (a gateway batch of
    blood pressure need not re-read steps); None evaluates everything the share opens.
    """
    shared = set(share.metrics) & _ALL_METRICS
    if touched is None:
        families, wanted = families_for(shared)
    else:
        families, wanted = families_for(set(touched) & shared)
    wanted &= shared
    adherence = "adherence" in share.metrics and (touched is None or "adherence" in touched)
    if not wanted and not adherence:
        return 0
    families = {f for f in families if set(FAMILY_METRICS[f]) <= shared}
    now = clock.now()
    today = now.astimezone(ZoneInfo(zone)).date()
    start, end = _period(today)
    opened = share.first_day(today)
    summaries = await metric_summaries(
        uow,
        share.citizen_id,
        dict.fromkeys(wanted, opened),
        start,
        end,
        [Metric(m) for m in sorted(wanted)],
        # only the steps rule compares with the previous period
        previous="steps" in wanted,
    )
    if adherence:
        families.add("adherence")
        summaries |= await adherence_summaries(
            uow, share.citizen_id, zone, max(start, opened), end, now
        )
    flags = evaluate(summaries, thresholds, end)
    checked = conditions_checked(families, wanted)
    flags = [f for f in flags if condition_of(f) in checked]
    live = await uow.inbox.live_for_share(share.citizen_id, share.id)
    live = [i for i in live if i.condition in checked]
    changes = plan(live, flags, checked)
    by_id = {i.id: i for i in live}
    for change in changes:
        if change.op == "clear":
            assert change.item_id is not None
            await uow.inbox.clear(share.citizen_id, change.item_id, now)
        elif change.op == "update":
            assert change.flag is not None and change.item_id is not None
            await uow.inbox.update_finding(
                share.citizen_id,
                _from_flag(change.flag, share, max(start, opened), end, now, by_id[change.item_id]),
            )
        else:
            assert change.flag is not None
            await uow.inbox.add(_from_flag(change.flag, share, max(start, opened), end, now))
    return len(changes)


def _from_flag(
    flag: Flag,
    share: Share,
    first: date,
    last: date,
    now: datetime,
    existing: InboxItem | None = None,
) -> InboxItem:
    return InboxItem(
        id=existing.id if existing else new_id(),
        clinic_id=share.clinic_id,
        citizen_id=share.citizen_id,
        kind="measurement",
        share_id=share.id,
        condition=condition_of(flag),
        code=flag.code,
        severity=flag.severity,
        title_da=flag.title_da,
        title_en=flag.title_en,
        detail_da=flag.detail_da,
        detail_en=flag.detail_en,
        value=flag.value,
        threshold=flag.threshold,
        period_from=first,
        period_to=last,
        link=summary_link(share.citizen_id),
        created_at=existing.created_at if existing else now,
        updated_at=now,
    )


async def refresh_measurements(
    uow: UnitOfWork,
    clock: Clock,
    citizen_id: str,
    touched: Iterable[str] | None = None,
    *,
    zone: str | None = None,
) -> int:
    """After new data: re-evaluate the citizen's active shares that cover `touched`
    (None: everything). One read when nothing is shared."""
    shares = await uow.shares.active_for_citizen(citizen_id, clock.now())
    metrics = None if touched is None else {str(m) for m in touched}
    if metrics is not None:
        shares = [s for s in shares if metrics & set(s.metrics)]
    if not shares:
        return 0
    if zone is None:
        zone = await zone_of(uow, citizen_id)
    thresholds = await thresholds_for(uow, citizen_id)
    changed = 0
    for share in shares:
        changed += await evaluate_share(
            uow, clock, share, zone=zone, thresholds=thresholds, touched=metrics
        )
    return changed


async def sweep_flags(store: Store, clock: Clock) -> int:
    """The worker's pass: evaluate active shares not looked at for `FLAGS_RECHECK`."""
    now = clock.now()
    async with store.read() as uow:
        due = await uow.shares.flags_due(now - FLAGS_RECHECK, now, _SWEEP_BATCH)
    if not due:
        return 0
    changed = 0
    async with store.transaction() as uow:
        # a citizen with several shares: zone and thresholds read once
        people: dict[str, tuple[str, Thresholds]] = {}
        for share in due:
            if share.citizen_id not in people:
                people[share.citizen_id] = (
                    await zone_of(uow, share.citizen_id),
                    await thresholds_for(uow, share.citizen_id),
                )
            zone, thresholds = people[share.citizen_id]
            changed += await evaluate_share(uow, clock, share, zone=zone, thresholds=thresholds)
            await uow.shares.flags_checked(share.citizen_id, share.id, now)
    return changed
