"""Download my data (issue 14 part A, contracts §10, ADR 0022), on both engines: the zip's
contents worked out by hand, who may fetch it, expiry, the audit log, a lease taken over."""

from __future__ import annotations

import asyncio
import io
import json
import zipfile
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fhir.resources.R4B.bundle import Bundle

from adapters.exports.readme import FILES
from app.domain.ids import stable_id
from app.services import exports
from app.services.imports import Leasing
from app.services.retention import empty_trash
from mobile_api.exports import drain_exports, run_export
from mobile_api.worker import retain
from tests.api.test_consultations_api import png
from tests.api.test_questionnaires_api import BP, answer, bp, given
from tests.conftest import Api

ANNA = "demo-citizen-anna"
METFORMIN = stable_id("medication", ANNA, "Metformin")
BENT_CPR = "121245-1235"
T0 = int(datetime(2026, 11, 18, 7, 0, tzinfo=UTC).timestamp() * 1000)
MIN = 60_000


async def _seed_samples(api: Api) -> None:
    """14 samples: 5 heart rate, 2 steps, 1 sleep, 1 HRV (RMSSD), and blood pressure as
    2 full readings (2 × 2 samples) and 1 systolic alone."""
    anna = api.demo.citizens[0].id
    async with api.runtime.store.transaction() as uow:
        watch = await uow.sources.add(
            anna, key="watch", name="Annas ur", kind="watch", device="Watch7", at=api.clock.now()
        )
        cuff = await uow.sources.add(
            anna, key="cuff", name="Blodtryksmåler", kind="device", device=None, at=api.clock.now()
        )
        rows: list[tuple[str, str, int, int, int, float, str, str | None]] = [
            (anna, "heart_rate", T0 + i * MIN, watch, T0 + i * MIN, 60.0 + i, "", None)
            for i in range(5)
        ]
        rows += [
            (anna, "steps", T0, watch, T0 + 10 * MIN, 800.0, "", None),
            (anna, "steps", T0 + 10 * MIN, watch, T0 + 20 * MIN, 1200.0, "", None),
            (anna, "sleep", T0 - 60 * MIN, watch, T0 - 30 * MIN, 30.0, "deep", None),
            (anna, "hrv_rmssd", T0, watch, T0, 42.5, "", None),
        ]
        for i, (sys, dia) in enumerate([(128.0, 84.0), (135.0, 88.0)]):
            at = T0 + i * 60 * MIN
            rows += [
                (anna, "blood_pressure_systolic", at, cuff, at, sys, "", None),
                (anna, "blood_pressure_diastolic", at, cuff, at, dia, "", None),
            ]
        lone = T0 + 5 * 60 * MIN
        rows.append((anna, "blood_pressure_systolic", lone, cuff, lone, 141.0, "", None))
        assert await uow.samples.insert(rows) == 14


async def _export(api: Api, headers: dict[str, str]) -> dict[str, Any]:
    """Ask for an export and let this process's worker finish it; the finished view."""
    r = await api.client.post("/v1/me/exports", headers=headers)
    assert r.status_code == 202, r.text
    body = r.json()
    assert set(body) >= {"export_id", "status", "progress"} and "href" not in body
    assert r.headers["location"] == f"/v1/me/exports/{body['export_id']}"
    await asyncio.gather(*api.runtime.jobs)
    done = (await api.client.get(r.headers["location"], headers=headers)).json()
    assert done["status"] == "done", done
    assert done["progress"] == 1.0
    assert done["href"] == f"/v1/me/exports/{body['export_id']}/download"
    return done


async def _download(api: Api, href: str, headers: dict[str, str]) -> zipfile.ZipFile:
    r = await api.client.get(href, headers=headers)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "application/zip"
    assert r.headers["cache-control"] == "private, no-store"
    assert int(r.headers["content-length"]) == len(r.content)
    return zipfile.ZipFile(io.BytesIO(r.content))


