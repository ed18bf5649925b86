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
