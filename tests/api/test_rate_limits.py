"""Rate limits (ADR 0017): sensitive operations per client address, writes per caller;
429 problem+json with Retry-After. Off in env=test unless a test turns them on."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import msgspec
import pytest

from adapters.clock import FixedClock
from app.services.demo import seed_demo
from app.settings import Settings, load_settings
from mobile_api.asgi import create_app
from mobile_api.runtime import Runtime
from tests.conftest import Api, assert_problem


@pytest.fixture
async def limited(settings: Settings, clock: FixedClock) -> AsyncIterator[Api]:
    """The app with small limits: 3 sensitive calls and 5 writes a minute."""
    tight = msgspec.structs.replace(
        settings, rate_limits=True, rate_sensitive_per_minute=3, rate_writes_per_minute=5
    )
    runtime = await Runtime.open(tight, clock=clock)
    try:
        async with runtime.store.transaction() as uow:
            demo = await seed_demo(uow, clock, runtime.vault)
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=create_app(runtime=runtime)),
            base_url="http://testserver.local",
        ) as client:
            yield Api(client=client, runtime=runtime, demo=demo, clock=clock)
    finally:
        await runtime.close()


def _limited(r: httpx.Response) -> None:
    assert r.status_code == 429, r.text
    assert_problem(r)
    assert r.json()["type"].endswith("/too-many-requests")
    assert int(r.headers["retry-after"]) > 0


async def test_the_gateway_token_is_limited_per_address(limited: Api) -> None:
    form = {"grant_type": "client_credentials", "client_id": "x", "client_secret": "y"}
    for _ in range(3):
        r = await limited.client.post("/v1/gateway/token", data=form)
        assert r.status_code == 401
    _limited(await limited.client.post("/v1/gateway/token", data=form))
    # another sensitive operation has its own count
    r = await limited.client.post("/v1/gateway/pair", json={"pairing_code": "NOPE"})
    assert r.status_code == 401


async def test_writes_are_limited_per_caller_and_reads_are_not(limited: Api) -> None:
    for _ in range(5):
        r = await limited.client.patch("/v1/me", json={"name": "Anna"}, headers=limited.anna)
        assert r.status_code == 200
        assert r.headers["ratelimit-limit"] == "5"
    _limited(await limited.client.patch("/v1/me", json={"name": "A"}, headers=limited.anna))
    assert (await limited.client.get("/v1/me", headers=limited.anna)).status_code == 200
    r = await limited.client.patch("/v1/me", json={"name": "Bent"}, headers=limited.bent)
    assert r.status_code == 200


async def test_limits_are_off_in_tests_and_on_elsewhere_by_default(api: Api) -> None:
    for _ in range(40):
        r = await api.client.post("/v1/gateway/token", data={"grant_type": "client_credentials"})
        assert r.status_code == 401
    assert load_settings({"MINLAEGE_ENV": "production"}).rate_limits_on
    assert not load_settings({"MINLAEGE_ENV": "test"}).rate_limits_on
    env = {"MINLAEGE_ENV": "test", "MINLAEGE_RATE_LIMITS": "on"}
    assert load_settings(env).rate_limits_on
    off = {"MINLAEGE_RATE_LIMITS": "off", "MINLAEGE_RATE_WRITES_PER_MINUTE": "9"}
    assert not load_settings(off).rate_limits_on
    assert load_settings(off).rate_writes_per_minute == 9
