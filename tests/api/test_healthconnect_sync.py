"""POST /v1/me/healthconnect/records over HTTP on both engines, with figures worked by hand.

Days are Europe/Copenhagen days (§4). Unless a test says otherwise the records lie on
Saturday 2 May 2026 (CEST, +02:00), so 10:00 local is 08:00Z.
"""

from __future__ import annotations

import itertools
from typing import Any

import pytest

from tests.api.test_proxy_api import for_anna, grant
from tests.conftest import Api

URL = "/v1/me/healthconnect/records"
VALIDATION = "https://minlaege.dk/problems/validation"
TOO_LARGE = "https://minlaege.dk/problems/too-large"

SAMSUNG = "com.sec.android.app.shealth"
GOOGLE_FIT = "com.google.android.apps.fitness"
WATCH = {"type": 1, "manufacturer": "Samsung", "model": "Galaxy Watch6"}
PHONE = {"type": 2, "manufacturer": "samsung", "model": "SM-S911B"}
V1 = "2026-05-02T12:00:00Z"
V2 = "2026-05-02T13:00:00Z"

_ids = itertools.count(1)


def rec(kind: str, *, rid: str | None = None, modified: str = V1, **fields: Any) -> dict[str, Any]:
    """A record as react-native-health-connect reads it (times in UTC, as Instant prints)."""
    origin = fields.pop("origin", SAMSUNG)
    device = fields.pop("device", PHONE)
    return {
        "recordType": kind,
        **fields,
        "metadata": {
            "id": rid or f"00000000-0000-4000-8000-{next(_ids):012d}",
            "dataOrigin": origin,
            "lastModifiedTime": modified,
            "clientRecordId": None,
            "clientRecordVersion": 0,
            "device": device,
            "recordingMethod": 0,
        },
    }


def steps(start: str, end: str, count: float, **kw: Any) -> dict[str, Any]:
    return rec(
        "Steps",
        startTime=start,
        endTime=end,
        startZoneOffset={"id": "+02:00", "totalSeconds": 7200},
        endZoneOffset={"id": "+02:00", "totalSeconds": 7200},
        count=count,
        **kw,
    )


async def post(api: Api, headers: dict[str, str], **body: Any) -> dict[str, Any]:
    r = await api.client.post(URL, json=body, headers=headers)
    assert r.status_code == 200, r.text
    return r.json()  # type: ignore[no-any-return]


async def daily(api: Api, headers: dict[str, str], metric: str, first: str, last: str) -> Any:
    r = await api.client.get(
        f"/v1/me/daily?metric={metric}&from={first}&to={last}", headers=headers
    )
    assert r.status_code == 200, r.text
    return r.json()["days"]


async def sums(api: Api, headers: dict[str, str], first: str, last: str) -> dict[str, float]:
    return {d["date"]: d["sum"] for d in await daily(api, headers, "steps", first, last)}


@pytest.fixture
async def ida(api: Api) -> dict[str, str]:
    """A citizen with no data yet."""
    return await api.citizen("hc-ida")


async def test_watch_and_phone_steps_overlapping(api: Api, ida: dict[str, str]) -> None:
    # Watch 10:00-11:00 local, 3000 steps; phone 10:30-11:30, 1200 steps.
    # The watch wins 10:00-11:00 (3000). The phone counts only 11:00-11:30, half its
    # hour: 1200 x 30/60 = 600. Day: 3600.
    watch = steps("2026-05-02T08:00:00Z", "2026-05-02T09:00:00Z", 3000, device=WATCH)
    phone = steps("2026-05-02T08:30:00Z", "2026-05-02T09:30:00Z", 1200)
    got = await post(api, ida, records=[watch, phone])
    assert (got["stored"], got["duplicates"], got["rejected"]) == (2, 0, 0)
    assert await sums(api, ida, "2026-05-02", "2026-05-02") == {"2026-05-02": 3600.0}
    sources = (await api.client.get("/v1/me/sources", headers=ida)).json()
    assert [(s["name"], s["kind"]) for s in sources] == [
        ("Samsung Health · Samsung Galaxy Watch6", "watch"),
        ("Samsung Health · samsung SM-S911B", "phone"),
    ]


