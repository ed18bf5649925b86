"""The clinic inbox's measurement items: opened, kept current and cleared as data arrive
(HealthKit sync, gateway upload, file import), never computed by reading a summary."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from tests.conftest import Api
from tests.sharing_data import TODAY, URL, days_back, sample

INBOX = "/v1/clinician/inbox"
PROBLEMS = "https://minlaege.dk/problems/"
BP = ["blood_pressure_systolic", "blood_pressure_diastolic"]


async def share(
    api: Api, metrics: list[str], who: dict[str, str] | None = None, **extra: Any
) -> str:
    r = await api.client.post(
        "/v1/me/shares", json={"metrics": metrics, **extra}, headers=who or api.anna
    )
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


async def inbox(
    api: Api, who: dict[str, str] | None = None, status: str = "open"
) -> list[dict[str, Any]]:
    r = await api.client.get(f"{INBOX}?status={status}", headers=who or api.gp)
    assert r.status_code == 200, r.text
    return r.json()["items"]  # type: ignore[no-any-return]


async def send(
    api: Api, who: dict[str, str], metric: str, days: list[Any], value: float, hour: int = 8
) -> None:
    batch = [sample(metric, d, value, hour=hour) for d in days]
    r = await api.client.post(URL, json={"samples": batch}, headers=who)
    assert r.status_code == 200 and r.json()["stored"] == len(batch), r.text


async def bp_days(
    api: Api,
    sys_: float,
    dia: float,
    n: int = 10,
    who: dict[str, str] | None = None,
    hour: int = 8,
) -> None:
    await send(api, who or api.anna, "blood_pressure_systolic", days_back(n), sys_, hour=hour)
    await send(api, who or api.anna, "blood_pressure_diastolic", days_back(n), dia, hour=hour)


async def test_healthkit_sync_opens_one_item_that_follows_its_condition(api: Api) -> None:
    await share(api, BP)
    # nothing measured yet: each shared metric is "missing data" (blue), as on the summary
    missing = await inbox(api)
    assert sorted((i["severity"], i["code"], i["title_en"]) for i in missing) == [
        ("blue", "data_missing", "Missing data: Blood pressure, diastolic"),
        ("blue", "data_missing", "Missing data: Blood pressure, systolic"),
    ]
    await bp_days(api, 150, 88)
    items = await inbox(api)
    assert len(items) == 1
    item = items[0]
    assert item["kind"] == "measurement" and item["severity"] == "yellow"
    assert item["code"] == "bp_mean_high" and item["citizen_id"] == api.demo.citizens[0].id
    assert item["citizen_name"] == "Anna Jensen" and item["status"] == "open"
    assert item["value"] == 150 and item["threshold"] == 135
    assert "150/88" in item["detail_da"] and "135/85" in item["detail_en"]
    assert item["link"] == f"/v1/clinician/citizens/{api.demo.citizens[0].id}/summary"
    assert item["period_to"] == TODAY.isoformat()
    # the same condition again: no second item
    await bp_days(api, 151, 88, n=3, hour=9)
    assert [i["id"] for i in await inbox(api)] == [item["id"]]
    # it gets worse: the same item turns red
    await bp_days(api, 230, 130, n=10, hour=10)
    worse = await inbox(api)
    assert [(i["id"], i["severity"], i["code"]) for i in worse] == [
        (item["id"], "red", "bp_mean_very_high")
    ]
    # it goes away (many normal readings pull the mean under 135/85): the item clears
    for hour in (0, 1, 2, 3, 4, 5, 6, 7):
        await send(api, api.anna, "blood_pressure_systolic", days_back(30), 110, hour=hour)
        await send(api, api.anna, "blood_pressure_diastolic", days_back(30), 70, hour=hour)
    assert await inbox(api) == []
    everything = await inbox(api, status="all")
    assert sorted((i["code"], i["status"]) for i in everything) == [
        ("bp_mean_high", "cleared"),
        ("data_missing", "cleared"),
        ("data_missing", "cleared"),
    ]


def _bp_hex(sys_: int, dia: int, day: int) -> str:
    """A 2A35 blood pressure measurement taken 2026-11-{day} 08:30 (device local time)."""
    return (
        "1E"
        + sys_.to_bytes(2, "little").hex()
        + dia.to_bytes(2, "little").hex()
        + "7800"
        + "EA07"  # 2026
        + "0B"  # November
        + f"{day:02X}"
        + "081E00"
        + "3C00"
        + "01"
        + "0000"
    ).upper()


async def test_gateway_upload_raises_an_item(api: Api) -> None:
    from tests.api.test_gateway_api import _pair, _token, reading

    await share(api, BP)
    headers = await _token(api, await _pair(api))
    readings = [reading(f"r{d}", _bp_hex(170, 104, d)) for d in range(10, 20)]
    r = await api.client.post("/v1/gateway/readings", json={"readings": readings}, headers=headers)
    assert r.status_code == 200, r.text
    items = await inbox(api)
    assert [(i["severity"], i["code"], i["value"]) for i in items] == [
        ("red", "bp_mean_very_high", 170)
    ]


async def test_file_import_raises_an_item(api: Api, tmp_path: Path) -> None:
    from tests.store.test_ingest import WATCH, export, rec

    await share(api, ["resting_heart_rate"])
    records = [
        rec(
            "RestingHeartRate",
            WATCH,
            f"2026-11-{d:02d} 07:00:00 +0100",
            f"2026-11-{d:02d} 07:00:00 +0100",
            112,
            "count/min",
        )
        for d in range(5, 20)
    ]
    body = export(tmp_path / "export.xml", *records).read_bytes()
    r = await api.client.post(
        "/v1/me/imports", content=body, headers={**api.anna, "content-type": "application/xml"}
    )
    assert r.status_code == 202, r.text
    await asyncio.gather(*list(api.runtime.jobs))
    items = await inbox(api)
    assert [(i["severity"], i["code"], i["value"]) for i in items] == [
        ("yellow", "resting_hr_high", 112)
    ]


async def test_order_and_who_sees_what(api: Api) -> None:
    bent = api.bent
    await share(api, ["resting_heart_rate"], who=bent)  # blue at once (no data yet)
    api.clock.advance(minutes=1)
    await send(api, bent, "resting_heart_rate", days_back(3), 90)
    await send(api, bent, "resting_heart_rate", days_back(3), 130, hour=7)  # mean 110: yellow
    api.clock.advance(minutes=1)
    await share(api, BP)  # two blue items, newer
    api.clock.advance(minutes=1)
    await bp_days(api, 170, 104)  # red (Anna's blues clear)
    api.clock.advance(minutes=1)
    await share(api, ["spo2"])  # blue, newest
    items = await inbox(api)
    assert [(i["severity"], i["code"], i["citizen_name"]) for i in items] == [
        ("red", "bp_mean_very_high", "Anna Jensen"),
        ("yellow", "resting_hr_high", "Bent Nielsen"),
        ("blue", "data_missing", "Anna Jensen"),
    ]
    # the whole clinic's staff see clinic-wide shares; paging follows the same order
    assert [i["id"] for i in await inbox(api, who=api.nurse)] == [i["id"] for i in items]
    first = (await api.client.get(f"{INBOX}?limit=2", headers=api.gp)).json()
    second = (
        await api.client.get(f"{INBOX}?limit=2&cursor={first['next_cursor']}", headers=api.gp)
    ).json()
    assert [i["id"] for i in first["items"] + second["items"]] == [i["id"] for i in items]
    assert second["next_cursor"] is None
    # another clinic sees nothing and cannot reach an item
    _, other = await api.other_clinic()
    assert await inbox(api, who=other) == []
    for method, path, body in (
        ("GET", f"{INBOX}/{items[0]['id']}", None),
        ("POST", f"{INBOX}/{items[0]['id']}/resolve", {"note": "x", "action": "none"}),
    ):
        r = await api.client.request(method, path, json=body, headers=other)
        assert r.status_code == 404 and r.json()["type"] == PROBLEMS + "not-found"
    # citizens and gateways have no inbox; nobody without a token
    for who in (api.anna, api.gateway):
        r = await api.client.get(INBOX, headers=who)
        assert r.status_code == 403 and r.json()["type"] == PROBLEMS + "forbidden"
    assert (await api.client.get(INBOX)).status_code == 401
    r = await api.client.get(f"{INBOX}?cursor=bogus", headers=api.gp)
    assert r.status_code == 422 and r.json()["type"] == PROBLEMS + "invalid"


async def test_a_share_with_one_gp_shows_only_to_that_gp(api: Api) -> None:
    await share(api, ["spo2"], clinician_id=api.demo.clinician.id)
    assert [i["code"] for i in await inbox(api)] == ["data_missing"]
    assert await inbox(api, who=api.nurse) == []


async def test_share_end_takes_items_out_of_the_inbox(api: Api) -> None:
    share_id = await share(api, BP)
    await bp_days(api, 150, 90)
    (item,) = await inbox(api)
    r = await api.client.post(f"/v1/me/shares/{share_id}/revoke", headers=api.anna)
    assert r.status_code == 200
    assert await inbox(api) == [] and await inbox(api, status="all") == []
    r = await api.client.get(f"{INBOX}/{item['id']}", headers=api.gp)
    assert r.status_code == 404
    # an expired share is the same: a new share with valid_days=1, a day later
    await share(api, BP, valid_days=1)
    assert [i["code"] for i in await inbox(api)] == ["bp_mean_high"]
    api.clock.advance(days=1)
    assert await inbox(api) == []


async def test_resolve_keeps_the_finding_closed_until_it_gets_worse(api: Api) -> None:
    await share(api, BP)
    await bp_days(api, 150, 90)
    (item,) = await inbox(api)
    r = await api.client.post(
        f"{INBOX}/{item['id']}/resolve",
        json={"note": "Ringet op, måler igen om en uge", "action": "call"},
        headers=api.gp,
    )
    assert r.status_code == 200, r.text
    done = r.json()
    assert done["status"] == "resolved" and done["action"] == "call"
    assert done["resolved_by_name"] == "Dr. Karen Hansen"
    assert done["note"] == "Ringet op, måler igen om en uge"
    again = await api.client.post(
        f"{INBOX}/{item['id']}/resolve", json={"note": "", "action": "none"}, headers=api.gp
    )
    assert again.status_code == 409 and again.json()["type"] == PROBLEMS + "not-open"
    bad = await api.client.post(
        f"{INBOX}/{item['id']}/resolve", json={"note": "", "action": "email"}, headers=api.gp
    )
    assert bad.status_code == 400
    # the same condition at the same severity: no new item
    await bp_days(api, 152, 90, n=5, hour=9)
    assert await inbox(api) == []
    # worse: a new, red item
    await bp_days(api, 240, 140, n=10, hour=10)
    (red,) = await inbox(api)
    assert red["severity"] == "red" and red["id"] != item["id"]
    log = (await api.client.get("/v1/me/audit-log", headers=api.anna)).json()["items"]
    mine = [e for e in log if e["action"].startswith("inbox.")]
    assert {e["action"] for e in mine} == {"inbox.read", "inbox.resolve"}
    assert all(e["actor"]["name"] == "Dr. Karen Hansen" for e in mine)
    assert any("indbakke" in e["text"] for e in mine)


async def test_book_offers_a_consultation_through_the_waitlist(api: Api) -> None:
    await share(api, BP)
    await bp_days(api, 150, 90)
    (item,) = await inbox(api)
    r = await api.client.post(
        f"{INBOX}/{item['id']}/resolve", json={"note": "", "action": "book"}, headers=api.gp
    )
    assert r.status_code == 200, r.text
    notices = (await api.client.get("/v1/me/notices", headers=api.anna)).json()["items"]
    assert notices[0]["kind"] == "waitlist.offer"
    waitlist = (await api.client.get("/v1/me/waitlist", headers=api.anna)).json()
    entries = waitlist if isinstance(waitlist, list) else waitlist["items"]
    assert [e["status"] for e in entries] == ["offered"]


async def test_worker_raises_missing_data_when_data_stop(api: Api) -> None:
    from mobile_api.worker import work_once

    await share(api, ["resting_heart_rate"])
    await send(api, api.anna, "resting_heart_rate", days_back(5), 60)
    assert await inbox(api) == []
    api.clock.advance(days=8)
    assert (await work_once(api.runtime)).inbox_changes == 1
    (blue,) = await inbox(api)
    assert blue["severity"] == "blue" and blue["code"] == "data_missing"
    assert (await work_once(api.runtime)).inbox_changes == 0  # checked: not again at once


async def test_demo_leaves_the_gp_a_yellow_blood_pressure_item(api: Api) -> None:
    from app.services.demo import seed_demo

    async with api.runtime.store.transaction() as uow:
        await seed_demo(uow, api.clock, api.runtime.vault, measurements=True)
    items = await inbox(api)
    assert [(i["severity"], i["code"], i["citizen_name"]) for i in items] == [
        ("yellow", "bp_mean_high", "Anna Jensen")
    ]


async def test_steps_drop_reads_the_previous_period(api: Api) -> None:
    # 10,000 a day for the 90 days before the period, 6,000 a day in it: -40 % -> yellow
    await send(api, api.anna, "steps", days_back(180)[:90], 10_000)
    await send(api, api.anna, "steps", days_back(90), 6_000)
    await share(api, ["steps"], data_days=365)
    (item,) = await inbox(api)
    assert (item["code"], item["severity"], item["value"]) == ("steps_drop", "yellow", -40)
