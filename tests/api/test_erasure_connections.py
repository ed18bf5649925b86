"""Cloud connections and the citizen's deletions (issue 14, ADR 0023), against the
Withings stand-in: a deleted Withings source is fetched again on the next pull, and
closing the account turns the vendor's notifications off and drops the link."""

from __future__ import annotations

from tests.api.test_connections import bp, cloud, connect, drain, linked_with_a_pull_waiting, now_s
from tests.api.vendor_fixtures import withings, withings_settings
from tests.conftest import Api
from tests.vendor_servers import FakeWithings

__all__ = ["withings", "withings_settings"]  # the Withings stand-in and its settings


async def _systolic(api: Api) -> list[object]:
    day = api.clock.now().date().isoformat()
    r = await api.client.get(
        f"/v1/me/daily?metric=blood_pressure_systolic&from={day}&to={day}", headers=api.anna
    )
    return [(d["count"], d["mean"]) for d in r.json()["days"]]


async def test_a_deleted_withings_source_is_fetched_again(api: Api, withings: FakeWithings) -> None:
    at = now_s(api) - 600
    withings.user("1001").groups.append(bp(1, at, sys=131))
    await connect(api, api.anna)
    await drain(cloud(api))
    assert await _systolic(api) == [(1, 131.0)]
    sources = (await api.client.get("/v1/me/sources", headers=api.anna)).json()
    key = next(s["key"] for s in sources if s["key"].startswith("withings:"))
    r = await api.client.delete(f"/v1/me/sources/{key}", headers=api.anna)
    # systolic, diastolic and pulse of the one cuff reading
    assert r.json() == {"deleted_samples": 3, "days_rerolled": 1}
    assert await _systolic(api) == []
    # the vendor's ids went with the samples: the next pull stores the reading again
    assert await cloud(api).notified("withings", "1001", at - 60, at + 60)
    await drain(cloud(api))
    assert await _systolic(api) == [(1, 131.0)]


async def test_closing_the_account_unsubscribes_and_drops_the_link(
    api: Api, withings: FakeWithings
) -> None:
    await linked_with_a_pull_waiting(api, withings)
    r = await api.client.delete("/v1/me", headers=api.anna)
    assert r.status_code == 200
    assert withings.subscriptions == set()
    async with api.runtime.store.read() as uow:
        assert await uow.connections.for_citizen(api.demo.citizens[0].id) == []
        assert await uow.connections.pending_pulls(api.demo.citizens[0].id, "withings") == 0
    # a notification for the old account finds no link any more
    assert not await cloud(api).notified("withings", "1001", None, None)
    assert (await drain(cloud(api))).pulled == 0