async def test_two_phone_apps_overlapping_and_the_citizens_order(
    api: Api, ida: dict[str, str]
) -> None:
    # Google Fit 09:00-10:00 local, 1000 steps; Samsung Health 09:30-10:30, 800 steps,
    # both on the phone. Same kind, so the name decides: "Google Fit · …" before
    # "Samsung Health · …". Google Fit 1000 + Samsung's 10:00-10:30: 800 x 30/60 = 400.
    fit = steps("2026-05-02T07:00:00Z", "2026-05-02T08:00:00Z", 1000, origin=GOOGLE_FIT)
    shealth = steps("2026-05-02T07:30:00Z", "2026-05-02T08:30:00Z", 800)
    await post(api, ida, records=[fit, shealth])
    assert await sums(api, ida, "2026-05-02", "2026-05-02") == {"2026-05-02": 1400.0}
    # The citizen puts Samsung Health first: 800 + Google Fit's 09:00-09:30: 500.
    sources = (await api.client.get("/v1/me/sources", headers=ida)).json()
    samsung = next(s["key"] for s in sources if s["name"].startswith("Samsung"))
    r = await api.client.put("/v1/me/sources", json={"order": [samsung]}, headers=ida)
    assert r.status_code == 200, r.text
    assert await sums(api, ida, "2026-05-02", "2026-05-02") == {"2026-05-02": 1300.0}


async def test_a_record_over_midnight_is_split_by_time(api: Api, ida: dict[str, str]) -> None:
    # 23:00 on 2 May to 01:00 on 3 May local, 1200 steps: an hour, 600, on each day.
    await post(api, ida, records=[steps("2026-05-02T21:00:00Z", "2026-05-02T23:00:00Z", 1200)])
    assert await sums(api, ida, "2026-05-01", "2026-05-04") == {
        "2026-05-02": 600.0,
        "2026-05-03": 600.0,
    }


async def test_spring_and_autumn_dst_days(api: Api, ida: dict[str, str]) -> None:
    # Spring, Sunday 29 March 2026: 23 hours, 23:00Z on the 28th to 22:00Z on the 29th.
    #   A 22:00Z-00:00Z (23:00 CET-01:00 CET): 600 on the 28th, 600 on the 29th.
    #   B 21:00Z-23:00Z on the 29th (23:00 CEST-01:00): 600 on the 29th, 600 on the 30th.
    # Autumn, Sunday 25 October 2026: 25 hours, 22:00Z on the 24th to 23:00Z on the 25th.
    #   C 21:00Z-23:00Z on the 24th (23:00 CEST-01:00): 600 on the 24th, 600 on the 25th.
    #   D 22:00Z on the 25th-00:00Z (23:00 CET-01:00): 600 on the 25th, 600 on the 26th.
    records = [
        steps("2026-03-28T22:00:00Z", "2026-03-29T00:00:00Z", 1200),
        steps("2026-03-29T21:00:00Z", "2026-03-29T23:00:00Z", 1200),
        steps("2026-10-24T21:00:00Z", "2026-10-24T23:00:00Z", 1200),
        steps("2026-10-25T22:00:00Z", "2026-10-26T00:00:00Z", 1200),
        # 02:30 local twice on the 25th: 00:30Z (CEST) and 01:30Z (CET), one day
        rec("HeartRate", startTime="2026-10-25T00:30:00Z", endTime="2026-10-25T01:30:00Z",
            samples=[{"time": "2026-10-25T00:30:00Z", "beatsPerMinute": 50},
                     {"time": "2026-10-25T01:30:00Z", "beatsPerMinute": 54}]),
    ]  # fmt: skip
    got = await post(api, ida, records=records)
    assert got["stored"] == 5
    assert await sums(api, ida, "2026-03-27", "2026-03-31") == {
        "2026-03-28": 600.0,
        "2026-03-29": 1200.0,
        "2026-03-30": 600.0,
    }
    assert await sums(api, ida, "2026-10-23", "2026-10-27") == {
        "2026-10-24": 600.0,
        "2026-10-25": 1200.0,
        "2026-10-26": 600.0,
    }
    assert await daily(api, ida, "heart_rate", "2026-10-24", "2026-10-26") == [
        {"date": "2026-10-25", "count": 2, "min": 50.0, "max": 54.0, "mean": 52.0}
    ]


