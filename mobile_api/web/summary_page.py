"""The GP's one-page summary: a complete HTML5 document, readable in a minute, that prints
on one A4 page. Flags come first (most severe first), then one card per metric with its
numbers and a small inline SVG chart. No JavaScript and no external resources: one
inline <style>, and a Content-Security-Policy that forbids everything else.

Every text that comes from people (patient name, flag texts, labels, source names) is
HTML-escaped.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from html import escape
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from app.domain.flags import Thresholds
from app.domain.summary import SEVERITY_ORDER, Flag, MetricSummary, SourceRef, Summary
from mobile_api.web.charts import (
    ChartSeries,
    Language,
    chart_svg,
    decimals_for,
    format_date,
    format_number,
    format_period,
)

__all__ = ["render_summary_html"]

SYS, DIA = "blood_pressure_systolic", "blood_pressure_diastolic"

#: the dashed lines on the blood-pressure chart: the default home limits of the flags
_BP_LINES = (Thresholds().bp_yellow_systolic, Thresholds().bp_yellow_diastolic)
_SYS_STROKE, _DIA_STROKE = "#1f5fa8", "#c0571b"

_TEXT: dict[str, dict[str, str]] = {
    "da": {
        "doc_title": "Hjemmemålinger",
        "period": "Periode",
        "generated": "Dannet",
        "flags": "Fund",
        "no_flags": "Ingen fund i perioden.",
        "metrics": "Målinger",
        "no_metrics": "Ingen delte målinger.",
        "mean": "Gns.",
        "min": "Min.",
        "max": "Maks.",
        "trend": "Trend",
        "per_week": "pr. uge",
        "vs_previous": "mod forrige periode",
        "prev_mean": "gns.",
        "days": "{n} af {total} dage",
        "sources": "Kilder",
        "no_sources": "ingen",
        "last": "seneste måling",
        "never": "aldrig målt",
        "per_day": "pr. dag",
        "aria_mean": "gennemsnit",
        "aria_lines": "stiplede linjer ved",
        "bp": "Blodtryk",
        "sys": "sys.",
        "dia": "dia.",
        "red": "Rød",
        "yellow": "Gul",
        "blue": "Blå",
        "green": "Grøn",
        "footer": "Data målt af borgeren selv og delt med samtykke. Ikke en diagnose.",
    },
    "en": {
        "doc_title": "Home measurements",
        "period": "Period",
        "generated": "Generated",
        "flags": "Findings",
        "no_flags": "No findings in the period.",
        "metrics": "Measurements",
        "no_metrics": "No shared measurements.",
        "mean": "Mean",
        "min": "Min",
        "max": "Max",
        "trend": "Trend",
        "per_week": "per week",
        "vs_previous": "vs previous period",
        "prev_mean": "mean",
        "days": "{n} of {total} days",
        "sources": "Sources",
        "no_sources": "none",
        "last": "last reading",
        "never": "never measured",
        "per_day": "per day",
        "aria_mean": "mean",
        "aria_lines": "dashed lines at",
        "bp": "Blood pressure",
        "sys": "sys.",
        "dia": "dia.",
        "red": "Red",
        "yellow": "Yellow",
        "blue": "Blue",
        "green": "Green",
        "footer": "Data measured by the citizen and shared with consent. Not a diagnosis.",
    },
}

_UNIT_NAMES: dict[str, dict[str, str]] = {
    "da": {"count": "", "bpm": "slag/min", "/min": "pr. min"},
    "en": {"count": ""},
}

_CSS = """
@page { size: A4; margin: 12mm; }
* { box-sizing: border-box; -webkit-print-color-adjust: exact; print-color-adjust: exact; }
html { color-scheme: light; font-size: 14px; }
body { margin: 0 auto; max-width: 60rem; padding: 1rem; color: #1b1b1b; background: #fff;
  font: 1rem/1.35 system-ui, -apple-system, "Segoe UI", "DejaVu Sans", "Liberation Sans",
  Arial, sans-serif; }
