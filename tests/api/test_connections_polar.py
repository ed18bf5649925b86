"""Polar AccessLink v3 against its stand-in, on both engines: the OAuth round trip with
user registration, the signed webhook, a FIT exercise, daily activity, continuous heart
rate and sleep by the citizen's local days, a refused token, and disconnecting.

The clock stands at 2026-11-20 09:00 UTC (10:00 in Copenhagen, CET = UTC+1).
"""

from __future__ import annotations

import urllib.parse
from pathlib import Path

from tests.api.test_connections import cloud, consent, drain, outcome
from tests.api.vendor_fixtures import PUBLIC, polar, polar_settings
from tests.conftest import Api
from tests.polar_server import (
    CLIENT_ID,
    WEBHOOK_SECRET,
    ActivityDay,
    FakePolar,
    HrDay,
    PolarExercise,
    PolarNight,
)

FIT = Path(__file__).parents[2] / "fixtures" / "fit" / "garmin-fenix-5-walk.fit"
BEFORE = 1_700_000_000  # uploaded long before the link: Polar does not serve it


__all__ = ["polar", "polar_settings"]  # the Polar stand-in and its settings


async def link(api: Api, headers: dict[str, str]) -> str:
    r = await api.client.post("/v1/me/connections/polar", headers=headers)
    assert r.status_code == 201, r.text
    back = await consent(r.json()["authorize_url"])
    return outcome(await api.client.get(back), "polar")


def now_s(api: Api) -> int:
    return int(api.clock.now().timestamp())


async def webhook(api: Api, payload: dict[str, object], secret: str = WEBHOOK_SECRET) -> int:
    body, headers = FakePolar.push(payload, secret)
    r = await api.client.post("/v1/webhooks/polar", content=body, headers=headers)
    return r.status_code


async def daily(api: Api, metric: str, key: str = "sum") -> dict[str, object]:
    r = await api.client.get(
        f"/v1/me/daily?metric={metric}&from=2026-11-10&to=2026-11-21", headers=api.anna
    )
    assert r.status_code == 200, r.text
    return {d["date"]: d[key] for d in r.json()["days"]}


async def test_polar_oauth_round_trip_registers_the_user(api: Api, polar: FakePolar) -> None:
    r = await api.client.post("/v1/me/connections/polar", headers=api.anna)
    assert r.status_code == 201
    started = r.json()
    url = urllib.parse.urlsplit(started["authorize_url"])
    q = urllib.parse.parse_qs(url.query)
    assert url.path == "/oauth2/authorization"
    assert q["client_id"] == [CLIENT_ID] and q["scope"] == ["accesslink.read_all"]
    assert q["redirect_uri"] == [f"{PUBLIC}/v1/connections/polar/callback"]
    # where the link is started, the app says what Polar shares
    assert "uploadet efter" in started["note_da"] and "uploaded after" in started["note_en"]
    back = await consent(started["authorize_url"])
    assert outcome(await api.client.get(back), "polar") == "connected"
    assert outcome(await api.client.get(back), "polar") == "invalid"  # the state is spent

    # registered with our client under an opaque member id (not our citizen id)
    user = polar.user(475)
    assert user.registered_at == now_s(api) and user.member_id is not None
    assert len(user.member_id) == 32 and api.demo.citizens[0].id not in user.member_id
    listed = (await api.client.get("/v1/me/connections", headers=api.anna)).json()
    assert [(c["vendor"], c["status"]) for c in listed] == [("polar", "connected")]
    assert "uploaded after you linked" in listed[0]["note_en"]
    # Polar serves 28 days: the backfill asks for no more (10 + 10 + 8 days)
    assert listed[0]["backfill"] == {"done": 0, "total": 3, "progress": 0.0}
    async with api.runtime.store.read() as uow:
        row = await uow.connections.get(api.demo.citizens[0].id, "polar")
    assert row is not None and row.vendor_user == "475" and "ptok" not in row.sealed_tokens

    # linking again: Polar answers 409 (already registered), which is fine
    assert await link(api, api.anna) == "connected"
    assert polar.count("/v3/users", "POST") == 2