async def test_a_heart_rate_series_across_midnight(api: Api, ida: dict[str, str]) -> None:
    # 23:50-00:10 local; samples at 23:55 (60), 23:59 (70), 00:01 (80), 00:05 (90).
    series = rec(
        "HeartRate",
        startTime="2026-05-02T21:50:00Z",
        endTime="2026-05-02T22:10:00Z",
        device=WATCH,
        samples=[
            {"time": "2026-05-02T21:55:00Z", "beatsPerMinute": 60},
            {"time": "2026-05-02T21:59:00Z", "beatsPerMinute": 70},
            {"time": "2026-05-02T22:01:00Z", "beatsPerMinute": 80},
            {"time": "2026-05-02T22:05:00Z", "beatsPerMinute": 90},
        ],
    )
    got = await post(api, ida, records=[series])
    assert got["results"] == [{"id": series["metadata"]["id"], "outcome": "stored"}]
    assert await daily(api, ida, "heart_rate", "2026-05-01", "2026-05-04") == [
        {"date": "2026-05-02", "count": 2, "min": 60.0, "max": 70.0, "mean": 65.0},
        {"date": "2026-05-03", "count": 2, "min": 80.0, "max": 90.0, "mean": 85.0},
    ]


async def test_blood_pressure_and_weight(api: Api, ida: dict[str, str]) -> None:
    scale = {"type": 3, "manufacturer": "Withings", "model": "Body+"}
    bp = rec(
        "BloodPressure",
        time="2026-05-02T06:30:00Z",
        systolic={"inMillimetersOfMercury": 128},
        diastolic={"inMillimetersOfMercury": 84},
        bodyPosition=0,
        measurementLocation=0,
        origin="com.withings.wiscale2",
        device={"type": 0, "manufacturer": "Withings", "model": "BPM Connect"},
    )
    read = rec(
        "Weight",
        time="2026-05-02T06:00:00Z",
        weight={"inKilograms": 72.5, "inPounds": 159.835, "inGrams": 72500},
        origin="com.withings.wiscale2",
        device=scale,
    )
    # as a client writes it: 160 lb = 160 x 0.45359237 = 72.5747792 kg
    written = rec(
        "Weight",
        time="2026-05-02T18:00:00Z",
        weight={"value": 160, "unit": "pounds"},
        origin="com.withings.wiscale2",
        device=scale,
    )
    got = await post(api, ida, records=[bp, read, written])
    assert got["stored"] == 3
    assert await daily(api, ida, "blood_pressure_systolic", "2026-05-02", "2026-05-02") == [
        {"date": "2026-05-02", "count": 1, "min": 128.0, "max": 128.0, "mean": 128.0}
    ]
    assert await daily(api, ida, "blood_pressure_diastolic", "2026-05-02", "2026-05-02") == [
        {"date": "2026-05-02", "count": 1, "min": 84.0, "max": 84.0, "mean": 84.0}
    ]
    # mean (72.5 + 72.5747792) / 2 = 72.5373896, to three decimals 72.537
    [day] = await daily(api, ida, "body_mass", "2026-05-02", "2026-05-02")
    assert day == {
        "date": "2026-05-02",
        "count": 2,
        "min": 72.5,
        "max": pytest.approx(72.5747792),
        "mean": 72.537,
    }


