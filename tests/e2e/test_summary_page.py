"""The GP summary page in a real headless Chromium (Debian's, driven by Playwright).

Without Chromium the tests skip with the reason, except in CI, where they fail (like
the PostgreSQL tests in tests/conftest.py). `MINLAEGE_CHROMIUM` names the executable;
otherwise `chromium` is looked up on PATH. Nothing is downloaded.

Screenshots go to test-artifacts/summary-{da,en}.png at the repository root.
"""

from __future__ import annotations

import asyncio
import math
import re
from collections.abc import Container
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from playwright.async_api import Browser, Page

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
from mobile_api.web import render_summary_html
from mobile_api.web.charts import Language
from tests.conftest import Api
from tests.sharing_data import days_back, send, share

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
PERIOD_FROM, PERIOD_TO = date(2026, 9, 1), date(2026, 11, 29)
N_DAYS = (PERIOD_TO - PERIOD_FROM).days + 1
PDF_PAGE = re.compile(rb"/Type\s*/Page[^s]")


def _series(base: float, amplitude: float, *, skip: Container[int] = ()) -> list[DayPoint]:
    """A deterministic wavy daily series over the period (with gaps on `skip` days)."""
    return [
        DayPoint(
            date=PERIOD_FROM + timedelta(days=i),
            value=round(base + amplitude * math.sin(i / 4.0) + (i % 7) * amplitude / 10, 1),
            count=1,
        )
        for i in range(N_DAYS)
        if i not in skip
    ]


def _metric(
    metric: str,
    unit: str,
    label_da: str,
    label_en: str,
    days: list[DayPoint],
    *,
    sources: list[SourceRef],
    per_week: float | None = None,
    previous_mean: float | None = None,
    last_data: date | None = None,
) -> MetricSummary:
    values = [d.value for d in days]
    mean = sum(values) / len(values) if values else None
    change = (
        (mean - previous_mean) / previous_mean * 100 if mean is not None and previous_mean else None
    )
    return MetricSummary(
        metric=metric,
        unit=unit,
        label_da=label_da,
        label_en=label_en,
        days=days,
        mean=mean,
        min=min(values) if values else None,
        max=max(values) if values else None,
        trend=Trend(per_week=per_week, previous_mean=previous_mean, change_pct=change),
        completeness=Completeness(
            days_with_data=len(days), days_in_period=N_DAYS, fraction=len(days) / N_DAYS
        ),
        last_data=days[-1].date if days else last_data,
        sources=sources,
    )


WATCH = SourceRef(key="watch", name="Annas Apple Watch", kind="apple_health", device="Watch7,1")
PHONE = SourceRef(key="phone", name="iPhone", kind="apple_health")
CUFF = SourceRef(key="cuff", name="Omron M7", kind="gateway", device="BLE 0x1810")
SCALE = SourceRef(key="scale", name="Withings Body+", kind="fit")

LABELS = {
    "steps": ("Skridt", "Steps"),
    "blood_pressure_systolic": ("Systolisk blodtryk", "Systolic blood pressure"),
    "blood_pressure_diastolic": ("Diastolisk blodtryk", "Diastolic blood pressure"),
    "resting_heart_rate": ("Hvilepuls", "Resting heart rate"),
    "body_mass": ("Vægt", "Weight"),
    "spo2": ("Iltmætning", "Oxygen saturation"),
}


def _flag(code: str, severity: str, metrics: list[str], da: str, en: str) -> Flag:
    return Flag(
        code=code,
        severity=severity,  # type: ignore[arg-type]
        metrics=metrics,
        title_da=da,
        title_en=en,
        detail_da=f"Detalje om {da.lower()}",
        detail_en=f"Detail on {en.lower()}",
    )


