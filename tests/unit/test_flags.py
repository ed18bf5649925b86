"""Every flag rule at its edge: exactly at the limit, just either side, each side of a
paired rule, both directions of a change rule, and a GP's own limits instead of the
defaults. docs/gp-guide.md says ≥, > or < for each rule, and the last tests hold the
guide to what the rules do."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date, timedelta
from pathlib import Path

import pytest

from adapters.ingest.units import convert
from app.domain.flags import THRESHOLD_CODES, Thresholds, evaluate
from app.domain.metrics import Metric
from app.domain.summary import Completeness, DayPoint, Flag, MetricSummary, Trend

END = date(2026, 11, 20)
DEFAULTS = Thresholds()
GUIDE = Path(__file__).resolve().parents[2] / "docs" / "gp-guide.md"


def metric(
    name: str,
    values: Sequence[float],
    *,
    mean: float | None = None,
    low: float | None = None,
    previous_mean: float | None = None,
    change_pct: float | None = None,
    last: date = END,
    step_days: int = 1,
) -> MetricSummary:
    """A summary of `values` on consecutive days (every `step_days`) ending at `last`."""
    n = len(values)
    days = [
        DayPoint(date=last - timedelta(days=(n - 1 - i) * step_days), value=v, min=v, max=v)
        for i, v in enumerate(values)
    ]
    return MetricSummary(
        metric=name,
        unit="",
        label_da=name,
        label_en=name,
        days=days,
        mean=mean if mean is not None else (sum(values) / n if n else None),
        min=low if low is not None else (min(values) if values else None),
        max=max(values) if values else None,
        trend=Trend(previous_mean=previous_mean, change_pct=change_pct),
        completeness=Completeness(days_with_data=n, days_in_period=n, fraction=1.0),
        last_data=days[-1].date if days else None,
    )


def flags_of(*summaries: MetricSummary, t: Thresholds = DEFAULTS) -> list[Flag]:
    return evaluate({s.metric: s for s in summaries}, t, END)


def codes(*summaries: MetricSummary, t: Thresholds = DEFAULTS) -> dict[str, str]:
    return {f.code: f.severity for f in flags_of(*summaries, t=t)}


def bp(systolic: float, diastolic: float, t: Thresholds = DEFAULTS) -> dict[str, str]:
    return codes(
        metric("blood_pressure_systolic", [systolic]),
        metric("blood_pressure_diastolic", [diastolic]),
        t=t,
    )


# --- blood pressure: ≥ 135/85 yellow, ≥ 160/100 red, either value alone ---


@pytest.mark.parametrize(
    ("systolic", "diastolic", "expected"),
    [
        # systolic alone against 135 (diastolic well below 85)
        (134, 70, "bp_mean_ok"),
        (134.99, 70, "bp_mean_ok"),
        (135, 70, "bp_mean_high"),
        (136, 70, "bp_mean_high"),
        # diastolic alone against 85 (systolic well below 135)
        (120, 84, "bp_mean_ok"),
        (120, 84.99, "bp_mean_ok"),
        (120, 85, "bp_mean_high"),
        (120, 86, "bp_mean_high"),
        # both just under
        (134, 84, "bp_mean_ok"),
        # systolic alone against 160
        (159, 70, "bp_mean_high"),
        (159.99, 70, "bp_mean_high"),
        (160, 70, "bp_mean_very_high"),
        (161, 70, "bp_mean_very_high"),
        # diastolic alone against 100
        (120, 99, "bp_mean_high"),
        (120, 99.99, "bp_mean_high"),
        (120, 100, "bp_mean_very_high"),
        (120, 101, "bp_mean_very_high"),
    ],
)
def test_blood_pressure_edges_in_mmhg(systolic: float, diastolic: float, expected: str) -> None:
    severity = {"bp_mean_ok": "green", "bp_mean_high": "yellow", "bp_mean_very_high": "red"}
    assert bp(systolic, diastolic) == {expected: severity[expected]}


@pytest.mark.parametrize(
    ("kpa", "expected"),
    [
        # 135 mmHg is 17.998 kPa and 160 mmHg 21.331 kPa; one hundredth of a kPa either side
        (17.99, "bp_mean_ok"),
        (18.00, "bp_mean_high"),
        (21.33, "bp_mean_high"),
        (21.34, "bp_mean_very_high"),
    ],
)
def test_blood_pressure_edges_in_kpa(kpa: float, expected: str) -> None:
    systolic = convert(Metric.BLOOD_PRESSURE_SYSTOLIC, "kPa", kpa)
    assert systolic is not None
    assert set(bp(systolic, 70)) == {expected}


def test_diastolic_in_kpa_alone_trips_the_yellow_limit() -> None:
    # 85 mmHg is 11.332 kPa
    below = convert(Metric.BLOOD_PRESSURE_DIASTOLIC, "kPa", 11.33)
    above = convert(Metric.BLOOD_PRESSURE_DIASTOLIC, "kPa", 11.34)
    assert below is not None and above is not None
    assert set(bp(120, below)) == {"bp_mean_ok"}
    assert set(bp(120, above)) == {"bp_mean_high"}


def test_blood_pressure_needs_both_values() -> None:
    assert codes(metric("blood_pressure_systolic", [170])) == {}
    assert codes(metric("blood_pressure_diastolic", [110])) == {}


def test_blood_pressure_flag_names_both_numbers_and_the_limit() -> None:
    (flag,) = flags_of(
        metric("blood_pressure_systolic", [120]), metric("blood_pressure_diastolic", [85])
    )
    assert flag.code == "bp_mean_high"
    assert flag.metrics == ["blood_pressure_systolic", "blood_pressure_diastolic"]
    assert flag.detail_da == "Gennemsnit 120/85 mmHg (grænse 135/85)"
    assert flag.detail_en == "Mean 120/85 mmHg (limit 135/85)"


# --- SpO2: red when the lowest day is < 92 % ---


@pytest.mark.parametrize(
    ("lowest", "expected"),
    [(91, "spo2_low"), (91.99, "spo2_low"), (92, "spo2_ok"), (92.01, "spo2_ok"), (93, "spo2_ok")],
)
def test_spo2_edges_in_percent(lowest: float, expected: str) -> None:
    assert set(codes(metric("spo2", [97, lowest, 98]))) == {expected}


@pytest.mark.parametrize(
    ("fraction", "expected"),
    [(0.91, "spo2_low"), (0.9199, "spo2_low"), (0.92, "spo2_ok"), (0.93, "spo2_ok")],
)
def test_spo2_edges_as_healthkit_fractions(fraction: float, expected: str) -> None:
    # HealthKit writes SpO2 as a fraction with unit "%": 0.92 must become exactly 92 %
    percent = convert(Metric.SPO2, "%", fraction)
    assert percent is not None
    assert set(codes(metric("spo2", [percent]))) == {expected}


def test_spo2_counts_the_days_below_the_limit() -> None:
    (flag,) = flags_of(metric("spo2", [91, 92, 90, 95, 91.9]))
    assert (flag.code, flag.severity, flag.value) == ("spo2_low", "red", 90)
    assert flag.detail_en == "Lowest reading 90 % on 3 day(s) (limit 92 %)"
    assert flag.detail_da == "Laveste måling 90 % på 3 dag(e) (grænse 92 %)"


# --- resting heart rate: yellow when the mean is > 100 bpm ---


@pytest.mark.parametrize(
    ("mean", "expected"),
    [
        (99, "resting_hr_ok"),
        (100, "resting_hr_ok"),
        (100.01, "resting_hr_high"),
        (101, "resting_hr_high"),
    ],
)
def test_resting_heart_rate_edges(mean: float, expected: str) -> None:
    assert set(codes(metric("resting_heart_rate", [mean]))) == {expected}


# --- steps: yellow when the mean is > 30 % below the previous period; a rise never ---


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (7100, "steps_steady"),  # −29 %
        (7000, "steps_steady"),  # −30 % exactly
        (6990, "steps_drop"),  # −30.1 %
        (6900, "steps_drop"),  # −31 %
        (13000, "steps_steady"),  # +30 %
        (20000, "steps_steady"),  # +100 %
    ],
)
def test_steps_drop_edges(now: float, expected: str) -> None:
    before = 10000.0
    change = round((now - before) / before * 100, 1)  # as the summary rounds it
    steps = metric("steps", [now], previous_mean=before, change_pct=change)
    assert set(codes(steps)) == {expected}


def test_steps_need_a_previous_period() -> None:
    assert codes(metric("steps", [1000], previous_mean=None, change_pct=None)) == {}
    assert codes(metric("steps", [1000], previous_mean=0.0, change_pct=None)) == {}


# --- weight: yellow when it changes > 5 % within 30 days, up or down ---


@pytest.mark.parametrize(
    ("later", "expected", "value"),
    [
        (104.9, "weight_stable", 4.9),
        (105.0, "weight_stable", 5.0),
        (105.1, "weight_change", 5.1),
        (95.1, "weight_stable", -4.9),
        (95.0, "weight_stable", -5.0),
        (94.9, "weight_change", -5.1),
    ],
)
def test_weight_change_edges_in_kg_both_directions(
    later: float, expected: str, value: float
) -> None:
    (flag,) = flags_of(metric("body_mass", [100.0, later]))
    assert flag.code == expected
    assert flag.value == pytest.approx(value)


@pytest.mark.parametrize(
    ("first_lb", "later_lb", "expected"),
    [
        (220, 231, "weight_stable"),  # +5 % exactly
        (220, 231.5, "weight_change"),  # +5.2 %
        (220, 209, "weight_stable"),  # −5 % exactly
        (220, 208.5, "weight_change"),  # −5.2 %
    ],
)
def test_weight_change_edges_in_pounds(first_lb: float, later_lb: float, expected: str) -> None:
    """Weighed in pounds, stored in kg and shown to three decimals as the summary rounds a
    day: a change of exactly 5 % in pounds is still exactly 5 %, not over it."""
    kg = [convert(Metric.BODY_MASS, "lb", v) for v in (first_lb, later_lb)]
    assert None not in kg
    days = [round(v, 3) for v in kg if v is not None]
    assert set(codes(metric("body_mass", days))) == {expected}


def test_weight_change_looks_at_the_worst_pair_inside_the_window() -> None:
    # 100 → 98 → 106: the worst pair is 98 → 106 (+8.2 %), not first → last (+6 %)
    (flag,) = flags_of(metric("body_mass", [100.0, 98.0, 106.0]))
    assert flag.code == "weight_change" and flag.value == pytest.approx(8.16, abs=0.01)
    assert "98,0 → 106,0 kg (8,2 %) inden for 30 dage" in flag.detail_da


@pytest.mark.parametrize(("gap", "expected"), [(30, "weight_change"), (31, "weight_stable")])
def test_weight_window_is_30_days_inclusive(gap: int, expected: str) -> None:
    assert set(codes(metric("body_mass", [100.0, 110.0], step_days=gap))) == {expected}


def test_weight_needs_two_days() -> None:
    assert codes(metric("body_mass", [80.0])) == {}


# --- missing data: blue when a shared metric has had no data for ≥ 7 days ---


@pytest.mark.parametrize(("days_ago", "blue"), [(6, False), (7, True), (8, True)])
def test_missing_data_edge(days_ago: int, blue: bool) -> None:
    hr = metric("heart_rate", [70], last=END - timedelta(days=days_ago))
    assert ("data_missing" in codes(hr)) is blue


def test_a_shared_metric_with_no_data_at_all_is_blue() -> None:
    (flag,) = flags_of(metric("heart_rate", []))
    assert (flag.code, flag.severity, flag.metrics) == ("data_missing", "blue", ["heart_rate"])
    assert flag.detail_en == "No data for 7 days (none in the period)"


def test_missing_data_does_not_hide_the_metrics_own_rule() -> None:
    rhr = metric("resting_heart_rate", [110], last=END - timedelta(days=10))
    assert codes(rhr) == {"data_missing": "blue", "resting_hr_high": "yellow"}


def test_flags_come_most_severe_first() -> None:
    found = flags_of(
        metric("resting_heart_rate", [70]),
        metric("heart_rate", [], last=END),
        metric("spo2", [85]),
        metric("body_mass", [80.0, 90.0]),
    )
    assert [f.severity for f in found] == ["red", "yellow", "blue", "green"]


# --- a GP's own limits replace the defaults, at their own edge ---


def test_gp_limits_for_blood_pressure() -> None:
    t = Thresholds(bp_yellow_systolic=130, bp_yellow_diastolic=80)  # e.g. diabetes
    assert bp(130, 70, t) == {"bp_mean_high": "yellow"}
    assert bp(120, 80, t) == {"bp_mean_high": "yellow"}  # diastolic alone, at the GP's 80
    assert bp(129, 79, t) == {"bp_mean_ok": "green"}
    assert bp(130, 70) == {"bp_mean_ok": "green"}  # the same numbers under the defaults


def test_gp_limits_for_red_blood_pressure() -> None:
    t = Thresholds(bp_red_systolic=150, bp_red_diastolic=95)
    assert set(bp(150, 70, t)) == {"bp_mean_very_high"}
    assert set(bp(149, 70, t)) == {"bp_mean_high"}
    assert set(bp(120, 95, t)) == {"bp_mean_very_high"}
    assert set(bp(120, 94, t)) == {"bp_mean_high"}
    assert set(bp(150, 70)) == {"bp_mean_high"}


def test_gp_limit_for_spo2() -> None:
    t = Thresholds(spo2_red_below=88)  # e.g. COPD with a lower target
    assert set(codes(metric("spo2", [88]), t=t)) == {"spo2_ok"}
    assert set(codes(metric("spo2", [87]), t=t)) == {"spo2_low"}
    assert set(codes(metric("spo2", [88]))) == {"spo2_low"}


def test_gp_limit_for_resting_heart_rate() -> None:
    t = Thresholds(resting_hr_yellow_above=90)
    assert set(codes(metric("resting_heart_rate", [90]), t=t)) == {"resting_hr_ok"}
    assert set(codes(metric("resting_heart_rate", [91]), t=t)) == {"resting_hr_high"}
    assert set(codes(metric("resting_heart_rate", [91]))) == {"resting_hr_ok"}


def test_gp_limit_for_steps() -> None:
    t = Thresholds(steps_drop_pct=20)
    at = metric("steps", [8000], previous_mean=10000, change_pct=-20.0)
    over = metric("steps", [7900], previous_mean=10000, change_pct=-21.0)
    assert set(codes(at, t=t)) == {"steps_steady"}
    assert set(codes(over, t=t)) == {"steps_drop"}
    assert set(codes(over)) == {"steps_steady"}


def test_gp_limits_for_weight() -> None:
    t = Thresholds(weight_change_pct=2, weight_window_days=7)
    assert set(codes(metric("body_mass", [100.0, 102.0], step_days=7), t=t)) == {"weight_stable"}
    assert set(codes(metric("body_mass", [100.0, 97.9], step_days=7), t=t)) == {"weight_change"}
    assert set(codes(metric("body_mass", [100.0, 97.9], step_days=8), t=t)) == {"weight_stable"}
    assert set(codes(metric("body_mass", [100.0, 97.9], step_days=7))) == {"weight_stable"}


def test_gp_limit_for_missing_data() -> None:
    t = Thresholds(missing_days_blue=3)
    hr = metric("heart_rate", [70], last=END - timedelta(days=3))
    assert codes(hr, t=t) == {"data_missing": "blue"}
    assert codes(metric("heart_rate", [70], last=END - timedelta(days=2)), t=t) == {}
    assert codes(hr) == {}


# --- the guide says ≥, > or < for each rule, and the rules do what it says ---


def _guide_rules() -> dict[str, str]:
    """flag code -> the rule column of the table in docs/gp-guide.md."""
    text = GUIDE.read_text(encoding="utf-8")
    section = text[text.index("## Fundene, grænserne og deres kilder") :]
    section = section[: section.index("\n---")]  # the flag table only, not later sections
    rows: dict[str, str] = {}
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        m = re.fullmatch(r"`([a-z_0-9]+)`", cells[0]) if len(cells) >= 3 else None
        if m:
            rows[m.group(1)] = cells[2]
    return rows


def _rule(code: str) -> tuple[str, list[float]]:
    """The comparison and the number(s) the guide gives for a flag."""
    text = _guide_rules()[code]
    m = re.search(r"(≥|>|<)\s*(\d+(?:[.,]\d+)?)(?:/(\d+(?:[.,]\d+)?))?", text)
    assert m is not None, f"docs/gp-guide.md gives no ≥, > or < for {code}: {text!r}"
    numbers = [float(g.replace(",", ".")) for g in m.groups()[1:] if g is not None]
    return m.group(1), numbers


def test_the_guide_states_a_comparison_for_every_rule() -> None:
    rules = _guide_rules()
    for code in (
        "bp_mean_high",
        "bp_mean_very_high",
        "spo2_low",
        "weight_change",
        "resting_hr_high",
        "steps_drop",
        "data_missing",
    ):
        assert code in rules, f"{code} is not in the table of docs/gp-guide.md"
        _rule(code)


def test_the_guide_numbers_are_the_defaults() -> None:
    assert _rule("bp_mean_high")[1] == [DEFAULTS.bp_yellow_systolic, DEFAULTS.bp_yellow_diastolic]
    assert _rule("bp_mean_very_high")[1] == [DEFAULTS.bp_red_systolic, DEFAULTS.bp_red_diastolic]
    assert _rule("spo2_low")[1] == [DEFAULTS.spo2_red_below]
    assert _rule("weight_change")[1] == [DEFAULTS.weight_change_pct]
    assert _rule("resting_hr_high")[1] == [DEFAULTS.resting_hr_yellow_above]
    assert _rule("steps_drop")[1] == [DEFAULTS.steps_drop_pct]
    assert _rule("data_missing")[1] == [DEFAULTS.missing_days_blue]
    assert set(THRESHOLD_CODES) == set(Thresholds.__struct_fields__)


def _trips(code: str, value: float) -> bool:
    """Whether the rule behind `code` trips at `value` (the other inputs far from limits)."""
    match code:
        case "bp_mean_high":
            return "bp_mean_high" in bp(value, 70)
        case "bp_mean_very_high":
            return "bp_mean_very_high" in bp(value, 70)
        case "spo2_low":
            return "spo2_low" in codes(metric("spo2", [value]))
        case "weight_change":
            return "weight_change" in codes(metric("body_mass", [100.0, 100.0 + value]))
        case "resting_hr_high":
            return "resting_hr_high" in codes(metric("resting_heart_rate", [value]))
        case "steps_drop":
            steps = metric("steps", [10000 - value * 100], previous_mean=10000, change_pct=-value)
            return "steps_drop" in codes(steps)
        case "data_missing":
            return "data_missing" in codes(
                metric("heart_rate", [70], last=END - timedelta(days=int(value)))
            )
    raise AssertionError(code)


@pytest.mark.parametrize(
    "code",
    [
        "bp_mean_high",
        "bp_mean_very_high",
        "spo2_low",
        "weight_change",
        "resting_hr_high",
        "steps_drop",
        "data_missing",
    ],
)
def test_each_rule_compares_as_the_guide_says(code: str) -> None:
    op, numbers = _rule(code)
    limit = numbers[0]
    # the rule as a function of the distance from the limit; steps drop and weight change
    # are in percent, missing data in whole days
    step = 1.0 if code == "data_missing" else 0.1
    at, above, below = _trips(code, limit), _trips(code, limit + step), _trips(code, limit - step)
    if op == "≥":
        assert (below, at, above) == (False, True, True), code
    elif op == ">":
        assert (below, at, above) == (False, False, True), code
    else:
        assert (below, at, above) == (True, False, False), code