async def test_polar_bad_expired_and_refused(api: Api, polar: FakePolar) -> None:
    base = "/v1/connections/polar/callback"
    assert outcome(await api.client.get(f"{base}?code=x&state=made-up"), "polar") == "invalid"
    r = await api.client.post("/v1/me/connections/polar", headers=api.anna)
    back = await consent(r.json()["authorize_url"])
    api.clock.advance(minutes=11)
    assert outcome(await api.client.get(back), "polar") == "expired"
    polar.deny = True
    assert await link(api, api.anna) == "denied"
    polar.deny = False
    # a code Polar does not know (400 invalid_grant at the token endpoint): failed
    r = await api.client.post("/v1/me/connections/polar", headers=api.anna)
    state = urllib.parse.parse_qs(urllib.parse.urlsplit(r.json()["authorize_url"]).query)
    back = f"{base}?code=forged&state={state['state'][0]}"
    assert outcome(await api.client.get(back), "polar") == "failed"
    assert (await api.client.get("/v1/me/connections", headers=api.anna)).json() == []
    # Bent's Polar account is Anna's: taken
    assert await link(api, api.anna) == "connected"
    assert await link(api, api.bent) == "taken"


async def test_polar_webhook_signatures(api: Api, polar: FakePolar) -> None:
    assert await link(api, api.anna) == "connected"
    await drain(cloud(api))
    push = {
        "event": "ACTIVITY_SUMMARY",
        "user_id": 475,
        "date": "2026-11-20",
        "timestamp": "2026-11-20T08:59:00Z",
        "url": "https://www.polaraccesslink.com/v3/users/activities/2026-11-20",
    }

    async def pending() -> int:
        listed = (await api.client.get("/v1/me/connections", headers=api.anna)).json()
        return int(listed[0]["pending"])

    # a PING (sent when the operator makes the webhook, before they hold its secret)
    assert await webhook(api, {"event": "PING", "timestamp": "2026-11-20T08:00:00Z"}, "?") == 200
    # signed with another secret, garbled, missing: 401 bad-signature, nothing queued
    assert await webhook(api, push, secret="not-the-secret") == 401
    body, headers = FakePolar.push(push)
    r = await api.client.post(
        "/v1/webhooks/polar", content=body, headers={**headers, "Polar-Webhook-Signature": "00"}
    )
    assert r.status_code == 401 and r.json()["type"].endswith("/bad-signature")
    r = await api.client.post(
        "/v1/webhooks/polar", content=body, headers={"Content-Type": "application/json"}
    )
    assert r.status_code == 401
    tampered = body.replace(b"475", b"476")
    r = await api.client.post("/v1/webhooks/polar", content=tampered, headers=headers)
    assert r.status_code == 401
    assert await pending() == 0
    # signed right: 200 at once, a pull queued, nothing fetched in the request
    before = len(polar.requests)
    assert await webhook(api, push) == 200
    assert await pending() == 1 and len(polar.requests) == before
    report = await drain(cloud(api))
    assert report.pulled == 1
    assert polar.requests[before:] == [("GET", "/v3/users/activities/2026-11-20")]
    # a push for a user we do not know: answered alike, nothing queued
    assert await webhook(api, {**push, "user_id": 999}) == 200
    assert await pending() == 0


async def test_polar_fit_exercise_and_replay(api: Api, polar: FakePolar) -> None:
    assert await link(api, api.anna) == "connected"
    await drain(cloud(api))
    polar.user(475).exercises.append(
        PolarExercise("aQlC83", "2017-06-11T07:32:51", -420, FIT.read_bytes(), now_s(api) + 60)
    )
    api.clock.advance(minutes=2)
    push = {"event": "EXERCISE", "user_id": 475, "entity_id": "aQlC83"}
    assert await webhook(api, {**push, "timestamp": "2026-11-20T09:01:00Z"}) == 200
    report = await drain(cloud(api))
    # the file's 17 heart-rate records (see the .csv beside it), and its session's
    # distance, energy and steps: 20 samples, through the FIT importer
    assert (report.pulled, report.stored) == (1, 20)
    assert polar.count("/v3/exercises/aQlC83/fit") == 1
    r = await api.client.get(
        "/v1/me/daily?metric=heart_rate&from=2017-06-11&to=2017-06-11", headers=api.anna
    )
    assert r.json()["days"][0]["count"] == 17
    sources = (await api.client.get("/v1/me/sources", headers=api.anna)).json()
    assert [s["kind"] for s in sources if s["name"] == "Garmin fenix5"] == ["watch"]
    # Polar sends the same push again: fetched, nothing new stored
    assert await webhook(api, {**push, "timestamp": "2026-11-20T09:02:00Z"}) == 200
    report = await drain(cloud(api))
    assert (report.pulled, report.stored, report.duplicates) == (1, 0, 20)


