"""Closing an account with the files in S3 (moto on loopback): the citizen's upload goes
from the bucket through the blob port; the photo sent to the GP stays (ADR 0023)."""

from __future__ import annotations

import io

from PIL import Image

from tests.api.test_jobs_s3 import EXPORT, _objects, bucket, server, settings
from tests.conftest import Api
from tests.s3_server import S3Server

__all__ = ["bucket", "server", "settings"]  # the S3 stand-in and the settings that use it


async def test_closing_deletes_the_upload_object_and_keeps_the_photo(
    api: Api, server: S3Server, bucket: str
) -> None:
    upload = await api.client.post(
        "/v1/me/imports", content=EXPORT, headers={**api.anna, "content-type": "application/xml"}
    )
    assert upload.status_code == 202  # waiting: no worker runs in these tests
    buf = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 80, 80)).save(buf, "JPEG")
    thread = await api.client.post(
        "/v1/me/consultations",
        data={"category": "results", "subject": "Udslæt", "body": "Se billedet."},
        files=[("photos", ("rash.jpg", buf.getvalue(), "image/jpeg"))],
        headers=api.anna,
    )
    assert thread.status_code == 201, thread.text
    photo = thread.json()["messages"][0]["photos"][0]
    before = _objects(server, bucket)
    assert f"minlaege/uploads/{upload.json()['import_id']}" in before and len(before) == 2

    assert (await api.client.delete("/v1/me", headers=api.anna)).status_code == 200
    [kept] = _objects(server, bucket)
    assert kept in before and not kept.startswith("minlaege/uploads/")
    # the GP still sees the photo
    thread_id = thread.json()["consultation"]["id"]
    seen = await api.client.get(
        f"/v1/clinician/consultations/{thread_id}/photos/{photo['id']}", headers=api.gp
    )
    assert seen.status_code == 200
    assert Image.open(io.BytesIO(seen.content)).size == (40, 30)