h1 { font-size: 1.45rem; margin: 0; }
h2 { font-size: 0.95rem; margin: 0.9rem 0 0.35rem; text-transform: uppercase;
  letter-spacing: 0.04em; color: #444; }
h3 { font-size: 0.98rem; margin: 0; }
.page-head { border-bottom: 2px solid #1b1b1b; padding-bottom: 0.4rem; }
.page-head p { margin: 0.15rem 0 0; color: #333; }
.page-head .kind { font-size: 0.8rem; text-transform: uppercase; letter-spacing: 0.05em;
  color: #555; margin: 0; }
.flags { list-style: none; margin: 0; padding: 0; }
.flag { display: grid; grid-template-columns: 4.2rem 1fr; column-gap: 0.6rem;
  align-items: baseline; padding: 0.25rem 0.4rem; border-left: 4px solid #999;
  border-bottom: 1px solid #e6e6e6; break-inside: avoid; }
.flag .title { font-weight: 600; }
.flag .detail { color: #333; }
.badge { display: inline-block; min-width: 3.6rem; text-align: center; font-size: 0.75rem;
  font-weight: 700; padding: 0.05rem 0.35rem; border-radius: 0.6rem;
  border: 1px solid rgba(0, 0, 0, 0.35); white-space: nowrap; }
.sev-red { background: #b3261e; color: #fff; }
.sev-yellow { background: #f2c230; color: #2b2100; }
.sev-blue { background: #1e63b5; color: #fff; }
.sev-green { background: #2e7d32; color: #fff; }
.flag-red { border-left-color: #b3261e; }
.flag-yellow { border-left-color: #f2c230; }
.flag-blue { border-left-color: #1e63b5; }
.flag-green { border-left-color: #2e7d32; }
.cards { display: grid; grid-template-columns: repeat(2, minmax(0, 1fr)); gap: 0.5rem; }
.card { border: 1px solid #cfcfcf; border-radius: 6px; padding: 0.4rem 0.55rem;
  break-inside: avoid; page-break-inside: avoid; }
.card-head { display: flex; align-items: baseline; gap: 0.4rem; flex-wrap: wrap; }
.card-head .unit { color: #555; font-size: 0.85rem; }
.card-head .badge { margin-left: auto; }
.chart { display: block; max-width: 100%; height: auto; margin: 0.2rem 0; }
.legend { margin: 0; font-size: 0.78rem; color: #444; }
.swatch { display: inline-block; width: 0.9rem; height: 0.2rem; vertical-align: middle;
  margin-right: 0.2rem; }
.swatch.sys { background: #1f5fa8; }
.swatch.dia { background: #c0571b; }
.stats { display: flex; flex-wrap: wrap; column-gap: 1rem; margin: 0.1rem 0; }
.stats div { display: flex; gap: 0.3rem; align-items: baseline; }
.stats dt { color: #555; font-size: 0.82rem; }
.stats dd { margin: 0; font-weight: 600; white-space: nowrap; font-variant-numeric: tabular-nums; }
.card p.line { margin: 0.05rem 0 0; font-size: 0.85rem; color: #333; }
.label { color: #555; }
.page-foot { margin-top: 0.8rem; padding-top: 0.3rem; border-top: 1px solid #cfcfcf;
  font-size: 0.8rem; color: #444; }
@media (max-width: 40rem) { .cards { grid-template-columns: 1fr; } }
@media print {
  html { font-size: 9pt; }
  body { max-width: none; padding: 0; }
  h2 { margin-top: 0.6rem; }
  .cards { gap: 0.35rem; }
  .card { padding: 0.3rem 0.45rem; }
}
"""

_CSP = "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'"


def _e(text: object) -> str:
    return escape(str(text), quote=True)


class _Fmt:
    """Formatting bound to one language."""

    def __init__(self, language: Language) -> None:
        self.language: Language = language
        self.t = _TEXT[language]

    def num(self, value: float | None, unit: str, *, sign: bool = False, extra: int = 0) -> str:
        if value is None:
            return "–"
        decimals = decimals_for(unit, value) + extra
        return format_number(value, decimals=decimals, language=self.language, sign=sign)

    def pct(self, value: float) -> str:
        text = format_number(value, decimals=1, language=self.language, sign=True)
        return f"{text} %" if self.language == "da" else f"{text}%"

    def trend_num(self, value: float | None, unit: str) -> str:
        """A weekly change: one more decimal than the unit when it is small."""
        if value is None:
            return "–"
        extra = 1 if abs(value) < 10 and decimals_for(unit, value) == 0 else 0
        return self.num(value, unit, sign=True, extra=extra)

    def unit(self, unit: str) -> str:
        """How a normalised unit reads: a count has none, "bpm" is "slag/min" in Danish."""
        return _UNIT_NAMES[self.language].get(unit, unit)

    def with_unit(self, text: str, unit: str) -> str:
        shown = self.unit(unit)
        if not shown:
            return text
        return f"{text}{shown}" if shown == "%" and self.language == "en" else f"{text} {shown}"

    def when(self, moment: datetime, timezone: str) -> str:
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        try:
            local = moment.astimezone(ZoneInfo(timezone))
        except (ZoneInfoNotFoundError, ValueError):
            local = moment.astimezone(UTC)
        day = format_date(local.date(), language=self.language)
        zone = local.tzname() or ""
        if self.language == "da":
            return f"{day} kl. {local:%H.%M} {zone}".rstrip()
        return f"{day}, {local:%H:%M} {zone}".rstrip()


def _severity_badge(severity: str, f: _Fmt) -> str:
    return f'<span class="badge sev-{_e(severity)}">{_e(f.t.get(severity, severity))}</span>'


def _flag_row(flag: Flag, f: _Fmt) -> str:
    title, detail = (
        (flag.title_da, flag.detail_da) if f.language == "da" else (flag.title_en, flag.detail_en)
    )
    return (
        f'<li class="flag flag-{_e(flag.severity)}" data-code="{_e(flag.code)}" '
        f'data-severity="{_e(flag.severity)}">'
        f"{_severity_badge(flag.severity, f)}"
        f'<span class="text"><span class="title">{_e(title)}</span>'
        + (f' – <span class="detail">{_e(detail)}</span>' if detail else "")
        + "</span></li>"
    )


def _sorted_flags(flags: Sequence[Flag]) -> list[Flag]:
    return sorted(flags, key=lambda fl: SEVERITY_ORDER.get(fl.severity, len(SEVERITY_ORDER)))


def _worst_flag(flags: Sequence[Flag], metrics: set[str]) -> Flag | None:
    about = [fl for fl in _sorted_flags(flags) if metrics.intersection(fl.metrics)]
    return about[0] if about else None


def _label(m: MetricSummary, f: _Fmt) -> str:
    return m.label_da if f.language == "da" else m.label_en


def _sources(sources: Sequence[SourceRef], f: _Fmt) -> str:
    names: list[str] = []
    seen: set[str] = set()
    for s in sources:
        if s.key in seen:
            continue
        seen.add(s.key)
        names.append(f"{s.name} ({s.device})" if s.device and s.device != s.name else s.name)
    text = ", ".join(names) if names else f.t["no_sources"]
    return f'<span class="label">{_e(f.t["sources"])}:</span> {_e(text)}'


def _completeness(ms: Sequence[MetricSummary], f: _Fmt) -> str:
    first = ms[0].completeness
    counts = [m.completeness.days_with_data for m in ms]
    if len(set(counts)) == 1:
        n = format_number(first.days_with_data, language=f.language)
    else:
        n = "/".join(format_number(c, language=f.language) for c in counts)
    total = format_number(first.days_in_period, language=f.language)
    text = f.t["days"].format(n=n, total=total)
    if max(counts) == 0:
        lasts = [m.last_data for m in ms if m.last_data is not None]
        if lasts:
            last = format_date(max(lasts), language=f.language)
            text += f" · {f.t['last']} {last}"
        else:
            text += f" · {f.t['never']}"
    return _e(text)


def _pair(values: Sequence[str]) -> str:
    return "/".join(values)


def _stats(ms: Sequence[MetricSummary], f: _Fmt) -> str:
    unit = ms[0].unit
    cells = []
    for key, values in (
        ("mean", [m.mean for m in ms]),
        ("min", [m.min for m in ms]),
        ("max", [m.max for m in ms]),
    ):
        text = _pair([f.num(v, unit) for v in values])
        cells.append(f"<div><dt>{_e(f.t[key])}</dt><dd>{_e(text)}</dd></div>")
    return f'<dl class="stats">{"".join(cells)}</dl>'


def _trend(ms: Sequence[MetricSummary], f: _Fmt) -> str:
    """The weekly slope and the change against the previous period, e.g.
    "+0,8/−0,3 mmHg pr. uge · ↑ +9,0 % / ↑ +1,7 % mod forrige periode (gns. 151/101 mmHg)"."""
    unit = ms[0].unit
    parts: list[str] = []
    per_week = [m.trend.per_week for m in ms]
    if any(v is not None for v in per_week):
        text = _pair([f.trend_num(v, unit) for v in per_week])
        parts.append(f"{_e(f.with_unit(text, unit))} {_e(f.t['per_week'])}")
    changes: list[str] = []
    for m in ms:
        if m.trend.change_pct is None:
            continue
        rounded = round(m.trend.change_pct, 1)
        arrow = "↑" if rounded > 0 else "↓" if rounded < 0 else "→"
        changes.append(
            f'<span class="arrow" aria-hidden="true">{arrow}</span> {_e(f.pct(rounded))}'
        )
    if changes:
        text = f"{' / '.join(changes)} {_e(f.t['vs_previous'])}"
        previous = [m.trend.previous_mean for m in ms]
        if any(v is not None for v in previous):
            means = f.with_unit(_pair([f.num(v, unit) for v in previous]), unit)
            text += f" ({_e(f.t['prev_mean'])} {_e(means)})"
        parts.append(text)
    body = " · ".join(parts) if parts else "–"
    return f'<p class="line trend"><span class="label">{_e(f.t["trend"])}:</span> {body}</p>'


def _aria(title: str, ms: Sequence[MetricSummary], summary: Summary, f: _Fmt) -> str:
    period = format_period(summary.period_from, summary.period_to, language=f.language)
    unit = ms[0].unit
    text = f"{title} {f.t['per_day']}, {period}"
    if any(m.mean is not None for m in ms):
        mean = f.with_unit(_pair([f.num(m.mean, unit) for m in ms]), unit)
        text += f": {f.t['aria_mean']} {mean}"
    return text


def _card(ms: Sequence[MetricSummary], summary: Summary, flags: Sequence[Flag], f: _Fmt) -> str:
    """One card: a single metric, or the blood-pressure pair in one chart."""
    is_bp = len(ms) == 2
    unit = ms[0].unit
    title = f.t["bp"] if is_bp else _label(ms[0], f)
    worst = _worst_flag(flags, {m.metric for m in ms})
    badge = _severity_badge(worst.severity, f) if worst is not None else ""
    shown_unit = f.unit(unit)
    head = (
        f'<header class="card-head"><h3>{_e(title)}</h3>'
        + (f'<span class="unit">{_e(shown_unit)}</span>' if shown_unit else "")
        + f"{badge}</header>"
    )
    aria = _aria(title, ms, summary, f)
    legend = ""
    lines: tuple[float, ...] = ()
    if is_bp:
        series = [
            ChartSeries(ms[0].days, stroke=_SYS_STROKE, css_class="series sys"),
            ChartSeries(ms[1].days, stroke=_DIA_STROKE, css_class="series dia"),
        ]
        lines = _BP_LINES
        limits = _pair([f.num(v, unit) for v in lines])
        aria += f"; {f.t['aria_lines']} {f.with_unit(limits, unit)}"
        legend = (
            '<p class="legend">'
            '<span class="swatch sys"></span>'
            f"{_e(_label(ms[0], f))} "
            '<span class="swatch dia"></span>'
            f"{_e(_label(ms[1], f))}"
            f" · - - {_e(f.with_unit(limits, unit))}</p>"
        )
    else:
        series = [ChartSeries(ms[0].days)]
    chart = chart_svg(
        series,
        period_from=summary.period_from,
        period_to=summary.period_to,
        unit=unit,
        lines=lines,
        title=aria,
        language=f.language,
    )
    sources = [s for m in ms for s in m.sources]
    has_data = any(m.mean is not None or m.days for m in ms)
    numbers = f"{_stats(ms, f)}{_trend(ms, f)}" if has_data else ""
    metrics_attr = " ".join(m.metric for m in ms)
    return (
        f'<article class="card" data-metric="{_e(metrics_attr)}">{head}{chart}{legend}'
        f"{numbers}"
        f'<p class="line meta">{_completeness(ms, f)} · {_sources(sources, f)}</p>'
        "</article>"
    )


def _groups(metrics: Sequence[MetricSummary]) -> list[list[MetricSummary]]:
    """One group per card, in the summary's order; systolic and diastolic together."""
    by_name = {m.metric: m for m in metrics}
    paired = SYS in by_name and DIA in by_name
    groups: list[list[MetricSummary]] = []
    bp_added = False
    for m in metrics:
        if paired and m.metric in (SYS, DIA):
            if not bp_added:
                groups.append([by_name[SYS], by_name[DIA]])
                bp_added = True
            continue
        groups.append([m])
    return groups


def render_summary_html(summary: Summary, *, language: Language = "da") -> str:
    """The summary as one self-contained HTML5 page in Danish or English."""
    if language not in _TEXT:
        raise ValueError(f"language must be 'da' or 'en', not {language!r}")
    f = _Fmt(language)
    t = f.t
    name = summary.patient.name
    period = format_period(summary.period_from, summary.period_to, language=language)
    generated = f.when(summary.generated_at, summary.timezone)
    flags = _sorted_flags(summary.flags)
    flag_html = (
        f'<ol class="flags">{"".join(_flag_row(fl, f) for fl in flags)}</ol>'
        if flags
        else f'<p class="no-flags">{_e(t["no_flags"])}</p>'
    )
    cards = [_card(g, summary, flags, f) for g in _groups(summary.metrics)]
    cards_html = (
        f'<div class="cards">{"".join(cards)}</div>'
        if cards
        else f'<p class="no-metrics">{_e(t["no_metrics"])}</p>'
    )
    return (
        "<!DOCTYPE html>\n"
        f'<html lang="{language}">\n<head>\n<meta charset="utf-8">\n'
        f'<meta http-equiv="Content-Security-Policy" content="{_CSP}">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{_e(t['doc_title'])}: {_e(name)}, {_e(period)}</title>\n"
        f"<style>{_CSS}</style>\n</head>\n<body>\n"
        '<header class="page-head">'
        f'<p class="kind">{_e(t["doc_title"])}</p>'
        f"<h1>{_e(name)}</h1>"
        f'<p><span class="label">{_e(t["period"])}:</span> {_e(period)}'
        f' · <span class="label">{_e(t["generated"])}:</span> {_e(generated)}</p>'
        "</header>\n<main>\n"
        f'<section class="findings" aria-labelledby="flags-h"><h2 id="flags-h">'
        f"{_e(t['flags'])}</h2>{flag_html}</section>\n"
        f'<section class="metrics" aria-labelledby="metrics-h"><h2 id="metrics-h">'
        f"{_e(t['metrics'])}</h2>{cards_html}</section>\n"
        "</main>\n"
        f'<footer class="page-foot"><p>{_e(t["footer"])}</p></footer>\n'
        "</body>\n</html>\n"
    )
