"""The background worker on both engines: reminders a day ahead, lapsed waitlist offers
passed on without anyone asking, and the serve lifespan running it."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

from app.services.reminders import send_reminders
from mobile_api.worker import work_once
from tests.api.test_booking_api import MONDAY, book, free_slots, notices
from tests.api.test_clinic_schedule_api import offer_to_first_of_two
from tests.conftest import Api


async def test_an_appointment_booked_ahead_is_reminded_once_a_day_before(api: Api) -> None:
    # the clock stands on Friday 20 November 09:00 UTC; Monday 08:00 is 2.9 days ahead
    slot = (await free_slots(api, api.anna, MONDAY))[0]
    booked = await book(api, api.anna, slot["id"])
    assert booked.status_code == 201
    starts = datetime.fromisoformat(slot["starts_at"])
    api.clock.set(starts - timedelta(hours=24, seconds=1))
    assert await send_reminders(api.runtime.store, api.clock) == 0
    api.clock.advance(seconds=1)
    assert await send_reminders(api.runtime.store, api.clock) == 1
    assert await send_reminders(api.runtime.store, api.clock) == 0
    api.clock.advance(hours=12)
    assert await send_reminders(api.runtime.store, api.clock) == 0
    reminder, confirmation = await notices(api, api.anna)
    assert confirmation["kind"] == "appointment.booked"
    assert reminder["kind"] == "appointment.reminder"
    assert reminder["ref"] == f"appointments/{booked.json()['id']}"
    assert reminder["title_da"] == "Husk din tid hos lægen"
    assert reminder["body_da"] == (
        "Du har en tid mandag den 23. november kl. 08:00. Kan du ikke komme, så aflys i appen."
    )
    assert reminder["body_en"].startswith("You have an appointment on Monday 23 November at 08:00.")


async def test_no_reminder_when_booked_within_a_day_or_cancelled(api: Api) -> None:
    first, second = (await free_slots(api, api.anna, MONDAY))[:2]
    starts = datetime.fromisoformat(first["starts_at"])
    api.clock.set(starts - timedelta(hours=23))  # booked 23 hours ahead
    assert (await book(api, api.anna, first["id"])).status_code == 201
    cancelled = (await book(api, api.bent, second["id"])).json()
    r = await api.client.post(f"/v1/me/appointments/{cancelled['id']}/cancel", headers=api.bent)
    assert r.status_code == 200, r.text
    for _ in range(23):
        api.clock.advance(hours=1)
        assert await send_reminders(api.runtime.store, api.clock) == 0
    kinds = {n["kind"] for n in await notices(api, api.anna) + await notices(api, api.bent)}
    assert "appointment.reminder" not in kinds


async def test_two_workers_at_once_write_one_reminder(api: Api) -> None:
    slot = (await free_slots(api, api.anna, MONDAY))[0]
    await book(api, api.anna, slot["id"])
    api.clock.set(datetime.fromisoformat(slot["starts_at"]) - timedelta(hours=2))
    counts = await asyncio.gather(
        send_reminders(api.runtime.store, api.clock), send_reminders(api.runtime.store, api.clock)
    )
    assert sorted(counts) == [0, 1]
    kinds = [n["kind"] for n in await notices(api, api.anna)]
    assert kinds.count("appointment.reminder") == 1


async def test_the_worker_passes_a_lapsed_offer_on_by_itself(api: Api) -> None:
    slots, first, second = await offer_to_first_of_two(api)
    assert (await api.client.get("/v1/me/waitlist", headers=first)).json()[0]["status"] == (
        "offered"
    )
    assert (await work_once(api.runtime)).offers_passed_on == 0  # still within the hold
    api.clock.advance(minutes=31)
    report = await work_once(api.runtime)
    assert report.offers_passed_on == 1
    assert report.push.rows == 0  # no push service configured in the tests' runtime
    two = (await api.client.get("/v1/me/waitlist", headers=second)).json()[0]
    assert two["status"] == "offered" and two["offered_slot"]["id"] == slots[0]["id"]
