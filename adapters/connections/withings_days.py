"""Withings daily activity (`v2/measure getactivity`) and sleep (`v2/sleep getsummary`)
as our samples (ADR 0024).

Both are per day or per night, and Withings may send the same day again with a new
value (today's steps grow; a night is re-scored). So each sample's external id names the
day or the night, and every one fetched is listed as "modified": the service deletes the
earlier value with that id before it stores the new one. A replay stores nothing new; an
updated day replaces the old value rather than adding to it.

- *Steps*: an activity's `date` is a day in the activity's own `timezone` (where the
  citizen was). The day's steps are spread over that local day, from its midnight to the
  next (23 or 25 hours across a clock change), so a day Withings counted in New York
  falls partly on two Copenhagen days when the citizen's days are bucketed (§4). Today is
  cut at now: a record may not end in the future.
- *Sleep*: a night (`series` item) becomes one `asleep` sample over [startdate, enddate]
  worth Withings' `total_sleep_time` (light + deep + REM when that is absent), and one
  `in_bed` sample worth the whole span. The daily sleep figure counts the asleep minutes
  only, spread over the night by time like every interval metric. `getsummary` rather
  than `get`: it takes date ranges (a 90-day backfill is a few requests; `get` takes at
  most 24 hours a request), each night has an id to key on, and its total is Withings'
  own asleep time, which is what our sleep metric holds; `get`'s segments would be
  stage times with no id, summed by us.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import msgspec

from app.domain.metrics import Metric, SleepStage
from app.domain.samples import Sample, Source, SourceKind

__all__ = [
    "ActivityPage",
    "SleepPage",
    "activity_samples",
    "sleep_samples",
    "ymd_window",
]

#: Withings' model number of its watches and trackers in sleep series (others: a mat)
_TRACKER_MODEL = 16


class Activity(msgspec.Struct):
    date: str
    steps: float | None = None
    timezone: str | None = None
    hash_deviceid: str | None = None
    deviceid: str | None = None
    is_tracker: bool | None = None
    modified: int | None = None


class ActivityPage(msgspec.Struct):
    activities: list[Activity] = msgspec.field(default_factory=list)
    more: bool | int = False
    offset: int = 0


class SleepData(msgspec.Struct):
    total_sleep_time: int | None = None
    lightsleepduration: int | None = None
    deepsleepduration: int | None = None
    remsleepduration: int | None = None


class Night(msgspec.Struct):
    id: int
    startdate: int
    enddate: int
    timezone: str | None = None
    model: int | None = None
    hash_deviceid: str | None = None
    data: SleepData = msgspec.field(default_factory=SleepData)


class SleepPage(msgspec.Struct):
    series: list[Night] = msgspec.field(default_factory=list)
    more: bool | int = False
    offset: int = 0


def ymd_window(start_s: int, end_s: int) -> tuple[str, str]:
    """The dates to ask for a window: a day either side, because a vendor's local day
    starts up to 14 hours before or 12 after the UTC one (re-fetching is harmless)."""
    lo = datetime.fromtimestamp(start_s, UTC).date() - timedelta(days=1)
    hi = datetime.fromtimestamp(end_s, UTC).date() + timedelta(days=1)
    return lo.isoformat(), hi.isoformat()


def _zone(name: str | None, fallback: str) -> ZoneInfo:
    for candidate in (name, fallback, "UTC"):
        if candidate:
            try:
                return ZoneInfo(candidate)
            except (ZoneInfoNotFoundError, ValueError):
                continue
    return ZoneInfo("UTC")


def local_day_ms(day: str, zone: ZoneInfo) -> tuple[int, int]:
    """[midnight, next midnight) of a local date, as UTC epoch milliseconds."""
    d = date.fromisoformat(day)
    start = datetime(d.year, d.month, d.day, tzinfo=zone)
    nxt = d + timedelta(days=1)
    end = datetime(nxt.year, nxt.month, nxt.day, tzinfo=zone)
    return int(start.timestamp() * 1000), int(end.timestamp() * 1000)


def _activity_source(a: Activity) -> Source:
    device = a.hash_deviceid or a.deviceid
    if a.is_tracker and device:  # a watch or tracker on the wrist (§4: first)
        return Source(
            key=f"withings:{device}", name="Withings watch", kind=SourceKind.WATCH, device=None
        )
    # Health Mate counting with the phone, or steps merged from several devices
    return Source(key="withings:activity", name="Withings Health Mate", kind=SourceKind.PHONE)


def activity_samples(
    activities: list[Activity], *, fallback_zone: str, now_ms: int
) -> tuple[list[Sample], list[str]]:
    """Daily steps, and their external ids (all replaceable: see the module's doc)."""
    out: list[Sample] = []
    for a in activities:
        if a.steps is None or a.steps < 0:
            continue
        try:
            start, end = local_day_ms(a.date, _zone(a.timezone, fallback_zone))
        except ValueError:
            continue
        end = min(end, now_ms)
        if end <= start:
            continue
        out.append(
            Sample(
                metric=Metric.STEPS,
                start_ms=start,
                end_ms=end,
                value=float(a.steps),
                source=_activity_source(a),
                external_id=f"withings:steps:{a.date}",
            )
        )
    return out, [s.external_id for s in out if s.external_id]


def _night_source(n: Night) -> Source:
    if not n.hash_deviceid:
        return Source(key="withings:app", name="Withings", kind=SourceKind.OTHER)
    watch = n.model == _TRACKER_MODEL
    return Source(
        key=f"withings:{n.hash_deviceid}",
        name="Withings watch" if watch else "Withings Sleep Analyzer",
        kind=SourceKind.WATCH if watch else SourceKind.DEVICE,
    )


def sleep_samples(nights: list[Night]) -> tuple[list[Sample], list[str]]:
    """A night's asleep and in-bed samples, and their external ids (all replaceable)."""
    out: list[Sample] = []
    for n in nights:
        if n.enddate <= n.startdate:
            continue
        d = n.data
        asleep = d.total_sleep_time
        if asleep is None:
            parts = (d.lightsleepduration, d.deepsleepduration, d.remsleepduration)
            asleep = sum(p or 0 for p in parts) if any(p is not None for p in parts) else None
        source = _night_source(n)
        start, end = n.startdate * 1000, n.enddate * 1000
        out.append(
            Sample(
                metric=Metric.SLEEP,
                start_ms=start,
                end_ms=end,
                value=round((n.enddate - n.startdate) / 60, 3),
                source=source,
                external_id=f"withings:sleep:{n.id}:in_bed",
                stage=SleepStage.IN_BED.value,
            )
        )
        if asleep is not None:
            out.append(
                Sample(
                    metric=Metric.SLEEP,
                    start_ms=start,
                    end_ms=end,
                    value=round(min(asleep, n.enddate - n.startdate) / 60, 3),
                    source=source,
                    external_id=f"withings:sleep:{n.id}:asleep",
                    stage=SleepStage.ASLEEP.value,
                )
            )
    return out, [s.external_id for s in out if s.external_id]