async def test_polar_days_by_local_day(api: Api, polar: FakePolar) -> None:
    user = polar.user(475)
    at = now_s(api) + 60  # uploaded just after the link below
    user.days += [
        # 19 November in Copenhagen: 23:00Z on the 18th to 22:59:59Z on the 19th
        ActivityDay("2026-11-19", "2026-11-18T23:00:00", "2026-11-19T22:59:59", 9000, at),
        # today, so far: counted up to now (09:00Z), all on the 20th
        ActivityDay("2026-11-20", "2026-11-19T23:00:00", "2026-11-20T22:59:59", 2000, at),
        # uploaded before the link: Polar does not serve it
        ActivityDay("2026-11-17", "2026-11-16T23:00:00", "2026-11-17T22:59:59", 7777, BEFORE),
    ]
    user.nights += [
        # 23:30 to 07:30 Copenhagen time (22:30Z-06:30Z): 480 minutes, 420 asleep
        # (4 h light, 1.5 h deep, 1.5 h REM). 30 of the 480 minutes fall on the 18th:
        # 420 x 30/480 = 26.25 there, 420 x 450/480 = 393.75 on the 19th.
        PolarNight(
            "2026-11-19",
            "2026-11-18T23:30:00+01:00",
            "2026-11-19T07:30:00+01:00",
            14_400,
            5_400,
            5_400,
            at,
        ),
        # a night in New York (UTC-5): 22:00-06:00 there is 04:00-12:00 in Copenhagen
        # on the 18th, all 420 asleep minutes on that day
        PolarNight(
            "2026-11-18",
            "2026-11-17T22:00:00-05:00",
            "2026-11-18T06:00:00-05:00",
            14_400,
            5_400,
            5_400,
            at,
        ),
    ]
    # continuous heart rate in the watch's time: 23:58 on the 19th is 22:58Z, still the
    # 19th in Copenhagen (read as UTC it would fall on the 20th)
    user.hr.append(HrDay("2026-11-19", [("00:02:08", 63), ("12:00:00", 70), ("23:58:00", 80)], at))
    assert await link(api, api.anna) == "connected"
    api.clock.advance(minutes=2)
    report = await drain(cloud(api))
    assert (report.pulled, report.stored) == (4, 9)  # subscribe + 3 chunks; 2 + 4 + 3
    assert await daily(api, "steps") == {"2026-11-19": 9000.0, "2026-11-20": 2000.0}
    assert await daily(api, "sleep") == {"2026-11-18": 446.25, "2026-11-19": 393.75}
    assert await daily(api, "heart_rate", "count") == {"2026-11-19": 3}
    assert await daily(api, "heart_rate", "mean") == {"2026-11-19": 71.0}

    # more steps today: the push names the date, the day is replaced, not added to
    user.days[1] = ActivityDay(
        "2026-11-20", "2026-11-19T23:00:00", "2026-11-20T22:59:59", 4000, now_s(api)
    )
    push = {"event": "ACTIVITY_SUMMARY", "user_id": 475, "date": "2026-11-20"}
    assert await webhook(api, push) == 200
    assert (await drain(cloud(api))).stored == 0
    assert await daily(api, "steps") == {"2026-11-19": 9000.0, "2026-11-20": 4000.0}
    # the replay: nothing changes
    assert await webhook(api, push) == 200
    assert (await drain(cloud(api))).stored == 0
    assert await daily(api, "steps") == {"2026-11-19": 9000.0, "2026-11-20": 4000.0}


