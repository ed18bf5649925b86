"""The GP summary of a citizen's shared data, built from the daily roll-ups only.

What a clinician may see is decided here, on every call: the citizen must be at the
clinician's clinic and have an active share for the clinic or that clinician; only the
shared metrics appear, and only data from the days the share opens (the previous period
used for trends is clipped the same way). Every read is audited with the share ids.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from zoneinfo import ZoneInfo

import msgspec

from app.domain.flags import THRESHOLD_CODES, Thresholds, evaluate
from app.domain.identity import Principal
from app.domain.metrics import METRIC_LABELS, METRICS, Metric, MetricKind
from app.domain.people import Citizen
from app.domain.pro import Instance, StoredQuestionnaire
from app.domain.sharing import Share
from app.domain.sources import StoredSource
from app.domain.summary import (
    Completeness,
    DayPoint,
    MetricSummary,
    PatientRef,
    SharedResponse,
    SourceRef,
    Summary,
    Trend,
)
from app.errors import Invalid, NotFound
from app.ports import Clock, CprVault, DailyRow, UnitOfWork
from app.services.adherence import adherence_summaries
from app.services.audit import event_for, record
from app.services.clinic_schedule import clinic_for

__all__ = [
    "MAX_PERIOD_DAYS",
    "SharedAccess",
    "build_summary",
    "clinic_thresholds",
    "metric_summaries",
    "period",
    "set_thresholds",
    "shared_access",
    "shared_daily",
    "shared_response",
    "shared_responses",
    "thresholds_for",
]

MAX_PERIOD_DAYS = 366
DEFAULT_PERIOD_DAYS = 90


class SharedAccess(msgspec.Struct, frozen=True, kw_only=True):
    """What the active shares open to this clinician: metric -> first local date."""

    citizen: Citizen
    shares: list[Share]
    first_day: dict[str, date]
    today: date


async def shared_access(
    uow: UnitOfWork, clock: Clock, clinician: Principal, citizen_id: str
) -> SharedAccess:
    """The citizen and what they share with this clinician now; 404 without a share.

    "No such citizen" and "nothing shared" look the same to the caller on purpose.
    """
    clinic = await clinic_for(uow, clinician)
    citizen = await uow.citizens.in_clinic(clinic.id, citizen_id)
    if citizen is None:
        raise NotFound("no shared data for this citizen", kind="not-shared")
    now = clock.now()
    shares = [
        s
        for s in await uow.shares.active_for_clinic(clinic.id, citizen.id, now)
        if s.for_clinician(clinic.id, clinician.id)
    ]
    if not shares:
        raise NotFound("no shared data for this citizen", kind="not-shared")
    today = now.astimezone(ZoneInfo(citizen.timezone)).date()
    first: dict[str, date] = {}
    for share in shares:
        start = share.first_day(today)
        for metric in share.metrics:
            first[metric] = min(first.get(metric, start), start)
    return SharedAccess(citizen=citizen, shares=shares, first_day=first, today=today)


async def clinic_thresholds(uow: UnitOfWork, clinician: Principal, citizen_id: str) -> Thresholds:
    clinic = await clinic_for(uow, clinician)
    if await uow.citizens.in_clinic(clinic.id, citizen_id) is None:
        raise NotFound("no such citizen at your clinic")
    return await thresholds_for(uow, citizen_id)


async def shared_daily(
    uow: UnitOfWork,
    clock: Clock,
    clinician: Principal,
    citizen_id: str,
    metric: Metric,
    first: date,
    last: date,
) -> tuple[date, list[DailyRow]]:
    """The daily roll-ups of one shared metric, clipped to the days the share opens."""
    access = await shared_access(uow, clock, clinician, citizen_id)
    opened = access.first_day.get(metric.value)
    if opened is None:
        raise NotFound(f"{metric.value} is not shared with you", kind="not-shared")
    if last < first:
        raise Invalid("'to' is before 'from'")
    if (last - first).days >= MAX_PERIOD_DAYS:
        raise Invalid(f"ask for at most {MAX_PERIOD_DAYS} days")
    start = max(first, opened)
    rows = (
        await uow.daily.series(citizen_id, metric.value, start.isoformat(), last.isoformat())
        if start <= last
        else []
    )
    await record(
        uow,
        clock,
        event_for(
            clinician,
            citizen_id=citizen_id,
            action="daily.read",
            resource=f"daily/{metric.value}",
            detail={
                "shares": ",".join(s.id for s in access.shares),
                "from": start.isoformat(),
                "to": last.isoformat(),
            },
        ),
    )
    return start, rows


async def thresholds_for(uow: UnitOfWork, citizen_id: str) -> Thresholds:
    stored = await uow.shares.thresholds(citizen_id)
    return msgspec.convert(
        {k: v for k, v in stored.items() if k in THRESHOLD_CODES}, Thresholds, strict=False
    )


async def set_thresholds(
    uow: UnitOfWork, clock: Clock, clinician: Principal, citizen_id: str, values: Thresholds
) -> Thresholds:
    """A GP's own thresholds for this citizen; only values that differ from the default
    are stored, so later changes to a default still reach everyone else."""
    clinic = await clinic_for(uow, clinician)
    citizen = await uow.citizens.in_clinic(clinic.id, citizen_id)
    if citizen is None:
        raise NotFound("no such citizen at your clinic")
    defaults = Thresholds()
    for code in THRESHOLD_CODES:
        if getattr(values, code) < 0:
            raise Invalid(f"{code} cannot be negative")
    changed = {
        code: float(getattr(values, code))
        for code in THRESHOLD_CODES
        if getattr(values, code) != getattr(defaults, code)
    }
    await uow.shares.set_thresholds(citizen.id, changed, clinician.id, clock.now())
    await record(
        uow,
        clock,
        event_for(
            clinician,
            citizen_id=citizen.id,
            action="thresholds.update",
            resource="thresholds",
            detail={k: str(v) for k, v in changed.items()},
        ),
    )
    return await thresholds_for(uow, citizen.id)


def _value(row: DailyRow, kind: MetricKind) -> float:
    if kind is MetricKind.DISCRETE:
        return float(row.mean or 0.0)
    return float(row.total or 0.0)


def _slope_per_week(points: Sequence[DayPoint]) -> float | None:
    if len(points) < 2:
        return None
    x0 = points[0].date
    xs = [(p.date - x0).days for p in points]
    ys = [p.value for p in points]
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    var = sum((x - mx) ** 2 for x in xs)
    if var == 0:
        return None
    cov = sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True))
    return round(cov / var * 7, 3)


def _mean(rows: Sequence[DailyRow], kind: MetricKind) -> float | None:
    if not rows:
        return None
    if kind is MetricKind.DISCRETE:
        n = sum(r.count for r in rows)
        return sum((r.mean or 0.0) * r.count for r in rows) / n if n else None
    return sum(r.total or 0.0 for r in rows) / len(rows)


def _metric_summary(
    metric: Metric,
    rows: Sequence[DailyRow],
    previous: Sequence[DailyRow],
    start: date,
    end: date,
    sources: dict[int, StoredSource],
) -> MetricSummary:
    info = METRICS[metric]
    kind = info.kind
    points = [
        DayPoint(
            date=date.fromisoformat(r.day),
            value=round(_value(r, kind), 3),
            min=r.min if kind is MetricKind.DISCRETE else None,
            max=r.max if kind is MetricKind.DISCRETE else None,
            count=r.count if kind is MetricKind.DISCRETE else None,
        )
        for r in rows
    ]
    mean = _mean(rows, kind)
    prev = _mean(previous, kind)
    if kind is MetricKind.DISCRETE:
        low = min((r.min for r in rows if r.min is not None), default=None)
        high = max((r.max for r in rows if r.max is not None), default=None)
    else:
        low = min((p.value for p in points), default=None)
        high = max((p.value for p in points), default=None)
    used = sorted({int(n) for r in rows for n in r.sources.split(",") if n})
    days_in = max((end - start).days + 1, 0)
    label_da, label_en = METRIC_LABELS[metric]
    return MetricSummary(
        metric=metric.value,
        unit=info.unit,
        label_da=label_da,
        label_en=label_en,
        days=points,
        mean=None if mean is None else round(mean, 2),
        min=low,
        max=high,
        trend=Trend(
            per_week=_slope_per_week(points),
            previous_mean=None if prev is None else round(prev, 2),
            change_pct=(None if mean is None or not prev else round((mean - prev) / prev * 100, 1)),
        ),
        completeness=Completeness(
            days_with_data=len(points),
            days_in_period=days_in,
            fraction=round(len(points) / days_in, 3) if days_in else 0.0,
        ),
        last_data=points[-1].date if points else None,
        sources=[
            SourceRef(key=s.key, name=s.name, kind=s.kind, device=s.device)
            for n in used
            if (s := sources.get(n)) is not None
        ],
    )


async def metric_summaries(
    uow: UnitOfWork,
    citizen_id: str,
    first_day: dict[str, date],
    start: date,
    end: date,
    metrics: Sequence[Metric],
    sources: dict[int, StoredSource] | None = None,
    *,
    previous: bool = True,
) -> dict[str, MetricSummary]:
    """Per shared metric, the summary over [start, end] clipped to the day the share
    opens it, with the previous period of the same length for trends: what the flags
    read, for the summary page and the inbox alike (one read for all metrics).

    `previous=False` leaves the previous period out (no trend against it): the inbox
    asks so when no rule it evaluates needs it, which halves what it reads.
    """
    length = (end - start).days + 1 if previous else 0
    wanted = [m for m in metrics if m.value in first_day]
    if not wanted:
        return {}
    earliest = min(max(start - timedelta(days=length), first_day[m.value]) for m in wanted)
    rows_by = await uow.daily.series_many(
        citizen_id, [m.value for m in wanted], earliest.isoformat(), end.isoformat()
    )
    out: dict[str, MetricSummary] = {}
    for metric in wanted:
        opened = first_day[metric.value]
        own_start = max(start, opened)
        prev_start = max(start - timedelta(days=length), opened).isoformat()
        rows = [r for r in rows_by.get(metric.value, []) if r.day >= prev_start]
        cut = own_start.isoformat()
        in_period = [r for r in rows if r.day >= cut]
        earlier = [r for r in rows if r.day < start.isoformat()]
        out[metric.value] = _metric_summary(
            metric, in_period, earlier, own_start, end, sources or {}
        )
    return out


async def shared_responses(
    uow: UnitOfWork, citizen: Citizen, first: date | None = None, last: date | None = None
) -> list[SharedResponse]:
    """The citizen's answered questionnaires submitted on local days [first, last] (all of
    them without bounds); each questionnaire version is read once, however many answers
    share it."""
    zone = ZoneInfo(citizen.timezone)
    versions: dict[tuple[str, str, int], StoredQuestionnaire | None] = {}
    out: list[SharedResponse] = []
    for instance in await uow.questionnaires.submitted(citizen.id):
        if instance.submitted_at is None or instance.response is None:
            continue
        day = instance.submitted_at.astimezone(zone).date()
        if (first is not None and day < first) or (last is not None and day > last):
            continue
        which = (instance.clinic_id, instance.key, instance.version)
        if which not in versions:
            versions[which] = await uow.questionnaires.version(*which)
        out.append(shared_response(instance, versions[which]))
    return out


def shared_response(instance: Instance, stored: StoredQuestionnaire | None) -> SharedResponse:
    """A submitted instance as the summary and the FHIR export show it."""
    assert instance.submitted_at is not None
    return SharedResponse(
        id=instance.id,
        key=instance.key,
        version=instance.version,
        title_da=stored.title_da if stored else instance.key,
        title_en=stored.title_en if stored else instance.key,
        submitted_at=instance.submitted_at,
        triage=instance.triage or "green",
        score=instance.score,
        response=msgspec.json.decode(instance.response or b"{}"),
    )


def period(access: SharedAccess, first: date | None, last: date | None) -> tuple[date, date]:
    """The summary's first and last local day; 422 for a reversed or too long period."""
    end = last or access.today
    start = first or end - timedelta(days=DEFAULT_PERIOD_DAYS - 1)
    if end < start:
        raise Invalid("'to' is before 'from'")
    if (end - start).days >= MAX_PERIOD_DAYS:
        raise Invalid(f"a summary covers at most {MAX_PERIOD_DAYS} days")
    return start, end