async def test_the_zip_holds_everything_and_the_bundle_validates(api: Api) -> None:
    await _seed_samples(api)
    for status, at in (
        ("taken", "2026-11-19T08:05:00+01:00"),
        ("skipped", "2026-11-19T20:00:00+01:00"),
    ):
        r = await api.client.post(
            "/v1/me/doses",
            json={"medication_id": METFORMIN, "planned_at": None, "status": status, "at": at},
            headers=api.anna,
        )
        assert r.status_code == 201, r.text
    r = await api.client.post(
        "/v1/me/consultations",
        data={"category": "results", "subject": "Udslæt", "body": "Se billedet."},
        files=[("photos", ("arm.png", png(), "image/png"))],
        headers=api.anna,
    )
    assert r.status_code == 201, r.text
    r = await api.client.post(
        "/v1/me/proxies",
        json={"cpr": BENT_CPR, "name": "Bent Nielsen", "scopes": ["booking"]},
        headers=api.anna,
    )
    assert r.status_code == 201, r.text

    instance_id = await given(api, BP)
    assert (await answer(api, instance_id, bp(128, 80))).status_code == 201

    done = await _export(api, api.anna)
    archive = await _download(api, done["href"], api.anna)
    names = set(archive.namelist())
    assert set(FILES) <= names and "README.md" in names

    bundle = json.loads(archive.read("fhir/bundle.json"))
    Bundle.model_validate(bundle)  # FHIR R4 (R4B models): raises if anything is off
    kinds: dict[str, int] = {}
    for entry in bundle["entry"]:
        kind = entry["resource"]["resourceType"]
        kinds[kind] = kinds.get(kind, 0) + 1
    # 5 heart rate + 2 steps + 1 sleep + 1 HRV + 2 blood pressure panels + 1 lone systolic
    assert kinds == {
        "Patient": 1,
        "Device": 2,
        "Observation": 12,
        "QuestionnaireResponse": 1,
        "MedicationAdministration": 2,
    }
    resources = [e["resource"] for e in bundle["entry"]]
    panels = [
        r for r in resources if r.get("code", {}).get("coding", [{}])[0].get("code") == "85354-9"
    ]
    assert sorted(tuple(c["valueQuantity"]["value"] for c in p["component"]) for p in panels) == [
        (128.0, 84.0),
        (135.0, 88.0),
    ]
    lone = [
        r for r in resources if r.get("code", {}).get("coding", [{}])[0].get("code") == "8480-6"
    ]
    assert [o["valueQuantity"]["value"] for o in lone] == [141.0]
    heart = [
        r for r in resources if r.get("code", {}).get("coding", [{}])[0].get("code") == "8867-4"
    ]
    assert [o["valueQuantity"]["value"] for o in heart] == [60.0, 61.0, 62.0, 63.0, 64.0]
    # 07:00 UTC in Copenhagen in November is 08:00 +01:00
    assert heart[0]["effectiveDateTime"] == "2026-11-18T08:00:00+01:00"
    steps = [
        r for r in resources if r.get("code", {}).get("coding", [{}])[0].get("code") == "41950-7"
    ]
    assert steps[0]["effectivePeriod"] == {
        "start": "2026-11-18T08:00:00+01:00",
        "end": "2026-11-18T08:10:00+01:00",
    }
    statuses = sorted(
        r["status"] for r in resources if r["resourceType"] == "MedicationAdministration"
    )
    assert statuses == ["completed", "not-done"]
    (answered,) = [r for r in resources if r["resourceType"] == "QuestionnaireResponse"]
    assert answered["id"] == instance_id and answered["status"] == "completed"
    assert answered["subject"] == {"reference": bundle["entry"][0]["fullUrl"]}
    assert answered["item"] == bp(128, 80)["item"]
    patient = resources[0]
    assert patient == {
        "resourceType": "Patient",
        "id": patient["id"],
        "name": [{"text": "Anna Jensen"}],
    }

    # the photo file itself, under the name the consultation names
    threads = json.loads(archive.read("consultations.json"))
    (photo,) = threads[0]["messages"][0]["photos"]
    assert archive.read(photo["file"]) == (await _photo_bytes(api, threads, photo))
    assert "blob_key" not in json.dumps(threads)
    proxies = json.loads(archive.read("proxies.json"))
    assert [g["proxy_name"] for g in proxies["given"]] == ["Bent Nielsen"]
    assert "proxy_cpr_hash" not in proxies["given"][0]
    gateways = json.loads(archive.read("gateways.json"))
    assert [g["name"] for g in gateways] == ["Stuen (demo)"]
    notices = json.loads(archive.read("notices.json"))
    assert {"questionnaire.answered", "questionnaire.due"} <= {n["notice"]["kind"] for n in notices}
    logged = [e["action"] for e in json.loads(archive.read("audit-log.json"))]
    assert "questionnaire.submit" in logged and logged[-1] == "export.create"
    profile = json.loads(archive.read("profile.json"))
    assert profile["cpr_on_file"] is True and profile["name"] == "Anna Jensen"

    # no CPR number anywhere, in either spelling, Anna's or Bent's
    for name in archive.namelist():
        data = archive.read(name)
        for cpr in (b"0101501234", b"010150-1234", b"1212451235", BENT_CPR.encode()):
            assert cpr not in data, name

    readme = archive.read("README.md").decode()
    assert "## Dansk" in readme and "## English" in readme
    assert readme.index("## Dansk") < readme.index("## English")
    for file in FILES:
        assert readme.count(f"`{file}`") == 2, file
    assert "- Observation: 12" in readme


