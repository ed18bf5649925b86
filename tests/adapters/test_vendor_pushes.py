"""Reading vendors' pushes and days without a server: Polar's signature and what a push
may name, Withings' notification form, and local days across a clock change."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import httpx
import pytest

from adapters.clock import FixedClock
from adapters.connections.polar import PolarClient, sign
from adapters.connections.withings import WithingsClient
from adapters.connections.withings_days import Activity, activity_samples, local_day_ms
from app.ports.connections import PushNote, PushRefused

SECRET = "s3cret"
NOW = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)


def polar(secret: str | None = SECRET) -> PolarClient:
    return PolarClient(
        httpx.AsyncClient(),
        FixedClock(NOW),
        client_id="c",
        client_secret="s",
        webhook_secret=secret,
        auth_url="https://flow.polar.example/oauth2/authorization",
        token_url="https://polarremote.example/v2/oauth2/token",
        api_url="https://api.polar.example",
    )


def signed(payload: dict[str, object], secret: str = SECRET) -> tuple[bytes, dict[str, str]]:
    body = json.dumps(payload).encode()
    return body, {"polar-webhook-signature": sign(secret, body)}


def test_polar_push_names_one_thing_to_pull() -> None:
    client = polar()
    body, headers = signed({"event": "EXERCISE", "user_id": 475, "entity_id": "aQlC83"})
    assert client.read_push(body, headers) == [
        PushNote(vendor_user="475", topic="exercise", entity="aQlC83")
    ]
    body, headers = signed({"event": "SLEEP", "user_id": 475, "date": "2026-11-19"})
    assert client.read_push(body, headers) == [
        PushNote(vendor_user="475", topic="sleep", entity="2026-11-19")
    ]
    # an id that is no Polar id is not put into a URL: the pull lists instead
    body, headers = signed({"event": "EXERCISE", "user_id": 475, "entity_id": "../users/1"})
    assert client.read_push(body, headers) == [PushNote(vendor_user="475", topic="exercise")]
    body, headers = signed({"event": "ACTIVITY_SUMMARY", "user_id": 475, "date": "soon"})
    assert client.read_push(body, headers) == [PushNote(vendor_user="475", topic="activity")]
    # events we do not subscribe to, and signed garbage, queue nothing
    body, headers = signed({"event": "PHYSICAL_INFORMATION", "user_id": 475})
    assert client.read_push(body, headers) == []
    assert (
        client.read_push(b"not json", {"polar-webhook-signature": sign(SECRET, b"not json")}) == []
    )


def test_polar_signature_is_required() -> None:
    body, headers = signed({"event": "SLEEP", "user_id": 475, "date": "2026-11-19"})
    upper = {"polar-webhook-signature": headers["polar-webhook-signature"].upper()}
    assert polar().read_push(body, upper)  # hex in either case
    for bad in ({}, {"polar-webhook-signature": ""}, {"polar-webhook-signature": "ab" * 32}):
        with pytest.raises(PushRefused):
            polar().read_push(body, bad)
    with pytest.raises(PushRefused):  # no secret configured: nothing is believed
        polar(secret=None).read_push(body, headers)
    # a PING is answered whatever its signature (sent before the secret is known)
    assert polar(secret=None).read_push(b'{"event": "PING"}', {}) == []


def test_withings_notification_form() -> None:
    client = WithingsClient(
        httpx.AsyncClient(),
        FixedClock(NOW),
        client_id="c",
        client_secret="s",
        auth_url="https://account.example",
        api_url="https://wbsapi.example",
    )
    form = b"userid=1001&appli=44&startdate=1700000000&enddate=1700003600"
    assert client.read_push(form, {}) == [
        PushNote(vendor_user="1001", topic="sleep", start_s=1_700_000_000, end_s=1_700_003_600)
    ]
    assert client.read_push(b"userid=1001&appli=16&startdate=x", {}) == [
        PushNote(vendor_user="1001", topic="activity")
    ]
    assert client.read_push(b"userid=1001&appli=99", {})[0].topic == ""  # everything
    assert client.read_push(b"appli=4", {}) == []


def test_a_day_across_the_clock_change_is_23_hours() -> None:
    start, end = local_day_ms("2026-03-29", ZoneInfo("Europe/Copenhagen"))
    assert (end - start) / 3_600_000 == 23
    assert start == int(datetime(2026, 3, 28, 23, 0, tzinfo=UTC).timestamp() * 1000)
    # an unknown zone falls back to the citizen's
    samples, ids = activity_samples(
        [Activity(date="2026-11-18", steps=100, timezone="Mars/Olympus")],
        fallback_zone="Europe/Copenhagen",
        now_ms=int(NOW.timestamp() * 1000),
    )
    assert samples[0].start_ms == int(datetime(2026, 11, 17, 23, tzinfo=UTC).timestamp() * 1000)
    assert ids == ["withings:steps:2026-11-18"]
