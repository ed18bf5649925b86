"""The clinic's side over HTTP: hours → slots across DST, closures, the day's list,
cancelling with a message, rules, and the waitlist that fills freed slots."""

from __future__ import annotations

from datetime import datetime, timedelta
from itertools import pairwise

import pytest

from tests.api.test_booking_api import MONDAY, PROBLEMS, book, free_slots, notices
from tests.conftest import Api

MORNING = {"weekday": 6, "opens": "08:00", "closes": "12:00", "kind": "consultation"}
NIGHT = {"weekday": 6, "opens": "01:00", "closes": "04:00", "kind": "phone", "minutes": 30}


async def set_hours(api: Api, hours: list[dict]) -> None:
    r = await api.client.put("/v1/clinician/clinic/hours", json={"hours": hours}, headers=api.gp)
    assert r.status_code == 200, r.text


async def generate(api: Api, first: str, last: str) -> dict:
    r = await api.client.post(
        "/v1/clinician/clinic/slots/generate", json={"from": first, "to": last}, headers=api.gp
    )
    assert r.status_code == 200, r.text
    return r.json()


@pytest.mark.parametrize(
    ("sunday", "offset_before", "offset_after", "night_slots"),
    [
        ("2027-03-28", "+01:00", "+02:00", 4),  # spring forward: 01–04 is two real hours
        ("2027-10-31", "+02:00", "+01:00", 8),  # fall back: 01–04 is four real hours
    ],
)
async def test_daylight_saving_days_have_no_missing_or_duplicate_slots(
    api: Api, sunday: str, offset_before: str, offset_after: str, night_slots: int
) -> None:
    await set_hours(api, [MORNING, NIGHT])
    result = await generate(api, sunday, sunday)
    assert result == {"created": 16 + night_slots, "existing": 0}
    assert await generate(api, sunday, sunday) == {"created": 0, "existing": 16 + night_slots}

    morning = [s for s in await free_slots(api, api.anna, sunday) if s["kind"] == "consultation"]
    assert [s["starts_at"][11:16] for s in morning[:2]] == ["08:00", "08:15"]
    assert len(morning) == 16 and all(s["starts_at"].endswith(offset_after) for s in morning)

    night = [s for s in await free_slots(api, api.anna, sunday) if s["kind"] == "phone"]
    starts = [datetime.fromisoformat(s["starts_at"]) for s in night]
    assert len(starts) == night_slots == len(set(starts))
    assert all(b - a == timedelta(minutes=30) for a, b in pairwise(starts))
    assert night[0]["starts_at"] == f"{sunday}T01:00:00{offset_before}"
    assert night[-1]["ends_at"] == f"{sunday}T04:00:00{offset_after}"


async def test_hours_are_validated(api: Api) -> None:
    for bad, status, kind, detail in (
        ({**MORNING, "weekday": 7}, 422, "invalid", "weekday must be 0"),
        ({**MORNING, "opens": "12:00", "closes": "08:00"}, 422, "invalid", "open before"),
        ({**MORNING, "minutes": 2}, 422, "invalid", "5 to 240 minutes"),
        ({**MORNING, "kind": "surgery"}, 400, "validation", "Validation failed"),
        ({**MORNING, "opens": "25:00"}, 400, "validation", "Validation failed"),
    ):
        r = await api.client.put(
            "/v1/clinician/clinic/hours", json={"hours": [bad]}, headers=api.gp
        )
        assert r.status_code == status, (bad, r.text)
        assert r.json()["type"] == PROBLEMS + kind, (bad, r.text)
        assert detail in r.json()["detail"], (bad, r.text)
    got = await api.client.get("/v1/clinician/clinic/hours", headers=api.gp)
    assert got.json() == {"hours": []}


async def test_closure_blocks_free_slots_and_names_the_bookings_inside(api: Api) -> None:
    slots = await free_slots(api, api.anna)
    booked = (await book(api, api.anna, slots[1]["id"])).json()
    r = await api.client.post(
        "/v1/clinician/clinic/closures",
        json={
            "starts_at": slots[0]["starts_at"],
            "ends_at": slots[4]["starts_at"],
            "reason": "blocked",
        },
        headers=api.gp,
    )
    assert r.status_code == 201, r.text
    assert r.json()["blocked_slots"] == 3
    assert r.json()["affected_appointments"] == [booked["id"]]
    left = {s["id"] for s in await free_slots(api, api.anna)}
    assert not left & {s["id"] for s in slots[:4]}
    assert slots[4]["id"] in left


