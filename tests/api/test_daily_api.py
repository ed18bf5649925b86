"""GET /v1/me/daily: the §4 series over HTTP, scoped to the caller."""

from __future__ import annotations

from pathlib import Path

from adapters.ingest.files import item_source
from app.services.ingest import ingest
from tests.conftest import Api

FIT_WALK = Path(__file__).parents[2] / "fixtures" / "fit" / "garmin-fenix-5-walk.fit"


async def test_daily_series_is_the_callers_own(api: Api) -> None:
    await ingest(
        api.runtime.store,
        api.clock,
        citizen_id=api.demo.citizens[0].id,
        items=item_source(FIT_WALK, "fit"),
        import_id="i1",
        fmt="fit",
    )
    q = "/v1/me/daily?metric=heart_rate&from=2017-06-01&to=2017-06-30"
    mine = (await api.client.get(q, headers=api.anna)).json()
    assert mine["metric"] == "heart_rate" and mine["unit"] == "bpm"
    assert mine["timezone"] == "Europe/Copenhagen"
    assert [d["date"] for d in mine["days"]] == ["2017-06-11"]
    assert set(mine["days"][0]) == {"date", "count", "min", "max", "mean"}
    theirs = (await api.client.get(q, headers=api.bent)).json()
    assert theirs["days"] == []


async def test_daily_bad_input_is_a_clear_error(api: Api) -> None:
    base = "/v1/me/daily?metric={}&from={}&to={}"
    unknown = await api.client.get(
        base.format("mood", "2024-01-01", "2024-01-31"), headers=api.anna
    )
    assert unknown.status_code == 422 and "mood" in unknown.json()["detail"]
    backwards = await api.client.get(
        base.format("steps", "2024-02-01", "2024-01-01"), headers=api.anna
    )
    assert backwards.status_code == 422
    not_a_date = await api.client.get(
        base.format("steps", "2024-13-01", "2024-01-01"), headers=api.anna
    )
    assert not_a_date.status_code == 400
    missing = await api.client.get("/v1/me/daily?metric=steps", headers=api.anna)
    assert missing.status_code == 400
    clinician = await api.client.get(
        base.format("steps", "2024-01-01", "2024-01-02"), headers=api.gp
    )
    assert clinician.status_code == 403


async def test_changing_time_zone_rebuilds_the_local_days(api: Api) -> None:
    from datetime import date, datetime, time

    from tests.sharing_data import ZONE, sample

    early = sample("steps", date(2026, 11, 10), 1000, hour=0)  # 00:00–01:00 Copenhagen
    assert datetime.fromisoformat(early["start"]).time() == time(0, 0)
    assert ZONE.key == "Europe/Copenhagen"
    r = await api.client.post(
        "/v1/me/healthkit/samples", json={"samples": [early]}, headers=api.anna
    )
    assert r.status_code == 200
    url = "/v1/me/daily?metric=steps&from=2026-11-08&to=2026-11-12"
    before = (await api.client.get(url, headers=api.anna)).json()["days"]
    assert before == [{"date": "2026-11-10", "sum": 1000.0}]
    r = await api.client.patch("/v1/me", json={"timezone": "America/New_York"}, headers=api.anna)
    assert r.status_code == 200
    after = (await api.client.get(url, headers=api.anna)).json()
    assert after["timezone"] == "America/New_York"
    assert after["days"] == [{"date": "2026-11-09", "sum": 1000.0}]  # 18:00 the day before
