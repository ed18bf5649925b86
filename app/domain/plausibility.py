"""Plausibility: values no body produces and times no device can have are refused.

The ranges are wide on purpose: they catch unit mix-ups and sensor garbage (a heart
rate of 0 from a strap that lost contact, a weight in grams read as kilograms), not
illness. A GP must see a dangerous value, so nothing clinically possible is refused.
"""

from __future__ import annotations

from app.domain.metrics import Metric
from app.domain.samples import RejectReason, Sample

__all__ = ["FUTURE_SKEW_MS", "MAX_DURATION_MS", "RANGES", "check"]

#: inclusive (low, high) in the normalised unit of each metric
RANGES: dict[Metric, tuple[float, float]] = {
    Metric.HEART_RATE: (20.0, 250.0),
    Metric.RESTING_HEART_RATE: (20.0, 250.0),
    Metric.SPO2: (50.0, 100.0),
    Metric.BODY_MASS: (1.0, 400.0),
    Metric.BLOOD_PRESSURE_SYSTOLIC: (50.0, 260.0),
    Metric.BLOOD_PRESSURE_DIASTOLIC: (30.0, 160.0),
    Metric.BLOOD_GLUCOSE: (1.0, 35.0),
    Metric.BODY_TEMPERATURE: (30.0, 45.0),
    Metric.HRV_SDNN: (1.0, 500.0),
    Metric.HRV_RMSSD: (1.0, 500.0),
    Metric.RESPIRATORY_RATE: (2.0, 80.0),
    Metric.STEPS: (0.0, 200_000.0),
    Metric.DISTANCE: (0.0, 1_000_000.0),
    Metric.ACTIVE_ENERGY: (0.0, 50_000.0),
    Metric.SLEEP: (0.0, 24 * 60.0),
}

#: clocks drift; a sample a few minutes "ahead" of ours is not from the future
FUTURE_SKEW_MS = 5 * 60 * 1000

#: no single record spans more than two days (a night's sleep, a long hike do not);
#: longer ones are device errors, and the bound keeps day roll-ups to a short look-back
MAX_DURATION_MS = 48 * 3600 * 1000


def check(sample: Sample, now_ms: int) -> RejectReason | None:
    """Why a sample must be refused, or None when it is plausible."""
    if sample.start_ms > sample.end_ms or sample.end_ms - sample.start_ms > MAX_DURATION_MS:
        return RejectReason.BAD_INTERVAL
    if sample.end_ms > now_ms + FUTURE_SKEW_MS:
        return RejectReason.FUTURE_TIME
    low, high = RANGES[sample.metric]
    value = sample.value
    if not (low <= value <= high):  # also refuses NaN
        return RejectReason.IMPLAUSIBLE_VALUE
    return None
