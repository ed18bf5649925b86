"""Closing an account with the files in S3 (moto on loopback): the citizen's upload goes
from the bucket through the blob port; the photo sent to the GP stays (ADR 0023)."""

from __future__ import annotations

import io

from PIL import Image

from tests.api.test_jobs_s3 import ask_with_a_photo, upload_export
from tests.conftest import Api
from tests.s3_server import S3Server, bucket, s3_settings, server

__all__ = ["bucket", "s3_settings", "server"]  # moto, a bucket per test, the app on it


async def test_closing_deletes_the_upload_object_and_keeps_the_photo(
    api: Api, server: S3Server, bucket: str
) -> None:
    upload = await upload_export(api)  # waiting: no worker runs in these tests
    thread = await ask_with_a_photo(api)
    photo = thread.json()["messages"][0]["photos"][0]
    before = server.keys(bucket)
    assert f"minlaege/uploads/{upload.json()['import_id']}" in before and len(before) == 2

    assert (await api.client.delete("/v1/me", headers=api.anna)).status_code == 200
    [kept] = server.keys(bucket)
    assert kept in before and not kept.startswith("minlaege/uploads/")
    # the GP still sees the photo
    thread_id = thread.json()["consultation"]["id"]
    seen = await api.client.get(
        f"/v1/clinician/consultations/{thread_id}/photos/{photo['id']}", headers=api.gp
    )
    assert seen.status_code == 200
    assert Image.open(io.BytesIO(seen.content)).size == (40, 30)
