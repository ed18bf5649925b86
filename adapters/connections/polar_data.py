"""Polar AccessLink v3 answers as our samples (ADR 0024): daily activity, continuous
heart rate and sleep. Exercises come as FIT files and go through `adapters.ingest.fit`.

Times: Polar gives sleep times with their UTC offset, exercise start times in local time
with `start_time_utc_offset`, activity start and end in UTC, and continuous heart rate
as "HH:MM:SS" of a date in the watch's own time, with no zone. For that one the
citizen's zone is used (the watch follows the phone's clock, which is where the citizen
is; ADR 0024).

Identity: a day's steps and a night are keyed by their date (`polar:steps:<date>`,
`polar:sleep:<date>:<stage>`) and replaced when Polar sends them again (today's steps
grow through the day). Heart-rate samples are keyed by the instant; the same sample
again is the same row (§4).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import msgspec

from app.domain.metrics import Metric, SleepStage
from app.domain.samples import Sample, Source, SourceKind

__all__ = [
    "Activity",
    "Exercise",
    "HeartRateDay",
    "SleepNight",
    "activity_samples",
    "exercise_start_s",
    "heart_rate_samples",
    "sleep_samples",
]

#: what Polar measured with when the answer does not say (continuous heart rate, days)
WATCH = Source(key="polar:watch", name="Polar", kind=SourceKind.WATCH, device="Polar")


class Activity(msgspec.Struct):
    start_time: str
    end_time: str
    steps: int | None = None


class Exercise(msgspec.Struct):
    id: str
    start_time: str
    start_time_utc_offset: int = 0
    upload_time: str | None = None
    device: str | None = None


class HrSample(msgspec.Struct):
    heart_rate: int
    sample_time: str


class HeartRateDay(msgspec.Struct):
    date: str
    heart_rate_samples: list[HrSample] = msgspec.field(default_factory=list)


class SleepNight(msgspec.Struct):
    date: str
    sleep_start_time: str
    sleep_end_time: str
    light_sleep: int | None = None
    deep_sleep: int | None = None
    rem_sleep: int | None = None
    unrecognized_sleep_stage: int | None = None
    device_id: str | None = None


class Nights(msgspec.Struct):
    nights: list[SleepNight] = msgspec.field(default_factory=list)


def _aware(text: str, *, naive_is: ZoneInfo | None = None) -> datetime:
    """An ISO time; without an offset it is taken in `naive_is` (UTC by default)."""
    at = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if at.tzinfo is None:
        at = at.replace(tzinfo=naive_is or UTC)
    return at


def _ms(at: datetime) -> int:
    return int(at.timestamp() * 1000)


def zone_of(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("Europe/Copenhagen")


def activity_samples(
    items: list[Activity], *, zone: ZoneInfo, now_ms: int
) -> tuple[list[Sample], list[str]]:
    """A day's steps over the day's span (UTC start and end, as Polar gives them), keyed
    by the citizen's local date of its start; all replaceable."""
    out: list[Sample] = []
    for a in items:
        if a.steps is None or a.steps < 0:
            continue
        try:
            start = _aware(a.start_time)
            end = _aware(a.end_time)
        except ValueError:
            continue
        end_ms = min(_ms(end) + 1000 if end.second == 59 else _ms(end), now_ms)
        if end_ms <= _ms(start):
            continue
        day = start.astimezone(zone).date().isoformat()
        out.append(
            Sample(
                metric=Metric.STEPS,
                start_ms=_ms(start),
                end_ms=end_ms,
                value=float(a.steps),
                source=WATCH,
                external_id=f"polar:steps:{day}",
            )
        )
    return out, [s.external_id for s in out if s.external_id]


def heart_rate_samples(day: HeartRateDay, *, zone: ZoneInfo) -> list[Sample]:
    """Five-minute heart rates of a date, the watch's local time read in `zone`."""
    try:
        d = date.fromisoformat(day.date)
    except ValueError:
        return []
    out: list[Sample] = []
    for s in day.heart_rate_samples:
        try:
            at = datetime.combine(d, time.fromisoformat(s.sample_time), tzinfo=zone)
        except ValueError:
            continue
        ms = _ms(at)
        out.append(
            Sample(
                metric=Metric.HEART_RATE,
                start_ms=ms,
                end_ms=ms,
                value=float(s.heart_rate),
                source=WATCH,
                external_id=f"polar:hr:{ms}",
            )
        )
    return out


def sleep_samples(nights: list[SleepNight]) -> tuple[list[Sample], list[str]]:
    """A night's asleep (light + deep + REM + unrecognised) and in-bed samples over
    [sleep start, sleep end]; keyed by Polar's date of the night, replaceable."""
    out: list[Sample] = []
    for n in nights:
        try:
            start = _aware(n.sleep_start_time)
            end = _aware(n.sleep_end_time)
        except ValueError:
            continue
        span_s = (end - start).total_seconds()
        if span_s <= 0:
            continue
        parts = (n.light_sleep, n.deep_sleep, n.rem_sleep, n.unrecognized_sleep_stage)
        asleep = sum(p or 0 for p in parts)
        for stage, seconds in ((SleepStage.IN_BED, span_s), (SleepStage.ASLEEP, asleep)):
            out.append(
                Sample(
                    metric=Metric.SLEEP,
                    start_ms=_ms(start),
                    end_ms=_ms(end),
                    value=round(min(seconds, span_s) / 60, 3),
                    source=WATCH,
                    external_id=f"polar:sleep:{n.date}:{stage.value}",
                    stage=stage.value,
                )
            )
    return out, [s.external_id for s in out if s.external_id]


def exercise_start_s(e: Exercise) -> int | None:
    """An exercise's start in UTC epoch seconds (local start minus its UTC offset)."""
    try:
        local = datetime.fromisoformat(e.start_time)
    except ValueError:
        return None
    if local.tzinfo is None:
        local = local.replace(tzinfo=UTC) - timedelta(minutes=e.start_time_utc_offset)
    return int(local.timestamp())
