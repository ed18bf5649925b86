"""Unit conversions to contracts §2, each checked against a value worked out by hand."""

from __future__ import annotations

import pytest

from adapters.ingest.units import IDENTITY, UNITS, conversion_for, convert
from app.domain.metrics import METRICS, Metric


@pytest.mark.parametrize(
    ("metric", "unit", "value", "expected"),
    [
        # mass: 1 lb = 0.45359237 kg exactly, so 100 lb = 45.359237 kg; 10 st = 140 lb
        (Metric.BODY_MASS, "kg", 81.6, 81.6),
        (Metric.BODY_MASS, "lb", 100.0, 45.359237),
        (Metric.BODY_MASS, "g", 81600.0, 81.6),
        (Metric.BODY_MASS, "st", 10.0, 63.5029318),
        # SpO2: HealthKit's "%" is a fraction
        (Metric.SPO2, "%", 0.97, 97.0),
        (Metric.SPO2, "%", 1.0, 100.0),
        # glucose: 180.15588 mg/dL is 10 mmol/L; 90 mg/dL is 5 - 0.7794/180.15588 = 4.9956737
        (Metric.BLOOD_GLUCOSE, "mg/dL", 180.15588, 10.0),
        (Metric.BLOOD_GLUCOSE, "mg/dL", 90.0, 4.9956737),
        (Metric.BLOOD_GLUCOSE, "mmol<180.1558800000541>/L", 5.6, 5.6),
        (Metric.BLOOD_GLUCOSE, "mmol/L", 5.6, 5.6),
        # energy: kJ / 4.184; Apple's "Cal" is the kilocalorie; "cal" the small calorie
        (Metric.ACTIVE_ENERGY, "kJ", 418.4, 100.0),
        (Metric.ACTIVE_ENERGY, "kJ", 4.184, 1.0),
        (Metric.ACTIVE_ENERGY, "Cal", 250.0, 250.0),
        (Metric.ACTIVE_ENERGY, "kcal", 250.0, 250.0),
        (Metric.ACTIVE_ENERGY, "cal", 2500.0, 2.5),
        # distance: 1 mi = 1609.344 m, 1 ft = 0.3048 m, 1 yd = 0.9144 m
        (Metric.DISTANCE, "mi", 1.0, 1609.344),
        (Metric.DISTANCE, "mi", 0.5, 804.672),
        (Metric.DISTANCE, "km", 1.5, 1500.0),
        (Metric.DISTANCE, "m", 12.5, 12.5),
        (Metric.DISTANCE, "ft", 1000.0, 304.8),
        (Metric.DISTANCE, "yd", 100.0, 91.44),
        (Metric.DISTANCE, "cm", 250.0, 2.5),
        # temperature: (F - 32) * 5 / 9
        (Metric.BODY_TEMPERATURE, "degF", 98.6, 37.0),
        (Metric.BODY_TEMPERATURE, "degF", 212.0, 100.0),
        (Metric.BODY_TEMPERATURE, "degF", 32.0, 0.0),
        (Metric.BODY_TEMPERATURE, "degC", 36.6, 36.6),
        (Metric.BODY_TEMPERATURE, "K", 310.15, 37.0),
        # pressure: kPa * 7.50062
        (Metric.BLOOD_PRESSURE_SYSTOLIC, "kPa", 16.0, 120.00992),
        (Metric.BLOOD_PRESSURE_DIASTOLIC, "kPa", 10.0, 75.0062),
        (Metric.BLOOD_PRESSURE_SYSTOLIC, "mmHg", 122.0, 122.0),
        # rates
        (Metric.HEART_RATE, "count/min", 72.0, 72.0),
        (Metric.HEART_RATE, "count/s", 1.2, 72.0),
        (Metric.RESTING_HEART_RATE, "count/min", 55.0, 55.0),
        (Metric.RESPIRATORY_RATE, "count/min", 14.5, 14.5),
        (Metric.HRV_SDNN, "ms", 48.2, 48.2),
        (Metric.HRV_SDNN, "s", 0.0482, 48.2),
        (Metric.STEPS, "count", 1234.0, 1234.0),
        (Metric.SLEEP, "hr", 1.5, 90.0),
    ],
)
def test_conversion(metric: Metric, unit: str, value: float, expected: float) -> None:
    assert convert(metric, unit, value) == pytest.approx(expected, rel=1e-6, abs=1e-9)


def test_exact_formulas_are_kept() -> None:
    """The contract's arithmetic, not a folded factor: equal values across roads."""
    assert convert(Metric.BODY_TEMPERATURE, "degF", 100.4) == (100.4 - 32.0) * 5.0 / 9.0
    assert convert(Metric.BLOOD_GLUCOSE, "mg/dL", 99.0) == 99.0 * 10.0 / 180.15588
    assert convert(Metric.ACTIVE_ENERGY, "kJ", 100.0) == 100.0 / 4.184
    assert convert(Metric.BODY_MASS, "lb", 176.0) == 176.0 * 0.45359237


@pytest.mark.parametrize(
    ("metric", "unit"),
    [
        (Metric.BODY_MASS, "mmHg"),
        (Metric.HEART_RATE, "count"),
        (Metric.SPO2, "count"),
        (Metric.BLOOD_GLUCOSE, "mg"),
        (Metric.DISTANCE, "furlong"),
        (Metric.STEPS, ""),
        (Metric.STEPS, None),
    ],
)
def test_unknown_unit_is_none(metric: Metric, unit: str | None) -> None:
    assert convert(metric, unit, 1.0) is None
    assert conversion_for(metric, unit) is None


def test_identity_is_shared_and_every_metric_has_its_own_unit() -> None:
    assert conversion_for(Metric.STEPS, "count") is IDENTITY
    assert set(UNITS) == set(METRICS)
    # the normalised unit itself (where sources write it the same way) converts to itself
    for metric, own in [
        (Metric.DISTANCE, "m"),
        (Metric.ACTIVE_ENERGY, "kcal"),
        (Metric.BODY_MASS, "kg"),
        (Metric.HRV_SDNN, "ms"),
        (Metric.HRV_RMSSD, "ms"),
        (Metric.BLOOD_PRESSURE_SYSTOLIC, "mmHg"),
        (Metric.BLOOD_GLUCOSE, "mmol/L"),
        (Metric.SLEEP, "min"),
    ]:
        assert METRICS[metric].unit == own
        assert conversion_for(metric, own) is IDENTITY
