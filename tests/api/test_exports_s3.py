"""The data export with files in S3 (moto on loopback): the zip is a sealed object, the
download opens it, and expiry deletes it (ADR 0019, ADR 0022)."""

from __future__ import annotations

import io
import json
import zipfile

from mobile_api.exports import drain_exports
from mobile_api.worker import retain
from tests.conftest import Api
from tests.s3_server import S3Server, bucket, s3_settings, server

__all__ = ["bucket", "s3_settings", "server"]  # moto, a bucket per test, the app on it


async def test_the_zip_is_sealed_in_s3_and_deleted_when_the_link_expires(
    api: Api, server: S3Server, bucket: str
) -> None:
    r = await api.client.post("/v1/me/exports", headers=api.anna)
    assert r.status_code == 202
    export_id = r.json()["export_id"]
    await drain_exports(api.runtime)
    (key,) = server.keys(bucket)
    assert key == f"minlaege/exports/{api.demo.citizens[0].id}/{export_id}-1.zip"
    raw = server.client().get_object(Bucket=bucket, Key=key)["Body"].read()
    assert not raw.startswith(b"PK") and b"README" not in raw  # sealed, not a readable zip
    done = (await api.client.get(f"/v1/me/exports/{export_id}", headers=api.anna)).json()
    download = await api.client.get(done["href"], headers=api.anna)
    assert download.status_code == 200
    with zipfile.ZipFile(io.BytesIO(download.content)) as z:
        assert json.loads(z.read("profile.json"))["name"] == "Anna Jensen"
        assert "## English" in z.read("README.md").decode()
    api.clock.advance(days=8)
    await retain(api.runtime)  # the worker's retention pass
    assert server.keys(bucket) == []
    assert (await api.client.get(done["href"], headers=api.anna)).status_code == 410
    # nothing was written to the node's own disk
    assert not (api.runtime.settings.var_dir / "blobs").exists()