async def build_summary(
    uow: UnitOfWork,
    clock: Clock,
    vault: CprVault,
    clinician: Principal,
    citizen_id: str,
    *,
    first: date | None,
    last: date | None,
    rendering: str,
) -> Summary:
    """The summary for the period (default: the 90 days up to today), audited."""
    access = await shared_access(uow, clock, clinician, citizen_id)
    start, end = period(access, first, last)
    citizen = access.citizen
    sources = {s.source_no: s for s in await uow.sources.for_citizen(citizen.id)}
    summaries = await metric_summaries(
        uow, citizen.id, access.first_day, start, end, list(Metric), sources
    )
    if "adherence" in access.first_day:
        summaries |= await adherence_summaries(
            uow,
            citizen.id,
            citizen.timezone,
            max(start, access.first_day["adherence"]),
            end,
            clock.now(),
        )
    thresholds = await thresholds_for(uow, citizen.id)
    answered = (
        await shared_responses(uow, citizen, max(start, access.first_day["questionnaires"]), end)
        if "questionnaires" in access.first_day
        else []
    )
    sealed = await uow.citizens.sealed_cpr(citizen.id)
    summary = Summary(
        patient=PatientRef(
            id=citizen.id, name=citizen.name, cpr=None if sealed is None else vault.open(sealed)
        ),
        share_id=access.shares[0].id,
        clinic_id=access.shares[0].clinic_id,
        period_from=start,
        period_to=end,
        timezone=citizen.timezone,
        generated_at=clock.now(),
        flags=evaluate(summaries, thresholds, end),
        metrics=list(summaries.values()),
        questionnaires=answered,
    )
    await record(
        uow,
        clock,
        event_for(
            clinician,
            citizen_id=citizen.id,
            action="summary.read",
            resource=f"summary.{rendering}",
            detail={
                "shares": ",".join(s.id for s in access.shares),
                "from": start.isoformat(),
                "to": end.isoformat(),
            },
        ),
    )
    return summary
