"""The app with its files in S3 (moto on loopback): uploads and photos as sealed objects."""

from __future__ import annotations

import io
from pathlib import Path

import httpx
from PIL import Image

from mobile_api.jobs import drain
from tests.conftest import Api
from tests.s3_server import S3Server, bucket, s3_settings, server

FIXTURES = Path(__file__).parents[2] / "fixtures"
EXPORT = (FIXTURES / "apple_health" / "export-small.xml").read_bytes()


__all__ = ["bucket", "s3_settings", "server"]  # moto, a bucket per test, the app on it


async def upload_export(api: Api) -> httpx.Response:
    """Anna uploads a small Apple Health export: a job, waiting until a worker runs it."""
    r = await api.client.post(
        "/v1/me/imports", content=EXPORT, headers={**api.anna, "content-type": "application/xml"}
    )
    assert r.status_code == 202, r.text
    return r


async def test_an_upload_is_a_sealed_object_until_its_job_ends(
    api: Api, server: S3Server, bucket: str
) -> None:
    r = await upload_export(api)
    job_id = r.json()["import_id"]
    assert server.keys(bucket) == [f"minlaege/uploads/{job_id}"]
    raw = server.client().get_object(Bucket=bucket, Key=f"minlaege/uploads/{job_id}")
    assert b"HealthData" not in raw["Body"].read()
    await drain(api.runtime)
    done = (await api.client.get(r.headers["location"], headers=api.anna)).json()
    assert done["status"] == "done" and done["report"]["samples_stored"] == 3
    assert server.keys(bucket) == []
    # nothing was written to the node's own disk
    assert not (api.runtime.settings.var_dir / "blobs").exists()


async def test_refused_uploads_leave_no_object(api: Api, server: S3Server, bucket: str) -> None:
    r = await api.client.post(
        "/v1/me/imports",
        content=b"hello, doctor",
        headers={**api.anna, "content-type": "application/octet-stream"},
    )
    assert r.status_code == 422
    assert server.keys(bucket) == []


async def ask_with_a_photo(api: Api) -> httpx.Response:
    """Anna asks her GP about a rash, with a 40 x 30 JPEG photo."""
    buf = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 80, 80)).save(buf, "JPEG")
    r = await api.client.post(
        "/v1/me/consultations",
        data={"category": "results", "subject": "Udslæt", "body": "Se billedet."},
        files=[("photos", ("rash.jpg", buf.getvalue(), "image/jpeg"))],
        headers=api.anna,
    )
    assert r.status_code == 201, r.text
    return r


async def test_photos_are_sealed_objects_read_back_through_the_api(
    api: Api, server: S3Server, bucket: str
) -> None:
    r = await ask_with_a_photo(api)
    photo = r.json()["messages"][0]["photos"][0]
    [key] = server.keys(bucket)
    raw = server.client().get_object(Bucket=bucket, Key=key)["Body"].read()
    assert raw.startswith(b"MLB1") and b"JFIF" not in raw
    got = await api.client.get(photo["href"], headers=api.anna)
    assert got.status_code == 200
    assert Image.open(io.BytesIO(got.content)).size == (40, 30)