async def test_one_off_slot(api: Api) -> None:
    r = await api.client.post(
        "/v1/clinician/clinic/slots",
        json={"kind": "video", "starts_at": "2026-11-23T15:00:00+01:00"},
        headers=api.gp,
    )
    assert r.status_code == 201, r.text
    assert r.json()["minutes"] == 15
    again = await api.client.post(
        "/v1/clinician/clinic/slots",
        json={"kind": "video", "starts_at": "2026-11-23T14:00:00Z"},
        headers=api.gp,
    )
    assert again.status_code == 422
    past = await api.client.post(
        "/v1/clinician/clinic/slots",
        json={"kind": "video", "starts_at": "2026-11-19T15:00:00+01:00"},
        headers=api.gp,
    )
    assert past.status_code == 422
    naive = await api.client.post(
        "/v1/clinician/clinic/slots",
        json={"kind": "video", "starts_at": "2026-11-23T16:00:00"},
        headers=api.gp,
    )
    assert naive.status_code == 400
    videos = await api.client.get(
        "/v1/me/clinic/slots", params={"from": MONDAY, "type": "video"}, headers=api.anna
    )
    assert [s["starts_at"] for s in videos.json()] == ["2026-11-23T15:00:00+01:00"]


async def test_day_list_and_clinic_cancel_with_message_is_audited_and_told(api: Api) -> None:
    slots = await free_slots(api, api.anna)
    booked = (await book(api, api.anna, slots[0]["id"], reason="Hoste")).json()
    day = await api.client.get("/v1/clinician/appointments", params={"day": MONDAY}, headers=api.gp)
    assert day.status_code == 200
    assert [(d["citizen_name"], d["appointment"]["reason"]) for d in day.json()] == [
        ("Anna Jensen", "Hoste")
    ]
    r = await api.client.post(
        f"/v1/clinician/appointments/{booked['id']}/cancel",
        json={"message": "Lægen er syg. Ring og få en ny tid."},
        headers=api.gp,
    )
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "cancelled_by_clinic"
    assert slots[0]["id"] not in {s["id"] for s in await free_slots(api, api.bent)}
    told = await notices(api, api.anna)
    assert told[0]["kind"] == "appointment.cancelled_by_clinic"
    assert "Lægen er syg" in told[0]["body"]
    log = (await api.client.get("/v1/me/audit-log", headers=api.anna)).json()["items"]
    actions = [e["action"] for e in log]
    assert "appointment.cancel" in actions and "appointments.read" in actions
    gp_entry = next(e for e in log if e["action"] == "appointment.cancel")
    assert gp_entry["actor"]["role"] == "clinician"
    assert gp_entry["actor"]["clinic_id"] == api.demo.clinic_id


async def test_clinic_cancel_can_reopen_and_needs_a_message(api: Api) -> None:
    slots = await free_slots(api, api.anna)
    booked = (await book(api, api.anna, slots[0]["id"])).json()
    path = f"/v1/clinician/appointments/{booked['id']}/cancel"
    assert (await api.client.post(path, json={"message": "  "}, headers=api.gp)).status_code == 422
    r = await api.client.post(
        path, json={"message": "Flyttet", "reopen_slot": True}, headers=api.gp
    )
    assert r.status_code == 200
    assert slots[0]["id"] in {s["id"] for s in await free_slots(api, api.bent)}
    assert (
        await api.client.post(path, json={"message": "igen"}, headers=api.gp)
    ).status_code == 409


async def test_another_clinic_sees_and_cancels_nothing(api: Api) -> None:
    _, other_gp = await api.other_clinic()
    slots = await free_slots(api, api.anna)
    booked = (await book(api, api.anna, slots[0]["id"])).json()
    day = await api.client.get(
        "/v1/clinician/appointments", params={"day": MONDAY}, headers=other_gp
    )
    assert day.json() == []
    r = await api.client.post(
        f"/v1/clinician/appointments/{booked['id']}/cancel",
        json={"message": "nej"},
        headers=other_gp,
    )
    assert r.status_code == 404
    mine = (await api.client.get(f"/v1/me/appointments/{booked['id']}", headers=api.anna)).json()
    assert mine["status"] == "booked"


