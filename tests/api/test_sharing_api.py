"""Consent and the GP summary over HTTP on both engines: no share → no data; revoked or
expired → no data from that moment; limited shares hide the rest; flags fire exactly
when they should; every read is in the citizen's log."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest

from tests.conftest import Api
from tests.sharing_data import TODAY, URL, days_back, sample, send, share

ANNA = 0


def summary_url(api: Api, suffix: str = "summary") -> str:
    return f"/v1/clinician/citizens/{api.demo.citizens[ANNA].id}/{suffix}"


async def summary(api: Api, headers: dict[str, str] | None = None, **params: str) -> Any:
    r = await api.client.get(summary_url(api), params=params, headers=headers or api.gp)
    assert r.status_code == 200, r.text
    return r.json()


def flags(body: Any) -> dict[str, str]:
    return {f["code"]: f["severity"] for f in body["flags"]}


async def test_no_share_means_no_data_and_the_same_404_as_a_stranger(api: Api) -> None:
    await send(api, api.anna, "steps", days_back(10), 5000)
    r = await api.client.get(summary_url(api), headers=api.gp)
    assert r.status_code == 404 and r.json()["type"].endswith("/not-shared")
    r = await api.client.get(
        summary_url(api, "daily"),
        params={"metric": "steps", "from": "2026-11-01", "to": "2026-11-20"},
        headers=api.gp,
    )
    assert r.status_code == 404
    r = await api.client.get("/v1/clinician/citizens/no-such-person/summary", headers=api.gp)
    assert r.status_code == 404 and r.json()["type"].endswith("/not-shared")


async def test_share_opens_the_summary_and_revoking_closes_it_at_once(api: Api) -> None:
    await send(api, api.anna, "steps", days_back(30), 6000)
    created = await share(api, api.anna, metrics=["steps"], data_days=90, valid_days=30)
    assert created["active"] is True
    body = await summary(api)
    assert [m["metric"] for m in body["metrics"]] == ["steps"]
    steps = body["metrics"][0]
    assert steps["completeness"] == {"days_with_data": 30, "days_in_period": 90, "fraction": 0.333}
    assert steps["mean"] == 6000 and steps["days"][0]["value"] == 6000
    assert steps["sources"][0]["name"] == "Annas Apple Watch"
    assert body["patient"]["cpr"] is None  # not needed in JSON

    r = await api.client.post(f"/v1/me/shares/{created['id']}/revoke", headers=api.anna)
    assert r.status_code == 200 and r.json()["active"] is False
    assert (await api.client.get(summary_url(api), headers=api.gp)).status_code == 404
    again = await api.client.post(f"/v1/me/shares/{created['id']}/revoke", headers=api.anna)
    assert again.status_code == 409


async def test_an_expired_share_gives_nothing_from_that_moment(api: Api) -> None:
    await send(api, api.anna, "steps", days_back(5), 4000)
    await share(api, api.anna, metrics=["steps"], expires_at="2026-11-21T09:00:00Z")
    assert (await api.client.get(summary_url(api), headers=api.gp)).status_code == 200
    api.clock.set(datetime.fromisoformat("2026-11-21T08:59:59+00:00"))
    assert (await api.client.get(summary_url(api), headers=api.gp)).status_code == 200
    api.clock.advance(seconds=1)
    assert (await api.client.get(summary_url(api), headers=api.gp)).status_code == 404
    listed = (await api.client.get("/v1/me/shares", headers=api.anna)).json()
    assert listed[0]["active"] is False


async def test_limited_share_hides_other_metrics_and_older_days(api: Api) -> None:
    await send(api, api.anna, "steps", days_back(60), 5000)
    await send(api, api.anna, "body_mass", days_back(60), 80.0)
    await share(api, api.anna, metrics=["body_mass"], data_from="2026-11-01")
    body = await summary(api, **{"from": "2026-09-22", "to": "2026-11-20"})
    assert [m["metric"] for m in body["metrics"]] == ["body_mass"]
    weight = body["metrics"][0]
    assert weight["days"][0]["date"] == "2026-11-01"
    assert weight["completeness"]["days_in_period"] == 20
    assert weight["trend"]["previous_mean"] is None  # the previous period is not shared
    daily = await api.client.get(
        summary_url(api, "daily"),
        params={"metric": "body_mass", "from": "2026-10-01", "to": "2026-11-20"},
        headers=api.gp,
    )
    assert daily.status_code == 200
    assert daily.json()["days"][0]["date"] == "2026-11-01"
    hidden = await api.client.get(
        summary_url(api, "daily"),
        params={"metric": "steps", "from": "2026-10-01", "to": "2026-11-20"},
        headers=api.gp,
    )
    assert hidden.status_code == 404


async def test_share_with_one_named_gp_hides_from_the_rest_of_the_clinic(api: Api) -> None:
    await send(api, api.anna, "steps", days_back(3), 3000)
    await share(api, api.anna, metrics=["steps"], clinician_id=api.demo.clinician.id)
    assert (await api.client.get(summary_url(api), headers=api.gp)).status_code == 200
    assert (await api.client.get(summary_url(api), headers=api.nurse)).status_code == 404
    _, other_gp = await api.other_clinic()
    assert (await api.client.get(summary_url(api), headers=other_gp)).status_code == 404


async def test_every_read_is_in_the_citizens_log(api: Api) -> None:
    await send(api, api.anna, "steps", days_back(3), 3000)
    created = await share(api, api.anna, metrics=["steps"])
    await summary(api)
    await api.client.get(
        summary_url(api, "daily"),
        params={"metric": "steps", "from": "2026-11-18", "to": "2026-11-20"},
        headers=api.gp,
    )
    log = (await api.client.get("/v1/me/audit-log", headers=api.anna)).json()["items"]
    reads = [e for e in log if e["action"] in ("summary.read", "daily.read")]
    assert [e["action"] for e in reads] == ["daily.read", "summary.read"]
    assert all(e["actor"]["name"] == "Dr. Karen Hansen" for e in reads)
    assert all(e["actor"]["clinic_id"] == api.demo.clinic_id for e in reads)
    assert "Dr. Karen Hansen" in reads[1]["text"] and "oversigten" in reads[1]["text"]
    async with api.runtime.store.read() as uow:
        chain = await uow.audit.chain(api.demo.citizens[ANNA].id)
    summary_entry = next(e for e in chain if e.action == "summary.read")
    assert summary_entry.detail["shares"] == created["id"]


@pytest.mark.parametrize(
    ("body", "status", "kind", "detail"),
    [
        ({"metrics": []}, 422, "invalid", "choose metrics"),
        ({"metrics": ["steps", "mood"]}, 422, "invalid", "choose metrics"),
        ({"metrics": ["steps"], "data_days": 0}, 422, "invalid", "data_days is 1 to 3650"),
        (
            {"metrics": ["steps"], "data_days": 30, "data_from": "2026-01-01"},
            422,
            "invalid",
            "not both",
        ),
        (
            {"metrics": ["steps"], "expires_at": "2026-11-19T00:00:00Z"},
            422,
            "invalid",
            "end in the future",
        ),
        ({"metrics": ["steps"], "valid_days": 5000}, 422, "invalid", "valid_days is 1 to 731"),
        ({"metrics": ["steps"], "valid_days": 10**12}, 422, "invalid", "valid_days is 1 to 731"),
        ({"metrics": ["steps"], "valid_days": 0}, 422, "invalid", "valid_days is 1 to 731"),
        (
            {"metrics": ["steps"], "expires_at": "2027-01-01T00:00:00"},  # no offset
            400,
            "validation",
            "Validation failed",
        ),
        (
            {"metrics": ["steps"], "clinician_id": "someone-else"},
            404,
            "not-found",
            "no such clinician",
        ),
    ],
)
async def test_share_input_rules(
    api: Api, body: dict[str, Any], status: int, kind: str, detail: str
) -> None:
    r = await api.client.post("/v1/me/shares", json=body, headers=api.anna)
    assert r.status_code == status, r.text
    assert r.json()["type"] == "https://minlaege.dk/problems/" + kind
    assert detail in r.json()["detail"]
    assert (await api.client.get("/v1/me/shares", headers=api.anna)).json() == []


async def test_shares_are_the_citizens_own(api: Api) -> None:
    created = await share(api, api.anna, metrics=["steps"])
    assert (
        await api.client.get(f"/v1/me/shares/{created['id']}", headers=api.bent)
    ).status_code == 404
    r = await api.client.post(f"/v1/me/shares/{created['id']}/revoke", headers=api.bent)
    assert r.status_code == 404
    assert (await api.client.get("/v1/me/shares", headers=api.gp)).status_code == 403
    assert (await api.client.get(summary_url(api), headers=api.anna)).status_code == 403


# --- flags: each trips on data built for it, and stays quiet on data that should not ---


async def test_flags_fire_on_data_built_to_trip_them(api: Api) -> None:
    period = days_back(30)
    previous = days_back(30, TODAY - timedelta(days=30))
    await send(api, api.anna, "steps", previous, 8000)
    await send(api, api.anna, "steps", period, 4000)  # −50 %
    await send(api, api.anna, "blood_pressure_systolic", period, 150)
    await send(api, api.anna, "blood_pressure_diastolic", period, 88)
    await send(api, api.anna, "spo2", period[:-1], 96)
    await send(api, api.anna, "spo2", period[-1:], 90)  # one low reading
    await send(api, api.anna, "body_mass", period, lambda d: 80 + 0.2 * (d - period[0]).days)
    await send(api, api.anna, "resting_heart_rate", period, 104)
    await send(api, api.anna, "heart_rate", period[:10], 70)  # nothing for 20 days
    await share(
        api,
        api.anna,
        metrics=[
            "steps",
            "blood_pressure_systolic",
            "blood_pressure_diastolic",
            "spo2",
            "body_mass",
            "resting_heart_rate",
            "heart_rate",
        ],
        data_days=365,
    )
    body = await summary(api, **{"from": period[0].isoformat(), "to": TODAY.isoformat()})
    assert flags(body) == {
        "bp_mean_high": "yellow",
        "spo2_low": "red",
        "weight_change": "yellow",
        "resting_hr_high": "yellow",
        "steps_drop": "yellow",
        "data_missing": "blue",
    }
    assert body["flags"][0]["code"] == "spo2_low"  # most severe first
    missing = next(f for f in body["flags"] if f["code"] == "data_missing")
    assert missing["metrics"] == ["heart_rate"]
    steps = next(m for m in body["metrics"] if m["metric"] == "steps")
    assert steps["trend"]["previous_mean"] == 8000 and steps["trend"]["change_pct"] == -50.0
    weight = next(m for m in body["metrics"] if m["metric"] == "body_mass")
    assert weight["trend"]["per_week"] == pytest.approx(1.4, abs=0.01)


async def test_red_blood_pressure(api: Api) -> None:
    await send(api, api.anna, "blood_pressure_systolic", days_back(14), 165)
    await send(api, api.anna, "blood_pressure_diastolic", days_back(14), 95)
    await share(api, api.anna, metrics=["blood_pressure_systolic", "blood_pressure_diastolic"])
    body = await summary(api)
    assert flags(body) == {"bp_mean_very_high": "red"}
    assert "165/95 mmHg" in body["flags"][0]["detail_da"]


async def test_flags_stay_quiet_on_healthy_data(api: Api) -> None:
    period = days_back(30)
    await send(api, api.anna, "steps", days_back(30, TODAY - timedelta(days=30)), 7000)
    await send(api, api.anna, "steps", period, 6500)  # −7 %
    await send(api, api.anna, "blood_pressure_systolic", period, 128)
    await send(api, api.anna, "blood_pressure_diastolic", period, 80)
    await send(api, api.anna, "spo2", period, 97)
    await send(api, api.anna, "body_mass", period, lambda d: 80 + 0.05 * (d - period[0]).days)
    await send(api, api.anna, "resting_heart_rate", period, 62)
    await share(
        api,
        api.anna,
        metrics=[
            "steps",
            "blood_pressure_systolic",
            "blood_pressure_diastolic",
            "spo2",
            "body_mass",
            "resting_heart_rate",
        ],
    )
    body = await summary(api, **{"from": period[0].isoformat()})
    assert set(flags(body).values()) == {"green"}
    assert set(flags(body)) == {
        "bp_mean_ok",
        "spo2_ok",
        "weight_stable",
        "resting_hr_ok",
        "steps_steady",
    }


async def test_a_gp_sets_thresholds_per_citizen(api: Api) -> None:
    await send(api, api.anna, "blood_pressure_systolic", days_back(14), 132)
    await send(api, api.anna, "blood_pressure_diastolic", days_back(14), 82)
    await share(api, api.anna, metrics=["blood_pressure_systolic", "blood_pressure_diastolic"])
    assert flags(await summary(api)) == {"bp_mean_ok": "green"}
    r = await api.client.put(
        summary_url(api, "thresholds"),
        json={"bp_yellow_systolic": 130, "bp_yellow_diastolic": 80},
        headers=api.gp,
    )
    assert r.status_code == 200 and r.json()["bp_yellow_systolic"] == 130
    assert r.json()["spo2_red_below"] == 92  # untouched defaults stay
    assert flags(await summary(api)) == {"bp_mean_high": "yellow"}
    bob = await api.citizen("not-at-clinic")
    assert bob
    _, other_gp = await api.other_clinic()
    r = await api.client.put(
        summary_url(api, "thresholds"), json={"spo2_red_below": 90}, headers=other_gp
    )
    assert r.status_code == 404
    r = await api.client.put(
        summary_url(api, "thresholds"), json={"spo2_red_below": -1}, headers=api.gp
    )
    assert r.status_code == 422
    r = await api.client.put(summary_url(api, "thresholds"), json={"nonsense": 1}, headers=api.gp)
    assert r.status_code == 400


async def test_fhir_bundle_validates_and_respects_the_share(api: Api) -> None:
    from fhir.resources.R4B.bundle import Bundle

    period = days_back(14)
    await send(api, api.anna, "steps", period, 5000)
    await send(api, api.anna, "blood_pressure_systolic", period, 138)
    await send(api, api.anna, "blood_pressure_diastolic", period, 86)
    await send(api, api.anna, "body_mass", period, 70.5)
    await share(
        api,
        api.anna,
        metrics=["steps", "blood_pressure_systolic", "blood_pressure_diastolic"],
        data_days=7,
    )
    r = await api.client.get(summary_url(api, "summary.fhir"), headers=api.gp)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("application/fhir+json")
    bundle = Bundle.model_validate_json(r.content)
    assert bundle.type == "collection"
    resources = [e.resource for e in bundle.entry]
    patient = next(x for x in resources if x.__resource_type__ == "Patient")
    assert patient.identifier[0].system == "urn:oid:1.2.208.176.1.2"
    assert patient.identifier[0].value == "0101501234"
    codes = [x.code.coding[0].code for x in resources if x.__resource_type__ == "Observation"]
    assert codes.count("41950-7") == 7  # steps: only the 7 days the share opens
    assert codes.count("85354-9") == 7  # blood pressure panels
    assert "29463-7" not in codes  # weight is not shared
    assert sum(x.__resource_type__ == "Provenance" for x in resources) == 1
    assert sum(x.__resource_type__ == "Device" for x in resources) == 1
    log = (await api.client.get("/v1/me/audit-log", headers=api.anna)).json()["items"]
    assert any(e["action"] == "summary.read" and e["resource"] == "summary.fhir" for e in log)


async def test_html_page_shows_flags_first_and_only_shared_metrics(api: Api) -> None:
    await send(api, api.anna, "blood_pressure_systolic", days_back(14), 165)
    await send(api, api.anna, "blood_pressure_diastolic", days_back(14), 101)
    await send(api, api.anna, "body_mass", days_back(14), 71.0)
    await share(api, api.anna, metrics=["blood_pressure_systolic", "blood_pressure_diastolic"])
    r = await api.client.get(summary_url(api, "summary.html"), headers=api.gp)
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/html")
    assert "default-src 'none'" in r.headers["content-security-policy"]
    assert r.headers["x-robots-tag"] == "noindex"
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["cache-control"] == "private, no-store"
    assert r.headers["referrer-policy"] == "no-referrer"
    page = r.text
    assert "<script" not in page.lower()
    assert "Meget højt hjemmeblodtryk" in page and "<svg" in page
    assert page.index("Meget højt hjemmeblodtryk") < page.index("<svg")
    assert "Vægt" not in page  # weight is not shared
    en = await api.client.get(
        summary_url(api, "summary.html"), params={"lang": "en"}, headers=api.gp
    )
    assert "Very high home blood pressure" in en.text
    assert (
        await api.client.get(summary_url(api, "summary.html"), headers=api.nurse)
    ).status_code == 200
    _, other_gp = await api.other_clinic()
    assert (
        await api.client.get(summary_url(api, "summary.html"), headers=other_gp)
    ).status_code == 404
    log = (await api.client.get("/v1/me/audit-log", headers=api.anna)).json()["items"]
    assert sum(e["resource"] == "summary.html" for e in log) == 3


async def test_the_citizen_filters_the_log_by_person_and_kind(api: Api) -> None:
    await send(api, api.anna, "steps", days_back(3), 3000)
    await share(api, api.anna, metrics=["steps"])
    await summary(api)
    await summary(api, api.nurse)
    people = (await api.client.get("/v1/me/audit-log/people", headers=api.anna)).json()
    names = {p["name"]: p for p in people}
    assert {"Dr. Karen Hansen", "Sygeplejerske Mette Larsen"} <= set(names)
    nurse_id = names["Sygeplejerske Mette Larsen"]["id"]
    only_nurse = (
        await api.client.get("/v1/me/audit-log", params={"actor": nurse_id}, headers=api.anna)
    ).json()["items"]
    assert [e["action"] for e in only_nurse] == ["summary.read"]
    reads = (
        await api.client.get(
            "/v1/me/audit-log", params={"action": "summary", "role": "clinician"}, headers=api.anna
        )
    ).json()["items"]
    assert len(reads) == 2 and {e["actor"]["name"] for e in reads} == set(names) - {
        "Anna Jensen",
        "",
    }
    shares = (
        await api.client.get("/v1/me/audit-log", params={"action": "share"}, headers=api.anna)
    ).json()["items"]
    assert [e["action"] for e in shares] == ["share.create"]
    bad = await api.client.get("/v1/me/audit-log", params={"action": "x'; drop"}, headers=api.anna)
    assert bad.status_code == 400


async def test_demo_measurements_give_the_gp_a_summary_with_a_yellow_flag(api: Api) -> None:
    from app.services.demo import seed_demo

    for _ in range(2):  # seeding twice stores nothing new
        async with api.runtime.store.transaction() as uow:
            ids = await seed_demo(uow, api.clock, api.runtime.vault, measurements=True)
    assert ids.share_id is not None
    body = await summary(api)
    assert flags(body)["bp_mean_high"] == "yellow"
    steps = next(m for m in body["metrics"] if m["metric"] == "steps")
    assert steps["completeness"]["days_with_data"] == 29  # today's afternoon is still ahead
    bp = next(m for m in body["metrics"] if m["metric"] == "blood_pressure_systolic")
    assert [s["name"] for s in bp["sources"]] == ["Blodtryksmåler (demo)"]
    assert bp["days"][0]["count"] == 2


async def test_several_active_shares_combine(api: Api) -> None:
    """ADR 0009: the union of metrics, each from the earliest day any share opens for it;
    a share for another GP adds nothing for this one, and revoking takes its part away."""
    await send(api, api.anna, "steps", days_back(60), 5000)
    await send(api, api.anna, "body_mass", days_back(60), 80.0)
    await send(api, api.anna, "resting_heart_rate", days_back(60), 60)
    narrow = await share(api, api.anna, metrics=["steps"], data_days=10)
    wide = await share(api, api.anna, metrics=["steps", "body_mass"], data_from="2026-10-01")
    weight_only = await share(api, api.anna, metrics=["body_mass"], data_days=60)
    nurse = await api.client.get("/v1/clinician/me", headers=api.nurse)
    assert nurse.status_code == 200, nurse.text
    await share(api, api.anna, metrics=["resting_heart_rate"], clinician_id=nurse.json()["id"])

    period = {"from": "2026-09-22", "to": TODAY.isoformat()}
    body = await summary(api, **period)
    first_day = {m["metric"]: m["days"][0]["date"] for m in body["metrics"]}
    assert first_day == {"steps": "2026-10-01", "body_mass": "2026-09-22"}
    async with api.runtime.store.read() as uow:
        chain = await uow.audit.chain(api.demo.citizens[ANNA].id)
    read = [e for e in chain if e.action == "summary.read"][-1]
    assert set(read.detail["shares"].split(",")) == {narrow["id"], wide["id"], weight_only["id"]}

    r = await api.client.post(f"/v1/me/shares/{wide['id']}/revoke", headers=api.anna)
    assert r.status_code == 200
    body = await summary(api, **period)
    first_day = {m["metric"]: m["days"][0]["date"] for m in body["metrics"]}
    assert first_day == {"steps": "2026-11-11", "body_mass": "2026-09-22"}  # 10 days rolling


async def test_a_changed_threshold_is_in_the_citizens_log(api: Api) -> None:
    """GP guide: a change to a patient's limits is logged in the patient's access log."""
    await share(api, api.anna, metrics=["spo2"])
    r = await api.client.put(
        summary_url(api, "thresholds"), json={"spo2_red_below": 88}, headers=api.gp
    )
    assert r.status_code == 200, r.text
    log = (await api.client.get("/v1/me/audit-log", headers=api.anna)).json()["items"]
    changes = [e for e in log if e["action"] == "thresholds.update"]
    assert len(changes) == 1
    assert changes[0]["actor"]["name"] == "Dr. Karen Hansen"
    assert changes[0]["actor"]["clinic_id"] == api.demo.clinic_id
    async with api.runtime.store.read() as uow:
        chain = await uow.audit.chain(api.demo.citizens[ANNA].id)
    entry = next(e for e in chain if e.action == "thresholds.update")
    assert entry.detail == {"spo2_red_below": "88.0"}
    assert entry.actor_id == api.demo.clinician.id
    # back to the default: logged too, with nothing left changed
    r = await api.client.put(
        summary_url(api, "thresholds"), json={"spo2_red_below": 92}, headers=api.gp
    )
    assert r.status_code == 200
    async with api.runtime.store.read() as uow:
        chain = await uow.audit.chain(api.demo.citizens[ANNA].id)
    assert [e.detail for e in chain if e.action == "thresholds.update"] == [
        {"spo2_red_below": "88.0"},
        {},
    ]


async def test_weight_change_at_the_limit_weighed_in_pounds(api: Api) -> None:
    """Exactly +5 % in pounds (220 → 231 lb) is not over the 5 % limit after the road
    through kg and the day's rounding; 231.5 lb (+5.2 %) is."""
    first, later = days_back(10)[0], TODAY - timedelta(days=1)
    batch = [
        {**sample("body_mass", first, 220), "unit": "lb"},
        {**sample("body_mass", later, 231), "unit": "lb"},
    ]
    r = await api.client.post(URL, json={"samples": batch}, headers=api.anna)
    assert r.status_code == 200 and r.json()["stored"] == 2, r.text
    await share(api, api.anna, metrics=["body_mass"])
    assert flags(await summary(api)) == {"weight_stable": "green"}
    more = {**sample("body_mass", TODAY, 231.5), "unit": "lb"}
    r = await api.client.post(URL, json={"samples": [more]}, headers=api.anna)
    assert r.status_code == 200 and r.json()["stored"] == 1, r.text
    body = await summary(api)
    assert flags(body) == {"weight_change": "yellow"}
    assert body["flags"][0]["value"] == pytest.approx(5.23, abs=0.01)