async def _photo_bytes(api: Api, threads: list[dict[str, Any]], photo: dict[str, Any]) -> bytes:
    r = await api.client.get(
        f"/v1/me/consultations/{threads[0]['id']}/photos/{photo['id']}", headers=api.anna
    )
    assert r.status_code == 200
    return r.content


async def test_the_link_is_for_the_citizen_only(api: Api) -> None:
    done = await _export(api, api.anna)
    poll = f"/v1/me/exports/{done['export_id']}"
    # another citizen: as if there were no such export
    for url in (poll, done["href"]):
        r = await api.client.get(url, headers=api.bent)
        assert r.status_code == 404
    # a clinician or a gateway: not a citizen route at all
    for headers in (api.gp, api.gateway):
        for url in (poll, done["href"]):
            r = await api.client.get(url, headers=headers)
            assert r.status_code == 403
        assert (await api.client.post("/v1/me/exports", headers=headers)).status_code == 403
    # a relative holding every scope there is still may not export or download (ADR 0022)
    r = await api.client.post(
        "/v1/me/proxies",
        json={
            "cpr": BENT_CPR,
            "name": "Bent Nielsen",
            "scopes": [
                "booking",
                "messages",
                "medications",
                "wearables",
                "shares",
                "questionnaires",
            ],
        },
        headers=api.anna,
    )
    assert r.status_code == 201
    proxy = api.bent | {"X-Act-For": api.demo.citizens[0].id}
    for method, url in (("POST", "/v1/me/exports"), ("GET", poll), ("GET", done["href"])):
        r = await api.client.request(method, url, headers=proxy)
        assert r.status_code == 403
        assert r.json()["type"].endswith("/proxy-scope")
    # an export id that does not exist, and one not yet done
    assert (
        await api.client.get("/v1/me/exports/nope/download", headers=api.anna)
    ).status_code == 404


async def test_not_ready_then_expired_and_deleted(api: Api) -> None:
    api.runtime.settings = _no_worker(api)
    r = await api.client.post("/v1/me/exports", headers=api.anna)
    export_id = r.json()["export_id"]
    # asking again while it waits answers the same export (one at a time)
    again = await api.client.post("/v1/me/exports", headers=api.anna)
    assert again.status_code == 202 and again.json()["export_id"] == export_id
    href = f"/v1/me/exports/{export_id}/download"
    queued = await api.client.get(href, headers=api.anna)
    assert queued.status_code == 409 and queued.json()["type"].endswith("/export-not-ready")
    await drain_exports(api.runtime)
    done = (await api.client.get(f"/v1/me/exports/{export_id}", headers=api.anna)).json()
    assert done["status"] == "done"
    # the link lasts export_link_days (7) from when it was done
    assert datetime.fromisoformat(done["expires_at"]) == api.clock.now() + timedelta(days=7)
    blobs = [p for p in (api.runtime.settings.blob_root / "exports").rglob("*.zip")]
    assert len(blobs) == 1
    api.clock.advance(days=7, seconds=-1)
    assert (await api.client.get(href, headers=api.anna)).status_code == 200
    api.clock.advance(seconds=1)
    # expired at once for the poller too, before the worker has swept
    polled = (await api.client.get(f"/v1/me/exports/{export_id}", headers=api.anna)).json()
    assert polled["status"] == "expired" and "href" not in polled
    gone = await api.client.get(href, headers=api.anna)
    assert gone.status_code == 410
    assert gone.json()["type"] == "https://minlaege.dk/problems/export-expired"
    assert "expired" in gone.json()["detail"]
    # the worker's retention pass deletes the zip and marks the export expired
    assert await retain(api.runtime) >= 2  # the row, and the zip from the blob trash
    assert not blobs[0].exists()
    after = (await api.client.get(f"/v1/me/exports/{export_id}", headers=api.anna)).json()
    assert after["status"] == "expired" and "href" not in after
    assert (await api.client.get(href, headers=api.anna)).status_code == 410