def build_summary() -> Summary:
    """Six metrics (a blood-pressure pair, one metric without data) and four flags,
    deliberately not in severity order."""
    bp_gaps = {5, 6, 20, 21, 22, 23, 40, 41, 70}
    metrics = [
        _metric(
            "steps",
            "count",
            *LABELS["steps"],
            _series(6200, 2500, skip={10, 11, 12, 13, 14, 50, 51}),
            sources=[WATCH, PHONE],
            per_week=-123.4,
            previous_mean=9100,
        ),
        _metric(
            "blood_pressure_systolic",
            "mmHg",
            *LABELS["blood_pressure_systolic"],
            _series(162, 6, skip=bp_gaps),
            sources=[CUFF],
            per_week=0.8,
            previous_mean=151,
        ),
        _metric(
            "blood_pressure_diastolic",
            "mmHg",
            *LABELS["blood_pressure_diastolic"],
            _series(101, 4, skip=bp_gaps),
            sources=[CUFF],
            per_week=-0.3,
            previous_mean=101,
        ),
        _metric(
            "resting_heart_rate",
            "bpm",
            *LABELS["resting_heart_rate"],
            _series(64, 3, skip=set(range(60, 75))),
            sources=[WATCH],
            per_week=0.1,
            previous_mean=63,
        ),
        _metric(
            "body_mass",
            "kg",
            *LABELS["body_mass"],
            [p for p in _series(82.4, 0.6) if p.date.weekday() in (0, 1, 2)],
            sources=[SCALE],
            per_week=-0.12,
            previous_mean=83.1,
        ),
        _metric(
            "spo2",
            "%",
            *LABELS["spo2"],
            [],
            sources=[],
            last_data=date(2026, 8, 3),
        ),
    ]
    flags = [
        _flag("resting_hr_ok", "green", ["resting_heart_rate"], "Hvilepuls normal", "Normal HR"),
        _flag("data_missing", "blue", ["spo2"], "Mangler data: Iltmætning", "Missing: SpO2"),
        _flag("steps_drop", "yellow", ["steps"], "Færre skridt <&> før", "Fewer steps <&> before"),
        _flag(
            "bp_mean_very_high",
            "red",
            ["blood_pressure_systolic", "blood_pressure_diastolic"],
            "Meget højt hjemmeblodtryk",
            "Very high home blood pressure",
        ),
    ]
    return Summary(
        patient=PatientRef(id="c-1", name="Anna Hansen"),
        share_id="s-1",
        clinic_id="k-1",
        period_from=PERIOD_FROM,
        period_to=PERIOD_TO,
        timezone="Europe/Copenhagen",
        generated_at=datetime(2026, 11, 30, 7, 15, tzinfo=UTC),
        flags=flags,
        metrics=metrics,
    )


async def _open(browser: Browser, language: Language) -> tuple[Page, list[str]]:
    page = await browser.new_page(viewport={"width": 1000, "height": 1300})
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    html = render_summary_html(build_summary(), language=language)
    await page.set_content(html, wait_until="load")
    return page, requests


@pytest.mark.parametrize(
    ("language", "severity_labels", "footer"),
    [
        ("da", ["Rød", "Gul", "Blå", "Grøn"], "Ikke en diagnose."),
        ("en", ["Red", "Yellow", "Blue", "Green"], "Not a diagnosis."),
    ],
)
async def test_summary_page_in_chromium(
    browser: Browser, language: Language, severity_labels: list[str], footer: str
) -> None:
    page, requests = await _open(browser, language)
    summary = build_summary()

    assert await page.locator("html").get_attribute("lang") == language
    assert await page.locator("script").count() == 0
    assert requests == [], "the page must not load anything"

    # flags come first, most severe first, each with a text label next to its colour
    in_order = page.locator("section.findings, svg")
    assert await in_order.first.evaluate("e => e.tagName.toLowerCase()") == "section"
    flags_box = await page.locator("section.findings").bounding_box()
    chart_box = await page.locator("svg").first.bounding_box()
    assert flags_box is not None and chart_box is not None
    assert flags_box["y"] + flags_box["height"] <= chart_box["y"]
    rows = page.locator("ol.flags > li")
    assert await rows.count() == 4
    assert await rows.first.get_attribute("data-severity") == "red"
    assert [await b.inner_text() for b in await rows.locator(".badge").all()] == severity_labels
    yellow = "Færre skridt <&> før" if language == "da" else "Fewer steps <&> before"
    assert yellow in await rows.nth(1).inner_text()

    # one card per metric, the blood-pressure pair in one; each chart is an accessible img
    cards = page.locator("article.card")
    assert await cards.count() == 5
    body = await page.locator("body").inner_text()
    for da, en in LABELS.values():
        assert (da if language == "da" else en) in body
    for card in await cards.all():
        metric = await card.get_attribute("data-metric")
        svg = card.locator("svg")
        assert await svg.count() == 1
        assert await svg.get_attribute("role") == "img"
        assert (await svg.get_attribute("aria-label") or "").strip()
        polylines = svg.locator("polyline")
        if metric == "spo2":
            assert await polylines.count() == 0
            empty = "Ingen data i perioden" if language == "da" else "No data in the period"
            assert empty in (await svg.text_content() or "")
            continue
        assert await polylines.count() >= 1, metric
        for points in [await p.get_attribute("points") for p in await polylines.all()]:
            assert points and len(points.split()) >= 2
    bp = cards.filter(has=page.locator("svg polyline.dia"))
    assert await bp.get_attribute("data-metric") == (
        "blood_pressure_systolic blood_pressure_diastolic"
    )
    assert await bp.locator("polyline.sys").count() >= 2, "gaps split the line"
    assert await bp.locator("line.ref").count() == 2
    # thousands with a dot in Danish, a comma in English
    name = re.compile(r"^Skridt pr\. dag, 1\. sep – 29\. nov 2026: gennemsnit \d\.\d{3}$")
    if language == "en":
        name = re.compile(r"^Steps per day, 1 Sep – 29 Nov 2026: mean \d,\d{3}$")
    await page.get_by_role("img", name=name).wait_for(timeout=1000)
    days = "af 90 dage" if language == "da" else "of 90 days"
    assert days in body
    assert footer in body
    assert summary.patient.name in await page.locator("h1").inner_text()

    # prints on one A4 page; a screenshot for people to look at
    pdf = await page.pdf(format="A4")
    assert pdf.startswith(b"%PDF")
    assert len(PDF_PAGE.findall(pdf)) == 1
    ARTIFACTS.mkdir(exist_ok=True)
    await page.screenshot(path=str(ARTIFACTS / f"summary-{language}.png"), full_page=True)
    await page.close()


