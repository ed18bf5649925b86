"""FcmSender against a local HTTP/2 stand-in for Google's token endpoint and FCM v1."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import msgspec
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from adapters.clock import FixedClock
from adapters.push.fcm import FCM_SCOPE, FcmSender, ServiceAccount
from app.domain.push import PushMessage
from tests.push_servers import FakeFcm, fake_fcm, pem_of

TOKEN = "fcm-token_" + "x" * 140
NOTICE = "5d4aa691-b129-437d-bb2c-fe8c3822d441"
NOW = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
EMAIL = "minlaege-push@minlaege-test.iam.gserviceaccount.com"


@pytest.fixture(scope="module")
def key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture
async def google(tmp_path: Path, key: rsa.RSAPrivateKey) -> AsyncIterator[FakeFcm]:
    async with fake_fcm(tmp_path, key.public_key()) as server:
        yield server


def account(google: FakeFcm, key: rsa.RSAPrivateKey) -> ServiceAccount:
    pem = pem_of(key).decode()
    return ServiceAccount(
        project_id="minlaege-test",
        client_email=EMAIL,
        private_key=pem,
        token_uri=f"{google.base_url}/token",
    )


@pytest.fixture
async def sender(google: FakeFcm, key: rsa.RSAPrivateKey) -> AsyncIterator[FcmSender]:
    async with httpx.AsyncClient(http2=True, verify=google.ca) as client:
        yield FcmSender(client, FixedClock(NOW), account(google, key), base_url=google.base_url)


def message() -> PushMessage:
    return PushMessage(
        notice_id=NOTICE,
        title="Ny besked fra Min Læge",
        body="Åbn appen for at læse den.",
        expires_at=NOW + timedelta(hours=24),
    )


async def test_a_push_gets_a_token_by_the_jwt_grant_and_goes_over_http2(
    google: FakeFcm, sender: FcmSender
) -> None:
    assert (await sender.send(TOKEN, message())).outcome == "sent"
    assert (await sender.send(TOKEN, message())).outcome == "sent"
    (assertion,) = google.assertions  # one access token for both sends
    assert assertion["iss"] == EMAIL
    assert assertion["scope"] == FCM_SCOPE
    assert assertion["iat"] == int(NOW.timestamp())
    assert assertion["exp"] - assertion["iat"] == 3600
    first, _ = google.seen
    assert first.http_version == "2"
    assert first.path == "/v1/projects/minlaege-test/messages:send"
    assert first.headers["authorization"] == "Bearer ya29.test-1"
    assert first.json() == {
        "message": {
            "token": TOKEN,
            "notification": {
                "title": "Ny besked fra Min Læge",
                "body": "Åbn appen for at læse den.",
            },
            "data": {"notice_id": NOTICE},
            "android": {
                "ttl": "86400s",
                "collapse_key": NOTICE,
                "priority": "high",
                "notification": {"tag": NOTICE},
            },
        }
    }


async def test_a_refused_access_token_is_replaced_and_the_push_sent_again(
    google: FakeFcm, sender: FcmSender
) -> None:
    await sender.send(TOKEN, message())
    google.revoke_tokens()
    assert (await sender.send(TOKEN, message())).outcome == "sent"
    assert len(google.assertions) == 2
    assert google.seen[-1].headers["authorization"] == "Bearer ya29.test-2"


@pytest.mark.parametrize(
    ("status", "code", "outcome"),
    [
        (404, "UNREGISTERED", "gone"),
        (403, "SENDER_ID_MISMATCH", "gone"),
        (400, "INVALID_ARGUMENT", "retry"),
        (429, "QUOTA_EXCEEDED", "retry"),
        (503, "UNAVAILABLE", "retry"),
        (500, "INTERNAL", "retry"),
    ],
)
async def test_googles_answers_map_to_gone_or_retry(
    google: FakeFcm, sender: FcmSender, status: int, code: str, outcome: str
) -> None:
    google.answer(TOKEN, (status, code, {"retry-after": "90"}))
    result = await sender.send(TOKEN, message())
    assert (result.outcome, result.detail) == (outcome, code)
    if outcome == "retry":
        assert result.retry_after == 90


async def test_a_wrong_service_account_key_is_a_retry_not_a_crash(
    google: FakeFcm, key: rsa.RSAPrivateKey
) -> None:
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    async with httpx.AsyncClient(http2=True, verify=google.ca) as client:
        s = FcmSender(client, FixedClock(NOW), account(google, other), base_url=google.base_url)
        result = await s.send(TOKEN, message())
    assert result.outcome == "retry"
    assert "invalid_grant" in result.detail
    assert google.seen == []


async def test_the_access_token_is_kept_until_five_minutes_before_it_expires(
    google: FakeFcm, key: rsa.RSAPrivateKey
) -> None:
    clock = FixedClock(NOW)
    async with httpx.AsyncClient(http2=True, verify=google.ca) as client:
        s = FcmSender(client, clock, account(google, key), base_url=google.base_url)
        await s.send(TOKEN, message())
        clock.advance(seconds=3599 - 300 - 1)  # Google said 3599 s
        await s.send(TOKEN, message())
        assert len(google.assertions) == 1
        clock.advance(seconds=1)
        await s.send(TOKEN, message())
    assert len(google.assertions) == 2
    assert [x.headers["authorization"] for x in google.seen] == [
        "Bearer ya29.test-1",
        "Bearer ya29.test-1",
        "Bearer ya29.test-2",
    ]


async def test_a_relatives_push_says_whose_notice_it_is(google: FakeFcm, sender: FcmSender) -> None:
    relative = msgspec.structs.replace(message(), for_citizen="anna-id")
    assert (await sender.send(TOKEN, relative)).outcome == "sent"
    assert google.seen[0].json()["message"]["data"] == {
        "notice_id": NOTICE,
        "for_citizen": "anna-id",
    }
