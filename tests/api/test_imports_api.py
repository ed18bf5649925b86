"""POST /v1/me/imports and GET /v1/me/imports/{id}: upload, run, report, fail cleanly."""

from __future__ import annotations

import asyncio
import io
import zipfile
from pathlib import Path

import pytest

from app.services.imports import create_job
from app.settings import Settings
from mobile_api.jobs import drain
from tests.conftest import Api

FIXTURES = Path(__file__).parents[2] / "fixtures"
EXPORT = (FIXTURES / "apple_health" / "export-small.xml").read_bytes()
FIT = (FIXTURES / "fit" / "garmin-fenix-5-walk.fit").read_bytes()
LIMIT = 2 * 1024 * 1024


@pytest.fixture
def settings(db_url: str, tmp_path: Path) -> Settings:
    return Settings(
        env="test",
        db_url=db_url,
        var_dir=tmp_path,
        keys_dir=tmp_path / "keys",
        max_upload_body=LIMIT,
    )


async def _finish(api: Api) -> None:
    await asyncio.gather(*list(api.runtime.jobs))


async def _upload(api: Api, body: bytes, media: str, who: dict[str, str] | None = None) -> dict:  # type: ignore[type-arg]
    r = await api.client.post(
        "/v1/me/imports", content=body, headers={**(who or api.anna), "content-type": media}
    )
    assert r.status_code == 202, r.text
    assert r.headers["location"] == f"/v1/me/imports/{r.json()['import_id']}"
    assert r.json()["status"] == "queued"
    await _finish(api)
    job = await api.client.get(r.headers["location"], headers=who or api.anna)
    assert job.status_code == 200
    return job.json()  # type: ignore[no-any-return]


async def test_xml_upload_runs_and_reimport_stores_nothing(api: Api) -> None:
    first = await _upload(api, EXPORT, "application/xml")
    assert first["status"] == "done" and first["progress"] == 1.0
    report = first["report"]
    assert report["format"] == "apple-health" and report["import_id"] == first["import_id"]
    assert report["samples_stored"] == 3 and report["duplicates"] == 0
    second = await _upload(api, EXPORT, "application/xml")
    assert second["report"]["samples_stored"] == 0 and second["report"]["duplicates"] == 3
    # the uploaded file does not linger once its job is over
    assert list((api.runtime.settings.blob_root / "uploads").iterdir()) == []


async def test_zip_upload_finds_the_export_by_content(api: Api) -> None:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("apple_health_export/eksport.xml", EXPORT)
        z.writestr("apple_health_export/README.txt", "nothing here")
    job = await _upload(api, buf.getvalue(), "application/zip")
    assert job["status"] == "done" and job["report"]["samples_stored"] == 3


async def test_fit_upload_as_octet_stream(api: Api) -> None:
    job = await _upload(api, FIT, "application/octet-stream")
    assert job["status"] == "done" and job["report"]["format"] == "fit"
    daily = await api.client.get(
        "/v1/me/daily?metric=heart_rate&from=2017-06-11&to=2017-06-11", headers=api.anna
    )
    assert daily.json()["days"][0]["count"] > 0


async def test_hostile_xml_fails_the_job_and_stores_nothing(api: Api) -> None:
    bomb = (
        b'<?xml version="1.0"?><!DOCTYPE HealthData [<!ENTITY a "aaaa">'
        b'<!ENTITY b "&a;&a;&a;&a;">]><HealthData>&b;</HealthData>'
    )
    job = await _upload(api, bomb, "application/xml")
    assert job["status"] == "failed" and job["report"] is None
    assert job["error"]["type"] == "xml-entity-declaration"
    async with api.runtime.store.read() as uow:
        assert await uow.sources.for_citizen(api.demo.citizens[0].id) == []


async def test_truncated_fit_fails_with_its_reason(api: Api) -> None:
    job = await _upload(api, FIT[:-100], "application/vnd.ant.fit")
    assert job["status"] == "failed" and job["error"]["type"] == "fit-truncated"


async def test_bad_uploads_are_refused_at_once(api: Api) -> None:
    post = api.client.post
    empty = await post(
        "/v1/me/imports", content=b"", headers={**api.anna, "content-type": "application/xml"}
    )
    assert empty.status_code == 422 and "empty" in empty.json()["detail"]
    text = await post(
        "/v1/me/imports",
        content=b"hello, doctor",
        headers={**api.anna, "content-type": "application/octet-stream"},
    )
    assert text.status_code == 422 and text.json()["type"].endswith("/unsupported-file")
    json_body = await post("/v1/me/imports", json={"file": "x"}, headers=api.anna)
    assert json_body.status_code == 415
    too_big = await post(
        "/v1/me/imports",
        content=b"<" * (LIMIT + 1),
        headers={**api.anna, "content-type": "application/xml"},
    )
    assert too_big.status_code == 413
    assert api.runtime.jobs == set()
    uploads = api.runtime.settings.blob_root / "uploads"
    assert not uploads.exists() or list(uploads.iterdir()) == []


async def test_someone_elses_import_is_404(api: Api) -> None:
    job = await _upload(api, EXPORT, "application/xml")
    theirs = await api.client.get(f"/v1/me/imports/{job['import_id']}", headers=api.bent)
    assert theirs.status_code == 404
    gp = await api.client.get(f"/v1/me/imports/{job['import_id']}", headers=api.gp)
    assert gp.status_code == 403


async def test_restart_resumes_or_fails_unfinished_jobs(api: Api, tmp_path: Path) -> None:
    anna = api.demo.citizens[0].id
    kept = tmp_path / "kept.upload"
    kept.write_bytes(EXPORT)
    async with api.runtime.store.transaction() as uow:
        resumable = await create_job(
            uow, api.clock, citizen_id=anna, fmt="apple-health", blob=str(kept)
        )
        await uow.imports.set_status(resumable.id, "running", api.clock.now())
        lost = await create_job(
            uow, api.clock, citizen_id=anna, fmt="apple-health", blob=str(tmp_path / "gone.upload")
        )
    await drain(api.runtime)
    done = (await api.client.get(f"/v1/me/imports/{resumable.id}", headers=api.anna)).json()
    failed = (await api.client.get(f"/v1/me/imports/{lost.id}", headers=api.anna)).json()
    assert done["status"] == "done" and done["report"]["samples_stored"] == 3
    assert failed["status"] == "failed" and failed["error"]["type"] == "upload-lost"
    async with api.runtime.store.read() as uow:
        assert await uow.imports.waiting() == (0, None)
