"""The normalised metrics of contracts §2: one unit each, and how a day sums them."""

from __future__ import annotations

from enum import StrEnum

import msgspec

__all__ = ["METRICS", "METRIC_LABELS", "Metric", "MetricInfo", "MetricKind", "SleepStage"]


class MetricKind(StrEnum):
    """How samples of a metric combine into a day."""

    #: values add up; a record's value is spread evenly over its interval
    CUMULATIVE = "cumulative"
    #: point readings; a day gives count/min/max/mean
    DISCRETE = "discrete"
    #: time spent in a state (sleep); the value is minutes
    INTERVAL = "interval"


class Metric(StrEnum):
    """Every metric the store knows, by its contract name."""

    STEPS = "steps"
    DISTANCE = "distance"
    ACTIVE_ENERGY = "active_energy"
    HEART_RATE = "heart_rate"
    RESTING_HEART_RATE = "resting_heart_rate"
    HRV_SDNN = "hrv_sdnn"
    #: RMSSD, as Health Connect records it: not the same measure as SDNN
    HRV_RMSSD = "hrv_rmssd"
    BODY_MASS = "body_mass"
    BLOOD_PRESSURE_SYSTOLIC = "blood_pressure_systolic"
    BLOOD_PRESSURE_DIASTOLIC = "blood_pressure_diastolic"
    SPO2 = "spo2"
    BLOOD_GLUCOSE = "blood_glucose"
    BODY_TEMPERATURE = "body_temperature"
    RESPIRATORY_RATE = "respiratory_rate"
    SLEEP = "sleep"


class SleepStage(StrEnum):
    """Stages a sleep sample may carry."""

    IN_BED = "in_bed"
    ASLEEP = "asleep"
    CORE = "core"
    DEEP = "deep"
    REM = "rem"
    AWAKE = "awake"


class MetricInfo(msgspec.Struct, frozen=True):
    """The normalised unit of a metric and how it is rolled up."""

    unit: str
    kind: MetricKind


METRICS: dict[Metric, MetricInfo] = {
    Metric.STEPS: MetricInfo("count", MetricKind.CUMULATIVE),
    Metric.DISTANCE: MetricInfo("m", MetricKind.CUMULATIVE),
    Metric.ACTIVE_ENERGY: MetricInfo("kcal", MetricKind.CUMULATIVE),
    Metric.HEART_RATE: MetricInfo("bpm", MetricKind.DISCRETE),
    Metric.RESTING_HEART_RATE: MetricInfo("bpm", MetricKind.DISCRETE),
    Metric.HRV_SDNN: MetricInfo("ms", MetricKind.DISCRETE),
    Metric.HRV_RMSSD: MetricInfo("ms", MetricKind.DISCRETE),
    Metric.BODY_MASS: MetricInfo("kg", MetricKind.DISCRETE),
    Metric.BLOOD_PRESSURE_SYSTOLIC: MetricInfo("mmHg", MetricKind.DISCRETE),
    Metric.BLOOD_PRESSURE_DIASTOLIC: MetricInfo("mmHg", MetricKind.DISCRETE),
    Metric.SPO2: MetricInfo("%", MetricKind.DISCRETE),
    Metric.BLOOD_GLUCOSE: MetricInfo("mmol/L", MetricKind.DISCRETE),
    Metric.BODY_TEMPERATURE: MetricInfo("°C", MetricKind.DISCRETE),
    Metric.RESPIRATORY_RATE: MetricInfo("/min", MetricKind.DISCRETE),
    Metric.SLEEP: MetricInfo("min", MetricKind.INTERVAL),
}


#: metric -> (Danish, English) label, as a GP or citizen reads it
METRIC_LABELS: dict[Metric, tuple[str, str]] = {
    Metric.STEPS: ("Skridt pr. dag", "Steps per day"),
    Metric.DISTANCE: ("Distance pr. dag", "Distance per day"),
    Metric.ACTIVE_ENERGY: ("Aktiv energi pr. dag", "Active energy per day"),
    Metric.HEART_RATE: ("Puls", "Heart rate"),
    Metric.RESTING_HEART_RATE: ("Hvilepuls", "Resting heart rate"),
    Metric.HRV_SDNN: ("Pulsvariabilitet (SDNN)", "Heart rate variability (SDNN)"),
    Metric.HRV_RMSSD: ("Pulsvariabilitet (RMSSD)", "Heart rate variability (RMSSD)"),
    Metric.BODY_MASS: ("Vægt", "Body weight"),
    Metric.BLOOD_PRESSURE_SYSTOLIC: ("Blodtryk, systolisk", "Blood pressure, systolic"),
    Metric.BLOOD_PRESSURE_DIASTOLIC: ("Blodtryk, diastolisk", "Blood pressure, diastolic"),
    Metric.SPO2: ("Iltmætning", "Oxygen saturation"),
    Metric.BLOOD_GLUCOSE: ("Blodsukker", "Blood glucose"),
    Metric.BODY_TEMPERATURE: ("Kropstemperatur", "Body temperature"),
    Metric.RESPIRATORY_RATE: ("Respirationsfrekvens", "Respiratory rate"),
    Metric.SLEEP: ("Søvn pr. nat", "Sleep per night"),
}
