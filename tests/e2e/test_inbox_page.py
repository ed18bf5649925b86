"""The clinic's inbox page in a real headless Chromium (Debian's, driven by Playwright),
opened the way a clinic system opens it: a one-time link, navigated to on a real server
over loopback.

Without Chromium the tests skip with the reason, except in CI, where they fail (as in
test_summary_page.py). `MINLAEGE_CHROMIUM` names the executable; otherwise `chromium`
is looked up on PATH. Nothing is downloaded.

Screenshots go to test-artifacts/inbox-{da,en,empty}.png at the repository root.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import uvicorn
from playwright.async_api import Browser, Page, Request

from mobile_api.asgi import create_app
from tests.api.test_inbox_links import (
    anna_missing_bp,
    bent_high_bp,
    carl_very_high_bp,
    make_link,
)
from tests.conftest import Api

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"


@pytest.fixture
async def server(api: Api) -> AsyncIterator[str]:
    """The app on a real port over loopback; its base URL."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    served = uvicorn.Server(
        uvicorn.Config(
            create_app(runtime=api.runtime), host="127.0.0.1", port=port, log_level="warning"
        )
    )
    serving = asyncio.create_task(served.serve())
    try:
        while not served.started:
            await asyncio.sleep(0.02)
        yield f"http://127.0.0.1:{port}"
    finally:
        served.should_exit = True
        await serving


async def _badge_colour(page: Page, severity: str) -> str:
    badge = page.locator(f"li[data-severity={severity}] .badge").first
    return str(await badge.evaluate("e => getComputedStyle(e).backgroundColor"))


async def test_the_inbox_opens_from_a_one_time_link_in_chromium(
    api: Api, browser: Browser, server: str
) -> None:
    await anna_missing_bp(api)  # two blue items
    await bent_high_bp(api)  # one yellow
    await carl_very_high_bp(api)  # one red
    url = await make_link(api, api.gp)

    page = await browser.new_page(viewport={"width": 1000, "height": 1100})
    requests: list[Request] = []
    page.on("request", lambda r: requests.append(r))
    opened = await page.goto(server + url)
    assert opened is not None and opened.status == 200
    assert opened.headers["x-robots-tag"] == "noindex"
    assert [r.url for r in requests] == [server + url], "the page must load nothing else"
    assert await page.locator("html").get_attribute("lang") == "da"
    assert await page.locator("script").count() == 0

    # red before yellow before blue, on screen as in the document
    groups = page.locator("section.group")
    assert [await g.get_attribute("data-severity") for g in await groups.all()] == [
        "red",
        "yellow",
        "blue",
    ]
    tops = []
    for g in await groups.all():
        box = await g.bounding_box()
        assert box is not None
        tops.append(box["y"])
    assert tops == sorted(tops)
    items = page.locator("li.item")
    assert await items.count() == 4
    # colour and a text label, never colour alone
    assert [await b.inner_text() for b in await items.locator(".badge").all()] == [
        "Rød",
        "Gul",
        "Blå",
        "Blå",
    ]
    assert await _badge_colour(page, "red") == "rgb(179, 38, 30)"
    assert await _badge_colour(page, "yellow") == "rgb(242, 194, 48)"
    assert await _badge_colour(page, "blue") == "rgb(30, 99, 181)"

    body = await page.inner_text("body")
    assert (await page.title()).startswith("Indbakke: ")
    for text in (
        "4 åbne punkter",
        "Kræver kontakt",
        "Skal vurderes",
        "Til orientering",
        "Meget højt hjemmeblodtryk",
        "Forhøjet hjemmeblodtryk",
        "Gennemsnit 150/88 mmHg (grænse 135/85)",
        "Mangler data",
        "Måling",
        "åbnet i dag",
        "Periode:",
        "Ikke en diagnose.",
    ):
        assert text in body, text
    red = items.first
    assert "Carl" in await red.locator(".name").inner_text()
    ARTIFACTS.mkdir(exist_ok=True)
    await page.screenshot(path=str(ARTIFACTS / "inbox-da.png"), full_page=True)

    # the red item's link opens Carl's summary, without a token and without a referrer
    requests.clear()
    async with page.expect_navigation() as navigation:
        await red.get_by_role("link", name="Se hjemmemålinger").click()
    summary = await navigation.value
    assert summary is not None and summary.status == 200
    assert "/v1/summary-links/" in summary.url
    assert "referer" not in requests[0].headers
    assert "Meget højt hjemmeblodtryk" in await page.inner_text("body")
    assert await page.locator("h1").inner_text() == "Carl"

    # both links opened once
    reload = await page.reload()
    assert reload is not None and reload.status == 404
    again = await page.goto(server + url)
    assert again is not None and again.status == 404
    await page.close()


async def test_english_and_empty_pages_in_chromium(api: Api, browser: Browser, server: str) -> None:
    page = await browser.new_page(viewport={"width": 800, "height": 600})
    opened = await page.goto(server + await make_link(api, api.gp))
    assert opened is not None and opened.status == 200
    assert await page.locator("p.empty").inner_text() == (
        "Indbakken er tom: ingen målinger eller spørgeskemaer venter på dig lige nu."
    )
    ARTIFACTS.mkdir(exist_ok=True)
    await page.screenshot(path=str(ARTIFACTS / "inbox-empty.png"), full_page=True)

    await bent_high_bp(api)
    opened = await page.goto(server + await make_link(api, api.gp, language="en"))
    assert opened is not None and opened.status == 200
    assert await page.locator("html").get_attribute("lang") == "en"
    assert await page.locator("script").count() == 0
    body = await page.inner_text("body")
    assert "Raised home blood pressure" in body and "Needs a look" in body
    assert "Yellow" in await page.locator("li.item .badge").inner_text()
    await page.screenshot(path=str(ARTIFACTS / "inbox-en.png"), full_page=True)
    await page.close()