async def test_the_served_page_renders_in_chromium(api: Api, browser: Browser) -> None:
    """The endpoint's own HTML (not a hand-built Summary) in the real browser."""
    days = days_back(30)
    await send(api, api.anna, "blood_pressure_systolic", days, lambda d: 150 + d.day % 5)
    await send(api, api.anna, "blood_pressure_diastolic", days, 90)
    await send(api, api.anna, "steps", days, lambda d: 4000 + 100 * (d.day % 7))
    await send(api, api.anna, "spo2", days[:20], 96)
    await share(
        api,
        api.anna,
        metrics=["blood_pressure_systolic", "blood_pressure_diastolic", "steps", "spo2"],
    )
    url = f"/v1/clinician/citizens/{api.demo.citizens[0].id}/summary.html"
    r = await api.client.get(url, headers=api.gp)
    assert r.status_code == 200
    page = await browser.new_page(viewport={"width": 900, "height": 1200})
    await page.set_content(r.text, wait_until="load")
    assert await page.locator("script").count() == 0
    body = await page.inner_text("body")
    assert "Forhøjet hjemmeblodtryk" in body and "Mangler data" in body
    assert await page.locator("svg").count() >= 3
    ARTIFACTS.mkdir(exist_ok=True)
    await page.screenshot(path=str(ARTIFACTS / "summary-served.png"), full_page=True)
    pdf = await page.pdf(format="A4")
    assert len(PDF_PAGE.findall(pdf)) == 1
    await page.close()


async def test_a_one_time_link_opens_in_chromium_without_a_token(
    api: Api, browser: Browser
) -> None:
    """What a clinic system does: it asks for a link with the GP's token and hands it to
    the browser, which navigates to it on a real server over loopback."""
    import socket

    import uvicorn

    from mobile_api.asgi import create_app

    days = days_back(30)
    await send(api, api.anna, "blood_pressure_systolic", days, 152)
    await send(api, api.anna, "blood_pressure_diastolic", days, 93)
    await share(api, api.anna, metrics=["blood_pressure_systolic", "blood_pressure_diastolic"])
    made = await api.client.post(
        f"/v1/clinician/citizens/{api.demo.citizens[0].id}/summary/links",
        json={"lang": "da"},
        headers=api.gp,
    )
    assert made.status_code == 201, made.text
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(
            create_app(runtime=api.runtime), host="127.0.0.1", port=port, log_level="warning"
        )
    )
    serving = asyncio.create_task(server.serve())
    try:
        while not server.started:
            await asyncio.sleep(0.02)
        page = await browser.new_page(viewport={"width": 900, "height": 1200})
        opened = await page.goto(f"http://127.0.0.1:{port}{made.json()['url']}")
        assert opened is not None and opened.status == 200
        assert await page.locator("script").count() == 0
        body = await page.inner_text("body")
        assert "Anna Jensen" in body and "Forhøjet hjemmeblodtryk" in body
        ARTIFACTS.mkdir(exist_ok=True)
        await page.screenshot(path=str(ARTIFACTS / "summary-link.png"), full_page=True)
        reload = await page.reload()
        assert reload is not None and reload.status == 404  # the link opened once
        await page.close()
    finally:
        server.should_exit = True
        await serving
