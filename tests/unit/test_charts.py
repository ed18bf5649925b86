"""The summary page's SVG charts and formatting, without a browser."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from datetime import UTC, date, datetime, timedelta

import pytest

from app.domain.summary import (
    Completeness,
    DayPoint,
    Flag,
    MetricSummary,
    PatientRef,
    SourceRef,
    Summary,
    Trend,
)
from mobile_api.web import render_summary_html, sparkline_svg
from mobile_api.web.charts import format_date, format_number, format_period

SVG = "{http://www.w3.org/2000/svg}"
START = date(2026, 9, 1)
END = date(2026, 9, 10)  # ten days
WIDTH, HEIGHT = 260, 60


def _days(*offsets: int, value: float | None = None) -> list[DayPoint]:
    return [
        DayPoint(date=START + timedelta(days=i), value=value if value is not None else 10.0 + i)
        for i in offsets
    ]


def _parse(svg: str) -> ET.Element:
    """Parse our own SVG output; it must be well-formed XML."""
    return ET.fromstring(svg)  # noqa: S314 — trusted input: the module under test made it


def _svg(points: list[DayPoint], **kw: object) -> ET.Element:
    text = sparkline_svg(points, period_from=START, period_to=END, unit="bpm", **kw)  # type: ignore[arg-type]
    return _parse(text)


def _coords(polyline: ET.Element) -> list[tuple[float, float]]:
    pairs = (p.split(",") for p in (polyline.get("points") or "").split())
    return [(float(x), float(y)) for x, y in pairs]


def _lines(root: ET.Element) -> list[ET.Element]:
    return root.findall(f"{SVG}polyline")


def test_svg_is_well_formed_and_accessible() -> None:
    root = _svg(_days(*range(10)), title="Puls pr. dag")
    assert root.tag == f"{SVG}svg"
    assert root.get("role") == "img"
    assert root.get("aria-label") == "Puls pr. dag"
    assert root.findtext(f"{SVG}title") == "Puls pr. dag"
    assert (root.get("width"), root.get("height")) == (str(WIDTH), str(HEIGHT))
    [line] = _lines(root)
    assert len(_coords(line)) == 10


def test_x_spans_the_whole_period_and_missing_days_are_gaps() -> None:
    root = _svg(_days(0, 1, 2, 6, 7, 9))
    first, second = _lines(root)
    assert [len(_coords(first)), len(_coords(second))] == [3, 2]
    (x0, _), *_ = _coords(first)
    x6 = _coords(second)[0][0]
    step = _coords(first)[1][0] - x0
    assert x6 == pytest.approx(x0 + 6 * step, abs=0.2), "days keep their place in the period"
    # the lone last day is a dot near the right edge, the first day near the left
    [dot] = root.findall(f"{SVG}circle")
    assert float(dot.get("cx", "0")) == pytest.approx(x0 + 9 * step, abs=0.2)
    assert x0 < WIDTH / 4 < WIDTH * 3 / 4 < float(dot.get("cx", "0")) < WIDTH


def test_one_point_is_a_dot() -> None:
    root = _svg(_days(4))
    assert _lines(root) == []
    [dot] = root.findall(f"{SVG}circle")
    assert 0 < float(dot.get("cy", "-1")) < HEIGHT


def test_no_points_says_so() -> None:
    root = _svg([])
    assert _lines(root) == [] and root.findall(f"{SVG}circle") == []
    assert "Ingen data i perioden" in "".join(root.itertext())
    english = _svg([], language="en")
    assert "No data in the period" in "".join(english.itertext())
    assert english.get("aria-label") == "0 days with data, 1 Sep – 10 Sep 2026"


def test_flat_values_draw_a_level_line_inside_the_chart() -> None:
    [line] = _lines(_svg(_days(*range(10), value=72.0)))
    ys = {y for _, y in _coords(line)}
    assert len(ys) == 1 and 0 < ys.pop() < HEIGHT


def test_days_outside_the_period_and_non_finite_values_are_ignored() -> None:
    points = [
        DayPoint(date=START - timedelta(days=1), value=1000.0),
        *_days(0, 1, 2),
        DayPoint(date=START + timedelta(days=3), value=float("nan")),
        DayPoint(date=END + timedelta(days=1), value=-1000.0),
    ]
    root = _svg(points)
    [line] = _lines(root)
    assert len(_coords(line)) == 3
    assert all(0 <= x <= WIDTH and 0 <= y <= HEIGHT for x, y in _coords(line))


def test_higher_values_are_higher_up_and_reference_band_and_lines_show() -> None:
    root = _svg(_days(0, 1, 2), band=(11.0, 11.5), lines=[9.0])
    [(_, y0), (_, y1), (_, y2)] = _coords(_lines(root)[0])
    assert y0 > y1 > y2, "SVG y grows downwards"
    band = root.find(f"{SVG}rect[@class='band']")
    assert band is not None and float(band.get("height", "0")) > 0
    [ref] = root.findall(f"{SVG}line[@class='ref']")
    assert float(ref.get("y1", "0")) > y0, "9 is below the lowest value, 10"


def test_hostile_title_is_escaped() -> None:
    title = '<script>alert(1)</script> & "x"'
    text = sparkline_svg(_days(0, 1), period_from=START, period_to=END, unit="bpm", title=title)
    assert "<script" not in text
    assert _parse(text).get("aria-label") == title


@pytest.mark.parametrize(
    ("value", "decimals", "language", "sign", "expected"),
    [
        (6234.4, 0, "da", False, "6.234"),
        (6234.4, 0, "en", False, "6,234"),
        (1234567.891, 2, "da", False, "1.234.567,89"),
        (5.63, 1, "da", False, "5,6"),
        (5.63, 1, "en", True, "+5.6"),
        (-0.3, 1, "da", True, "−0,3"),
        (-0.01, 1, "da", True, "0,0"),
        (float("nan"), 1, "da", False, "–"),
    ],
)
def test_format_number(
    value: float, decimals: int, language: str, sign: bool, expected: str
) -> None:
    got = format_number(value, decimals=decimals, language=language, sign=sign)  # type: ignore[arg-type]
    assert got == expected


def test_format_dates() -> None:
    assert format_period(date(2026, 9, 1), date(2026, 11, 29)) == "1. sep – 29. nov 2026"
    assert format_period(date(2026, 9, 1), date(2026, 11, 29), language="en") == (
        "1 Sep – 29 Nov 2026"
    )
    assert format_period(date(2025, 12, 1), date(2026, 2, 28)) == "1. dec 2025 – 28. feb 2026"
    assert format_period(date(2026, 5, 3), date(2026, 5, 3)) == "3. maj 2026"
    assert format_date(date(2026, 10, 5), language="en", year=False) == "5 Oct"


# -- the page ---------------------------------------------------------------------------


def _metric(metric: str, unit: str, days: list[DayPoint], label: str = "") -> MetricSummary:
    values = [d.value for d in days]
    return MetricSummary(
        metric=metric,
        unit=unit,
        label_da=label or metric,
        label_en=label or metric,
        days=days,
        mean=sum(values) / len(values) if values else None,
        min=min(values, default=None),
        max=max(values, default=None),
        trend=Trend(per_week=1.5, previous_mean=9.0, change_pct=12.5),
        completeness=Completeness(days_with_data=len(days), days_in_period=10, fraction=0.1),
        last_data=days[-1].date if days else None,
        sources=[SourceRef(key="k", name="<img src=x onerror=alert(1)>", kind="app")],
    )


HOSTILE = "<script>alert(1)</script>"


def _summary(metrics: list[MetricSummary], flags: list[Flag] | None = None) -> Summary:
    return Summary(
        patient=PatientRef(id="c", name=HOSTILE),
        share_id="s",
        clinic_id="k",
        period_from=START,
        period_to=END,
        timezone="Europe/Copenhagen",
        generated_at=datetime(2026, 9, 11, 7, 15, tzinfo=UTC),
        flags=flags if flags is not None else [],
        metrics=metrics,
    )


def _flag(severity: str, title: str) -> Flag:
    return Flag(
        code="c",
        severity=severity,  # type: ignore[arg-type]
        metrics=["steps"],
        title_da=title,
        title_en=title,
        detail_da=f"{title} & mere",
        detail_en=f"{title} & more",
    )


def test_page_escapes_what_people_typed() -> None:
    summary = _summary(
        [_metric("steps", "count", _days(0, 1, 2), label="<b>Skridt</b>")],
        [_flag("yellow", '<iframe src="https://evil.example">')],
    )
    html = render_summary_html(summary)
    assert "<script" not in html.lower()
    assert "<iframe" not in html and "<img" not in html and "<b>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&lt;iframe src=&quot;https://evil.example&quot;&gt;" in html
    assert "&lt;b&gt;Skridt&lt;/b&gt;" in html


def test_page_is_self_contained_and_every_chart_parses() -> None:
    summary = _summary(
        [
            _metric("steps", "count", _days(0, 1, 2, 5, 6)),
            _metric("blood_pressure_systolic", "mmHg", _days(0, 1, 2, value=140)),
            _metric("blood_pressure_diastolic", "mmHg", _days(0, 1, 2, value=88)),
            _metric("spo2", "%", []),
        ],
        [_flag("green", "g"), _flag("red", "r"), _flag("blue", "b"), _flag("yellow", "y")],
    )
    html = render_summary_html(summary)
    assert html.startswith('<!DOCTYPE html>\n<html lang="da">')
    assert "@page { size: A4; margin: 12mm; }" in html
    # nothing from outside: the only URL is the SVG namespace
    assert set(re.findall(r"https?://[^\s\"'<>]+", html)) == {"http://www.w3.org/2000/svg"}
    assert not re.search(r"<[a-z][^>]*\s(src|href)\s*=|@import|url\(", html)
    charts = re.findall(r"<svg\b.*?</svg>", html, flags=re.S)
    assert len(charts) == 3, "steps, the blood-pressure pair in one, spo2"
    for chart in charts:
        _parse(chart)
    bp = _parse(charts[1])
    assert {line.get("class") for line in bp.iter(f"{SVG}polyline")} == {"series sys", "series dia"}
    # flags most severe first, with words next to the colours
    badges = re.findall(r'<li class="flag flag-(\w+)".*?<span class="badge[^>]*>(\w+)<', html)
    assert badges == [("red", "Rød"), ("yellow", "Gul"), ("blue", "Blå"), ("green", "Grøn")]
    assert html.index('class="findings"') < html.index("<svg")
    assert "5 af 10 dage" in html
    assert "11. sep 2026 kl. 09.15 CEST" in html, "generated time in the citizen's zone"
    assert "+12,5 %" in html and "↑" in html
    assert "Ikke en diagnose." in html


def test_page_in_english_and_without_anything_to_show() -> None:
    html = render_summary_html(_summary([]), language="en")
    assert '<html lang="en">' in html
    assert "No findings in the period." in html
    assert "Not a diagnosis." in html
    assert "<svg" not in html


def test_lone_systolic_gets_its_own_card() -> None:
    html = render_summary_html(
        _summary([_metric("blood_pressure_systolic", "mmHg", _days(0, 1), label="Systolisk")])
    )
    assert 'data-metric="blood_pressure_systolic"' in html
    assert "Systolisk" in html


def test_unknown_language_is_refused() -> None:
    with pytest.raises(ValueError, match="language"):
        render_summary_html(_summary([]), language="de")  # type: ignore[arg-type]
