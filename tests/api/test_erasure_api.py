"""DELETE /v1/me/sources/{key} and DELETE /v1/me/wearables: the days re-rolled, worked
out by hand, and the same data sent again stored again (issue 14, ADR 0023)."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import pytest

import app.services.erasure as erasure_service
from tests.api.test_gateway_api import BP as BP_HEX
from tests.api.test_gateway_api import HR, _pair, _token, reading
from tests.api.test_healthconnect_sync import WATCH as HC_WATCH
from tests.api.test_healthconnect_sync import post as hc_post
from tests.api.test_healthconnect_sync import steps as hc_steps
from tests.api.test_healthconnect_sync import sums
from tests.api.test_inbox_api import BP, bp_days, inbox, share
from tests.api.test_proxy_api import for_anna, grant
from tests.conftest import Api

SYNC = "/v1/me/healthkit/samples"
WATCH = {
    "source_name": "Annas Apple Watch",
    "bundle_id": "com.apple.health.W",
    "device_model": "Watch",
}
PHONE = {"source_name": "Annas iPhone", "bundle_id": "com.apple.health.P", "device_model": "iPhone"}
STEPS = {"type": "HKQuantityTypeIdentifierStepCount", "unit": "count"}
PULSE = {"type": "HKQuantityTypeIdentifierHeartRate", "unit": "count/min"}


def hk(
    uid: int, kind: dict[str, str], src: dict[str, str], start: str, end: str, value: float
) -> dict[str, Any]:
    return {
        "uuid": f"00000000-0000-4000-8000-{uid:012d}",
        **kind,
        **src,
        "value": value,
        "start": start,
        "end": end,
    }


async def _sync(api: Api, samples: list[dict[str, Any]]) -> dict[str, Any]:
    r = await api.client.post(SYNC, json={"samples": samples}, headers=api.anna)
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


async def _days(api: Api, metric: str, first: str, last: str) -> dict[str, Any]:
    r = await api.client.get(
        f"/v1/me/daily?metric={metric}&from={first}&to={last}", headers=api.anna
    )
    assert r.status_code == 200
    return {d["date"]: d.get("sum", (d.get("count"), d.get("mean"))) for d in r.json()["days"]}


# -- a source ------------------------------------------------------------------------------
MAY = [
    # 2 May: the phone counts 10:00-12:00 (1200), the watch 10:30-11:30 (900) under it
    hk(1, STEPS, PHONE, "2024-05-02T10:00:00+02:00", "2024-05-02T12:00:00+02:00", 1200),
    hk(2, STEPS, WATCH, "2024-05-02T10:30:00+02:00", "2024-05-02T11:30:00+02:00", 900),
    # 3 May: the watch alone
    hk(3, STEPS, WATCH, "2024-05-03T10:00:00+02:00", "2024-05-03T11:00:00+02:00", 500),
    # pulse on 2 May: one from each
    hk(4, PULSE, WATCH, "2024-05-02T10:00:00+02:00", "2024-05-02T10:00:00+02:00", 60),
    hk(5, PULSE, PHONE, "2024-05-02T11:00:00+02:00", "2024-05-02T11:00:00+02:00", 80),
]


async def _watch_key(api: Api) -> str:
    sources = (await api.client.get("/v1/me/sources", headers=api.anna)).json()
    return next(s["key"] for s in sources if s["kind"] == "watch")


async def test_deleting_a_source_rerolls_its_days(api: Api) -> None:
    await _sync(api, MAY)
    # the watch wins 10:30-11:30 (900); the phone keeps its other hour: 1200 x 1/2 = 600
    assert await _days(api, "steps", "2024-05-01", "2024-05-04") == {
        "2024-05-02": 1500.0,
        "2024-05-03": 500.0,
    }
    key = await _watch_key(api)
    r = await api.client.delete(f"/v1/me/sources/{key}", headers=api.anna)
    assert r.status_code == 200
    # three watch samples (two step records, one pulse), on 2 and 3 May
    assert r.json() == {"deleted_samples": 3, "days_rerolled": 2}
    # the phone, second before, now wins its whole two hours; 3 May has nothing left
    assert await _days(api, "steps", "2024-05-01", "2024-05-04") == {"2024-05-02": 1200.0}
    assert await _days(api, "heart_rate", "2024-05-01", "2024-05-04") == {"2024-05-02": (1, 80.0)}
    left = (await api.client.get("/v1/me/sources", headers=api.anna)).json()
    assert [s["kind"] for s in left] == ["phone"]
    # a second DELETE: the source is gone (404), and nothing changes
    again = await api.client.delete(f"/v1/me/sources/{key}", headers=api.anna)
    assert again.status_code == 404
    assert await _days(api, "steps", "2024-05-01", "2024-05-04") == {"2024-05-02": 1200.0}


async def test_the_same_data_synced_again_is_stored_again(api: Api) -> None:
    await _sync(api, MAY)
    key = await _watch_key(api)
    assert (await api.client.delete(f"/v1/me/sources/{key}", headers=api.anna)).status_code == 200
    again = await _sync(api, MAY)
    # the watch's UUIDs are free again; the phone's are still held
    assert [r["outcome"] for r in again["results"]] == [
        "duplicate",
        "stored",
        "stored",
        "stored",
        "duplicate",
    ]
    assert await _days(api, "steps", "2024-05-01", "2024-05-04") == {
        "2024-05-02": 1500.0,
        "2024-05-03": 500.0,
    }


async def test_unknown_or_foreign_source_is_404(api: Api) -> None:
    await _sync(api, MAY)
    key = await _watch_key(api)
    assert (await api.client.delete("/v1/me/sources/nope", headers=api.anna)).status_code == 404
    # Bent has no such source: Anna's is not his to delete
    r = await api.client.delete(f"/v1/me/sources/{key}", headers=api.bent)
    assert r.status_code == 404
    assert await _days(api, "steps", "2024-05-02", "2024-05-02") == {"2024-05-02": 1500.0}


# -- a period across the autumn change (Europe/Copenhagen, 25 October 2026) -----------------
# 25 October 2026 is 25 hours long: from 2026-10-24T22:00Z to 2026-10-25T23:00Z.
OCTOBER = [
    # 24 Oct 23:00 to 25 Oct 01:00 (+02:00): 1000 steps, half on each day; it has a part
    # in the period, so it goes whole
    hk(11, STEPS, WATCH, "2026-10-24T23:00:00+02:00", "2026-10-25T01:00:00+02:00", 1000),
    # the repeated hour 02:30 summer time to 02:30 winter time: one hour, 300 steps
    hk(12, STEPS, WATCH, "2026-10-25T02:30:00+02:00", "2026-10-25T02:30:00+01:00", 300),
    # the last half hour of the long day (22:30Z-22:50Z)
    hk(13, STEPS, WATCH, "2026-10-25T23:30:00+01:00", "2026-10-25T23:50:00+01:00", 200),
    # just after it (23:10Z on the 25th in UTC, the 26th here)
    hk(14, STEPS, WATCH, "2026-10-26T00:10:00+01:00", "2026-10-26T00:40:00+01:00", 100),
    # the day before, midday
    hk(15, STEPS, WATCH, "2026-10-24T12:00:00+02:00", "2026-10-24T12:30:00+02:00", 400),
    # pulse: 00:30 on the 25th is 22:30Z on the 24th (in); 23:30 on the 24th (out);
    # 23:30 on the 25th (in); 00:30 on the 26th is 23:30Z on the 25th (out)
    hk(16, PULSE, WATCH, "2026-10-25T00:30:00+02:00", "2026-10-25T00:30:00+02:00", 70),
    hk(17, PULSE, WATCH, "2026-10-24T23:30:00+02:00", "2026-10-24T23:30:00+02:00", 60),
    hk(18, PULSE, WATCH, "2026-10-25T23:30:00+01:00", "2026-10-25T23:30:00+01:00", 90),
    hk(19, PULSE, WATCH, "2026-10-26T00:30:00+01:00", "2026-10-26T00:30:00+01:00", 75),
]


async def test_deleting_a_period_across_the_autumn_change(api: Api) -> None:
    await _sync(api, OCTOBER)
    assert await _days(api, "steps", "2026-10-23", "2026-10-27") == {
        "2026-10-24": 900.0,  # 400 + 500
        "2026-10-25": 1000.0,  # 500 + 300 + 200
        "2026-10-26": 100.0,
    }
    url = "/v1/me/wearables?from=2026-10-25&to=2026-10-25"
    r = await api.client.delete(url, headers=api.anna)
    assert r.status_code == 200
    # steps 11, 12, 13 and pulse 16, 18; the record over midnight touched the 24th too
    assert r.json() == {"deleted_samples": 5, "days_rerolled": 2}
    assert await _days(api, "steps", "2026-10-23", "2026-10-27") == {
        "2026-10-24": 400.0,
        "2026-10-26": 100.0,
    }
    assert await _days(api, "heart_rate", "2026-10-23", "2026-10-27") == {
        "2026-10-24": (1, 60.0),
        "2026-10-26": (1, 75.0),
    }
    # again: nothing left to delete, nothing re-rolled
    again = await api.client.delete(url, headers=api.anna)
    assert again.status_code == 200
    assert again.json() == {"deleted_samples": 0, "days_rerolled": 0}
    # and a sync of the same batch stores the deleted ones again
    back = await _sync(api, OCTOBER)
    assert back["stored"] == 5 and back["duplicates"] == 4


async def test_bad_periods_are_refused(api: Api) -> None:
    await _sync(api, OCTOBER)
    reversed_ = await api.client.delete(
        "/v1/me/wearables?from=2026-10-26&to=2026-10-25", headers=api.anna
    )
    assert reversed_.status_code == 422
    missing = await api.client.delete("/v1/me/wearables?from=2026-10-25", headers=api.anna)
    assert missing.status_code == 400
    bad = await api.client.delete(
        "/v1/me/wearables?from=2026-13-01&to=2026-10-25", headers=api.anna
    )
    assert bad.status_code == 400
    # the edge of the calendar: a day's bounds past year 9999 once gave a 500
    for first, last in (("9999-12-30", "9999-12-31"), ("0001-01-01", "0001-01-02")):
        far = await api.client.delete(f"/v1/me/wearables?from={first}&to={last}", headers=api.anna)
        assert far.status_code == 422 and "between the years" in far.json()["detail"]
    # nothing was deleted by any of them
    assert len(await _days(api, "steps", "2026-10-23", "2026-10-27")) == 3


async def test_a_proxy_may_not_delete(api: Api) -> None:
    await _sync(api, MAY)
    key = await _watch_key(api)
    # Bent may see Anna's wearable data; deleting it is another matter
    await grant(api, ["wearables"])
    as_proxy = for_anna(api)
    for r in (
        await api.client.delete(f"/v1/me/sources/{key}", headers=as_proxy),
        await api.client.delete("/v1/me/wearables?from=2024-05-02&to=2024-05-02", headers=as_proxy),
        await api.client.delete("/v1/me", headers=as_proxy),
    ):
        assert r.status_code == 403 and r.json()["type"].endswith("/proxy-scope")
    assert await _days(api, "steps", "2024-05-02", "2024-05-03") == {
        "2024-05-02": 1500.0,
        "2024-05-03": 500.0,
    }


# -- the other roads start clean too ------------------------------------------------------
async def test_a_gateway_source_deleted_then_uploaded_again(api: Api) -> None:
    headers = await _token(api, await _pair(api))
    batch = {"readings": [reading("r1", BP_HEX), reading("r2", HR, uuid="2A37")]}
    first = await api.client.post("/v1/gateway/readings", json=batch, headers=headers)
    assert [x["outcome"] for x in first.json()["results"]] == ["accepted", "accepted"]
    sources = (await api.client.get("/v1/me/sources", headers=api.anna)).json()
    assert len(sources) == 1
    r = await api.client.delete(f"/v1/me/sources/{sources[0]['key']}", headers=api.anna)
    # systolic, diastolic and pulse from the cuff, and the pulse of the second reading;
    # all on 15 March
    assert r.json() == {"deleted_samples": 4, "days_rerolled": 1}
    assert await _days(api, "heart_rate", "2024-03-15", "2024-03-15") == {}
    # the readings log forgot the reading ids: the same batch is accepted again
    again = await api.client.post("/v1/gateway/readings", json=batch, headers=headers)
    assert [x["outcome"] for x in again.json()["results"]] == ["accepted", "accepted"]
    assert await _days(api, "heart_rate", "2024-03-15", "2024-03-15") == {
        "2024-03-15": (2, 72.5)  # 60 from the cuff, 85 alone
    }


async def test_a_health_connect_source_deleted_then_synced_again(api: Api) -> None:
    ida = await api.citizen("erase-ida")
    watch = hc_steps("2026-05-02T08:00:00Z", "2026-05-02T09:00:00Z", 3000, device=HC_WATCH)
    phone = hc_steps("2026-05-02T08:30:00Z", "2026-05-02T09:30:00Z", 1200)
    gone = hc_steps("2026-05-03T08:00:00Z", "2026-05-03T09:00:00Z", 10, device=HC_WATCH)
    await hc_post(api, ida, records=[watch, phone, gone])
    # a record deleted on the phone leaves a tombstone
    await hc_post(api, ida, records=[], deleted=[gone["metadata"]["id"]])
    # watch 10:00-11:00 local (3000) over the phone's first half hour; phone 600 after it
    assert await sums(api, ida, "2026-05-02", "2026-05-03") == {"2026-05-02": 3600.0}
    sources = (await api.client.get("/v1/me/sources", headers=ida)).json()
    key = next(s["key"] for s in sources if s["kind"] == "watch")
    r = await api.client.delete(f"/v1/me/sources/{key}", headers=ida)
    assert r.json() == {"deleted_samples": 1, "days_rerolled": 1}
    assert await sums(api, ida, "2026-05-02", "2026-05-03") == {"2026-05-02": 1200.0}
    # the watch's record is stored again; the phone's is held still; the record deleted
    # on the phone stays deleted (its tombstone is no data of the source)
    got = await hc_post(api, ida, records=[watch, phone, gone])
    assert [x["outcome"] for x in got["results"]] == ["stored", "duplicate", "duplicate"]
    assert await sums(api, ida, "2026-05-02", "2026-05-03") == {"2026-05-02": 3600.0}


# -- summaries and the inbox follow; a failure changes nothing ---------------------------
async def test_the_inbox_and_summary_follow_a_deleted_source(api: Api) -> None:
    await share(api, BP)
    await bp_days(api, 150, 88)  # ten days from the watch: a yellow finding
    assert [(i["code"], i["severity"]) for i in await inbox(api)] == [("bp_mean_high", "yellow")]
    anna = api.demo.citizens[0].id
    summary = f"/v1/clinician/citizens/{anna}/summary"
    before = (await api.client.get(summary, headers=api.gp)).json()
    systolic = next(m for m in before["metrics"] if m["metric"] == "blood_pressure_systolic")
    assert systolic["mean"] == 150 and systolic["completeness"]["days_with_data"] == 10
    key = await _watch_key(api)
    r = await api.client.delete(f"/v1/me/sources/{key}", headers=api.anna)
    assert r.json() == {"deleted_samples": 20, "days_rerolled": 10}
    # nothing measured any more: the finding clears, and "missing data" is back
    assert sorted(i["code"] for i in await inbox(api)) == ["data_missing", "data_missing"]
    everything = await inbox(api, status="all")
    assert ("bp_mean_high", "cleared") in [(i["code"], i["status"]) for i in everything]
    after = (await api.client.get(summary, headers=api.gp)).json()
    systolic = next(m for m in after["metrics"] if m["metric"] == "blood_pressure_systolic")
    assert systolic["completeness"]["days_with_data"] == 0 and systolic["days"] == []


async def test_a_deletion_that_fails_halfway_changes_nothing(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    await _sync(api, MAY)
    key = await _watch_key(api)

    async def broken(*_: object, **__: object) -> int:
        raise RuntimeError("the inbox is unavailable")

    monkeypatch.setattr(erasure_service, "refresh_measurements", broken)
    await share(api, ["steps"])  # so the inbox is refreshed at all
    r = await api.client.delete(f"/v1/me/sources/{key}", headers=api.anna)
    assert r.status_code == 500
    assert await _watch_key(api) == key
    assert await _days(api, "steps", "2024-05-01", "2024-05-04") == {
        "2024-05-02": 1500.0,
        "2024-05-03": 500.0,
    }
    period = await api.client.delete(
        "/v1/me/wearables?from=2024-05-02&to=2024-05-03", headers=api.anna
    )
    assert period.status_code == 500
    assert await _days(api, "heart_rate", "2024-05-01", "2024-05-04") == {"2024-05-02": (2, 70.0)}


async def test_a_key_with_a_slash_question_mark_and_hash(api: Api) -> None:
    # an Apple source key holds the device's name, which the citizen may have typed
    odd = {"source_name": "Anna/s iPhone #2?", "bundle_id": "com.apple.X", "device_model": "iPhone"}
    await _sync(
        api, [hk(31, STEPS, odd, "2024-05-02T10:00:00+02:00", "2024-05-02T11:00:00+02:00", 10)]
    )
    key = (await api.client.get("/v1/me/sources", headers=api.anna)).json()[0]["key"]
    assert "/" in key and "?" in key and "#" in key
    r = await api.client.delete(f"/v1/me/sources/{quote(key, safe='')}", headers=api.anna)
    assert r.status_code == 200 and r.json() == {"deleted_samples": 1, "days_rerolled": 1}
    assert (await api.client.get("/v1/me/sources", headers=api.anna)).json() == []
