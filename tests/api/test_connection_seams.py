"""The seams a pushing vendor such as Garmin needs (ADR 0025), on both engines, with a
stub of the `CloudVendor` protocol (not a Garmin client: there are no keys to follow
Garmin's API with):

- a push becomes notes, each note a pull row of its topic and entity;
- a backfill the vendor only takes as a request (Garmin answers 202 and pushes later)
  counts as asked for, without moving `last_sync`;
- a push saying the user withdrew access breaks the link and tells the citizen.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping
from typing import Any

from app.domain.connections import Tokens
from app.domain.identity import Principal, Role
from app.ports.connections import Fetched, Permit, PushNote
from app.services.connections import CloudConnections
from tests.api.test_connections import cloud, drain
from tests.conftest import Api


class PushingVendor:
    """Implements the protocol the way a push-first vendor would, recording calls."""

    name = "withings"  # one of the vendors the API knows; the seams are vendor-neutral
    pkce = True
    history_days: int | None = None

    def __init__(self) -> None:
        self.fetched: list[tuple[str, str, str]] = []

    def authorize_url(self, *, state: str, redirect_uri: str, code_challenge: str | None) -> str:
        assert code_challenge  # PKCE (Garmin's OAuth 2 has it)
        return f"https://vendor.example/authorize?state={state}"

    async def exchange(
        self, *, code: str, redirect_uri: str, code_verifier: str | None, permit: Permit
    ) -> Tokens:
        assert code_verifier
        return Tokens(access_token="a", refresh_token="r", expires_at=None, vendor_user="g-1")

    async def register(self, tokens: Tokens, *, member_id: str, permit: Permit) -> None:
        return None

    async def refresh(self, tokens: Tokens, *, permit: Permit) -> Tokens:
        return tokens

    async def fetch(
        self,
        tokens: Tokens,
        start_s: int,
        end_s: int,
        *,
        permit: Permit,
        zone: str,
        topic: str = "",
        entity: str = "",
        purpose: str = "",
    ) -> Fetched:
        self.fetched.append((purpose, topic, entity))
        # a backfill is only asked for: the vendor pushes the data later
        return Fetched(deferred=purpose == "backfill", requests=1)

    def read_push(self, body: bytes, headers: Mapping[str, str]) -> list[PushNote]:
        got: dict[str, Any] = json.loads(body)
        return [
            PushNote(
                vendor_user=str(item["userId"]),
                topic=kind,
                entity=str(item.get("summaryId", "")),
                revoked=kind == "deregistrations",
            )
            for kind, items in got.items()
            for item in items
        ]

    async def subscribe(self, tokens: Tokens, callback_url: str, *, permit: Permit) -> None:
        return None

    async def unsubscribe(self, tokens: Tokens, callback_url: str, *, permit: Permit) -> None:
        return None


async def test_push_backfill_and_revocation_seams(api: Api) -> None:
    vendor = PushingVendor()
    c: CloudConnections = dataclasses.replace(cloud(api), vendors={"withings": vendor})
    anna = Principal(id=api.demo.citizens[0].id, role=Role.CITIZEN, subject="anna")
    url = await c.start(anna, "withings")
    state = url.split("state=")[1]
    assert await c.finish("withings", code="c", state=state, error=None) == "connected"

    report = await drain(c)
    assert report.pulled == 10  # subscribe + 9 backfill chunks, each only asked for
    assert [f for f in vendor.fetched if f[0] == "backfill"] == [("backfill", "", "")] * 9
    listed = await c.list(anna.id)
    assert listed[0].backfill.progress == 1.0 and listed[0].last_sync is None

    # a push naming two summaries of the user: two pulls, of that topic and entity
    push = {"dailies": [{"userId": "g-1", "summaryId": "d-77"}], "sleeps": [{"userId": "g-1"}]}
    assert await c.pushed("withings", json.dumps(push).encode(), {}) == 2
    await drain(c)
    assert sorted(vendor.fetched[-2:]) == [("notify", "dailies", "d-77"), ("notify", "sleeps", "")]
    assert (await c.list(anna.id))[0].last_sync is not None

    # the user withdrew access at the vendor: broken, told once
    gone = {"deregistrations": [{"userId": "g-1"}]}
    assert await c.pushed("withings", json.dumps(gone).encode(), {}) == 0
    assert (await c.list(anna.id))[0].status == "broken"
    notices = (await api.client.get("/v1/me/notices", headers=api.anna)).json()
    items = notices["items"] if isinstance(notices, dict) else notices
    assert [n["kind"] for n in items].count("connection.broken") == 1
