"""Cloud connections (issue 18) against the Withings stand-in, on both engines.

The OAuth round trip (bad, reused, expired state; a refusal), the 90-day backfill with
its progress, a notification leading to a pull and its replay, token refresh with
rotation, a transient failure, `invalid_grant`, the app-wide budget shared by two
workers, and disconnecting.
"""

from __future__ import annotations

import asyncio
import dataclasses
import urllib.parse
import uuid
from datetime import UTC, datetime

import httpx
import pytest

from app.services.connections import CloudConnections, PullReport
from app.settings import Settings
from mobile_api.runtime import Runtime
from tests.api.vendor_fixtures import PUBLIC, withings, withings_settings
from tests.conftest import Api
from tests.vendor_servers import CLIENT_ID, FakeWithings, Group

__all__ = ["withings", "withings_settings"]  # the Withings stand-in and its settings


def cloud(api: Api) -> CloudConnections:
    assert api.runtime.cloud is not None
    return api.runtime.cloud


async def consent(authorize_url: str) -> str:
    """The browser at Withings: the path and query it is sent back to us with."""
    async with httpx.AsyncClient() as browser:
        r = await browser.get(authorize_url)
    assert r.status_code == 302
    back = urllib.parse.urlsplit(r.headers["location"])
    assert f"{back.scheme}://{back.netloc}" == PUBLIC
    return f"{back.path}?{back.query}"


