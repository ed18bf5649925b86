"""S3BlobStore against moto's S3 server on loopback, and the AES-GCM envelope it seals with."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from adapters.blobs import open_blob_store
from adapters.blobs.envelope import SEGMENT, EnvelopeError, Sealer, blob_kek
from adapters.blobs.local import LocalBlobStore
from adapters.blobs.s3 import S3BlobStore, S3Location
from app.errors import NotFound
from app.settings import Settings, load_settings
from tests.s3_server import KEY_ID, REGION, SECRET, S3Server, bucket, server

KEK = bytes(range(32))
KEY = "citizens/c-1/messages/m-1/p_0.jpg"


__all__ = ["bucket", "server"]  # moto, and a bucket per test


@pytest.fixture
def store(server: S3Server, bucket: str) -> S3BlobStore:
    location = S3Location(
        bucket,
        "node",
        endpoint=server.endpoint,
        region=REGION,
        access_key_id=KEY_ID,
        secret_access_key=SECRET,
    )
    return S3BlobStore(location, Sealer(KEK))


def _raw(server: S3Server, bucket: str, key: str) -> bytes:
    body: bytes = server.client().get_object(Bucket=bucket, Key=f"node/{key}")["Body"].read()
    return body


async def _chunks(total: int, size: int = 256 * 1024) -> AsyncIterator[bytes]:
    sent = 0
    while sent < total:
        n = min(size, total - sent)
        yield bytes([sent // size % 251]) * n
        sent += n


async def test_round_trip_sealed_at_rest(store: S3BlobStore, server: S3Server, bucket: str) -> None:
    photo = b"\xff\xd8\xff a rash on the left arm " * 100
    await store.put(KEY, photo)
    assert await store.get(KEY) == photo
    raw = _raw(server, bucket, KEY)
    assert raw.startswith(b"MLB1") and b"rash" not in raw
    assert server.keys(bucket) == [f"node/{KEY}"]


async def test_empty_object(store: S3BlobStore) -> None:
    await store.put("empty", b"")
    assert await store.get("empty") == b""


async def test_a_large_stream_goes_up_in_parts_and_comes_back_whole(
    store: S3BlobStore, server: S3Server, bucket: str, tmp_path: Path
) -> None:
    total = 20 * 1024 * 1024 + 12_345  # three 8 MiB parts
    assert await store.put_stream("uploads/big", _chunks(total)) == total
    head = server.client().head_object(Bucket=bucket, Key="node/uploads/big")
    assert "-" in head["ETag"]  # a multipart upload's ETag: md5-of-parts "-" count
    async with store.local_copy("uploads/big") as path:
        assert path.stat().st_size == total
        with path.open("rb") as f:
            async for expected in _chunks(total):
                assert f.read(len(expected)) == expected
    assert not path.exists()


async def test_a_failing_stream_leaves_no_object(
    store: S3BlobStore, server: S3Server, bucket: str
) -> None:
    async def broken() -> AsyncIterator[bytes]:
        async for chunk in _chunks(12 * 1024 * 1024):
            yield chunk
        raise OSError("the client went away")

    with pytest.raises(Exception, match="went away"):
        await store.put_stream("uploads/broken", broken())
    assert server.keys(bucket) == []
    # the multipart upload was aborted, not left to cost storage
    assert server.client().list_multipart_uploads(Bucket=bucket).get("Uploads", []) == []
    with pytest.raises(NotFound):
        await store.get("uploads/broken")


async def test_delete_removes_the_object_and_is_idempotent(
    store: S3BlobStore, server: S3Server, bucket: str
) -> None:
    await store.put(KEY, b"x")
    await store.delete(KEY)
    await store.delete(KEY)
    assert server.keys(bucket) == []
    with pytest.raises(NotFound):
        await store.get(KEY)
    with pytest.raises(NotFound):
        async with store.local_copy(KEY):
            pass


async def test_an_altered_or_moved_object_does_not_open(
    store: S3BlobStore, server: S3Server, bucket: str
) -> None:
    await store.put(KEY, b"secret" * 30_000)
    raw = bytearray(_raw(server, bucket, KEY))
    raw[200] ^= 1
    client = server.client()
    client.put_object(Bucket=bucket, Key=f"node/{KEY}", Body=bytes(raw))
    with pytest.raises(EnvelopeError, match="altered"):
        await store.get(KEY)
    raw[200] ^= 1
    client.put_object(Bucket=bucket, Key="node/other", Body=bytes(raw))
    with pytest.raises(EnvelopeError, match="another key or name"):
        await store.get("other")
    client.put_object(Bucket=bucket, Key=f"node/{KEY}", Body=bytes(raw[: -SEGMENT // 2]))
    with pytest.raises(EnvelopeError):
        await store.get(KEY)


async def test_bad_keys_are_refused(store: S3BlobStore) -> None:
    for key in ("", "../x", "a//b", ".hidden", "a b"):
        with pytest.raises(ValueError, match="invalid blob key"):
            await store.put(key, b"x")


async def test_blob_url_chooses_the_store(server: S3Server, bucket: str, tmp_path: Path) -> None:
    env = {**server.env(bucket), "MINLAEGE_VAR_DIR": str(tmp_path)}
    chosen = open_blob_store(load_settings(env), b"k" * 32)
    assert isinstance(chosen, S3BlobStore)
    await chosen.put("a", b"1")
    assert server.keys(bucket) == ["minlaege/a"]
    local = open_blob_store(Settings(var_dir=tmp_path), b"k" * 32)
    assert isinstance(local, LocalBlobStore) and local.root == (tmp_path / "blobs").resolve()
    there = open_blob_store(Settings(blob_url=f"file://{tmp_path}/elsewhere"), b"k" * 32)
    assert isinstance(there, LocalBlobStore) and there.root == (tmp_path / "elsewhere").resolve()
    with pytest.raises(ValueError, match="file:// or s3://"):
        open_blob_store(Settings(blob_url="ftp://x"), b"k" * 32)


# -- the envelope alone ---------------------------------------------------------------


async def _collect(stream: AsyncIterator[bytes]) -> bytes:
    out = bytearray()
    async for chunk in stream:
        out += chunk
    return bytes(out)


async def _from(parts: list[bytes]) -> AsyncIterator[bytes]:
    for part in parts:
        yield part


@settings(max_examples=40, deadline=None)
@given(
    data=st.binary(max_size=3 * SEGMENT + 10),
    cuts=st.lists(st.integers(min_value=1, max_value=SEGMENT + 7), max_size=6),
)
async def test_envelope_round_trips_however_the_bytes_are_cut(data: bytes, cuts: list[int]) -> None:
    def cut(blob: bytes) -> list[bytes]:
        parts, at = [], 0
        for n in cuts:
            parts.append(blob[at : at + n])
            at += n
        parts.append(blob[at:])
        return parts

    sealer = Sealer(KEK)
    sealed = await _collect(sealer.seal("k", _from(cut(data))))
    assert len(sealed) == 64 + len(data) + 16 * (max(0, (len(data) - 1) // SEGMENT) + 1)
    assert await _collect(sealer.open("k", _from(cut(sealed)))) == data


async def test_envelope_refuses_a_missing_tail_and_another_key() -> None:
    sealer = Sealer(KEK)
    data = os.urandom(2 * SEGMENT + 5)
    sealed = await _collect(sealer.seal("k", _from([data])))
    whole_segments = sealed[: 64 + 2 * (SEGMENT + 16)]
    with pytest.raises(EnvelopeError):  # cut exactly at a segment boundary
        await _collect(sealer.open("k", _from([whole_segments])))
    with pytest.raises(EnvelopeError, match="another key"):
        await _collect(Sealer(bytes(32)).open("k", _from([sealed])))
    with pytest.raises(EnvelopeError, match="shorter than its header"):
        await _collect(sealer.open("k", _from([sealed[:10]])))
    with pytest.raises(EnvelopeError, match="not sealed by us"):
        await _collect(sealer.open("k", _from([b"plain text that is long enough" * 4])))


def test_the_kek_is_derived_from_the_data_key_unless_set() -> None:
    assert blob_kek(None, b"a" * 32) == blob_kek(None, b"a" * 32) != blob_kek(None, b"b" * 32)
    assert blob_kek(KEK, b"a" * 32) == KEK
    with pytest.raises(ValueError, match="32 bytes"):
        blob_kek(b"short", b"a" * 32)
