"""A record that spans three days (up to 48 hours is plausible) rolls up into every day
it covers, also the middle one, when it arrives and when it is deleted."""

from __future__ import annotations

from tests.conftest import Api

URL = "/v1/me/healthkit/samples"
UUID = "5A0C6C9E-8F1B-4B4E-9E0D-2C6E4B1A7D31"


async def _steps(api: Api) -> dict[str, float]:
    r = await api.client.get(
        "/v1/me/daily?metric=steps&from=2026-11-10&to=2026-11-14", headers=api.anna
    )
    assert r.status_code == 200, r.text
    return {d["date"]: d["sum"] for d in r.json()["days"]}


async def test_a_record_over_three_days_fills_the_middle_day(api: Api) -> None:
    # London in November is UTC+0, where a UTC day is exactly a local day (elsewhere the
    # neighbouring days' edges happen to cover the middle one)
    r = await api.client.patch("/v1/me", json={"timezone": "Europe/London"}, headers=api.anna)
    assert r.status_code == 200, r.text
    # 40 hours, 22:00 on the 11th to 14:00 on the 13th: 4,000 steps, 100 an hour ->
    # 200 on the 11th, 2,400 on the 12th, 1,400 on the 13th
    sample = {
        "uuid": UUID,
        "type": "HKQuantityTypeIdentifierStepCount",
        "unit": "count",
        "value": 4000,
        "start": "2026-11-11T22:00:00+00:00",
        "end": "2026-11-13T14:00:00+00:00",
        "source_name": "Annas iPhone",
        "bundle_id": "com.apple.health.P1",
        "device_model": "iPhone",
    }
    r = await api.client.post(URL, json={"samples": [sample]}, headers=api.anna)
    assert r.status_code == 200 and r.json()["stored"] == 1, r.text
    assert await _steps(api) == {"2026-11-11": 200.0, "2026-11-12": 2400.0, "2026-11-13": 1400.0}
    r = await api.client.post(URL, json={"samples": [], "deleted": [UUID]}, headers=api.anna)
    assert r.status_code == 200 and r.json()["deleted"] == [UUID], r.text
    assert await _steps(api) == {}
