"""Booking over HTTP on both engines: slots, book, cancel, reschedule, iCalendar, races."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

import icalendar
import pytest

from tests.conftest import Api

MONDAY = "2026-11-23"  # the demo seeds weekday mornings of this week
PROBLEMS = "https://minlaege.dk/problems/"


async def free_slots(api: Api, headers: dict[str, str], day: str = MONDAY) -> list[dict]:
    r = await api.client.get(
        "/v1/me/clinic/slots", params={"from": day, "to": day}, headers=headers
    )
    assert r.status_code == 200, r.text
    return r.json()


async def book(api: Api, headers: dict[str, str], slot_id: str, reason: str = "Ondt i ryggen"):
    return await api.client.post(
        "/v1/me/appointments", json={"slot_id": slot_id, "reason": reason}, headers=headers
    )


async def notices(api: Api, headers: dict[str, str]) -> list[dict]:
    r = await api.client.get("/v1/me/notices", headers=headers)
    assert r.status_code == 200
    return r.json()["items"]


async def test_free_slots_are_local_times_of_the_citizens_clinic(api: Api) -> None:
    slots = await free_slots(api, api.anna)
    assert len(slots) == 16
    assert slots[0]["starts_at"] == "2026-11-23T08:00:00+01:00"
    assert slots[-1]["ends_at"] == "2026-11-23T12:00:00+01:00"
    assert {s["kind"] for s in slots} == {"consultation"}
    assert all(s["minutes"] == 15 for s in slots)
    only_phone = await api.client.get(
        "/v1/me/clinic/slots", params={"from": MONDAY, "type": "phone"}, headers=api.anna
    )
    assert only_phone.json() == []


async def test_bad_slot_queries_are_clear_4xx(api: Api) -> None:
    for params, status, kind, detail in (
        ({"from": "tomorrow"}, 422, "invalid", "neither a date"),
        ({"from": "2026-11-23T08:00:00"}, 422, "invalid", "has no UTC offset"),
        ({"from": "2026-11-25", "to": "2026-11-23"}, 422, "invalid", "'to' must be after"),
        ({"from": "2026-11-23", "to": "2027-06-01"}, 422, "invalid", "at most 31 days"),
        ({"type": "surgery"}, 400, "validation", "Validation failed"),
    ):
        r = await api.client.get("/v1/me/clinic/slots", params=params, headers=api.anna)
        assert r.status_code == status, (params, r.text)
        assert r.json()["type"] == PROBLEMS + kind, (params, r.text)
        assert detail in r.json()["detail"], (params, r.text)


async def test_book_then_slot_is_gone_for_everyone(api: Api) -> None:
    slot = (await free_slots(api, api.anna))[0]
    r = await book(api, api.anna, slot["id"])
    assert r.status_code == 201, r.text
    appointment = r.json()
    assert appointment["status"] == "booked"
    assert appointment["starts_at"] == slot["starts_at"]
    assert appointment["reason"] == "Ondt i ryggen"
    assert appointment["changeable"] is True
    assert slot["id"] not in {s["id"] for s in await free_slots(api, api.bent)}

    again = await book(api, api.bent, slot["id"])
    assert again.status_code == 409
    assert again.json()["type"].endswith("/slot-taken")
    assert again.json()["title"] == "Tiden er desværre optaget"

    told = await notices(api, api.anna)
    assert [n["kind"] for n in told] == ["appointment.booked"]
    assert "mandag den 23. november kl. 08:00" in told[0]["body"]
    assert await notices(api, api.bent) == []  # the failed booking told nobody anything


async def test_fifty_concurrent_bookings_of_one_slot_give_exactly_one_201(api: Api) -> None:
    citizens = [await api.patient(f"racer-{i:02d}") for i in range(50)]
    slot = (await free_slots(api, api.anna))[3]
    results = await asyncio.gather(*(book(api, h, slot["id"]) for h in citizens))
    codes = sorted(r.status_code for r in results)
    assert codes.count(201) == 1, codes
    assert codes.count(409) == 49, codes
    async with api.runtime.store.read() as uow:
        stored = await uow.slots.get(api.demo.clinic_id, slot["id"])
    assert stored is not None and stored.status == "booked"
    winners = [h for h, r in zip(citizens, results, strict=True) if r.status_code == 201]
    listed = await api.client.get("/v1/me/appointments", headers=winners[0])
    assert [a["slot_id"] for a in listed.json()["upcoming"]] == [slot["id"]]


async def test_cancel_frees_the_slot_and_obeys_the_cutoff(api: Api) -> None:
    slots = await free_slots(api, api.anna)
    first = (await book(api, api.anna, slots[0]["id"])).json()
    r = await api.client.post(f"/v1/me/appointments/{first['id']}/cancel", headers=api.anna)
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "cancelled"
    assert slots[0]["id"] in {s["id"] for s in await free_slots(api, api.bent)}
    twice = await api.client.post(f"/v1/me/appointments/{first['id']}/cancel", headers=api.anna)
    assert twice.status_code == 409

    second = (await book(api, api.anna, slots[1]["id"])).json()
    api.clock.set(datetime.fromisoformat(second["starts_at"]) - timedelta(minutes=119))
    late = await api.client.post(f"/v1/me/appointments/{second['id']}/cancel", headers=api.anna)
    assert late.status_code == 409
    assert late.json()["type"].endswith("/too-late")
    listed = (await api.client.get("/v1/me/appointments", headers=api.anna)).json()
    assert listed["upcoming"][0]["changeable"] is False


async def test_a_citizen_cannot_touch_anothers_appointment(api: Api) -> None:
    slot = (await free_slots(api, api.anna))[0]
    mine = (await book(api, api.anna, slot["id"])).json()
    for method, path in (
        ("GET", f"/v1/me/appointments/{mine['id']}"),
        ("POST", f"/v1/me/appointments/{mine['id']}/cancel"),
    ):
        r = await api.client.request(method, path, headers=api.bent)
        assert r.status_code == 404
    r = await api.client.post(
        f"/v1/me/appointments/{mine['id']}/reschedule",
        json={"slot_id": slot["id"]},
        headers=api.bent,
    )
    assert r.status_code == 404
    assert (await api.client.get(f"/v1/me/appointments/{mine['id']}", headers=api.anna)).is_success


async def test_reschedule_is_all_or_nothing(api: Api) -> None:
    slots = await free_slots(api, api.anna)
    mine = (await book(api, api.anna, slots[0]["id"])).json()
    taken = (await book(api, api.bent, slots[1]["id"])).json()

    refused = await api.client.post(
        f"/v1/me/appointments/{mine['id']}/reschedule",
        json={"slot_id": taken["slot_id"]},
        headers=api.anna,
    )
    assert refused.status_code == 409
    still = (await api.client.get(f"/v1/me/appointments/{mine['id']}", headers=api.anna)).json()
    assert still["status"] == "booked"
    assert slots[0]["id"] not in {s["id"] for s in await free_slots(api, api.anna)}

    moved = await api.client.post(
        f"/v1/me/appointments/{mine['id']}/reschedule",
        json={"slot_id": slots[2]["id"]},
        headers=api.anna,
    )
    assert moved.status_code == 201, moved.text
    new = moved.json()
    assert new["slot_id"] == slots[2]["id"] and new["replaces"] == mine["id"]
    assert new["reason"] == mine["reason"]
    old = (await api.client.get(f"/v1/me/appointments/{mine['id']}", headers=api.anna)).json()
    assert old["status"] == "rescheduled"
    free = {s["id"] for s in await free_slots(api, api.bent)}
    assert slots[0]["id"] in free and slots[2]["id"] not in free
    kinds = [n["kind"] for n in await notices(api, api.anna)]
    assert kinds == ["appointment.rescheduled", "appointment.booked"]


async def test_icalendar_export_reads_back_with_a_standard_parser(api: Api) -> None:
    slots = await free_slots(api, api.anna)
    kept = (await book(api, api.anna, slots[0]["id"], reason="Meget privat grund")).json()
    dropped = (await book(api, api.anna, slots[1]["id"])).json()
    await api.client.post(f"/v1/me/appointments/{dropped['id']}/cancel", headers=api.anna)

    r = await api.client.get("/v1/me/appointments.ics", headers=api.anna)
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/calendar")
    assert "Meget privat grund" not in r.text  # reasons stay out of third-party calendars
    calendar = icalendar.Calendar.from_ical(r.content)
    events = {str(e["UID"]): e for e in calendar.walk("VEVENT")}
    assert set(events) == {f"{kept['id']}@minlaege.dk", f"{dropped['id']}@minlaege.dk"}
    event = events[f"{kept['id']}@minlaege.dk"]
    assert event.decoded("DTSTART") == datetime.fromisoformat(kept["starts_at"])
    assert str(event["STATUS"]) == "CONFIRMED"
    assert str(events[f"{dropped['id']}@minlaege.dk"]["STATUS"]) == "CANCELLED"
    assert "Konsultation" in str(event["SUMMARY"])


async def test_citizen_without_clinic_and_foreign_slots(api: Api) -> None:
    loner = await api.citizen("no-clinic-citizen")
    r = await api.client.get("/v1/me/clinic/slots", headers=loner)
    assert r.status_code == 404 and r.json()["type"].endswith("/no-clinic")
    slot = (await free_slots(api, api.anna))[0]
    assert (await book(api, loner, slot["id"])).status_code == 404

    other_clinic, _ = await api.other_clinic()
    stranger = await api.patient("other-clinic-patient", clinic_id=other_clinic)
    r = await book(api, stranger, slot["id"])
    assert r.status_code == 404 and r.json()["type"].endswith("/slot-not-found")


async def test_malformed_booking_bodies(api: Api) -> None:
    slot = (await free_slots(api, api.anna))[0]
    for body in ({}, {"slot_id": 7}, {"slot_id": slot["id"], "extra": 1}, []):
        r = await api.client.post("/v1/me/appointments", json=body, headers=api.anna)
        assert r.status_code == 400, (body, r.text)
    r = await book(api, api.anna, slot["id"], reason="x" * 501)
    assert r.status_code == 422
    r = await api.client.post(
        "/v1/me/appointments",
        content=b"slot_id=1",
        headers={**api.anna, "content-type": "text/plain"},
    )
    assert r.status_code == 415
    assert slot["id"] in {s["id"] for s in await free_slots(api, api.anna)}


async def test_past_slots_cannot_be_booked(api: Api) -> None:
    slot = (await free_slots(api, api.anna))[0]
    api.clock.set(datetime.fromisoformat(slot["starts_at"]) + timedelta(minutes=1))
    r = await book(api, api.anna, slot["id"])
    assert r.status_code == 409


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/v1/me/clinic"),
        ("GET", "/v1/me/clinic/slots"),
        ("GET", "/v1/me/appointments"),
        ("GET", "/v1/me/appointments.ics"),
        ("POST", "/v1/me/appointments"),
        ("GET", "/v1/me/waitlist"),
        ("GET", "/v1/me/notices"),
    ],
)
async def test_citizen_booking_api_is_for_citizens_only(api: Api, method: str, path: str) -> None:
    for who in (api.gp, api.gateway):
        r = await api.client.request(method, path, headers=who, json={"slot_id": "x"})
        assert r.status_code == 403, (path, r.text)
    assert (await api.client.request(method, path)).status_code == 401


async def test_idempotency_key_makes_a_retried_booking_safe(api: Api) -> None:
    slots = await free_slots(api, api.anna)
    key = {"Idempotency-Key": "3f1c-booking-1"}
    first = await api.client.post(
        "/v1/me/appointments", json={"slot_id": slots[0]["id"]}, headers=api.anna | key
    )
    assert first.status_code == 201
    retry = await api.client.post(
        "/v1/me/appointments", json={"slot_id": slots[0]["id"]}, headers=api.anna | key
    )
    assert retry.status_code == 200 and retry.json()["id"] == first.json()["id"]
    other_slot = await api.client.post(
        "/v1/me/appointments", json={"slot_id": slots[1]["id"]}, headers=api.anna | key
    )
    assert other_slot.status_code == 409
    assert other_slot.json()["type"].endswith("/idempotency-key-reused")
    # the same key from another citizen is theirs alone
    bents = await api.client.post(
        "/v1/me/appointments", json={"slot_id": slots[2]["id"]}, headers=api.bent | key
    )
    assert bents.status_code == 201
    listed = (await api.client.get("/v1/me/appointments", headers=api.anna)).json()
    assert len(listed["upcoming"]) == 1
    told = await notices(api, api.anna)
    assert [n["kind"] for n in told] == ["appointment.booked"]


async def test_concurrent_retries_with_one_key_make_one_booking(api: Api) -> None:
    slot = (await free_slots(api, api.anna))[0]
    key = {"Idempotency-Key": "tap-tap-tap"}
    results = await asyncio.gather(
        *(
            api.client.post(
                "/v1/me/appointments", json={"slot_id": slot["id"]}, headers=api.anna | key
            )
            for _ in range(8)
        )
    )
    assert sorted(r.status_code for r in results) == [200] * 7 + [201]
    assert len({r.json()["id"] for r in results}) == 1
