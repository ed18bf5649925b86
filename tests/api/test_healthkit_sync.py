"""POST /v1/me/healthkit/samples: outcomes, replays, deletions, and export + sync once."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

from adapters.ingest.files import item_source
from app.services.ingest import ingest
from tests.conftest import Api
from tests.store.test_ingest import WATCH, export, rec

URL = "/v1/me/healthkit/samples"
VALIDATION = "https://minlaege.dk/problems/validation"


def hk(**over: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "uuid": str(uuid.uuid4()).upper(),
        "type": "HKQuantityTypeIdentifierStepCount",
        "unit": "count",
        "value": 600,
        "start": "2024-05-02T10:30:00+02:00",
        "end": "2024-05-02T11:30:00+02:00",
        "source_name": "Anna’s Apple Watch",
        "bundle_id": "com.apple.health.ABC",
        "device_model": "Watch",
    }
    base.update(over)
    return base


async def _steps(api: Api) -> list[Any]:
    r = await api.client.get(
        "/v1/me/daily?metric=steps&from=2024-05-02&to=2024-05-03", headers=api.anna
    )
    return r.json()["days"]  # type: ignore[no-any-return]


async def test_batch_outcomes_and_replay(api: Api) -> None:
    batch = {
        "samples": [
            hk(),
            hk(type="HKQuantityTypeIdentifierHeartRate", unit="count/min", value=400),
            hk(unit="furlongs"),
            hk(uuid="not-a-uuid"),
            hk(
                type="HKCategoryTypeIdentifierSleepAnalysis",
                unit=None,
                value="HKCategoryValueSleepAnalysisAsleepDeep",
            ),
        ]
    }
    first = await api.client.post(URL, json=batch, headers=api.anna)
    assert first.status_code == 200
    body = first.json()
    assert [r["outcome"] for r in body["results"]] == [
        "stored",
        "rejected",
        "rejected",
        "rejected",
        "stored",
    ]
    assert [r.get("reason") for r in body["results"]][1:4] == [
        "implausible_value",
        "unknown_unit",
        "malformed",
    ]
    assert (body["stored"], body["rejected"]) == (2, 3)
    assert await _steps(api) == [{"date": "2024-05-02", "sum": 600.0}]
    again = (await api.client.post(URL, json=batch, headers=api.anna)).json()
    assert again["stored"] == 0 and again["duplicates"] == 2
    assert await _steps(api) == [{"date": "2024-05-02", "sum": 600.0}]


async def test_deletion_removes_and_rerolls(api: Api) -> None:
    a, b = hk(), hk(value=100, start="2024-05-03T09:00:00+02:00", end="2024-05-03T09:10:00+02:00")
    await api.client.post(URL, json={"samples": [a, b]}, headers=api.anna)
    assert [d["date"] for d in await _steps(api)] == ["2024-05-02", "2024-05-03"]
    r = await api.client.post(
        URL, json={"deleted": [a["uuid"].lower(), str(uuid.uuid4())]}, headers=api.anna
    )
    assert r.status_code == 200 and r.json()["deleted"] == [a["uuid"]]
    assert await _steps(api) == [{"date": "2024-05-03", "sum": 100.0}]
    # deleting again is a no-op
    assert (await api.client.post(URL, json={"deleted": [a["uuid"]]}, headers=api.anna)).json()[
        "deleted"
    ] == []


async def test_sample_in_export_and_sync_counts_once_and_can_be_deleted(
    api: Api, tmp_path: Path
) -> None:
    path = export(
        tmp_path / "export.xml",
        rec(
            "StepCount",
            WATCH,
            "2024-05-02 10:30:00 +0200",
            "2024-05-02 11:30:00 +0200",
            600,
            "count",
        ),
    )
    await ingest(
        api.runtime.store,
        api.clock,
        citizen_id=api.demo.citizens[0].id,
        items=item_source(path, "apple-health"),
        import_id="i",
        fmt="apple-health",
    )
    same = hk()
    r = (await api.client.post(URL, json={"samples": [same]}, headers=api.anna)).json()
    assert r["results"][0]["outcome"] == "duplicate"
    assert await _steps(api) == [{"date": "2024-05-02", "sum": 600.0}]
    gone = (await api.client.post(URL, json={"deleted": [same["uuid"]]}, headers=api.anna)).json()
    assert gone["deleted"] == [same["uuid"]]
    assert await _steps(api) == []


async def test_bad_batches_are_refused_whole(api: Api) -> None:
    too_many = {"samples": [hk() for _ in range(5001)]}
    r = await api.client.post(URL, json=too_many, headers=api.anna)
    assert (r.status_code, r.json()["type"]) == (400, VALIDATION)
    extra = await api.client.post(URL, json={"samples": [hk(color="red")]}, headers=api.anna)
    assert (extra.status_code, extra.json()["type"]) == (400, VALIDATION)
    bad, good = hk(start="2024-05-02T10:30:00"), hk()  # bad: a time without an offset
    naive = await api.client.post(URL, json={"samples": [bad, good]}, headers=api.anna)
    assert naive.status_code == 200  # one bad sample never sinks the batch
    assert naive.json()["results"] == [
        {"uuid": bad["uuid"], "outcome": "rejected", "reason": "malformed"},
        {"uuid": good["uuid"], "outcome": "stored"},
    ]
    assert await _steps(api) == [{"date": "2024-05-02", "sum": 600.0}]


async def test_other_citizens_cannot_delete_my_samples(api: Api) -> None:
    mine = hk()
    await api.client.post(URL, json={"samples": [mine]}, headers=api.anna)
    r = await api.client.post(URL, json={"deleted": [mine["uuid"]]}, headers=api.bent)
    assert r.json()["deleted"] == []
    assert await _steps(api) == [{"date": "2024-05-02", "sum": 600.0}]