async def test_an_upsert_by_last_modified_time(api: Api, ida: dict[str, str]) -> None:
    rid = "upsert-1"
    first = steps("2026-05-02T08:00:00Z", "2026-05-02T09:00:00Z", 1000, rid=rid, modified=V1)
    assert (await post(api, ida, records=[first]))["stored"] == 1
    # later: replaces, and the day follows
    later = steps("2026-05-02T08:00:00Z", "2026-05-02T09:00:00Z", 1500, rid=rid, modified=V2)
    assert (await post(api, ida, records=[later]))["results"] == [{"id": rid, "outcome": "stored"}]
    assert await sums(api, ida, "2026-05-02", "2026-05-03") == {"2026-05-02": 1500.0}
    # the same version with other values, and an older one: duplicates, nothing changes
    same = steps("2026-05-02T08:00:00Z", "2026-05-02T09:00:00Z", 2000, rid=rid, modified=V2)
    older = steps("2026-05-02T08:00:00Z", "2026-05-02T09:00:00Z", 900, rid=rid, modified=V1)
    got = await post(api, ida, records=[same, older])
    assert [r["outcome"] for r in got["results"]] == ["duplicate", "duplicate"]
    assert await sums(api, ida, "2026-05-02", "2026-05-03") == {"2026-05-02": 1500.0}
    # a later version on another day: both days re-rolled, 2 May is empty now
    moved = steps(
        "2026-05-03T08:00:00Z",
        "2026-05-03T09:00:00Z",
        700,
        rid=rid,
        modified="2026-05-04T00:00:00Z",
    )
    assert (await post(api, ida, records=[moved]))["stored"] == 1
    assert await sums(api, ida, "2026-05-02", "2026-05-03") == {"2026-05-03": 700.0}
    # two versions of one id in one batch: the later wins, whatever the order
    v5 = steps(
        "2026-05-03T08:00:00Z",
        "2026-05-03T09:00:00Z",
        500,
        rid=rid,
        modified="2026-05-06T00:00:00Z",
    )
    v4 = steps("2026-05-03T08:00:00Z", "2026-05-03T09:00:00Z", 400, rid=rid, modified="2026-05-05T00:00:00Z")  # fmt: skip
    got = await post(api, ida, records=[v5, v4])
    assert [r["outcome"] for r in got["results"]] == ["stored", "duplicate"]
    assert await sums(api, ida, "2026-05-02", "2026-05-03") == {"2026-05-03": 500.0}


async def test_a_version_that_repeats_a_sample_keeps_it(api: Api, ida: dict[str, str]) -> None:
    # A later version of a heart-rate series keeps one sample and changes the other.
    def series(modified: str, second: float) -> dict[str, Any]:
        return rec(
            "HeartRate",
            rid="hr-1",
            modified=modified,
            startTime="2026-05-02T08:00:00Z",
            endTime="2026-05-02T08:10:00Z",
            samples=[
                {"time": "2026-05-02T08:00:00Z", "beatsPerMinute": 60},
                {"time": "2026-05-02T08:05:00Z", "beatsPerMinute": second},
            ],
        )

    await post(api, ida, records=[series(V1, 70)])
    await post(api, ida, records=[series(V2, 80)])
    assert await daily(api, ida, "heart_rate", "2026-05-02", "2026-05-02") == [
        {"date": "2026-05-02", "count": 2, "min": 60.0, "max": 80.0, "mean": 70.0}
    ]


async def test_a_deletion(api: Api, ida: dict[str, str]) -> None:
    a = steps("2026-05-02T08:00:00Z", "2026-05-02T09:00:00Z", 1000)
    b = steps("2026-05-03T08:00:00Z", "2026-05-03T08:10:00Z", 100)
    await post(api, ida, records=[a, b])
    assert await sums(api, ida, "2026-05-02", "2026-05-03") == {
        "2026-05-02": 1000.0,
        "2026-05-03": 100.0,
    }
    a_id = a["metadata"]["id"]
    got = await post(api, ida, deleted=[a_id, "never-sent"])
    assert got["deleted"] == [a_id]
    assert await sums(api, ida, "2026-05-02", "2026-05-03") == {"2026-05-03": 100.0}
    # again: nothing left to delete
    assert (await post(api, ida, deleted=[a_id]))["deleted"] == []
    # the batch that brought A, sent again after the deletion, does not bring it back
    again = await post(api, ida, records=[a, b])
    assert [r["outcome"] for r in again["results"]] == ["duplicate", "duplicate"]
    assert await sums(api, ida, "2026-05-02", "2026-05-03") == {"2026-05-03": 100.0}
    # an id deleted before it arrived (pages out of order) stays deleted
    late = steps("2026-05-04T08:00:00Z", "2026-05-04T09:00:00Z", 50, rid="never-sent")
    assert (await post(api, ida, records=[late]))["results"][0]["outcome"] == "duplicate"
    # a record stored and deleted in the same batch: stored, then gone
    c = steps("2026-05-05T08:00:00Z", "2026-05-05T09:00:00Z", 70)
    got = await post(api, ida, records=[c], deleted=[c["metadata"]["id"]])
    assert (got["stored"], got["deleted"]) == (1, [c["metadata"]["id"]])
    assert await sums(api, ida, "2026-05-02", "2026-05-06") == {"2026-05-03": 100.0}