async def test_polar_refused_token_breaks_the_link(api: Api, polar: FakePolar) -> None:
    assert await link(api, api.anna) == "connected"
    await drain(cloud(api))
    polar.fail("/v3/users/sleep", 401)
    assert await webhook(api, {"event": "SLEEP", "user_id": 475, "date": "2026-11-19"}) == 200
    assert (await drain(cloud(api))).broken == 1
    listed = (await api.client.get("/v1/me/connections", headers=api.anna)).json()
    assert listed[0]["status"] == "broken"
    notices = (await api.client.get("/v1/me/notices", headers=api.anna)).json()
    items = notices["items"] if isinstance(notices, dict) else notices
    assert [n["title_da"] for n in items if n["kind"] == "connection.broken"] == [
        "Forbind Polar igen"
    ]


async def test_polar_disconnect_deletes_the_registration(api: Api, polar: FakePolar) -> None:
    assert await link(api, api.anna) == "connected"
    await drain(cloud(api))
    assert await webhook(api, {"event": "SLEEP", "user_id": 475, "date": "2026-11-19"}) == 200
    r = await api.client.delete("/v1/me/connections/polar", headers=api.anna)
    assert r.status_code == 204
    assert polar.count("/v3/users/475", "DELETE") == 1
    assert polar.user(475).registered_at is None
    assert (await api.client.get("/v1/me/connections", headers=api.anna)).json() == []
    assert (await drain(cloud(api))).pulled == 0  # the waiting pull went with it
    assert await webhook(api, {"event": "SLEEP", "user_id": 475, "date": "2026-11-19"}) == 200
    assert (await drain(cloud(api))).pulled == 0
    # Polar unreachable while disconnecting: the link goes anyway
    assert await link(api, api.anna) == "connected"
    polar.fail("/v3/users/475", 503)
    assert (
        await api.client.delete("/v1/me/connections/polar", headers=api.anna)
    ).status_code == 204
    assert (await api.client.get("/v1/me/connections", headers=api.anna)).json() == []


async def test_polar_and_healthkit_steps_count_once(api: Api, polar: FakePolar) -> None:
    # Polar's watch counted 9,000 steps on 19 November; the iPhone wrote 3,000 to
    # HealthKit for 10:00-11:00 that day. The watch ranks first (§4) and its day covers
    # the phone's hour, so the day is 9,000, not 12,000.
    at = now_s(api) + 60
    polar.user(475).days.append(
        ActivityDay("2026-11-19", "2026-11-18T23:00:00", "2026-11-19T22:59:59", 9000, at)
    )
    hk = {
        "uuid": "0B1C6C2E-8F0B-4E5A-9B7E-1D2C3B4A5F61",
        "type": "HKQuantityTypeIdentifierStepCount",
        "unit": "count",
        "value": 3000,
        "start": "2026-11-19T10:00:00+01:00",
        "end": "2026-11-19T11:00:00+01:00",
        "source_name": "Annas iPhone",
        "device_model": "iPhone",
    }
    r = await api.client.post("/v1/me/healthkit/samples", json={"samples": [hk]}, headers=api.anna)
    assert r.status_code == 200 and r.json()["stored"] == 1
    assert await daily(api, "steps") == {"2026-11-19": 3000.0}
    assert await link(api, api.anna) == "connected"
    api.clock.advance(minutes=2)
    await drain(cloud(api))
    assert await daily(api, "steps") == {"2026-11-19": 9000.0}


async def test_polar_daily_poll_when_pushes_go_quiet(api: Api, polar: FakePolar) -> None:
    assert await link(api, api.anna) == "connected"
    await drain(cloud(api))
    # a day uploaded with no push reaching us (the webhook was deactivated, say)
    api.clock.advance(hours=25)  # 2026-11-21 10:00Z
    polar.user(475).days.append(
        ActivityDay(
            "2026-11-21", "2026-11-20T23:00:00", "2026-11-21T22:59:59", 1500, now_s(api) - 60
        )
    )
    report = await drain(cloud(api))
    assert (report.polls_queued, report.pulled, report.stored) == (1, 1, 1)
    assert await daily(api, "steps") == {"2026-11-21": 1500.0}
