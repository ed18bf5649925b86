"""Prescription renewal over HTTP on both engines: request, queue, review, decide."""

from __future__ import annotations

import asyncio

from tests.conftest import Api


async def meds(api: Api, headers: dict[str, str]) -> dict[str, dict]:
    r = await api.client.get("/v1/me/medications", headers=headers)
    assert r.status_code == 200
    return {m["name"]: m for m in r.json()}


async def ask(api: Api, headers: dict[str, str], *ids: str, note: str = ""):
    return await api.client.post(
        "/v1/me/renewals", json={"medication_ids": list(ids), "note": note}, headers=headers
    )


async def test_citizen_sees_own_medications_with_atc_and_renewability(api: Api) -> None:
    anna = await meds(api, api.anna)
    assert set(anna) == {"Metformin", "Amlodipin"}
    assert anna["Metformin"]["atc"] == "A10BA02" and anna["Metformin"]["renewable"] is True
    bent = await meds(api, api.bent)
    assert bent["Tramadol"]["renewable"] is False


async def test_full_flow_requested_review_approved_with_timeline_notice_and_audit(
    api: Api,
) -> None:
    anna = await meds(api, api.anna)
    r = await ask(api, api.anna, anna["Metformin"]["id"], anna["Amlodipin"]["id"], note="Snart tom")
    assert r.status_code == 201, r.text
    made = {x["medication"]: x for x in r.json()}
    assert set(made) == {"Metformin 500 mg", "Amlodipin 5 mg"}
    assert [s["status"] for s in made["Metformin 500 mg"]["timeline"]] == ["requested"]

    queue = (await api.client.get("/v1/clinician/renewals", headers=api.nurse)).json()
    assert [q["citizen_name"] for q in queue] == ["Anna Jensen", "Anna Jensen"]
    rid = made["Metformin 500 mg"]["id"]
    reviewed = await api.client.post(f"/v1/clinician/renewals/{rid}/review", headers=api.nurse)
    assert reviewed.status_code == 200 and reviewed.json()["status"] == "in_review"

    nurse_tries = await api.client.post(f"/v1/clinician/renewals/{rid}/approve", headers=api.nurse)
    assert nurse_tries.status_code == 403
    assert nurse_tries.json()["type"].endswith("/gp-only")

    api.clock.advance(hours=2)
    approved = await api.client.post(f"/v1/clinician/renewals/{rid}/approve", headers=api.gp)
    assert approved.status_code == 200, approved.text
    body = approved.json()
    assert body["status"] == "approved" and body["decided_by_name"] == "Dr. Karen Hansen"
    mine = (await api.client.get(f"/v1/me/renewals/{rid}", headers=api.anna)).json()
    assert [s["status"] for s in mine["timeline"]] == ["requested", "in_review", "approved"]
    assert mine["timeline"][2]["at"] == "2026-11-20T11:00:00Z"
    renewed = (await meds(api, api.anna))["Metformin"]["last_renewed_at"]
    assert renewed == "2026-11-20T11:00:00Z"

    notices = (await api.client.get("/v1/me/notices", headers=api.anna)).json()["items"]
    assert notices[0]["kind"] == "renewal.approved"
    assert "Metformin 500 mg" in notices[0]["body"]
    log = (await api.client.get("/v1/me/audit-log", headers=api.anna)).json()["items"]
    actions = [e["action"] for e in log]
    for action in ("renewals.read", "renewal.review", "renewal.approved"):
        assert action in actions
    again = await api.client.post(f"/v1/clinician/renewals/{rid}/approve", headers=api.gp)
    assert again.status_code == 409
    assert [
        q["requested"]["medication"]
        for q in (await api.client.get("/v1/clinician/renewals", headers=api.gp)).json()
    ] == ["Amlodipin 5 mg"]


async def test_reject_needs_a_reason_that_the_citizen_reads(api: Api) -> None:
    anna = await meds(api, api.anna)
    rid = (await ask(api, api.anna, anna["Amlodipin"]["id"])).json()[0]["id"]
    path = f"/v1/clinician/renewals/{rid}/reject"
    assert (await api.client.post(path, json={"reason": " "}, headers=api.gp)).status_code == 422
    r = await api.client.post(
        path, json={"reason": "Kom til blodtrykskontrol først"}, headers=api.gp
    )
    assert r.status_code == 200 and r.json()["status"] == "rejected"
    mine = (await api.client.get("/v1/me/renewals", headers=api.anna)).json()[0]
    assert mine["reason"] == "Kom til blodtrykskontrol først"
    assert mine["timeline"][-1]["status"] == "rejected"
    note = (await api.client.get("/v1/me/notices", headers=api.anna)).json()["items"][0]
    assert note["kind"] == "renewal.rejected" and "blodtrykskontrol" in note["body"]
    # decided: a new request may be made
    assert (await ask(api, api.anna, anna["Amlodipin"]["id"])).status_code == 201


async def test_second_pending_request_is_409_and_nothing_partial_is_stored(api: Api) -> None:
    anna = await meds(api, api.anna)
    assert (await ask(api, api.anna, anna["Metformin"]["id"])).status_code == 201
    r = await ask(api, api.anna, anna["Amlodipin"]["id"], anna["Metformin"]["id"])
    assert r.status_code == 409 and r.json()["type"].endswith("/renewal-pending")
    mine = (await api.client.get("/v1/me/renewals", headers=api.anna)).json()
    assert [m["medication"] for m in mine] == ["Metformin 500 mg"]  # Amlodipin rolled back


