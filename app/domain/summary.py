"""The GP summary: per metric a short daily series, averages, trend, completeness,
sources, and flags with a severity — never raw samples.

These Structs are the one shape every rendering works from: the JSON endpoint returns
them as they are, the FHIR adapter and the HTML page turn them into their formats.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

import msgspec

__all__ = [
    "SEVERITY_ORDER",
    "Completeness",
    "DayPoint",
    "Flag",
    "MetricSummary",
    "PatientRef",
    "Severity",
    "SharedResponse",
    "SourceRef",
    "Summary",
    "Trend",
]

#: green = looked at, nothing to note; yellow = look at it; red = act on it;
#: blue = expected data is missing (like home-monitoring systems colour it)
Severity = Literal["red", "yellow", "blue", "green"]
SEVERITY_ORDER: dict[str, int] = {"red": 0, "yellow": 1, "blue": 2, "green": 3}


class Flag(msgspec.Struct, frozen=True, kw_only=True):
    """One finding, with its rule, the value that tripped it and the threshold used."""

    #: stable rule id, e.g. "bp_mean_high"; its reference is in docs/gp-guide.md
    code: str
    severity: Severity
    #: the metric(s) it is about, e.g. ["blood_pressure_systolic", "blood_pressure_diastolic"]
    metrics: list[str]
    title_da: str
    title_en: str
    #: the numbers behind it, in words: "Gennemsnit 142/88 mmHg (grænse 135/85)"
    detail_da: str
    detail_en: str
    value: float | None = None
    threshold: float | None = None


class DayPoint(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    """One local day: `value` is the day's sum (cumulative) or mean (discrete)."""

    date: date
    value: float
    min: float | None = None
    max: float | None = None
    count: int | None = None


class Trend(msgspec.Struct, frozen=True, kw_only=True):
    """Change per week (least-squares slope over the days with data), and this period's
    mean against the previous period of the same length."""

    per_week: float | None = None
    previous_mean: float | None = None
    change_pct: float | None = None


class Completeness(msgspec.Struct, frozen=True, kw_only=True):
    days_with_data: int
    days_in_period: int
    fraction: float


class SourceRef(msgspec.Struct, frozen=True, kw_only=True):
    """Where data came from (a device or an app), for provenance."""

    key: str
    name: str
    kind: str
    device: str | None = None


class MetricSummary(msgspec.Struct, frozen=True, kw_only=True):
    metric: str
    unit: str
    label_da: str
    label_en: str
    days: list[DayPoint]
    mean: float | None = None
    min: float | None = None
    max: float | None = None
    trend: Trend
    completeness: Completeness
    #: the last local date with data (also outside the period), None if never
    last_data: date | None = None
    sources: list[SourceRef] = msgspec.field(default_factory=list)


class PatientRef(msgspec.Struct, frozen=True, kw_only=True):
    id: str
    name: str
    #: the CPR number, only for the FHIR Patient identifier; None if not known
    cpr: str | None = None


class SharedResponse(msgspec.Struct, frozen=True, kw_only=True):
    """An answered PRO questionnaire, when the share includes "questionnaires"."""

    id: str
    key: str
    version: int
    title_da: str
    title_en: str
    submitted_at: datetime
    triage: str
    score: float | None = None
    #: the FHIR R4 QuestionnaireResponse as the citizen submitted it
    response: dict[str, Any]


class Summary(msgspec.Struct, frozen=True, kw_only=True):
    """A summary for one share and one period (local dates, inclusive)."""

    patient: PatientRef
    share_id: str
    clinic_id: str
    period_from: date
    period_to: date
    timezone: str
    generated_at: datetime
    #: most severe first
    flags: list[Flag]
    metrics: list[MetricSummary]
    #: answered questionnaires in the period, oldest first (only with that scope shared)
    questionnaires: list[SharedResponse] = msgspec.field(default_factory=list)