async def test_two_records_with_the_same_sample_share_it(api: Api, ida: dict[str, str]) -> None:
    # An app re-writes a record under a new id and deletes the old one: the sample (§4:
    # same metric, source, start, end, value) is stored once and survives the deletion.
    old = steps("2026-05-02T08:00:00Z", "2026-05-02T09:00:00Z", 1000)
    new = steps("2026-05-02T08:00:00Z", "2026-05-02T09:00:00Z", 1000)
    await post(api, ida, records=[old, new])
    assert await sums(api, ida, "2026-05-02", "2026-05-02") == {"2026-05-02": 1000.0}
    await post(api, ida, deleted=[old["metadata"]["id"]])
    assert await sums(api, ida, "2026-05-02", "2026-05-02") == {"2026-05-02": 1000.0}
    await post(api, ida, deleted=[new["metadata"]["id"]])
    assert await sums(api, ida, "2026-05-02", "2026-05-02") == {}


async def test_a_replayed_batch(api: Api, ida: dict[str, str]) -> None:
    batch = [
        steps("2026-05-02T08:00:00Z", "2026-05-02T09:00:00Z", 1000, device=WATCH),
        rec("HeartRate", startTime="2026-05-02T08:00:00Z", endTime="2026-05-02T08:01:00Z",
            samples=[{"time": "2026-05-02T08:00:30Z", "beatsPerMinute": 72}]),
        rec("SleepSession", startTime="2026-05-01T21:00:00Z", endTime="2026-05-02T05:00:00Z",
            stages=[{"startTime": "2026-05-01T21:00:00Z", "endTime": "2026-05-02T01:00:00Z",
                     "stage": 4},
                    {"startTime": "2026-05-02T01:00:00Z", "endTime": "2026-05-02T05:00:00Z",
                     "stage": 5}]),
        rec("Weight", time="2026-05-02T06:00:00Z", weight={"inKilograms": 80}),
        rec("Weight", time="2026-05-02T06:00:00Z", weight={"inKilograms": 900}),
    ]  # fmt: skip
    first = await post(api, ida, records=batch, deleted=["gone-1"])
    assert (first["stored"], first["duplicates"], first["rejected"]) == (4, 0, 1)
    before = [
        await daily(api, ida, m, "2026-05-01", "2026-05-03")
        for m in ("steps", "heart_rate", "sleep", "body_mass")
    ]
    assert before[2] and before[0] == [{"date": "2026-05-02", "sum": 1000.0}]
    again = await post(api, ida, records=batch, deleted=["gone-1"])
    assert (again["stored"], again["duplicates"], again["rejected"]) == (0, 4, 1)
    assert again["deleted"] == []
    after = [
        await daily(api, ida, m, "2026-05-01", "2026-05-03")
        for m in ("steps", "heart_rate", "sleep", "body_mass")
    ]
    assert after == before
    ida_id = await _ida_id(api)
    async with api.runtime.store.read() as uow:
        rows = await uow.samples.between(ida_id, "sleep", 0, 2**62)
    assert [(r[4], r[2]) for r in rows] == [("core", 240.0), ("deep", 240.0)]


async def _ida_id(api: Api) -> str:
    async with api.runtime.store.read() as uow:
        citizen = await uow.citizens.by_subject("hc-ida")
    assert citizen is not None
    return citizen.id


