"""The cloud vendors' stand-ins as fixtures, and the app's settings pointed at them.

The connection tests (Withings: test_connections, test_connections_days,
test_erasure_connections; Polar: test_connections_polar) all need the same set-up, so it
lives here once rather than copied into each file. A test module imports the fixtures it
needs by name — `withings` with `withings_settings`, or `polar` with `polar_settings` —
and lists them in its `__all__`; its tests keep asking for `withings` or `polar` and for
`settings`. Both settings fixtures are registered as `settings`: they override the plain
one of tests/conftest.py and start from it, so the engine, folders and token lifetime
stay those of every other test and only the vendor's keys and URLs are added.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import msgspec
import pytest

from adapters.clock import FixedClock
from app.settings import Settings
from tests import polar_server
from tests.polar_server import FakePolar, fake_polar
from tests.vendor_servers import CLIENT_ID, CLIENT_SECRET, FakeWithings, fake_withings

__all__ = ["PUBLIC", "polar", "polar_settings", "withings", "withings_settings"]

#: our public address: where the vendor sends the citizen's browser back to
PUBLIC = "https://minlaege.test"


def _at(settings: Settings, **vendor: Any) -> Settings:
    """`settings` with our public address and one vendor's keys and URLs."""
    return msgspec.structs.replace(settings, public_url=PUBLIC, **vendor)


@pytest.fixture
async def withings() -> AsyncIterator[FakeWithings]:
    async with fake_withings() as server:
        yield server


@pytest.fixture(name="settings")
def withings_settings(settings: Settings, withings: FakeWithings) -> Settings:
    """The test settings with the Withings stand-in's keys and address."""
    return _at(
        settings,
        withings_client_id=CLIENT_ID,
        withings_client_secret=CLIENT_SECRET,
        withings_auth_url=withings.base_url,
        withings_api_url=withings.base_url,
    )


@pytest.fixture
async def polar(clock: FixedClock) -> AsyncIterator[FakePolar]:
    """The Polar stand-in, on the test clock (its registrations and its "today")."""
    async with fake_polar(lambda: int(clock.now().timestamp())) as server:
        yield server


@pytest.fixture(name="settings")
def polar_settings(settings: Settings, polar: FakePolar) -> Settings:
    """The test settings with the Polar stand-in's keys, webhook secret and addresses."""
    return _at(
        settings,
        polar_client_id=polar_server.CLIENT_ID,
        polar_client_secret=polar_server.CLIENT_SECRET,
        polar_webhook_secret=polar_server.WEBHOOK_SECRET,
        polar_auth_url=f"{polar.base_url}/oauth2/authorization",
        polar_token_url=f"{polar.base_url}/v2/oauth2/token",
        polar_api_url=polar.base_url,
    )
