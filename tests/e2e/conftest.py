"""Browser tests' shared parts: Debian's Chromium through Playwright (no `playwright
install`), launched headless with the flags this machine's closed network needs."""

from __future__ import annotations

import os
import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from playwright.async_api import Browser, async_playwright

LAUNCH_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"]


@pytest.fixture(scope="module")
def chromium_executable() -> str:
    """Debian's Chromium: MINLAEGE_CHROMIUM, else `chromium` on PATH; skip (fail in CI)."""
    named = os.environ.get("MINLAEGE_CHROMIUM", "")
    path = named or shutil.which("chromium") or ""
    if path and Path(path).is_file() and os.access(path, os.X_OK):
        return path
    where = f"MINLAEGE_CHROMIUM={named!r} is not an executable" if named else "no `chromium`"
    reason = (
        f"browser tests need Chromium ({where}); install it with "
        "`apt-get install chromium` or set MINLAEGE_CHROMIUM; .ci/run does"
    )
    if os.environ.get("CI"):
        pytest.fail(reason + " — required in CI")
    pytest.skip(reason)


@pytest.fixture
async def browser(chromium_executable: str) -> AsyncIterator[Browser]:
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(
            executable_path=chromium_executable, headless=True, args=LAUNCH_ARGS
        )
        try:
            yield browser
        finally:
            await browser.close()
