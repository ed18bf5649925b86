"""Small inline SVG charts of daily values, computed in Python (no JavaScript), and the
Danish/English number and date formatting they and the summary page share.

The x axis is every day of the period, so days without data show as gaps; the y axis
is scaled to the data (and to any reference band or lines) with a little padding.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from html import escape
from typing import Literal

from app.domain.summary import DayPoint

__all__ = [
    "ChartSeries",
    "Language",
    "chart_svg",
    "decimals_for",
    "format_date",
    "format_number",
    "format_period",
    "sparkline_svg",
]

Language = Literal["da", "en"]

_MONTHS: dict[str, tuple[str, ...]] = {
    "da": ("jan", "feb", "mar", "apr", "maj", "jun", "jul", "aug", "sep", "okt", "nov", "dec"),
    "en": ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"),
}

#: decimals shown per normalised unit (app.domain.metrics); others go by magnitude
_UNIT_DECIMALS: dict[str, int] = {
    "count": 0,
    "m": 0,
    "kcal": 0,
    "bpm": 0,
    "ms": 0,
    "mmHg": 0,
    "min": 0,
    "kg": 1,
    "%": 1,
    "mmol/L": 1,
    "°C": 1,
    "/min": 1,
}

_NO_DATA = {"da": "Ingen data i perioden", "en": "No data in the period"}
_DAYS_WITH_DATA = {"da": "{n} dage med data, {period}", "en": "{n} days with data, {period}"}

MINUS = "\u2212"


# -- formatting -------------------------------------------------------------------------


def format_number(
    value: float, *, decimals: int = 0, language: Language = "da", sign: bool = False
) -> str:
    """6234.5 -> "6.234" (da) / "6,234" (en); decimal comma in Danish, a real minus sign,
    and "+" in front when `sign` is set and the rounded value is not zero."""
    if not math.isfinite(value):
        return "–"
    text = f"{abs(value):,.{decimals}f}"
    if language == "da":
        text = text.translate({ord(","): ".", ord("."): ","})
    if round(abs(value), decimals) == 0:
        return text
    if value < 0:
        return MINUS + text
    return "+" + text if sign else text


def decimals_for(unit: str, value: float | None = None) -> int:
    """How many decimals a value in `unit` is worth showing."""
    if unit in _UNIT_DECIMALS:
        return _UNIT_DECIMALS[unit]
    magnitude = abs(value) if value is not None and math.isfinite(value) else 100.0
    return 0 if magnitude >= 100 else 1 if magnitude >= 1 else 2


def format_date(day: date, *, language: Language = "da", year: bool = True) -> str:
    """ "1. sep 2026" (da) / "1 Sep 2026" (en)."""
    month = _MONTHS[language][day.month - 1]
    text = f"{day.day}. {month}" if language == "da" else f"{day.day} {month}"
    return f"{text} {day.year}" if year else text


def format_period(start: date, end: date, *, language: Language = "da") -> str:
    """ "1. sep – 29. nov 2026"; the first year is left out when both are the same."""
    if start == end:
        return format_date(start, language=language)
    first = format_date(start, language=language, year=start.year != end.year)
    return f"{first} – {format_date(end, language=language)}"


# -- charts -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ChartSeries:
    """One line in a chart: daily points and how it is drawn."""

    points: Sequence[DayPoint]
    stroke: str = "#1f5fa8"
    css_class: str = "series"


# margins inside the SVG: room for y labels on the left and month labels below
_LEFT, _RIGHT, _TOP, _BOTTOM = 30.0, 4.0, 5.0, 11.0
_FONT = 8


def _f(x: float) -> str:
    return f"{x:.1f}"


def _in_period(points: Sequence[DayPoint], start: date, end: date) -> list[DayPoint]:
    """The points inside the period with a finite value, one per day (the last wins), by date."""
    by_day: dict[date, DayPoint] = {}
    for p in points:
        if start <= p.date <= end and math.isfinite(p.value):
            by_day[p.date] = p
    return [by_day[d] for d in sorted(by_day)]


def _runs(points: list[DayPoint]) -> list[list[DayPoint]]:
    """Split sorted points into runs of consecutive days."""
    runs: list[list[DayPoint]] = []
    for p in points:
        if runs and (p.date - runs[-1][-1].date).days == 1:
            runs[-1].append(p)
        else:
            runs.append([p])
    return runs


def _month_starts(start: date, end: date) -> list[date]:
    """The first day of each month inside the period: where the x axis gets a tick."""
    firsts: list[date] = []
    month = date(start.year, start.month, 1)
    while month <= end:
        if month >= start:
            firsts.append(month)
        month = (month + timedelta(days=32)).replace(day=1)
    return firsts


def chart_svg(
    series: Sequence[ChartSeries],
    *,
    period_from: date,
    period_to: date,
    unit: str,
    width: int = 260,
    height: int = 60,
    band: tuple[float, float] | None = None,
    lines: Sequence[float] = (),
    title: str | None = None,
    language: Language = "da",
) -> str:
    """An inline SVG of one or more daily series over every day of the period.

    Consecutive days are joined by a polyline, a day alone is a dot; days outside the
    period are ignored. `band` is a light (low, high) reference range, `lines` dashed
    reference values; both are included in the y range. `title` is the accessible
    description (role="img", aria-label and <title>).
    """
    start, end = period_from, max(period_from, period_to)
    n_days = (end - start).days + 1
    shown = [(s, _in_period(s.points, start, end)) for s in series]
    values = [p.value for _, pts in shown for p in pts]
    if title is None:
        days = len({p.date for _, pts in shown for p in pts})
        title = _DAYS_WITH_DATA[language].format(
            n=days, period=format_period(start, end, language=language)
        )
    label = escape(title)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" '
        f'aria-label="{label}" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" font-size="{_FONT}">',
        f"<title>{label}</title>",
    ]
    plot_w = max(1.0, width - _LEFT - _RIGHT)
    plot_h = max(1.0, height - _TOP - _BOTTOM)
    bottom = _TOP + plot_h
    parts.append(
        f'<rect class="plot" x="{_f(_LEFT)}" y="{_f(_TOP)}" width="{_f(plot_w)}" '
        f'height="{_f(plot_h)}" fill="#fafafa" stroke="#e2e2e2" stroke-width="0.5"/>'
    )

    def x_of(day: date) -> float:
        return _LEFT + plot_w * ((day - start).days + 0.5) / n_days

    for day in _month_starts(start, end):
        x = _LEFT + plot_w * (day - start).days / n_days
        parts.append(
            f'<line class="tick" x1="{_f(x)}" y1="{_f(_TOP)}" x2="{_f(x)}" '
            f'y2="{_f(bottom + 2)}" stroke="#d0d0d0" stroke-width="0.5"/>'
        )
        if x + 14 <= width:
            parts.append(
                f'<text class="xlabel" x="{_f(x + 1.5)}" y="{_f(height - 1.5)}" '
                f'fill="#666">{_MONTHS[language][day.month - 1]}</text>'
            )

    if not values:
        parts.append(
            f'<text class="empty" x="{_f(_LEFT + plot_w / 2)}" y="{_f(_TOP + plot_h / 2 + 3)}" '
            f'text-anchor="middle" fill="#666">{escape(_NO_DATA[language])}</text>'
        )
        parts.append("</svg>")
        return "".join(parts)

    refs: list[float] = [*values, *(band or ()), *lines]
    lo, hi = min(refs), max(refs)
    span = hi - lo
    pad = span * 0.1 if span > 0 else max(abs(hi) * 0.05, 1.0)
    lo, hi = lo - pad, hi + pad

    def y_of(v: float) -> float:
        return _TOP + plot_h * (hi - v) / (hi - lo)

    if band is not None:
        b_lo, b_hi = sorted(band)
        parts.append(
            f'<rect class="band" x="{_f(_LEFT)}" y="{_f(y_of(b_hi))}" width="{_f(plot_w)}" '
            f'height="{_f(y_of(b_lo) - y_of(b_hi))}" fill="#e3f1e3"/>'
        )
    for v in lines:
        y = y_of(v)
        parts.append(
            f'<line class="ref" x1="{_f(_LEFT)}" y1="{_f(y)}" x2="{_f(_LEFT + plot_w)}" '
            f'y2="{_f(y)}" stroke="#8a8a8a" stroke-width="0.75" stroke-dasharray="3 2"/>'
        )

    for s, pts in shown:
        for run in _runs(pts):
            if len(run) == 1:
                p = run[0]
                parts.append(
                    f'<circle class="{escape(s.css_class)}" cx="{_f(x_of(p.date))}" '
                    f'cy="{_f(y_of(p.value))}" r="1.8" fill="{escape(s.stroke)}"/>'
                )
                continue
            coords = " ".join(f"{_f(x_of(p.date))},{_f(y_of(p.value))}" for p in run)
            parts.append(
                f'<polyline class="{escape(s.css_class)}" points="{coords}" fill="none" '
                f'stroke="{escape(s.stroke)}" stroke-width="1.4" stroke-linejoin="round" '
                f'stroke-linecap="round"/>'
            )

    v_lo, v_hi = min(values), max(values)
    labels = [v_hi] if y_of(v_lo) - y_of(v_hi) < _FONT + 1 else [v_hi, v_lo]
    for v in labels:
        text = format_number(v, decimals=decimals_for(unit, v), language=language)
        y = min(max(y_of(v) + 3, _TOP + _FONT - 1), bottom + 1)
        parts.append(
            f'<text class="ylabel" x="{_f(_LEFT - 3)}" y="{_f(y)}" text-anchor="end" '
            f'fill="#444">{escape(text)}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def sparkline_svg(
    points: Sequence[DayPoint],
    *,
    period_from: date,
    period_to: date,
    unit: str,
    width: int = 260,
    height: int = 60,
    band: tuple[float, float] | None = None,
    lines: Sequence[float] = (),
    title: str | None = None,
    language: Language = "da",
) -> str:
    """One metric's daily values as a small SVG chart; see `chart_svg`."""
    return chart_svg(
        [ChartSeries(points)],
        period_from=period_from,
        period_to=period_to,
        unit=unit,
        width=width,
        height=height,
        band=band,
        lines=lines,
        title=title,
        language=language,
    )
