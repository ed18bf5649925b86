"""Unit conversion to the normalised units of contracts §2, as one small pure table.

Every ingest road (Apple Health exports, HealthKit sync batches, FIT, BLE) meets the same
unit strings, so the table lives here rather than in one reader. A conversion is kept as
`((value + add) * mul) / div` instead of one precomputed factor so that each one is
computed exactly as the contract writes it (°F → °C is `(F - 32) * 5 / 9`, glucose is
`mg/dL * 10 / 180.15588`): a folded factor would differ in the last bit, and the
same-sample rule downstream compares values for equality across imports.

Only units are judged here; whether a value is plausible is the ingest service's call.
"""

from __future__ import annotations

from typing import Final

from app.domain.metrics import Metric

__all__ = ["IDENTITY", "UNITS", "Conversion", "conversion_for", "convert"]

#: ((value + add) * mul) / div
Conversion = tuple[float, float, float]

#: the conversion that changes nothing; readers test `is IDENTITY` to skip the arithmetic
IDENTITY: Final[Conversion] = (0.0, 1.0, 1.0)

_LB_KG: Final = 0.45359237
_KPA_MMHG: Final = 7.50062
_GLUCOSE_MG_PER_MMOL: Final = 180.15588
_KJ_PER_KCAL: Final = 4.184

_COUNT: Final[dict[str, Conversion]] = {"count": IDENTITY}
_PER_MINUTE: Final[dict[str, Conversion]] = {
    "count/min": IDENTITY,
    "/min": IDENTITY,
    "count/s": (0.0, 60.0, 1.0),
    "Hz": (0.0, 60.0, 1.0),
}

#: metric -> unit string as written by the source -> conversion to the §2 unit
UNITS: Final[dict[Metric, dict[str, Conversion]]] = {
    Metric.STEPS: _COUNT,
    Metric.DISTANCE: {
        "m": IDENTITY,
        "km": (0.0, 1000.0, 1.0),
        "cm": (0.0, 1.0, 100.0),
        "mi": (0.0, 1609.344, 1.0),
        "yd": (0.0, 0.9144, 1.0),
        "ft": (0.0, 0.3048, 1.0),
    },
    Metric.ACTIVE_ENERGY: {
        "kcal": IDENTITY,
        # Apple's "Cal" is the food calorie, i.e. a kilocalorie
        "Cal": IDENTITY,
        "cal": (0.0, 1.0, 1000.0),
        "kJ": (0.0, 1.0, _KJ_PER_KCAL),
        "J": (0.0, 1.0, _KJ_PER_KCAL * 1000.0),
    },
    Metric.HEART_RATE: _PER_MINUTE,
    Metric.RESTING_HEART_RATE: _PER_MINUTE,
    Metric.HRV_SDNN: {"ms": IDENTITY, "s": (0.0, 1000.0, 1.0)},
    Metric.HRV_RMSSD: {"ms": IDENTITY, "s": (0.0, 1000.0, 1.0)},
    Metric.BODY_MASS: {
        "kg": IDENTITY,
        "g": (0.0, 1.0, 1000.0),
        "lb": (0.0, _LB_KG, 1.0),
        # 1 st = 14 lb exactly
        "st": (0.0, 14.0 * _LB_KG, 1.0),
    },
    Metric.BLOOD_PRESSURE_SYSTOLIC: {"mmHg": IDENTITY, "kPa": (0.0, _KPA_MMHG, 1.0)},
    Metric.BLOOD_PRESSURE_DIASTOLIC: {"mmHg": IDENTITY, "kPa": (0.0, _KPA_MMHG, 1.0)},
    # HealthKit writes oxygen saturation as a fraction with unit "%": 0.97 is 97 %
    Metric.SPO2: {"%": (0.0, 100.0, 1.0)},
    Metric.BLOOD_GLUCOSE: {
        "mmol<180.1558800000541>/L": IDENTITY,
        "mmol/L": IDENTITY,
        "mg/dL": (0.0, 10.0, _GLUCOSE_MG_PER_MMOL),
    },
    Metric.BODY_TEMPERATURE: {
        "degC": IDENTITY,
        "degF": (-32.0, 5.0, 9.0),
        "K": (-273.15, 1.0, 1.0),
    },
    Metric.RESPIRATORY_RATE: _PER_MINUTE,
    Metric.SLEEP: {"min": IDENTITY, "s": (0.0, 1.0, 60.0), "hr": (0.0, 60.0, 1.0)},
}


def conversion_for(metric: Metric, unit: str | None) -> Conversion | None:
    """The conversion of `unit` for `metric`, or None when the unit is not known for it."""
    if unit is None:
        return None
    return UNITS[metric].get(unit)


def convert(metric: Metric, unit: str | None, value: float) -> float | None:
    """`value` in `unit` expressed in the §2 unit of `metric`; None for an unknown unit."""
    conv = conversion_for(metric, unit)
    if conv is None:
        return None
    if conv is IDENTITY:
        return value
    add, mul, div = conv
    return ((value + add) * mul) / div