async def test_a_zip_gone_from_the_store_is_a_clear_410_not_a_cut_download(api: Api) -> None:
    done = await _export(api, api.anna)
    (zip_file,) = (api.runtime.settings.blob_root / "exports").rglob("*.zip")
    zip_file.unlink()
    r = await api.client.get(done["href"], headers=api.anna)
    assert r.status_code == 410 and r.json()["type"].endswith("/export-expired")
    # once done, a new request makes a new export
    again = await _export(api, api.anna)
    assert again["export_id"] != done["export_id"]


def _no_worker(api: Api) -> Any:
    import msgspec

    return msgspec.structs.replace(api.runtime.settings, run_worker=False)


async def test_asking_and_downloading_are_in_the_audit_log(api: Api) -> None:
    done = await _export(api, api.anna)
    await _download(api, done["href"], api.anna)
    async with api.runtime.store.read() as uow:
        chain = await uow.audit.chain(api.demo.citizens[0].id)
    mine = [(e.action, e.resource, e.actor_role) for e in chain if e.action.startswith("export.")]
    resource = f"export/{done['export_id']}"
    assert mine == [
        ("export.create", resource, "citizen"),
        ("export.download", resource, "citizen"),
    ]
    page = (
        await api.client.get("/v1/me/audit-log", headers={**api.anna, "Accept-Language": "en"})
    ).json()
    texts = [i["text_en"] for i in page["items"]]
    assert "You downloaded the copy of all your data" in texts
    assert "You asked for a copy of all your data" in texts


async def test_a_lapsed_lease_is_taken_over_and_the_first_worker_stores_nothing(api: Api) -> None:
    await _seed_samples(api)
    api.runtime.settings = _no_worker(api)
    r = await api.client.post("/v1/me/exports", headers=api.anna)
    export_id = r.json()["export_id"]
    store, clock = api.runtime.store, api.clock
    first_owner = api.runtime.worker_id
    stale = await exports.claim_next(store, clock, Leasing(owner=first_owner))
    assert stale is not None and stale.attempts == 1
    # the first worker goes quiet; its lease (30 s) lapses and node B takes the export
    clock.advance(seconds=31)
    fresh = await exports.claim_next(store, clock, Leasing(owner="node-b"))
    assert fresh is not None and fresh.id == export_id and fresh.attempts == 2
    # the first worker wakes and runs it to the end: its finish is refused, its zip deleted
    assert await run_export(api.runtime, stale) is False
    root = api.runtime.settings.blob_root
    assert list(root.rglob("*.zip")) == []
    running = (await api.client.get(f"/v1/me/exports/{export_id}", headers=api.anna)).json()
    assert running["status"] == "running"
    # node B finishes it
    api.runtime.worker_id = "node-b"
    assert await run_export(api.runtime, fresh) is True
    done = (await api.client.get(f"/v1/me/exports/{export_id}", headers=api.anna)).json()
    assert done["status"] == "done"
    assert [p.name for p in root.rglob("*.zip")] == [f"{export_id}-2.zip"]
    archive = await _download(api, done["href"], api.anna)
    bundle = json.loads(archive.read("fhir/bundle.json"))
    assert sum(e["resource"]["resourceType"] == "Observation" for e in bundle["entry"]) == 12


@pytest.mark.parametrize("page", [1, 2, 5000])
async def test_samples_are_paged_without_loss_or_repeat(api: Api, page: int) -> None:
    """Keyset paging returns each sample once, whatever the page size (ties on start)."""
    await _seed_samples(api)
    anna = api.demo.citizens[0].id
    seen = []
    async for rows in exports.sample_pages(
        api.runtime.store, anna, "blood_pressure_systolic", page=page
    ):
        assert len(rows) <= page
        seen += [r[3] for r in rows]
    assert seen == [128.0, 135.0, 141.0]


async def _a_long_export_ahead(api: Api) -> str:
    """Give Anna 40,000 pulse readings from a watch, so that her export runs long enough
    to be seen midway; no worker of the app's own, progress written every 10 ms. Returns
    her citizen id."""
    import msgspec

    anna = api.demo.citizens[0].id
    async with api.runtime.store.transaction() as uow:
        watch = await uow.sources.add(
            anna, key="watch", name="Ur", kind="watch", device=None, at=api.clock.now()
        )
        await uow.samples.insert(
            [
                (anna, "heart_rate", T0 + i * MIN, watch, T0 + i * MIN, 60.0, "", None)
                for i in range(40_000)
            ]
        )
    api.runtime.settings = msgspec.structs.replace(
        api.runtime.settings, run_worker=False, job_progress_seconds=0.01
    )
    return anna


