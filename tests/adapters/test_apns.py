"""ApnsSender against a local HTTP/2 server standing in for Apple (tests/apns_server.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from adapters.clock import FixedClock
from adapters.push.apns import ApnsSender
from app.domain.push import PushMessage
from tests.push_servers import FakeApns, fake_apns, pem_of

TOKEN = "a" * 64
NOTICE = "5d4aa691-b129-437d-bb2c-fe8c3822d441"
NOW = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)


@pytest.fixture
async def apple(tmp_path: Path) -> AsyncIterator[FakeApns]:
    async with fake_apns(tmp_path) as server:
        yield server


@pytest.fixture
def key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def _sender(
    apple: FakeApns, client: httpx.AsyncClient, clock: FixedClock, key: ec.EllipticCurvePrivateKey
) -> ApnsSender:
    pem = pem_of(key)
    return ApnsSender(
        client,
        clock,
        key_pem=pem,
        key_id="KEY123ABCD",
        team_id="TEAM123456",
        topic="dk.minlaege.app",
        base_url=apple.base_url,
    )


def _message() -> PushMessage:
    return PushMessage(
        notice_id=NOTICE,
        title="Ny besked fra Min Læge",
        body="Åbn appen for at læse den.",
        expires_at=NOW + timedelta(hours=24),
    )


async def test_a_push_goes_over_http2_with_apples_headers_and_a_verifiable_token(
    apple: FakeApns, key: ec.EllipticCurvePrivateKey
) -> None:
    clock = FixedClock(NOW)
    async with httpx.AsyncClient(http2=True, verify=apple.ca) as client:
        result = await _sender(apple, client, clock, key).send(TOKEN, _message())
    assert result.outcome == "sent"
    (seen,) = apple.seen
    assert seen.http_version == "2"
    assert seen.path == f"/3/device/{TOKEN}"
    h = seen.headers
    assert h["apns-topic"] == "dk.minlaege.app"
    assert h["apns-push-type"] == "alert"
    assert h["apns-priority"] == "10"
    assert h["apns-id"] == NOTICE and h["apns-collapse-id"] == NOTICE
    assert h["apns-expiration"] == str(int((NOW + timedelta(hours=24)).timestamp()))
    scheme, _, token = h["authorization"].partition(" ")
    assert scheme == "bearer"
    assert jwt.get_unverified_header(token) == {"alg": "ES256", "kid": "KEY123ABCD", "typ": "JWT"}
    claims = jwt.decode(token, key.public_key(), algorithms=["ES256"])
    assert claims == {"iss": "TEAM123456", "iat": int(NOW.timestamp())}
    assert seen.json() == {
        "aps": {
            "alert": {"title": "Ny besked fra Min Læge", "body": "Åbn appen for at læse den."},
            "sound": "default",
        },
        "notice_id": NOTICE,
    }


async def test_the_provider_token_is_reused_for_40_minutes_then_made_anew(
    apple: FakeApns, key: ec.EllipticCurvePrivateKey
) -> None:
    clock = FixedClock(NOW)
    async with httpx.AsyncClient(http2=True, verify=apple.ca) as client:
        sender = _sender(apple, client, clock, key)
        await sender.send(TOKEN, _message())
        clock.advance(minutes=39)
        await sender.send(TOKEN, _message())
        clock.advance(minutes=1)
        await sender.send(TOKEN, _message())
    first, second, third = (s.headers["authorization"] for s in apple.seen)
    assert first == second
    assert third != second
    assert jwt.decode(third.split()[1], key.public_key(), algorithms=["ES256"])["iat"] == int(
        (NOW + timedelta(minutes=40)).timestamp()
    )


async def test_an_expired_provider_token_is_replaced_and_the_push_sent_again(
    apple: FakeApns, key: ec.EllipticCurvePrivateKey
) -> None:
    clock = FixedClock(NOW)
    apple.answer(TOKEN, (403, "ExpiredProviderToken", {}), (200, "", {}))
    async with httpx.AsyncClient(http2=True, verify=apple.ca) as client:
        sender = _sender(apple, client, clock, key)
        sender.provider_token()
        clock.advance(minutes=5)  # Apple thinks it expired; ours is still young
        result = await sender.send(TOKEN, _message())
    assert result.outcome == "sent"
    assert len(apple.seen) == 2
    assert apple.seen[0].headers["authorization"] != apple.seen[1].headers["authorization"]


@pytest.mark.parametrize(
    ("status", "reason", "outcome"),
    [
        (410, "Unregistered", "gone"),
        (400, "BadDeviceToken", "gone"),
        (400, "DeviceTokenNotForTopic", "gone"),
        (400, "BadCollapseId", "retry"),
        (429, "TooManyRequests", "retry"),
        (500, "InternalServerError", "retry"),
        (503, "ServiceUnavailable", "retry"),
        (403, "InvalidProviderToken", "retry"),
    ],
)
async def test_apples_answers_map_to_gone_or_retry(
    apple: FakeApns, key: ec.EllipticCurvePrivateKey, status: int, reason: str, outcome: str
) -> None:
    apple.answer(TOKEN, (status, reason, {}))
    async with httpx.AsyncClient(http2=True, verify=apple.ca) as client:
        result = await _sender(apple, client, FixedClock(NOW), key).send(TOKEN, _message())
    assert (result.outcome, result.detail) == (outcome, reason)


async def test_retry_after_is_passed_on(apple: FakeApns, key: ec.EllipticCurvePrivateKey) -> None:
    apple.answer(TOKEN, (429, "TooManyRequests", {"retry-after": "120"}))
    async with httpx.AsyncClient(http2=True, verify=apple.ca) as client:
        result = await _sender(apple, client, FixedClock(NOW), key).send(TOKEN, _message())
    assert (result.outcome, result.retry_after) == ("retry", 120)


async def test_an_unreachable_apple_is_a_retry_not_an_error(
    key: ec.EllipticCurvePrivateKey, tmp_path: Path
) -> None:
    async with fake_apns(tmp_path) as gone:
        pass  # it has stopped: nothing listens at its address now
    async with httpx.AsyncClient(http2=True, verify=gone.ca) as client:
        result = await _sender(gone, client, FixedClock(NOW), key).send(TOKEN, _message())
    assert result.outcome == "retry"
    assert "ConnectError" in result.detail