async def test_rejections_by_reason(api: Api, ida: dict[str, str]) -> None:
    t = {"time": "2026-05-02T06:00:00Z"}
    records = [
        rec("Nutrition", rid="r-type", **t, energy={"inKilocalories": 500}),
        rec("HeartRateVariabilityRmssd", rid="r-rmssd", **t, heartRateVariabilityMillis=42),
        rec("Weight", rid="r-unit", **t, weight={"value": 11, "unit": "stones"}),
        rec("Weight", rid="r-nounit", **t, weight={"inStones": 11}),
        rec("BloodPressure", rid="r-bp", **t, systolic={"inMillimetersOfMercury": 400},
            diastolic={"inMillimetersOfMercury": 80}),
        rec("HeartRate", rid="r-hr", startTime="2026-05-02T06:00:00Z",
            endTime="2026-05-02T06:02:00Z",
            samples=[{"time": "2026-05-02T06:00:00Z", "beatsPerMinute": 70},
                     {"time": "2026-05-02T06:01:00Z", "beatsPerMinute": 300}]),
        steps("2026-05-02T09:00:00Z", "2026-05-02T08:00:00Z", 10, rid="r-backwards"),
        steps("2026-05-01T00:00:00Z", "2026-05-04T00:00:00Z", 10, rid="r-long"),
        steps("2026-11-20T09:00:00Z", "2026-11-20T09:10:00Z", 10, rid="r-future"),
        rec("Steps", rid="r-nocount", startTime="2026-05-02T08:00:00Z",
            endTime="2026-05-02T09:00:00Z"),
        rec("OxygenSaturation", rid="r-naive", time="2026-05-02T06:00:00", percentage=97),
        {"recordType": "Steps", "count": 5},
        rec("SleepSession", rid="r-stage", startTime="2026-05-01T21:00:00Z",
            endTime="2026-05-02T05:00:00Z",
            stages=[{"startTime": "2026-05-01T21:00:00Z", "endTime": "2026-05-02T05:00:00Z",
                     "stage": 42}]),
        rec("OxygenSaturation", rid="r-ok", time="2026-05-02T06:00:00+02:00", percentage=97),
    ]  # fmt: skip
    got = await post(api, ida, records=records)
    assert [(r["id"], r["outcome"], r.get("reason")) for r in got["results"]] == [
        ("r-type", "rejected", "unknown_type"),
        ("r-rmssd", "stored", None),
        ("r-unit", "rejected", "unknown_unit"),
        ("r-nounit", "rejected", "unknown_unit"),
        ("r-bp", "rejected", "implausible_value"),
        ("r-hr", "rejected", "implausible_value"),
        ("r-backwards", "rejected", "bad_interval"),
        ("r-long", "rejected", "bad_interval"),
        ("r-future", "rejected", "future_time"),
        ("r-nocount", "rejected", "malformed"),
        ("r-naive", "rejected", "malformed"),
        ("", "rejected", "malformed"),
        ("r-stage", "rejected", "malformed"),
        ("r-ok", "stored", None),
    ]
    assert (got["stored"], got["rejected"]) == (2, 12)
    assert "count" in got["results"][9]["detail"]
    # RMSSD has its own metric, never mixed with SDNN
    assert await daily(api, ida, "hrv_rmssd", "2026-05-02", "2026-05-02") == [
        {"date": "2026-05-02", "count": 1, "min": 42.0, "max": 42.0, "mean": 42.0}
    ]
    assert await daily(api, ida, "hrv_sdnn", "2026-05-02", "2026-05-02") == []
    # the good one is there; 06:00+02:00 is 04:00Z, still 2 May
    assert await daily(api, ida, "spo2", "2026-05-02", "2026-05-02") == [
        {"date": "2026-05-02", "count": 1, "min": 97.0, "max": 97.0, "mean": 97.0}
    ]
    assert await daily(api, ida, "heart_rate", "2026-05-02", "2026-05-02") == []