def outcome(r: httpx.Response, vendor: str = "withings") -> str:
    assert r.status_code == 303, r.text
    location = urllib.parse.urlsplit(r.headers["location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == (
        f"minlaege://connections/{vendor}"
    )
    return urllib.parse.parse_qs(location.query)["outcome"][0]


async def connect(api: Api, headers: dict[str, str]) -> None:
    r = await api.client.post("/v1/me/connections/withings", headers=headers)
    assert r.status_code == 201, r.text
    back = await consent(r.json()["authorize_url"])
    assert outcome(await api.client.get(back)) == "connected"


async def drain(c: CloudConnections, owner: str = "w1") -> PullReport:
    """Run due pulls until none is left due; the sum of the passes."""
    total = PullReport()
    while True:
        got = await c.work(owner)
        if not (got.pulled or got.retrying or got.broken or got.waiting):
            return total
        for name in total.__struct_fields__:
            setattr(total, name, getattr(total, name) + getattr(got, name))
        if got.waiting or got.retrying:
            return total


def bp(grpid: int, at: int, sys: int = 128, dia: int = 82, pulse: int = 64) -> Group:
    return Group(
        grpid=grpid,
        date=at,
        measures=[(10, sys, 0), (9, dia, 0), (11, pulse, 0)],
        model="BPM Core",
        device="dev-cuff-1",
    )


def now_s(api: Api) -> int:
    return int(api.clock.now().timestamp())


async def linked_with_a_pull_waiting(api: Api, withings: FakeWithings) -> None:
    """Anna linked and her cuff reading fetched, the vendor's notifications on, and one
    more pull waiting: what disconnecting and closing the account must both undo."""
    withings.user("1001").groups.append(bp(1, now_s(api) - 600))
    await connect(api, api.anna)
    await drain(cloud(api))
    assert withings.subscriptions
    await cloud(api).notified("withings", "1001", None, None)


async def test_oauth_round_trip(api: Api, withings: FakeWithings) -> None:
    r = await api.client.post("/v1/me/connections/withings", headers=api.anna)
    assert r.status_code == 201
    url = urllib.parse.urlsplit(r.json()["authorize_url"])
    q = urllib.parse.parse_qs(url.query)
    assert url.path == "/oauth2_user/authorize2"
    assert q["client_id"] == [CLIENT_ID]
    assert q["redirect_uri"] == [f"{PUBLIC}/v1/connections/withings/callback"]
    assert len(q["state"][0]) >= 40
    back = await consent(r.json()["authorize_url"])
    assert outcome(await api.client.get(back)) == "connected"
    # the state is single-use: the same callback again is refused
    assert outcome(await api.client.get(back)) == "invalid"

    listed = (await api.client.get("/v1/me/connections", headers=api.anna)).json()
    assert [(c["vendor"], c["status"]) for c in listed] == [("withings", "connected")]
    assert listed[0]["backfill"] == {"done": 0, "total": 9, "progress": 0.0}
    assert listed[0]["last_sync"] is None
    assert "token" not in r.text + str(listed)
    # the other citizen sees nothing of it
    assert (await api.client.get("/v1/me/connections", headers=api.bent)).json() == []
    # tokens are sealed at rest
    async with api.runtime.store.read() as uow:
        row = await uow.connections.get(api.demo.citizens[0].id, "withings")
    assert row is not None and row.sealed_tokens.startswith("v1.")
    assert "acc" not in row.sealed_tokens and "ref" not in row.sealed_tokens


async def test_bad_expired_and_refused_state(api: Api, withings: FakeWithings) -> None:
    base = "/v1/connections/withings/callback"
    assert outcome(await api.client.get(f"{base}?code=x&state=made-up")) == "invalid"
    assert outcome(await api.client.get(f"{base}?code=x")) == "invalid"

    r = await api.client.post("/v1/me/connections/withings", headers=api.anna)
    back = await consent(r.json()["authorize_url"])
    api.clock.advance(minutes=11)
    assert outcome(await api.client.get(back)) == "expired"

    withings.deny = True
    r = await api.client.post("/v1/me/connections/withings", headers=api.anna)
    back = await consent(r.json()["authorize_url"])
    assert outcome(await api.client.get(back)) == "denied"
    # a state is bound to its vendor's callback too
    r = await api.client.post("/v1/me/connections/withings", headers=api.anna)
    state = urllib.parse.parse_qs(urllib.parse.urlsplit(r.json()["authorize_url"]).query)["state"]
    assert (
        outcome(
            await api.client.get(f"/v1/connections/polar/callback?code=x&state={state[0]}"),
            vendor="unknown",
        )
        == "invalid"
    )
    assert (await api.client.get("/v1/me/connections", headers=api.anna)).json() == []
    r = await api.client.post("/v1/me/connections/garmin", headers=api.anna)
    assert r.status_code == 400


async def test_backfill_notification_and_replay(api: Api, withings: FakeWithings) -> None:
    t = now_s(api)
    user = withings.user("1001")
    for day in range(120):  # one morning reading a day; only the last 90 days are fetched
        user.groups.append(bp(10_000 + day, t - day * 86_400 - 3_600))
    user.groups.append(
        Group(grpid=9, date=t - 7_200, measures=[(1, 72345, -3)], model="Body+", device="s1")
    )
    user.groups.append(  # ambiguous: someone else on the scale
        Group(grpid=8, date=t - 7_000, measures=[(1, 95000, -3)], attrib=1)
    )
    await connect(api, api.anna)
    report = await drain(cloud(api))
    assert report.pulled == 10  # subscribe + 9 backfill chunks
    assert report.stored == 90 * 3 + 1
    assert withings.count("getmeas") == 9
    assert {(u, a) for u, _, a in withings.subscriptions} == {
        ("1001", "1"),
        ("1001", "4"),
        ("1001", "16"),
        ("1001", "44"),
    }
    # each chunk also asked for the days' steps and the nights' sleep (none here)
    assert withings.count("getactivity") == 9 and withings.count("getsummary") == 9
    listed = (await api.client.get("/v1/me/connections", headers=api.anna)).json()
    assert listed[0]["backfill"] == {"done": 9, "total": 9, "progress": 1.0}
    assert listed[0]["last_sync"] is not None and listed[0]["pending"] == 0

    day = api.clock.now().date().isoformat()
    r = await api.client.get(f"/v1/me/daily?metric=body_mass&from={day}&to={day}", headers=api.anna)
    assert r.json()["days"] == [
        {"date": day, "count": 1, "min": 72.345, "max": 72.345, "mean": 72.345}
    ]
    sources = (await api.client.get("/v1/me/sources", headers=api.anna)).json()
    cuff = [s for s in sources if "BPM Core" in s["name"]]
    assert cuff and cuff[0]["kind"] == "device"

    # a new reading and its notification: 200 at once, the pull runs in the worker
    user.groups.append(bp(50_000, t - 60, sys=150))
    assert (await api.client.head("/v1/webhooks/withings")).status_code == 200
    form = {"userid": "1001", "appli": "4", "startdate": str(t - 120), "enddate": str(t)}
    r = await api.client.post("/v1/webhooks/withings", data=form)
    assert r.status_code == 200
    assert withings.count("getmeas") == 9  # nothing fetched in the request
    report = await drain(cloud(api))
    assert (report.pulled, report.stored, report.duplicates) == (1, 3, 0)
    # the same notification again: pulled, nothing new
    await api.client.post("/v1/webhooks/withings", data=form)
    report = await drain(cloud(api))
    assert (report.pulled, report.stored, report.duplicates) == (1, 0, 3)
    # an unknown user, a garbled window: answered 200, nothing queued for anyone
    r = await api.client.post("/v1/webhooks/withings", data={"userid": "999", "startdate": "x"})
    assert r.status_code == 200
    assert (await drain(cloud(api))).pulled == 0


async def test_refresh_rotation_transient_and_invalid_grant(
    api: Api, withings: FakeWithings
) -> None:
    await connect(api, api.anna)
    await drain(cloud(api))
    c = cloud(api)
    citizen = api.demo.citizens[0].id

    async def tokens() -> tuple[str | None, int]:
        async with api.runtime.store.read() as uow:
            row = await uow.connections.get(citizen, "withings")
        assert row is not None
        return c.sealer.open_tokens(row.sealed_tokens).refresh_token, row.token_version

    first, version = await tokens()
    api.clock.advance(hours=4)  # the access token (3 h) has run out
    await c.notified("withings", "1001", None, None)
    report = await drain(c)
    assert report.pulled == 1 and withings.count("requesttoken") == 2  # code, refresh
    second, version2 = await tokens()
    assert second != first and version2 == version + 1
    # the old refresh token no longer works at Withings; the stored one does
    assert first not in withings._refresh and second in withings._refresh

    # transient: Withings' own "unknown error" on refresh, then HTTP 503 on getmeas
    api.clock.advance(hours=4)
    withings.fail("requesttoken", (200, 2555, "unknown error"))
    withings.fail("getmeas", (503, 0, ""))
    await c.notified("withings", "1001", None, None)
    assert (await drain(c)).retrying == 1
    api.clock.advance(seconds=31)
    assert (await drain(c)).retrying == 1  # refreshed now, getmeas failed
    api.clock.advance(seconds=61)
    assert (await drain(c)).pulled == 1
    listed = (await api.client.get("/v1/me/connections", headers=api.anna)).json()
    assert listed[0]["status"] == "connected"

    # invalid_grant: the user removed the app at Withings
    withings.revoke_all()
    api.clock.advance(hours=4)
    await c.notified("withings", "1001", None, None)
    assert (await drain(c)).broken == 1
    listed = (await api.client.get("/v1/me/connections", headers=api.anna)).json()
    assert listed[0]["status"] == "broken" and listed[0]["pending"] == 0
    notices = (await api.client.get("/v1/me/notices", headers=api.anna)).json()
    items = notices["items"] if isinstance(notices, dict) else notices
    broken = [n for n in items if n["kind"] == "connection.broken"]
    assert len(broken) == 1 and broken[0]["title_da"] == "Forbind Withings igen"
    # a broken link takes no notifications; reconnecting mends it
    assert not await c.notified("withings", "1001", None, None)
    withings.deny = False
    await connect(api, api.anna)
    listed = (await api.client.get("/v1/me/connections", headers=api.anna)).json()
    assert listed[0]["status"] == "connected"


async def test_budget_shared_by_two_workers(
    api: Api, withings: FakeWithings, settings: Settings
) -> None:
    await connect(api, api.anna)
    await drain(cloud(api))
    before = len(withings.requests)
    second = await Runtime.open(settings, clock=api.clock)
    try:
        assert second.cloud is not None
        one = dataclasses.replace(cloud(api), budgets={"withings": 5})
        two = dataclasses.replace(second.cloud, budgets={"withings": 5})
        for _ in range(12):
            await one.notified("withings", "1001", None, None, topic="measures")
        got = await asyncio.gather(one.work("node-1", limit=6), two.work("node-2", limit=6))
        assert sum(r.pulled for r in got) == 5 and sum(r.waiting for r in got) == 7
        assert len(withings.requests) - before == 5
        api.clock.advance(seconds=60)
        got = await asyncio.gather(one.work("node-1", limit=6), two.work("node-2", limit=6))
        assert sum(r.pulled for r in got) == 5
        api.clock.advance(seconds=30)
        got = await asyncio.gather(one.work("node-1", limit=6), two.work("node-2", limit=6))
        assert sum(r.pulled for r in got) == 2
        assert len(withings.requests) - before == 12
    finally:
        await second.close()


async def test_disconnect(api: Api, withings: FakeWithings) -> None:
    await linked_with_a_pull_waiting(api, withings)
    r = await api.client.delete("/v1/me/connections/withings", headers=api.anna)
    assert r.status_code == 204
    assert withings.subscriptions == set() and withings.count("revoke") == 4
    assert (await api.client.get("/v1/me/connections", headers=api.anna)).json() == []
    assert (await drain(cloud(api))).pulled == 0
    r = await api.client.delete("/v1/me/connections/withings", headers=api.anna)
    assert r.status_code == 404
    # what was fetched stays until the citizen deletes it (§10)
    day = api.clock.now().date().isoformat()
    r = await api.client.get(
        f"/v1/me/daily?metric=blood_pressure_systolic&from={day}&to={day}", headers=api.anna
    )
    assert r.json()["days"][0]["count"] == 1


async def test_same_weighing_via_apple_health_and_withings_counts_once(
    api: Api, withings: FakeWithings
) -> None:
    at = now_s(api) - 3_600
    withings.user("1001").groups.append(
        Group(grpid=77, date=at, measures=[(1, 72345, -3)], model="Body+", device="s1")
    )
    when = datetime.fromtimestamp(at, UTC).isoformat()
    hk = {
        "uuid": str(uuid.uuid4()).upper(),
        "type": "HKQuantityTypeIdentifierBodyMass",
        "unit": "kg",
        "value": 72.345,
        "start": when,
        "end": when,
        "source_name": "Health Mate",
        "bundle_id": "com.withings.wiScaleNG",
        "device_model": "Body+",
    }
    r = await api.client.post("/v1/me/healthkit/samples", json={"samples": [hk]}, headers=api.anna)
    assert r.status_code == 200, r.text
    await connect(api, api.anna)
    await drain(cloud(api))
    day = api.clock.now().date().isoformat()
    r = await api.client.get(f"/v1/me/daily?metric=body_mass&from={day}&to={day}", headers=api.anna)
    assert r.json()["days"][0]["count"] == 1


async def test_an_answer_of_the_wrong_shape_is_retried_not_a_crashed_pass(
    api: Api, withings: FakeWithings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A measure group without its `date` (msgspec refuses it) is a vendor error: the
    pull is retried later, and the rest of the pass runs."""
    withings.user("1001").groups.append(bp(1, now_s(api) - 3_600))
    monkeypatch.setattr(
        withings,
        "_getmeas",
        lambda user, form: withings._answer(0, {"measuregrps": [{"grpid": 1}], "more": 0}),
    )
    await connect(api, api.anna)
    report = await drain(cloud(api))
    assert report.pulled == 1  # the subscription went through
    assert report.retrying == 9 and report.stored == 0  # every backfill chunk comes back
    monkeypatch.undo()
    api.clock.advance(hours=1)
    assert (await drain(cloud(api))).stored == 3
