"""The data export with files in S3 (moto on loopback): the zip is a sealed object, the
download opens it, and expiry deletes it (ADR 0019, ADR 0022)."""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.settings import Settings, load_settings
from mobile_api.exports import drain_exports
from tests.conftest import Api
from tests.s3_server import S3Server, s3_server


@pytest.fixture(scope="module")
def server() -> Iterator[S3Server]:
    with s3_server() as s:
        yield s


@pytest.fixture
def bucket(server: S3Server) -> str:
    return server.new_bucket()


@pytest.fixture
def settings(db_url: str, tmp_path: Path, server: S3Server, bucket: str) -> Settings:
    env = {**server.env(bucket), "MINLAEGE_ENV": "test", "MINLAEGE_VAR_DIR": str(tmp_path)}
    return load_settings(env, db_url=db_url, run_worker=False)


def _objects(server: S3Server, bucket: str) -> list[str]:
    listed = server.client().list_objects_v2(Bucket=bucket)
    return sorted(o["Key"] for o in listed.get("Contents", []))


async def test_the_zip_is_sealed_in_s3_and_deleted_when_the_link_expires(
    api: Api, server: S3Server, bucket: str
) -> None:
    r = await api.client.post("/v1/me/exports", headers=api.anna)
    assert r.status_code == 202
    export_id = r.json()["export_id"]
    await drain_exports(api.runtime)
    (key,) = _objects(server, bucket)
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
    await drain_exports(api.runtime)
    assert _objects(server, bucket) == []
    assert (await api.client.get(done["href"], headers=api.anna)).status_code == 410
    # nothing was written to the node's own disk
    assert not (api.runtime.settings.var_dir / "blobs").exists()