async def test_the_same_walk_from_healthkit_and_health_connect_counts_once(
    api: Api, ida: dict[str, str]
) -> None:
    # The iPhone writes 1000 steps to HealthKit for 10:00-11:00; a second phone writes
    # 1100 to Health Connect for the same hour. Both are phones, so the name decides:
    # "Google Fit · Google Pixel 8" sorts before "Idas iPhone". 1100, not 2100.
    hk = {
        "uuid": "9F1C6C2E-8F0B-4E5A-9B7E-1D2C3B4A5F60",
        "type": "HKQuantityTypeIdentifierStepCount",
        "unit": "count",
        "value": 1000,
        "start": "2026-05-02T10:00:00+02:00",
        "end": "2026-05-02T11:00:00+02:00",
        "source_name": "Idas iPhone",
        "device_model": "iPhone",
    }
    r = await api.client.post("/v1/me/healthkit/samples", json={"samples": [hk]}, headers=ida)
    assert r.status_code == 200 and r.json()["stored"] == 1
    pixel = {"type": 2, "manufacturer": "Google", "model": "Pixel 8"}
    hc = steps(
        "2026-05-02T08:00:00Z", "2026-05-02T09:00:00Z", 1100, origin=GOOGLE_FIT, device=pixel
    )
    await post(api, ida, records=[hc])
    assert await sums(api, ida, "2026-05-02", "2026-05-02") == {"2026-05-02": 1100.0}
    # The citizen's order applies across roads: the iPhone first.
    sources = (await api.client.get("/v1/me/sources", headers=ida)).json()
    iphone = next(s["key"] for s in sources if s["key"].startswith("apple:"))
    r = await api.client.put("/v1/me/sources", json={"order": [iphone]}, headers=ida)
    assert r.status_code == 200, r.text
    assert await sums(api, ida, "2026-05-02", "2026-05-02") == {"2026-05-02": 1000.0}


async def test_batches_too_large_and_malformed(api: Api, ida: dict[str, str]) -> None:
    one = steps("2026-05-02T08:00:00Z", "2026-05-02T09:00:00Z", 10)
    r = await api.client.post(URL, json={"records": [one] * 5001}, headers=ida)
    assert (r.status_code, r.json()["type"]) == (413, TOO_LARGE)
    r = await api.client.post(URL, json={"deleted": ["x"] * 5001}, headers=ida)
    assert (r.status_code, r.json()["type"]) == (413, TOO_LARGE)
    body = b'{"deleted": ["' + b"x" * (16 * 1024 * 1024) + b'"]}'
    r = await api.client.post(URL, content=body, headers=ida | {"content-type": "application/json"})
    assert (r.status_code, r.json()["type"]) == (413, TOO_LARGE)
    r = await api.client.post(URL, json={"records": [], "colour": "red"}, headers=ida)
    assert (r.status_code, r.json()["type"]) == (400, VALIDATION)
    r = await api.client.post(URL, json={"records": {"not": "a list"}}, headers=ida)
    assert (r.status_code, r.json()["type"]) == (400, VALIDATION)
    r = await api.client.post(
        URL, content=b"{not json", headers=ida | {"content-type": "application/json"}
    )
    assert (r.status_code, r.json()["type"]) == (400, VALIDATION)
    # exactly 5,000 is fine (all the same record: one stored, the rest duplicates)
    got = await post(api, ida, records=[one] * 5000)
    assert (got["stored"], got["duplicates"]) == (1, 4999)


@pytest.mark.parametrize(("scopes", "status"), [(["booking"], 403), (["wearables"], 200)])
async def test_a_proxy_needs_the_wearables_scope(api: Api, scopes: list[str], status: int) -> None:
    batch = {"records": [steps("2026-05-02T08:00:00Z", "2026-05-02T09:00:00Z", 10)]}
    await grant(api, scopes)
    r = await api.client.post(URL, json=batch, headers=for_anna(api))
    assert r.status_code == status
    if status == 403:
        assert r.json()["type"] == "https://minlaege.dk/problems/proxy-scope"
    else:
        assert r.json()["stored"] == 1


async def test_other_citizens_cannot_delete_my_records(api: Api, ida: dict[str, str]) -> None:
    mine = steps("2026-05-02T08:00:00Z", "2026-05-02T09:00:00Z", 10)
    await post(api, ida, records=[mine])
    other = await api.citizen("hc-other")
    assert (await post(api, other, deleted=[mine["metadata"]["id"]]))["deleted"] == []
    assert await sums(api, ida, "2026-05-02", "2026-05-02") == {"2026-05-02": 10.0}