async def test_progress_is_on_the_row_while_it_runs(api: Api) -> None:
    """Another node polling the row sees the export move: 0 < progress < 1, never back."""
    anna = await _a_long_export_ahead(api)
    r = await api.client.post("/v1/me/exports", headers=api.anna)
    export_id = r.json()["export_id"]
    seen: list[float] = []
    running = asyncio.create_task(drain_exports(api.runtime))
    while not running.done():
        async with api.runtime.store.read() as uow:
            job = await uow.exports.get(anna, export_id)
        assert job is not None
        if job.status == "running":
            seen.append(job.progress)
        await asyncio.sleep(0.005)
    await running
    moving = [p for p in seen if 0 < p < 1]
    assert moving, seen
    assert seen == sorted(seen)


async def test_a_worker_that_loses_its_lease_midway_stops_and_stores_nothing(api: Api) -> None:
    anna = await _a_long_export_ahead(api)
    export_id = (await api.client.post("/v1/me/exports", headers=api.anna)).json()["export_id"]
    job = await exports.claim_next(
        api.runtime.store, api.clock, Leasing(owner=api.runtime.worker_id)
    )
    assert job is not None
    running = asyncio.create_task(run_export(api.runtime, job))
    await asyncio.sleep(0.05)
    assert not running.done()
    # another worker has the export now (its lease came after this one's lapsed)
    async with api.runtime.store.transaction() as uow:
        await uow.connection.execute(  # type: ignore[attr-defined]
            "UPDATE exports SET lease_owner = 'node-b' WHERE id = ?", (export_id,)
        )
    assert await running is False
    assert list(api.runtime.settings.blob_root.rglob("*.zip")) == []
    async with api.runtime.store.read() as uow:
        after = await uow.exports.get(anna, export_id)
    assert after is not None and (after.status, after.lease_owner) == ("running", "node-b")
    # and the store is fine: the next transaction starts cleanly
    assert await exports.claim_next(api.runtime.store, api.clock, Leasing(owner="x")) is None


async def test_closing_the_account_deletes_its_exports_and_their_zips(api: Api) -> None:
    """A download of one's data is the citizen's own: closing the account (issue 14 part
    B) deletes the rows and the zips, and the link answers as for no one."""
    done = await _export(api, api.anna)
    (zip_file,) = (api.runtime.settings.blob_root / "exports").rglob("*.zip")
    r = await api.client.delete("/v1/me", headers=api.anna)
    assert r.status_code == 200, r.text
    assert "downloads of your data" in next(
        item["en"] for item in r.json()["deleted"] if item["kind"] == "imports-and-sync"
    )
    assert not zip_file.exists()  # deleted once the closing transaction committed
    async with api.runtime.store.read() as uow:
        assert await uow.exports.get(api.demo.citizens[0].id, done["export_id"]) is None
    assert (await api.client.get(done["href"], headers=api.anna)).status_code == 401


async def test_deleting_a_source_withdraws_the_downloads_made_before(api: Api) -> None:
    """A zip made before the citizen deleted a source holds what was deleted: it answers
    410 at once, its file goes with the blob trash, and a new export lacks the source."""
    await _seed_samples(api)
    done = await _export(api, api.anna)
    (zip_file,) = (api.runtime.settings.blob_root / "exports").rglob("*.zip")
    r = await api.client.delete("/v1/me/sources/cuff", headers=api.anna)
    assert r.status_code == 200 and r.json()["deleted_samples"] == 5
    gone = await api.client.get(done["href"], headers=api.anna)
    assert gone.status_code == 410
    polled = (await api.client.get(f"/v1/me/exports/{done['export_id']}", headers=api.anna)).json()
    assert polled["status"] == "expired"
    assert await empty_trash(api.runtime.store, api.runtime.blobs) == 1
    assert not zip_file.exists()
    again = await _export(api, api.anna)
    bundle = json.loads((await _download(api, again["href"], api.anna)).read("fhir/bundle.json"))
    observations = [e for e in bundle["entry"] if e["resource"]["resourceType"] == "Observation"]
    assert len(observations) == 9  # the watch's 9 samples; the cuff's 5 are gone
    assert not any("blood" in json.dumps(o["resource"]["code"]).lower() for o in observations)