async def test_rules_change_the_cutoff(api: Api) -> None:
    r = await api.client.put(
        "/v1/clinician/clinic/rules",
        json={
            "cancel_cutoff_minutes": 24 * 60,
            "waitlist_hold_minutes": 15,
            "photos_enabled": False,
            "answer_working_days": 2,
        },
        headers=api.gp,
    )
    assert r.status_code == 200, r.text
    clinic = (await api.client.get("/v1/me/clinic", headers=api.anna)).json()
    assert clinic["cancel_cutoff_minutes"] == 1440 and clinic["photos_enabled"] is False
    slots = await free_slots(api, api.anna)
    booked = (await book(api, api.anna, slots[0]["id"])).json()
    api.clock.set(datetime.fromisoformat(booked["starts_at"]) - timedelta(hours=23))
    r = await api.client.post(f"/v1/me/appointments/{booked['id']}/cancel", headers=api.anna)
    assert r.status_code == 409
    bad = await api.client.put(
        "/v1/clinician/clinic/rules", json={"cancel_cutoff_minutes": -5}, headers=api.gp
    )
    assert bad.status_code == 422


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/v1/clinician/clinic"),
        ("GET", "/v1/clinician/clinic/hours"),
        ("PUT", "/v1/clinician/clinic/hours"),
        ("POST", "/v1/clinician/clinic/slots/generate"),
        ("POST", "/v1/clinician/clinic/closures"),
        ("GET", "/v1/clinician/appointments?day=2026-11-23"),
    ],
)
async def test_clinic_api_is_for_clinicians_only(api: Api, method: str, path: str) -> None:
    for who in (api.anna, api.gateway):
        r = await api.client.request(method, path, headers=who, json={})
        assert r.status_code == 403, (path, r.text)


# --- the waitlist -----------------------------------------------------------------------


async def test_freed_slot_is_offered_to_the_first_in_line_who_can_accept(api: Api) -> None:
    slots = await free_slots(api, api.anna)
    later = await free_slots(api, api.anna, "2026-11-24")
    annas = (await book(api, api.anna, slots[0]["id"])).json()
    bents = (await book(api, api.bent, later[0]["id"])).json()
    carl = await api.patient("carl")
    r = await api.client.post(
        "/v1/me/waitlist",
        json={"kind": "consultation", "appointment_id": bents["id"]},
        headers=api.bent,
    )
    assert r.status_code == 201, r.text
    entry = r.json()
    api.clock.advance(seconds=1)  # Carl joins after Bent
    carl_entry = (
        await api.client.post(
            "/v1/me/waitlist",
            json={"kind": "consultation", "before": "2026-11-30T00:00:00+01:00"},
            headers=carl,
        )
    ).json()

    await api.client.post(f"/v1/me/appointments/{annas['id']}/cancel", headers=api.anna)
    # held for Bent: nobody else sees or gets it
    assert slots[0]["id"] not in {s["id"] for s in await free_slots(api, carl)}
    assert (await book(api, carl, slots[0]["id"])).status_code == 409
    offer = (await api.client.get("/v1/me/waitlist", headers=api.bent)).json()[0]
    assert offer["status"] == "offered" and offer["offered_slot"]["id"] == slots[0]["id"]
    assert (await notices(api, api.bent))[0]["kind"] == "waitlist.offer"

    accepted = await api.client.post(f"/v1/me/waitlist/{entry['id']}/accept", headers=api.bent)
    assert accepted.status_code == 201, accepted.text
    moved = accepted.json()
    assert moved["slot_id"] == slots[0]["id"] and moved["replaces"] == bents["id"]
    # Bent's old Tuesday slot is freed and goes to Carl, next in line
    carl_view = (await api.client.get("/v1/me/waitlist", headers=carl)).json()[0]
    assert carl_view["id"] == carl_entry["id"]
    assert carl_view["status"] == "offered"
    assert carl_view["offered_slot"]["id"] == later[0]["id"]


async def offer_to_first_of_two(
    api: Api,
) -> tuple[list[dict], dict[str, str], dict[str, str]]:
    """Two patients wait, in turn, for a slot before Tuesday; Anna cancels hers, so the
    first in line is offered it. (Monday's slots, the first's and the second's headers.)"""
    slots = await free_slots(api, api.anna)
    annas = (await book(api, api.anna, slots[0]["id"])).json()
    first, second = await api.patient("first"), await api.patient("second")
    for who in (first, second):
        r = await api.client.post(
            "/v1/me/waitlist",
            json={"kind": "consultation", "before": "2026-11-24T00:00:00+01:00"},
            headers=who,
        )
        assert r.status_code == 201
        api.clock.advance(seconds=1)  # first come, first served
    await api.client.post(f"/v1/me/appointments/{annas['id']}/cancel", headers=api.anna)
    return slots, first, second


