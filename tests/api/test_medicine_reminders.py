"""Medicine at the right time (issue 16) on both engines: DST days listed exactly, a
time-zone change, two workers, an outage without a flood, doses stored once, adherence
and its flag, the run-out notice, vaccinations and the seasonal rule, proxies, audit."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

from app.domain.ids import stable_id
from app.services.dose_sending import send_dose_reminders, send_runout_notices
from app.services.vaccinations import apply_seasonal_rules, send_vaccination_reminders
from mobile_api.worker import work_once
from tests.conftest import Api

ANNA = "demo-citizen-anna"
METFORMIN = stable_id("medication", ANNA, "Metformin")
AMLODIPIN = stable_id("medication", ANNA, "Amlodipin")
BENT_CPR = "121245-1235"


def utc(year: int, month: int, day: int, hour: int, minute: int, second: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=UTC)


async def schedule(
    api: Api,
    times: list[str],
    medication: str = METFORMIN,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> dict[str, Any]:
    r = await api.client.put(
        f"/v1/me/medications/{medication}/schedule",
        json={"times": times, "dose": "1 tablet", **extra},
        headers=headers or api.anna,
    )
    assert r.status_code == 200, r.text
    return r.json()  # type: ignore[no-any-return]


async def listed(
    api: Api, first: str, last: str | None = None, headers: dict[str, str] | None = None
) -> list[dict[str, Any]]:
    r = await api.client.get(
        "/v1/me/reminders", params={"from": first, "to": last or first}, headers=headers or api.anna
    )
    assert r.status_code == 200, r.text
    return r.json()["items"]  # type: ignore[no-any-return]


async def notices(api: Api, kind: str, headers: dict[str, str] | None = None) -> list[Any]:
    items = (await api.client.get("/v1/me/notices", headers=headers or api.anna)).json()["items"]
    return [n for n in items if n["kind"] == kind]


async def run_worker(api: Api, until: datetime, step: timedelta) -> None:
    while api.clock.now() < until:
        api.clock.advance(seconds=step.total_seconds())
        await send_dose_reminders(api.runtime.store, api.clock)


async def test_spring_and_autumn_2027_in_copenhagen(api: Api) -> None:
    api.clock.set(utc(2027, 3, 27, 22, 0))  # 23:00 local, the evening before
    await schedule(api, ["08:00", "02:30"])
    before = await listed(api, "2027-03-27")
    assert before == []  # both of the 27th's times have passed when it was made
    spring = await listed(api, "2027-03-28")
    assert [(r["kind"], r["at"], r["ref"], r["status"]) for r in spring] == [
        ("medication", "2027-03-28T03:30:00+02:00", f"medications/{METFORMIN}", "planned"),
        ("medication", "2027-03-28T08:00:00+02:00", f"medications/{METFORMIN}", "planned"),
    ]
    assert [r["at"] for r in await listed(api, "2027-03-29")] == [
        "2027-03-29T02:30:00+02:00",
        "2027-03-29T08:00:00+02:00",
    ]
    await run_worker(api, utc(2027, 3, 28, 22, 0), timedelta(minutes=10))
    after = await listed(api, "2027-03-28")
    assert [(r["id"], r["at"]) for r in after] == [(r["id"], r["at"]) for r in spring]
    assert {r["status"] for r in after} == {"sent"}
    sent = await notices(api, "medication.reminder")
    assert len(sent) == 2
    assert {n["ref"] for n in sent} == {f"reminders/{r['id']}" for r in spring}
    assert {n["title_da"] for n in sent} == {"Husk din medicin: Metformin 500 mg"}
    assert {n["body_da"][:23] for n in sent} == {
        "Tid til 1 tablet kl. 03",
        "Tid til 1 tablet kl. 08",
    }

    api.clock.set(utc(2027, 10, 30, 21, 0))  # 23:00 local
    await schedule(api, ["02:30", "08:00"])
    autumn = await listed(api, "2027-10-31")
    assert [r["at"] for r in autumn] == [
        "2027-10-31T02:30:00+02:00",  # the first of the two 02:30s
        "2027-10-31T08:00:00+01:00",
    ]
    assert [r["at"] for r in await listed(api, "2027-11-01")] == [
        "2027-11-01T02:30:00+01:00",
        "2027-11-01T08:00:00+01:00",
    ]
    await run_worker(api, utc(2027, 10, 31, 23, 0), timedelta(minutes=10))
    after = await listed(api, "2027-10-31")
    assert [(r["id"], r["status"]) for r in after] == [(r["id"], "sent") for r in autumn]
    assert len(await notices(api, "medication.reminder")) == 4


async def test_times_stay_wall_clock_times_when_the_zone_changes(api: Api) -> None:
    # 20 November 09:00 UTC = 10:00 in Copenhagen
    made = await schedule(api, ["08:00"])
    assert made["next_at"] == "2026-11-21T08:00:00+01:00"
    r = await api.client.patch("/v1/me", json={"timezone": "America/New_York"}, headers=api.anna)
    assert r.status_code == 200, r.text
    assert [r["at"] for r in await listed(api, "2026-11-21")] == ["2026-11-21T08:00:00-05:00"]
    api.clock.set(utc(2026, 11, 21, 7, 30))  # 08:30 in Copenhagen: nothing for New York
    assert (await send_dose_reminders(api.runtime.store, api.clock)).sent == 0
    api.clock.set(utc(2026, 11, 21, 13, 1))  # 08:01 in New York
    assert (await send_dose_reminders(api.runtime.store, api.clock)).sent == 1
    (sent,) = await notices(api, "medication.reminder")
    assert "kl. 08:00" in sent["body_da"]
    # and back east: the next is 08:00 in Copenhagen, not a resend of New York's
    r = await api.client.patch("/v1/me", json={"timezone": "Europe/Copenhagen"}, headers=api.anna)
    assert [r["at"] for r in await listed(api, "2026-11-22")] == ["2026-11-22T08:00:00+01:00"]
    api.clock.set(utc(2026, 11, 22, 7, 1))
    assert (await send_dose_reminders(api.runtime.store, api.clock)).sent == 1
    assert len(await notices(api, "medication.reminder")) == 2


async def test_two_workers_at_once_send_each_reminder_once(api: Api) -> None:
    await schedule(api, ["08:00", "12:00"])
    await schedule(api, ["08:00"], medication=AMLODIPIN)
    api.clock.set(utc(2026, 11, 21, 7, 0, 30))  # 08:00:30 local
    reports = await asyncio.gather(
        send_dose_reminders(api.runtime.store, api.clock),
        send_dose_reminders(api.runtime.store, api.clock),
    )
    assert sum(r.sent for r in reports) == 2
    # a restart: the next pass finds nothing new
    assert (await send_dose_reminders(api.runtime.store, api.clock)).rows == 0
    assert (await work_once(api.runtime)).medicine_reminders == 0
    assert len(await notices(api, "medication.reminder")) == 2
    api.clock.set(utc(2026, 11, 21, 11, 0, 30))
    passes = await asyncio.gather(*(work_once(api.runtime) for _ in range(3)))
    assert sum(p.medicine_reminders for p in passes) == 1
    assert len(await notices(api, "medication.reminder")) == 3


async def test_an_outage_of_six_hours_sends_no_flood(api: Api) -> None:
    api.clock.set(utc(2026, 11, 20, 20, 0))
    await schedule(api, ["08:00", "10:00", "12:00", "14:00"])
    api.clock.set(utc(2026, 11, 21, 6, 55))  # a pass at 07:55 local, then down
    assert (await send_dose_reminders(api.runtime.store, api.clock)).rows == 0
    api.clock.set(utc(2026, 11, 21, 13, 5))  # back at 14:05 local, six hours later
    report = await send_dose_reminders(api.runtime.store, api.clock)
    assert (report.sent, report.late) == (1, 3)
    day = await listed(api, "2026-11-21")
    assert [(r["at"][11:16], r["status"]) for r in day] == [
        ("08:00", "late"),
        ("10:00", "late"),
        ("12:00", "late"),
        ("14:00", "sent"),
    ]
    (only,) = await notices(api, "medication.reminder")
    assert only["ref"] == f"reminders/{day[-1]['id']}"
    # a late dose can still be recorded from the list
    r = await api.client.post(
        "/v1/me/doses",
        json={"medication_id": METFORMIN, "planned_at": day[0]["at"], "status": "taken"},
        headers=api.anna,
    )
    assert r.status_code == 201, r.text


async def test_a_snoozed_reminder_comes_again_once(api: Api) -> None:
    await schedule(api, ["08:00"])
    api.clock.set(utc(2026, 11, 21, 7, 1))
    await send_dose_reminders(api.runtime.store, api.clock)
    (item,) = await listed(api, "2026-11-21")
    r = await api.client.post(
        f"/v1/me/reminders/{item['id']}/snooze", json={"minutes": 15}, headers=api.anna
    )
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "snoozed"
    assert r.json()["snoozed_until"] == "2026-11-21T08:16:00+01:00"
    api.clock.advance(minutes=14)
    assert (await send_dose_reminders(api.runtime.store, api.clock)).woken == 0
    api.clock.advance(minutes=1)
    reports = await asyncio.gather(
        send_dose_reminders(api.runtime.store, api.clock),
        send_dose_reminders(api.runtime.store, api.clock),
    )
    assert sum(r.woken for r in reports) == 1
    assert len(await notices(api, "medication.reminder")) == 2
    r = await api.client.post(
        f"/v1/me/reminders/{item['id']}/snooze", json={"minutes": 999}, headers=api.anna
    )
    assert r.status_code == 422
    r = await api.client.post("/v1/me/reminders/nope/snooze", json={}, headers=api.anna)
    assert r.status_code == 404


async def test_a_dose_recorded_twice_is_stored_once(api: Api) -> None:
    await schedule(api, ["08:00"])
    (planned,) = await listed(api, "2026-11-21")
    api.clock.set(utc(2026, 11, 21, 7, 10))
    body = {"medication_id": METFORMIN, "planned_at": planned["at"], "status": "taken"}
    first = await api.client.post("/v1/me/doses", json=body, headers=api.anna)
    assert first.status_code == 201, first.text
    again = await api.client.post(
        "/v1/me/doses", json=body | {"status": "skipped"}, headers=api.anna
    )
    assert again.status_code == 200
    assert again.json() == first.json()
    assert again.json()["status"] == "taken"
    same_instant = body | {"planned_at": "2026-11-21T07:00:00Z"}
    r = await api.client.post("/v1/me/doses", json=same_instant, headers=api.anna)
    assert r.status_code == 200 and r.json()["id"] == first.json()["id"]
    history = (await api.client.get("/v1/me/doses", headers=api.anna)).json()
    assert [d["id"] for d in history] == [first.json()["id"]]
    assert history[0]["planned_at"] == "2026-11-21T08:00:00+01:00"
    r = await api.client.post(
        "/v1/me/doses", json=body | {"planned_at": "2026-11-21T09:00:00+01:00"}, headers=api.anna
    )
    assert r.status_code == 422  # nothing was planned then
    by_hand = {"medication_id": AMLODIPIN, "planned_at": None, "status": "taken"}
    r = await api.client.post("/v1/me/doses", json=by_hand, headers=api.anna)
    assert r.status_code == 201
    r = await api.client.post("/v1/me/doses", json=by_hand, headers=api.anna)
    assert r.status_code == 200
    r = await api.client.post(
        "/v1/me/doses", json={"medication_id": "nope", "status": "taken"}, headers=api.anna
    )
    assert r.status_code == 404
    for params in ({"from": "9999-12-31"}, {"from": "2026-11-21", "to": "2026-11-20"}):
        r = await api.client.get("/v1/me/reminders", params=params, headers=api.anna)
        assert r.status_code == 422


async def _fourteen_days(api: Api, taken: int) -> None:
    """A 08:00 schedule from 1 November; `taken` of the 14 doses 7-20 November taken."""
    api.clock.set(utc(2026, 11, 6, 12, 0))
    await schedule(api, ["08:00"])
    api.clock.set(utc(2026, 11, 20, 9, 0))
    days = await listed(api, "2026-11-07", "2026-11-20")
    assert len(days) == 14
    for i, item in enumerate(days):
        status = "taken" if i < taken else "skipped"
        r = await api.client.post(
            "/v1/me/doses",
            json={"medication_id": METFORMIN, "planned_at": item["at"], "status": status},
            headers=api.anna,
        )
        assert r.status_code == 201, r.text


async def summary_flags(api: Api) -> dict[str, Any]:
    anna = api.demo.citizens[0].id
    r = await api.client.get(f"/v1/clinician/citizens/{anna}/summary", headers=api.gp)
    assert r.status_code == 200, r.text
    return {f["code"]: f for f in r.json()["flags"]}


async def inbox_codes(api: Api) -> set[str]:
    r = await api.client.get("/v1/clinician/inbox", headers=api.gp)
    return {i["code"] for i in r.json()["items"]}


async def test_adherence_under_the_limit_raises_a_yellow_flag(api: Api) -> None:
    await _fourteen_days(api, taken=10)
    r = await api.client.get("/v1/me/adherence", headers=api.anna)
    (metformin,) = r.json()["medications"]
    assert (metformin["planned"], metformin["taken"], metformin["skipped"]) == (14, 10, 4)
    assert metformin["pct"] == 71.4
    r = await api.client.post("/v1/me/shares", json={"metrics": ["adherence"]}, headers=api.anna)
    assert r.status_code == 201, r.text
    flags = await summary_flags(api)
    flag = flags["adherence_low"]
    assert flag["severity"] == "yellow"
    assert flag["metrics"] == [f"adherence:{METFORMIN}"]
    assert flag["detail_da"] == (
        "Metformin 500 mg: 71 % (10 af 14) de seneste 14 dage (grænse 80 %)"
    )
    assert "adherence_low" in await inbox_codes(api)
    # the GP lowers the limit for Anna: quiet again, and the inbox item clears
    anna = api.demo.citizens[0].id
    r = await api.client.put(
        f"/v1/clinician/citizens/{anna}/thresholds",
        json={"adherence_yellow_below_pct": 70},
        headers=api.gp,
    )
    assert r.status_code == 200, r.text
    assert (await summary_flags(api))["adherence_ok"]["severity"] == "green"
    assert "adherence_low" not in await inbox_codes(api)


async def test_adherence_at_the_limit_stays_quiet(api: Api) -> None:
    await _fourteen_days(api, taken=12)
    await api.client.post("/v1/me/shares", json={"metrics": ["adherence"]}, headers=api.anna)
    flags = await summary_flags(api)
    assert "adherence_low" not in flags
    assert flags["adherence_ok"]["value"] == 85.71
    assert "adherence_low" not in await inbox_codes(api)
    # no adherence share: no adherence in the summary at all
    r = await api.client.post("/v1/me/shares", json={"metrics": ["steps"]}, headers=api.bent)
    assert r.status_code == 201


async def test_run_out_notice_a_week_before_and_none_with_a_renewal_open(api: Api) -> None:
    anna = api.demo.citizens[0].id
    meds = [
        {"id": METFORMIN, "name": "Metformin", "strength": "500 mg", "pack_size": 30, "per_day": 1},
        {"id": AMLODIPIN, "name": "Amlodipin", "strength": "5 mg", "pack_size": 28, "per_day": 1},
        {
            "name": "Tramadol",
            "strength": "50 mg",
            "renewable": False,
            "pack_size": 20,
            "per_day": 1,
        },
    ]
    r = await api.client.put(
        f"/v1/clinician/citizens/{anna}/medications", json={"medications": meds}, headers=api.gp
    )
    assert r.status_code == 200, r.text
    mine = {
        m["name"]: m for m in (await api.client.get("/v1/me/medications", headers=api.anna)).json()
    }
    assert mine["Metformin"]["runs_out_on"] == "2026-12-20"
    assert mine["Amlodipin"]["runs_out_on"] == "2026-12-18"
    r = await api.client.post(
        "/v1/me/renewals", json={"medication_ids": [AMLODIPIN]}, headers=api.anna
    )
    assert r.status_code == 201
    api.clock.set(utc(2026, 12, 13, 7, 59))  # 08:59 local on the 13th
    assert await send_runout_notices(api.runtime.store, api.clock) == 0
    api.clock.set(utc(2026, 12, 13, 8, 0))
    told = await asyncio.gather(
        send_runout_notices(api.runtime.store, api.clock),
        send_runout_notices(api.runtime.store, api.clock),
    )
    assert sum(told) == 1  # Amlodipin's renewal is open (and handled), Tramadol is not renewable
    api.clock.advance(days=5)
    assert await send_runout_notices(api.runtime.store, api.clock) == 0
    (runout,) = await notices(api, "medication.runout")
    assert runout["ref"] == f"medications/{METFORMIN}/renewal"
    assert runout["body_da"] == (
        "Metformin 500 mg slipper op omkring søndag den 20. december. Tryk for at bede lægen"
        " om en fornyelse."
    )
    # the one tap, with the existing renewal flow behind it
    r = await api.client.post(f"/v1/me/medications/{METFORMIN}/renewal", headers=api.anna)
    assert r.status_code == 201, r.text
    assert r.json()["status"] == "requested"
    r = await api.client.post(f"/v1/me/medications/{METFORMIN}/renewal", headers=api.anna)
    assert r.status_code == 409
    # the citizen's own figures win over the clinic's
    r = await api.client.put(
        f"/v1/me/medications/{AMLODIPIN}/supply",
        json={"pack_size": 100, "per_day": 2, "started_on": "2026-12-10"},
        headers=api.anna,
    )
    assert r.status_code == 200 and r.json()["runs_out_on"] == "2027-01-29"


async def test_vaccination_due_is_listed_and_reminded_once(api: Api) -> None:
    anna = api.demo.citizens[0].id
    body = {
        "vaccinations": [
            {"atc": "J07AL02", "name": "Pneumokok", "given_on": "2020-01-01"},
            {"atc": "j07bb02", "name": "Influenza", "due_on": "2026-11-25", "dose_number": 1},
        ]
    }
    r = await api.client.put(
        f"/v1/clinician/citizens/{anna}/vaccinations", json=body, headers=api.nurse
    )
    assert r.status_code == 200, r.text
    bad = {"vaccinations": [{"atc": "A10BA02", "name": "Metformin", "due_on": "2026-12-01"}]}
    r = await api.client.put(
        f"/v1/clinician/citizens/{anna}/vaccinations", json=bad, headers=api.gp
    )
    assert r.status_code == 422
    mine = (await api.client.get("/v1/me/vaccinations", headers=api.anna)).json()
    assert [(v["atc"], v["status"]) for v in mine] == [("J07AL02", "given"), ("J07BB02", "due")]
    (item,) = await listed(api, "2026-11-25")
    assert (item["kind"], item["at"]) == ("vaccination", "2026-11-25T09:00:00+01:00")
    api.clock.set(utc(2026, 11, 25, 8, 0))
    sent = await asyncio.gather(
        send_vaccination_reminders(api.runtime.store, api.clock),
        send_vaccination_reminders(api.runtime.store, api.clock),
    )
    assert sum(sent) == 1
    (told,) = await notices(api, "vaccination.due")
    assert told["body_da"].startswith(
        "Du skal have Influenza (1. dosis) fra onsdag den 25. november"
    )
    assert (await listed(api, "2026-11-25"))[0]["status"] == "sent"
    log = (await api.client.get("/v1/me/audit-log", headers=api.anna)).json()["items"]
    assert "vaccinations.update" in {e["action"] for e in log}


async def test_the_seasonal_rule_makes_influenza_due_for_65_and_over(api: Api) -> None:
    young = await api.patient("young-no-cpr")
    rule = {"key": "influenza", "atc": "J07BB02", "name": "Influenza", "min_age": 65}
    r = await api.client.put(
        "/v1/clinician/clinic/vaccination-rules", json={"rules": [rule]}, headers=api.gp
    )
    assert r.status_code == 200, r.text
    assert r.json()[0] | {} == rule | {"month": 10, "day": 1, "applied_year": 0}
    bent = api.demo.citizens[1].id
    r = await api.client.put(
        f"/v1/clinician/citizens/{bent}/vaccinations",
        json={"vaccinations": [{"atc": "J07BB02", "name": "Influenza", "given_on": "2027-09-20"}]},
        headers=api.gp,
    )
    assert r.status_code == 200
    api.clock.set(utc(2027, 9, 30, 12, 0))
    assert await apply_seasonal_rules(api.runtime.store, api.clock, api.runtime.vault) == 0
    api.clock.set(utc(2027, 10, 1, 6, 0))  # 08:00 local on 1 October
    made = await asyncio.gather(
        apply_seasonal_rules(api.runtime.store, api.clock, api.runtime.vault),
        apply_seasonal_rules(api.runtime.store, api.clock, api.runtime.vault),
    )
    assert sum(made) == 1  # Anna (born 1950); Bent was vaccinated in September
    (due,) = [v for v in (await api.client.get("/v1/me/vaccinations", headers=api.anna)).json()]
    assert (due["atc"], due["due_on"], due["source"]) == ("J07BB02", "2027-10-01", "influenza")
    assert (await api.client.get("/v1/me/vaccinations", headers=young)).json() == []
    assert [i["at"] for i in await listed(api, "2027-10-01")] == ["2027-10-01T09:00:00+02:00"]
    api.clock.set(utc(2027, 10, 1, 7, 0))
    assert await send_vaccination_reminders(api.runtime.store, api.clock) == 1
    api.clock.set(utc(2027, 11, 1, 7, 0))
    assert await apply_seasonal_rules(api.runtime.store, api.clock, api.runtime.vault) == 0


async def test_a_proxy_with_the_medications_scope_and_the_audit(api: Api) -> None:
    r = await api.client.post(
        "/v1/me/proxies",
        json={"cpr": BENT_CPR, "name": "Bent Nielsen", "scopes": ["medications"]},
        headers=api.anna,
    )
    assert r.status_code == 201, r.text
    as_bent = api.bent | {"X-Act-For": api.demo.citizens[0].id}
    await schedule(api, ["08:00"], headers=as_bent)
    (item,) = await listed(api, "2026-11-21", headers=as_bent)
    r = await api.client.post(
        "/v1/me/doses",
        json={"medication_id": METFORMIN, "planned_at": item["at"], "status": "taken"},
        headers=as_bent,
    )
    assert r.status_code == 201 and r.json()["recorded_by"].startswith("proxy:")
    assert (await api.client.get("/v1/me/adherence", headers=as_bent)).status_code == 200
    assert (await api.client.get("/v1/me/vaccinations", headers=as_bent)).status_code == 200
    # a booking-only relative sees no medicine reminders and cannot set times
    await api.client.post(
        "/v1/me/proxies",
        json={"cpr": "0101501234", "name": "Anna Jensen", "scopes": ["booking"]},
        headers=api.bent,
    )
    as_anna = api.anna | {"X-Act-For": api.demo.citizens[1].id}
    r = await api.client.put(
        f"/v1/me/medications/{stable_id('medication', 'demo-citizen-bent', 'Atorvastatin')}/schedule",
        json={"times": ["20:00"]},
        headers=as_anna,
    )
    assert r.status_code == 403
    await schedule(
        api,
        ["20:00"],
        medication=stable_id("medication", "demo-citizen-bent", "Atorvastatin"),
        headers=api.bent,
    )
    assert await listed(api, "2026-11-21", headers=as_anna) == []
    assert len(await listed(api, "2026-11-21", headers=api.bent)) == 1
    # the clinic reads Anna's doses only with an adherence share, and it is in her log
    anna = api.demo.citizens[0].id
    r = await api.client.get(f"/v1/clinician/citizens/{anna}/doses", headers=api.gp)
    assert r.status_code == 404
    await api.client.post("/v1/me/shares", json={"metrics": ["adherence"]}, headers=api.anna)
    api.clock.set(utc(2026, 11, 21, 12, 0))
    r = await api.client.get(f"/v1/clinician/citizens/{anna}/doses", headers=api.gp)
    assert r.status_code == 200, r.text
    assert [d["status"] for d in r.json()] == ["taken"]
    log = (await api.client.get("/v1/me/audit-log", headers=api.anna)).json()["items"]
    reads = [e for e in log if e["action"] == "doses.read"]
    assert len(reads) == 1 and reads[0]["actor"]["id"] == api.demo.clinician.id
    assert reads[0]["text"] == "Dr. Karen Hansen (behandler) så hvornår du har taget din medicin"
    proxied = [e for e in log if e["action"] == "proxy.request"]
    assert len(proxied) >= 4
    assert "dosing.schedule" in {e["action"] for e in log}


async def test_a_vaccination_reminder_follows_a_change_of_zone(api: Api) -> None:
    anna = api.demo.citizens[0].id
    body = {"vaccinations": [{"atc": "J07BB02", "name": "Influenza", "due_on": "2026-11-25"}]}
    r = await api.client.put(
        f"/v1/clinician/citizens/{anna}/vaccinations", json=body, headers=api.nurse
    )
    assert r.status_code == 200, r.text
    r = await api.client.patch("/v1/me", json={"timezone": "America/New_York"}, headers=api.anna)
    assert r.status_code == 200, r.text
    (item,) = await listed(api, "2026-11-25")
    # 09:00 where Anna is now, not 09:00 in Copenhagen (03:00 in New York)
    assert (item["kind"], item["at"]) == ("vaccination", "2026-11-25T09:00:00-05:00")
    api.clock.set(utc(2026, 11, 25, 13, 59))
    assert await send_vaccination_reminders(api.runtime.store, api.clock) == 0
    api.clock.set(utc(2026, 11, 25, 14, 0))
    assert await send_vaccination_reminders(api.runtime.store, api.clock) == 1
