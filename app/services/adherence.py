"""Adherence: doses taken out of doses planned, per medication, from the same planner
that sends the reminders.

A dose counts when it answers a planned instant (the app sends `planned_at` from the
reminder). The planned instants are the schedule's, from the day it took its current
form, together with every reminder the worker wrote under an earlier form, so editing
a schedule does not rewrite history. Shared with the GP as the `adherence` scope: one
`adherence:<medication id>` series per medication in the summary, in percent per day,
read by the `adherence_low` flag rule (`app.domain.flags`).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime
from zoneinfo import ZoneInfo

from app.domain.dosing import Adherence, adherence_of, instants
from app.domain.summary import Completeness, DayPoint, MetricSummary, Trend
from app.domain.time import local_day_bounds
from app.ports import UnitOfWork

__all__ = ["ADHERENCE_PREFIX", "adherence_for", "adherence_summaries", "planned_instants"]

#: the summary's series of one medication is "adherence:<medication id>"
ADHERENCE_PREFIX = "adherence:"


async def planned_instants(
    uow: UnitOfWork, citizen_id: str, zone: str, first: date, last: date, now: datetime
) -> dict[str, list[datetime]]:
    """Per medication, the instants planned on local days [first, last] up to `now`."""
    start, _ = local_day_bounds(first, zone)
    _, end = local_day_bounds(last, zone)
    out: dict[str, set[datetime]] = defaultdict(set)
    for schedule in await uow.dose_schedules.for_citizen(citizen_id):
        out[schedule.medication_id].update(
            i for i in instants(schedule, zone, first, last) if i <= now
        )
    for sent in await uow.reminder_log.between(citizen_id, start, end):
        if sent.kind == "medication" and sent.planned_at <= now:
            out[sent.ref.removeprefix("medications/")].add(sent.planned_at)
    return {m: sorted(v) for m, v in out.items()}


async def adherence_for(
    uow: UnitOfWork, citizen_id: str, zone: str, first: date, last: date, now: datetime
) -> list[Adherence]:
    """Per scheduled medication over local days [first, last]."""
    planned = await planned_instants(uow, citizen_id, zone, first, last, now)
    start, _ = local_day_bounds(first, zone)
    _, end = local_day_bounds(last, zone)
    doses = await uow.doses.between(citizen_id, start, end)
    out = []
    for medication_id, times in sorted(planned.items()):
        name = await uow.medications.name_of(citizen_id, medication_id) or medication_id
        out.append(
            adherence_of(
                medication_id, name, times, [d for d in doses if d.medication_id == medication_id]
            )
        )
    return out


async def adherence_summaries(
    uow: UnitOfWork, citizen_id: str, zone: str, first: date, last: date, now: datetime
) -> dict[str, MetricSummary]:
    """One summary series per medication with planned doses in [first, last]."""
    tz = ZoneInfo(zone)
    planned = await planned_instants(uow, citizen_id, zone, first, last, now)
    if not any(planned.values()):
        return {}
    start, _ = local_day_bounds(first, zone)
    _, end = local_day_bounds(last, zone)
    doses = await uow.doses.between(citizen_id, start, end)
    taken = {(d.medication_id, d.planned_at) for d in doses if d.status == "taken"}
    out: dict[str, MetricSummary] = {}
    for medication_id, times in sorted(planned.items()):
        if not times:
            continue
        per_day: dict[date, list[int]] = defaultdict(lambda: [0, 0])
        for at in times:
            day = per_day[at.astimezone(tz).date()]
            day[0] += 1
            day[1] += (medication_id, at) in taken
        points = [
            DayPoint(date=d, value=round(t / p * 100, 3), count=p)
            for d, (p, t) in sorted(per_day.items())
        ]
        all_planned = sum(p for p, _ in per_day.values())
        all_taken = sum(t for _, t in per_day.values())
        name = await uow.medications.name_of(citizen_id, medication_id) or medication_id
        days_in = (last - first).days + 1
        out[ADHERENCE_PREFIX + medication_id] = MetricSummary(
            metric=ADHERENCE_PREFIX + medication_id,
            unit="%",
            label_da=f"Medicin taget: {name}",
            label_en=f"Medicine taken: {name}",
            days=points,
            mean=round(all_taken / all_planned * 100, 2),
            min=min(p.value for p in points),
            max=max(p.value for p in points),
            trend=Trend(),
            completeness=Completeness(
                days_with_data=len(points),
                days_in_period=days_in,
                fraction=round(len(points) / days_in, 3),
            ),
            last_data=points[-1].date,
        )
    return out