async def test_a_lapsed_or_declined_offer_passes_to_the_next(api: Api) -> None:
    from app.services.booking import sweep_lapsed_offers

    slots, first, second = await offer_to_first_of_two(api)
    one = (await api.client.get("/v1/me/waitlist", headers=first)).json()[0]
    assert one["status"] == "offered"

    api.clock.advance(minutes=31)  # the demo clinic holds offers for 30 minutes
    assert await sweep_lapsed_offers(api.runtime.store, api.clock) == 1
    one = (await api.client.get("/v1/me/waitlist", headers=first)).json()[0]
    assert one["status"] == "waiting"
    late = await api.client.post(f"/v1/me/waitlist/{one['id']}/accept", headers=first)
    assert late.status_code == 409
    two = (await api.client.get("/v1/me/waitlist", headers=second)).json()[0]
    assert two["status"] == "offered" and two["offered_slot"]["id"] == slots[0]["id"]

    r = await api.client.post(f"/v1/me/waitlist/{two['id']}/decline", headers=second)
    assert r.status_code == 200 and r.json()["status"] == "waiting"
    # nobody left who has not turned it down: the slot is simply free again
    assert slots[0]["id"] in {s["id"] for s in await free_slots(api, api.anna)}


async def test_waitlist_input_rules(api: Api) -> None:
    r = await api.client.post("/v1/me/waitlist", json={"kind": "consultation"}, headers=api.anna)
    assert r.status_code == 422
    r = await api.client.post(
        "/v1/me/waitlist",
        json={"kind": "consultation", "before": "2026-11-01T00:00:00Z"},
        headers=api.anna,
    )
    assert r.status_code == 422
    ok = await api.client.post(
        "/v1/me/waitlist",
        json={"kind": "consultation", "before": "2026-12-01T00:00:00Z"},
        headers=api.anna,
    )
    assert ok.status_code == 201
    naive = await api.client.post(
        "/v1/me/waitlist",
        json={"kind": "consultation", "before": "2026-12-01T00:00:00"},
        headers=api.anna,
    )
    assert naive.status_code == 400  # a time without an offset is refused, not guessed
    dup = await api.client.post(
        "/v1/me/waitlist",
        json={"kind": "consultation", "before": "2026-12-02T00:00:00Z"},
        headers=api.anna,
    )
    assert dup.status_code == 409
    entry = ok.json()["id"]
    assert (
        await api.client.post(f"/v1/me/waitlist/{entry}/accept", headers=api.bent)
    ).status_code == 404
    left = await api.client.post(f"/v1/me/waitlist/{entry}/cancel", headers=api.anna)
    assert left.json()["status"] == "cancelled"


async def test_without_from_and_to_the_next_14_days_are_listed(api: Api) -> None:
    """docs/api.md: without `from`/`to`, the free slots from now until 14 days later."""
    now = api.clock.now()  # 2026-11-20 09:00 UTC
    # 14 days on is 2026-12-04 10:00 in Copenhagen; slots 15 minutes apart around it
    for starts_at in ("2026-12-04T09:45:00+01:00", "2026-12-04T10:00:00+01:00"):
        r = await api.client.post(
            "/v1/clinician/clinic/slots",
            json={"kind": "video", "starts_at": starts_at},
            headers=api.gp,
        )
        assert r.status_code == 201, r.text
    r = await api.client.get("/v1/me/clinic/slots", headers=api.anna)
    assert r.status_code == 200, r.text
    starts = [datetime.fromisoformat(s["starts_at"]) for s in r.json()]
    assert starts and min(starts) >= now
    assert max(starts) == datetime.fromisoformat("2026-12-04T09:45:00+01:00")
    assert max(starts) < now + timedelta(days=14)
    # the slot at exactly 14 days is the first of a later window
    later = await api.client.get(
        "/v1/me/clinic/slots", params={"from": "2026-12-04T10:00:00+01:00"}, headers=api.anna
    )
    assert [s["starts_at"] for s in later.json()] == ["2026-12-04T10:00:00+01:00"]
