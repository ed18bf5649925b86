"""GET/PUT /v1/me/sources: the priority order, and the roll-ups following a reorder."""

from __future__ import annotations

from pathlib import Path

from adapters.ingest.files import item_source
from app.services.ingest import ingest
from tests.conftest import Api
from tests.store.test_ingest import PHONE, WATCH, export, rec


async def _import_overlap(api: Api, tmp_path: Path) -> None:
    path = export(
        tmp_path / "export.xml",
        rec(
            "StepCount",
            PHONE,
            "2024-05-02 10:00:00 +0200",
            "2024-05-02 12:00:00 +0200",
            1200,
            "count",
        ),
        rec(
            "StepCount",
            WATCH,
            "2024-05-02 10:30:00 +0200",
            "2024-05-02 11:30:00 +0200",
            900,
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


async def _steps(api: Api) -> float:
    r = await api.client.get(
        "/v1/me/daily?metric=steps&from=2024-05-02&to=2024-05-02", headers=api.anna
    )
    return float(r.json()["days"][0]["sum"])


async def test_default_order_is_watch_then_phone(api: Api, tmp_path: Path) -> None:
    await _import_overlap(api, tmp_path)
    sources = (await api.client.get("/v1/me/sources", headers=api.anna)).json()
    assert [(s["kind"], s["priority"], s["chosen"]) for s in sources] == [
        ("watch", 1, False),
        ("phone", 2, False),
    ]
    assert await _steps(api) == 1500.0


async def test_reorder_rerolls_the_days(api: Api, tmp_path: Path) -> None:
    await _import_overlap(api, tmp_path)
    sources = (await api.client.get("/v1/me/sources", headers=api.anna)).json()
    phone = next(s["key"] for s in sources if s["kind"] == "phone")
    r = await api.client.put("/v1/me/sources", json={"order": [phone]}, headers=api.anna)
    assert r.status_code == 200
    assert [(s["kind"], s["chosen"]) for s in r.json()] == [("phone", True), ("watch", False)]
    # the phone now wins its whole 2 hours (1200); the watch's hour is all under it
    assert await _steps(api) == 1200.0
    back = await api.client.put("/v1/me/sources", json={"order": []}, headers=api.anna)
    assert back.status_code == 200
    assert await _steps(api) == 1500.0


async def test_reorder_refuses_unknown_or_foreign_sources(api: Api, tmp_path: Path) -> None:
    await _import_overlap(api, tmp_path)
    sources = (await api.client.get("/v1/me/sources", headers=api.anna)).json()
    bad = await api.client.put("/v1/me/sources", json={"order": ["nope"]}, headers=api.anna)
    assert bad.status_code == 422 and "nope" in bad.json()["detail"]
    twice = [sources[0]["key"], sources[0]["key"]]
    dup = await api.client.put("/v1/me/sources", json={"order": twice}, headers=api.anna)
    assert dup.status_code == 422
    # Bent has no sources: Anna's keys are unknown to him
    foreign = await api.client.put(
        "/v1/me/sources", json={"order": [sources[0]["key"]]}, headers=api.bent
    )
    assert foreign.status_code == 422
    assert (await api.client.get("/v1/me/sources", headers=api.bent)).json() == []
    assert await _steps(api) == 1500.0
