"""Withings daily steps (`getactivity`) and sleep (`getsummary`), on both engines.

The clock stands at 2026-11-20 09:00 UTC (10:00 in Copenhagen, CET = UTC+1). Days are
the citizen's local days; a day Withings counts in another time zone is spread over its
own 24 hours and so falls on two Copenhagen days. Worked by hand in each test.
"""

from __future__ import annotations

from datetime import UTC, datetime

from tests.api.test_connections import cloud, connect, drain
from tests.api.vendor_fixtures import withings, withings_settings
from tests.conftest import Api
from tests.vendor_servers import Day, FakeWithings, Night

__all__ = ["withings", "withings_settings"]  # the Withings stand-in and its settings


def utc(text: str) -> int:
    return int(datetime.fromisoformat(text).replace(tzinfo=UTC).timestamp())


async def daily(api: Api, headers: dict[str, str], metric: str) -> dict[str, float]:
    r = await api.client.get(
        f"/v1/me/daily?metric={metric}&from=2026-11-10&to=2026-11-21", headers=headers
    )
    assert r.status_code == 200, r.text
    return {d["date"]: d["sum"] for d in r.json()["days"]}


async def test_steps_by_local_day_updated_not_added(api: Api, withings: FakeWithings) -> None:
    anna = withings.user("1001")
    anna.days += [
        Day("2026-11-18", 8000),  # a whole Copenhagen day
        Day("2026-11-20", 1200),  # today: counted from midnight (23:00Z) to now (09:00Z)
    ]
    await connect(api, api.anna)
    report = await drain(cloud(api))
    assert report.stored == 2
    assert await daily(api, api.anna, "steps") == {"2026-11-18": 8000.0, "2026-11-20": 1200.0}
    sources = (await api.client.get("/v1/me/sources", headers=api.anna)).json()
    assert [s["kind"] for s in sources if s["name"] == "Withings Health Mate"] == ["phone"]

    # more steps today: a notification for appli 16 fetches the activity only
    anna.days[1] = Day("2026-11-20", 3000, modified=utc("2026-11-20T08:59:00"))
    calls = (withings.count("getmeas"), withings.count("getsummary"))
    now = utc("2026-11-20T09:00:00")
    form = {"userid": "1001", "appli": "16", "startdate": str(now - 3600), "enddate": str(now)}
    assert (await api.client.post("/v1/webhooks/withings", data=form)).status_code == 200
    report = await drain(cloud(api))
    assert report.pulled == 1 and report.stored == 0  # replaced, not added
    assert (withings.count("getmeas"), withings.count("getsummary")) == calls
    # the day holds the new figure, not 1200 + 3000
    assert await daily(api, api.anna, "steps") == {"2026-11-18": 8000.0, "2026-11-20": 3000.0}
    # the same notification again stores nothing new and changes nothing
    await api.client.post("/v1/webhooks/withings", data=form)
    report = await drain(cloud(api))
    assert (report.pulled, report.stored) == (1, 0)
    assert await daily(api, api.anna, "steps") == {"2026-11-18": 8000.0, "2026-11-20": 3000.0}


async def test_steps_counted_in_another_time_zone(api: Api, withings: FakeWithings) -> None:
    # Bent lives in Copenhagen; Withings counted 18 November in New York (EST, UTC-5):
    # 05:00Z on the 18th to 05:00Z on the 19th, i.e. 06:00 to 06:00 Copenhagen time.
    # 18 hours fall on the 18th (4,500 of 6,000 steps) and 6 on the 19th (1,500).
    withings.consenting = "2002"
    withings.user("2002").days.append(Day("2026-11-18", 6000, timezone="America/New_York"))
    await connect(api, api.bent)
    await drain(cloud(api))
    assert await daily(api, api.bent, "steps") == {"2026-11-18": 4500.0, "2026-11-19": 1500.0}


async def test_sleep_nights_by_local_day(api: Api, withings: FakeWithings) -> None:
    # In bed 22:30 on the 18th to 06:30 on the 19th, Copenhagen time (21:30Z-05:30Z):
    # 480 minutes, 420 of them asleep. The asleep minutes spread over the night: 90 of
    # its 480 minutes are before midnight, so 420 x 90/480 = 78.75 on the 18th and
    # 420 x 390/480 = 341.25 on the 19th. In-bed time is stored but not counted.
    anna = withings.user("1001")
    anna.nights.append(Night(501, utc("2026-11-18T21:30:00"), utc("2026-11-19T05:30:00"), 25_200))
    await connect(api, api.anna)
    report = await drain(cloud(api))
    assert report.stored == 2  # asleep and in bed
    assert await daily(api, api.anna, "sleep") == {"2026-11-18": 78.75, "2026-11-19": 341.25}
    sources = (await api.client.get("/v1/me/sources", headers=api.anna)).json()
    assert [s["kind"] for s in sources if s["name"] == "Withings Sleep Analyzer"] == ["device"]

    # Withings re-scores the night (6 hours asleep); appli 44 fetches sleep only
    anna.nights[0] = Night(
        501, utc("2026-11-18T21:30:00"), utc("2026-11-19T05:30:00"), 21_600, modified=1
    )
    calls = (withings.count("getmeas"), withings.count("getactivity"))
    r = await api.client.post("/v1/webhooks/withings", data={"userid": "1001", "appli": "44"})
    assert r.status_code == 200
    report = await drain(cloud(api))
    assert (report.pulled, report.stored) == (1, 0)
    assert (withings.count("getmeas"), withings.count("getactivity")) == calls
    # 360 x 90/480 = 67.5 and 360 x 390/480 = 292.5: replaced, not added
    assert await daily(api, api.anna, "sleep") == {"2026-11-18": 67.5, "2026-11-19": 292.5}
    # a replay changes nothing
    await api.client.post("/v1/webhooks/withings", data={"userid": "1001", "appli": "44"})
    assert (await drain(cloud(api))).stored == 0
    assert await daily(api, api.anna, "sleep") == {"2026-11-18": 67.5, "2026-11-19": 292.5}


async def test_withings_status_errors_in_a_200_body(api: Api, withings: FakeWithings) -> None:
    """Withings' own status inside an HTTP 200: 601 waits without counting a try,
    2555 is retried, and the window is fetched in the end."""
    withings.user("1001").days.append(Day("2026-11-19", 5000))
    await connect(api, api.anna)
    await drain(cloud(api))
    withings.fail("getactivity", (200, 601, "Too many requests"), (200, 2555, "unknown"))
    form = {"userid": "1001", "appli": "16"}
    await api.client.post("/v1/webhooks/withings", data=form)
    assert (await drain(cloud(api))).waiting == 1
    api.clock.advance(seconds=61)
    assert (await drain(cloud(api))).retrying == 1
    api.clock.advance(seconds=31)
    report = await drain(cloud(api))
    assert (report.pulled, report.stored) == (1, 0)
    assert await daily(api, api.anna, "steps") == {"2026-11-19": 5000.0}
