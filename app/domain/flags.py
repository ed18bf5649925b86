"""Flags on the GP summary: simple, referenced rules with a severity, as home-monitoring
systems show them. Every default and its source is in docs/gp-guide.md; a GP may set
other thresholds per citizen.

Each rule that has data to look at gives exactly one flag: red or yellow when it trips,
green when it does not (so the GP sees it was checked); a shared metric without data
in the last days of the period gives a blue flag instead.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta

import msgspec

from app.domain.summary import SEVERITY_ORDER, Flag, MetricSummary, Severity

__all__ = ["THRESHOLD_CODES", "Thresholds", "evaluate"]


class Thresholds(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """The numbers the rules use; defaults from the references in docs/gp-guide.md."""

    bp_yellow_systolic: float = 135
    bp_yellow_diastolic: float = 85
    bp_red_systolic: float = 160
    bp_red_diastolic: float = 100
    spo2_red_below: float = 92
    weight_change_pct: float = 5
    weight_window_days: float = 30
    resting_hr_yellow_above: float = 100
    steps_drop_pct: float = 30
    missing_days_blue: float = 7
    #: doses taken out of planned, per medication, over the last N days of the period
    adherence_yellow_below_pct: float = 80
    adherence_window_days: float = 14


THRESHOLD_CODES = tuple(Thresholds.__struct_fields__)

SYS, DIA = "blood_pressure_systolic", "blood_pressure_diastolic"
#: the summary's series of one medication's adherence (`app.services.adherence`)
ADHERENCE = "adherence:"


def _n(value: float, digits: int = 0) -> str:
    return f"{value:.{digits}f}"


def _da(value: float, digits: int = 0) -> str:
    return _n(value, digits).replace(".", ",")


def _flag(
    code: str,
    severity: Severity,
    metrics: list[str],
    da: tuple[str, str],
    en: tuple[str, str],
    value: float | None = None,
    threshold: float | None = None,
) -> Flag:
    return Flag(
        code=code,
        severity=severity,
        metrics=metrics,
        title_da=da[0],
        detail_da=da[1],
        title_en=en[0],
        detail_en=en[1],
        value=None if value is None else round(value, 2),
        threshold=threshold,
    )


def _blood_pressure(m: Mapping[str, MetricSummary], t: Thresholds) -> list[Flag]:
    sys_, dia = m.get(SYS), m.get(DIA)
    if sys_ is None or dia is None or sys_.mean is None or dia.mean is None:
        return []
    s, d = sys_.mean, dia.mean
    numbers = f"{_n(s)}/{_n(d)} mmHg"
    metrics = [SYS, DIA]
    if s >= t.bp_red_systolic or d >= t.bp_red_diastolic:
        limit = f"{_n(t.bp_red_systolic)}/{_n(t.bp_red_diastolic)}"
        return [
            _flag(
                "bp_mean_very_high",
                "red",
                metrics,
                ("Meget højt hjemmeblodtryk", f"Gennemsnit {numbers} (grænse {limit})"),
                ("Very high home blood pressure", f"Mean {numbers} (limit {limit})"),
                s,
                t.bp_red_systolic,
            )
        ]
    if s >= t.bp_yellow_systolic or d >= t.bp_yellow_diastolic:
        limit = f"{_n(t.bp_yellow_systolic)}/{_n(t.bp_yellow_diastolic)}"
        return [
            _flag(
                "bp_mean_high",
                "yellow",
                metrics,
                ("Forhøjet hjemmeblodtryk", f"Gennemsnit {numbers} (grænse {limit})"),
                ("Raised home blood pressure", f"Mean {numbers} (limit {limit})"),
                s,
                t.bp_yellow_systolic,
            )
        ]
    limit = f"{_n(t.bp_yellow_systolic)}/{_n(t.bp_yellow_diastolic)}"
    return [
        _flag(
            "bp_mean_ok",
            "green",
            metrics,
            ("Hjemmeblodtryk under grænsen", f"Gennemsnit {numbers} (grænse {limit})"),
            ("Home blood pressure below the limit", f"Mean {numbers} (limit {limit})"),
            s,
            t.bp_yellow_systolic,
        )
    ]


def _spo2(m: Mapping[str, MetricSummary], t: Thresholds) -> list[Flag]:
    spo2 = m.get("spo2")
    if spo2 is None or spo2.min is None:
        return []
    low = spo2.min
    limit = _n(t.spo2_red_below)
    if low < t.spo2_red_below:
        below = sum(
            1 for d in spo2.days if (d.min if d.min is not None else d.value) < t.spo2_red_below
        )
        return [
            _flag(
                "spo2_low",
                "red",
                ["spo2"],
                (
                    "Lav iltmætning",
                    f"Laveste måling {_da(low)} % på {below} dag(e) (grænse {limit} %)",
                ),
                (
                    "Low oxygen saturation",
                    f"Lowest reading {_n(low)} % on {below} day(s) (limit {limit} %)",
                ),
                low,
                t.spo2_red_below,
            )
        ]
    return [
        _flag(
            "spo2_ok",
            "green",
            ["spo2"],
            ("Iltmætning over grænsen", f"Laveste måling {_da(low)} % (grænse {limit} %)"),
            ("Oxygen saturation above the limit", f"Lowest reading {_n(low)} % (limit {limit} %)"),
            low,
            t.spo2_red_below,
        )
    ]


def _weight(m: Mapping[str, MetricSummary], t: Thresholds) -> list[Flag]:
    weight = m.get("body_mass")
    if weight is None or len(weight.days) < 2:
        return []
    window = timedelta(days=int(t.weight_window_days))
    worst = 0.0
    worst_pair: tuple[float, float] | None = None
    days = sorted(weight.days, key=lambda d: d.date)
    for j, later in enumerate(days):
        for earlier in days[:j]:
            if later.date - earlier.date <= window and earlier.value > 0:
                change = (later.value - earlier.value) / earlier.value * 100
                if abs(change) > abs(worst):
                    worst, worst_pair = change, (earlier.value, later.value)
    limit = _n(t.weight_change_pct)
    span = _n(t.weight_window_days)
    # compared as shown, to one decimal: a day's weight is kept to the gram, so a change
    # of exactly 5 % weighed in pounds (220 → 231 lb) comes out as 5.0005 % in kg
    if worst_pair is not None and abs(round(worst, 1)) > t.weight_change_pct:
        a, b = worst_pair
        return [
            _flag(
                "weight_change",
                "yellow",
                ["body_mass"],
                (
                    "Stor vægtændring",
                    f"{_da(a, 1)} → {_da(b, 1)} kg ({_da(worst, 1)} %) inden for {span} dage"
                    f" (grænse {limit} %)",
                ),
                (
                    "Large change in weight",
                    f"{_n(a, 1)} → {_n(b, 1)} kg ({_n(worst, 1)} %) within {span} days"
                    f" (limit {limit} %)",
                ),
                worst,
                t.weight_change_pct,
            )
        ]
    return [
        _flag(
            "weight_stable",
            "green",
            ["body_mass"],
            ("Stabil vægt", f"Største ændring {_da(worst, 1)} % på {span} dage (grænse {limit} %)"),
            (
                "Stable weight",
                f"Largest change {_n(worst, 1)} % within {span} days (limit {limit} %)",
            ),
            worst,
            t.weight_change_pct,
        )
    ]


def _resting_hr(m: Mapping[str, MetricSummary], t: Thresholds) -> list[Flag]:
    rhr = m.get("resting_heart_rate")
    if rhr is None or rhr.mean is None:
        return []
    limit = _n(t.resting_hr_yellow_above)
    if rhr.mean > t.resting_hr_yellow_above:
        return [
            _flag(
                "resting_hr_high",
                "yellow",
                ["resting_heart_rate"],
                ("Høj hvilepuls", f"Gennemsnit {_n(rhr.mean)} slag/min (grænse {limit})"),
                ("High resting heart rate", f"Mean {_n(rhr.mean)} bpm (limit {limit})"),
                rhr.mean,
                t.resting_hr_yellow_above,
            )
        ]
    return [
        _flag(
            "resting_hr_ok",
            "green",
            ["resting_heart_rate"],
            ("Hvilepuls under grænsen", f"Gennemsnit {_n(rhr.mean)} slag/min (grænse {limit})"),
            ("Resting heart rate below the limit", f"Mean {_n(rhr.mean)} bpm (limit {limit})"),
            rhr.mean,
            t.resting_hr_yellow_above,
        )
    ]


def _steps(m: Mapping[str, MetricSummary], t: Thresholds) -> list[Flag]:
    steps = m.get("steps")
    if steps is None or steps.mean is None or not steps.trend.previous_mean:
        return []
    change = steps.trend.change_pct or 0.0
    before, now = steps.trend.previous_mean, steps.mean
    limit = _n(t.steps_drop_pct)
    numbers_da = f"{_da(before)} → {_da(now)} skridt/dag ({_da(change)} %)"
    numbers_en = f"{_n(before)} → {_n(now)} steps/day ({_n(change)} %)"
    if change < -t.steps_drop_pct:
        return [
            _flag(
                "steps_drop",
                "yellow",
                ["steps"],
                ("Markant færre skridt", f"{numbers_da} mod forrige periode (grænse −{limit} %)"),
                (
                    "Markedly fewer steps",
                    f"{numbers_en} against the previous period (limit −{limit} %)",
                ),
                change,
                -t.steps_drop_pct,
            )
        ]
    return [
        _flag(
            "steps_steady",
            "green",
            ["steps"],
            ("Aktivitet som før", f"{numbers_da} mod forrige periode (grænse −{limit} %)"),
            ("Activity as before", f"{numbers_en} against the previous period (limit −{limit} %)"),
            change,
            -t.steps_drop_pct,
        )
    ]


def _missing(m: Mapping[str, MetricSummary], t: Thresholds, period_to: date) -> list[Flag]:
    """Blue for each shared metric with no data in the last N days; the metric's other
    rules still run, as its earlier data in the period may say something."""
    flags: list[Flag] = []
    n = int(t.missing_days_blue)
    for name, s in m.items():
        if name.startswith(ADHERENCE):  # no doses planned is not missing data
            continue
        if s.last_data is None or (period_to - s.last_data).days >= n:
            since = (
                ("ingen i perioden", "none in the period")
                if s.last_data is None
                else (f"seneste {s.last_data.isoformat()}", f"last {s.last_data.isoformat()}")
            )
            flags.append(
                _flag(
                    "data_missing",
                    "blue",
                    [name],
                    (f"Mangler data: {s.label_da}", f"Ingen data i {n} dage ({since[0]})"),
                    (f"Missing data: {s.label_en}", f"No data for {n} days ({since[1]})"),
                    None,
                    float(n),
                )
            )
    return flags


def _adherence(m: Mapping[str, MetricSummary], t: Thresholds, period_to: date) -> list[Flag]:
    """Yellow when a medication's doses taken out of planned over the last N days is
    under the limit (one flag naming each such medication); green otherwise."""
    first = period_to - timedelta(days=int(t.adherence_window_days) - 1)
    figures: list[tuple[str, str, int, int, float]] = []
    for name, s in m.items():
        if not name.startswith(ADHERENCE):
            continue
        days = [d for d in s.days if first <= d.date <= period_to and d.count]
        planned = sum(d.count or 0 for d in days)
        if not planned:
            continue
        taken = sum(round(d.value * (d.count or 0) / 100) for d in days)
        drug = s.label_en.split(": ", 1)[-1]
        figures.append((name, drug, taken, planned, taken / planned * 100))
    if not figures:
        return []
    limit = _n(t.adherence_yellow_below_pct)
    span = _n(t.adherence_window_days)
    low = [f for f in figures if f[4] < t.adherence_yellow_below_pct]
    shown = low or figures
    worst = min(f[4] for f in shown)
    da = "; ".join(
        f"{drug}: {_da(pct)} % ({taken} af {planned})" for _, drug, taken, planned, pct in shown
    )
    en = "; ".join(
        f"{drug}: {_n(pct)} % ({taken} of {planned})" for _, drug, taken, planned, pct in shown
    )
    if low:
        return [
            _flag(
                "adherence_low",
                "yellow",
                [f[0] for f in low],
                (
                    "Medicin ikke taget som planlagt",
                    f"{da} de seneste {span} dage (grænse {limit} %)",
                ),
                (
                    "Medicine not taken as planned",
                    f"{en} in the last {span} days (limit {limit} %)",
                ),
                worst,
                t.adherence_yellow_below_pct,
            )
        ]
    return [
        _flag(
            "adherence_ok",
            "green",
            [f[0] for f in figures],
            ("Medicin taget som planlagt", f"{da} de seneste {span} dage (grænse {limit} %)"),
            ("Medicine taken as planned", f"{en} in the last {span} days (limit {limit} %)"),
            worst,
            t.adherence_yellow_below_pct,
        )
    ]


def evaluate(
    metrics: Mapping[str, MetricSummary], thresholds: Thresholds, period_to: date
) -> list[Flag]:
    """All flags for a summary, most severe first (stable within a severity)."""
    flags = _missing(metrics, thresholds, period_to)
    for rule in (_blood_pressure, _spo2, _weight, _resting_hr, _steps):
        flags.extend(rule(metrics, thresholds))
    flags.extend(_adherence(metrics, thresholds, period_to))
    return sorted(flags, key=lambda f: SEVERITY_ORDER[f.severity])