async def test_double_tap_gives_one_request(api: Api) -> None:
    anna = await meds(api, api.anna)
    results = await asyncio.gather(
        *(ask(api, api.anna, anna["Amlodipin"]["id"]) for _ in range(10))
    )
    assert sorted(r.status_code for r in results) == [201] + [409] * 9
    assert len((await api.client.get("/v1/me/renewals", headers=api.anna)).json()) == 1


async def test_not_renewable_foreign_and_malformed(api: Api) -> None:
    bent = await meds(api, api.bent)
    anna = await meds(api, api.anna)
    r = await ask(api, api.bent, bent["Tramadol"]["id"])
    assert r.status_code == 422 and r.json()["type"].endswith("/not-renewable")
    assert (await ask(api, api.bent, anna["Metformin"]["id"])).status_code == 404
    assert (await ask(api, api.bent)).status_code == 422
    assert (
        await ask(api, api.bent, bent["Atorvastatin"]["id"], note="x" * 1001)
    ).status_code == 422
    r = await api.client.post("/v1/me/renewals", json={"medication_ids": "all"}, headers=api.bent)
    assert r.status_code == 400
    assert (await api.client.get("/v1/me/renewals", headers=api.bent)).json() == []
    rid = (await ask(api, api.anna, anna["Metformin"]["id"])).json()[0]["id"]
    assert (await api.client.get(f"/v1/me/renewals/{rid}", headers=api.bent)).status_code == 404


async def test_clinic_loads_medications_and_other_clinics_cannot(api: Api) -> None:
    anna_id = api.demo.citizens[0].id
    current = (
        await api.client.get(f"/v1/clinician/citizens/{anna_id}/medications", headers=api.gp)
    ).json()
    metformin = next(m for m in current if m["name"] == "Metformin")
    body = {
        "medications": [
            {
                "id": metformin["id"],
                "name": "Metformin",
                "strength": "1000 mg",
                "dosage": "1 tablet morgen og aften",
                "atc": "a10ba02",
            },
            {"name": "Losartan", "strength": "50 mg", "dosage": "1 dagligt", "atc": "C09CA01"},
        ]
    }
    r = await api.client.put(
        f"/v1/clinician/citizens/{anna_id}/medications", json=body, headers=api.gp
    )
    assert r.status_code == 200, r.text
    mine = await meds(api, api.anna)
    assert set(mine) == {"Metformin", "Losartan"}
    assert mine["Metformin"]["strength"] == "1000 mg" and mine["Metformin"]["atc"] == "A10BA02"
    assert mine["Metformin"]["id"] == metformin["id"]

    _, other_gp = await api.other_clinic()
    for method in ("GET", "PUT"):
        r = await api.client.request(
            method, f"/v1/clinician/citizens/{anna_id}/medications", json=body, headers=other_gp
        )
        assert r.status_code == 404
    rid = (await ask(api, api.anna, metformin["id"])).json()[0]["id"]
    for action in ("review", "approve"):
        r = await api.client.post(f"/v1/clinician/renewals/{rid}/{action}", headers=other_gp)
        assert r.status_code == 404
    assert (await api.client.get("/v1/clinician/renewals", headers=other_gp)).json() == []
    bad = {"medications": [{"name": "X", "atc": "not an atc!"}]}
    r = await api.client.put(
        f"/v1/clinician/citizens/{anna_id}/medications", json=bad, headers=api.gp
    )
    assert r.status_code == 422


async def test_roles_on_renewal_endpoints(api: Api) -> None:
    for path in ("/v1/me/medications", "/v1/me/renewals"):
        assert (await api.client.get(path, headers=api.gp)).status_code == 403
        assert (await api.client.get(path, headers=api.gateway)).status_code == 403
    assert (await api.client.get("/v1/clinician/renewals", headers=api.anna)).status_code == 403


async def test_the_queue_is_oldest_first_across_patients_and_keeps_those_in_review(
    api: Api,
) -> None:
    """docs/api.md: open renewal requests, oldest first."""
    anna, bent = await meds(api, api.anna), await meds(api, api.bent)
    made = []
    for headers, med in (
        (api.anna, anna["Amlodipin"]),
        (api.bent, bent["Atorvastatin"]),
        (api.anna, anna["Metformin"]),
    ):
        r = await ask(api, headers, med["id"])
        assert r.status_code == 201, r.text
        made.append(r.json()[0]["id"])
        api.clock.advance(minutes=10)
    # taking the newest into review, or deciding the middle one, does not reorder the rest
    assert (
        await api.client.post(f"/v1/clinician/renewals/{made[2]}/review", headers=api.nurse)
    ).status_code == 200
    queue = (await api.client.get("/v1/clinician/renewals", headers=api.gp)).json()
    assert [q["requested"]["id"] for q in queue] == made
    assert [q["citizen_name"] for q in queue] == ["Anna Jensen", "Bent Nielsen", "Anna Jensen"]
    assert (
        await api.client.post(f"/v1/clinician/renewals/{made[1]}/approve", headers=api.gp)
    ).status_code == 200
    queue = (await api.client.get("/v1/clinician/renewals", headers=api.gp)).json()
    assert [q["requested"]["id"] for q in queue] == [made[0], made[2]]
