"""`BlobStore` on an S3-compatible object store, through obstore (ADR 0019).

Every node of a deployment reads and writes the same bucket, so a photo sent through one
node is read through another, and an upload taken by one node is imported by whichever
worker claims the job. Objects are sealed with our own AES-GCM envelope
(`adapters.blobs.envelope`) before they leave the process, so the store holds nothing
it can read. Streams go up as multipart uploads in 8 MiB parts, a few at a time, so an
upload of gigabytes never sits whole in memory; a stream that fails is aborted and
leaves no object.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import tempfile
from collections.abc import AsyncIterable, AsyncIterator
from pathlib import Path
from typing import TYPE_CHECKING, Final

import obstore
from obstore.exceptions import NotFoundError
from obstore.store import S3Store

from adapters.blobs.envelope import Sealer
from adapters.blobs.local import check_blob_key
from app.errors import NotFound

if TYPE_CHECKING:
    from obstore.store import ClientConfig, S3Config

__all__ = ["S3BlobStore", "S3Location"]

_PART: Final = 8 * 1024 * 1024
_PARTS_IN_FLIGHT: Final = 3
_READ_CHUNK: Final = 1024 * 1024
_MSG_MISSING: Final = "Filen findes ikke. / The file does not exist."


class S3Location:
    """Where objects go: bucket, key prefix, and how to reach and sign for the store."""

    def __init__(
        self,
        bucket: str,
        prefix: str = "",
        *,
        endpoint: str | None = None,
        region: str | None = None,
        access_key_id: str | None = None,
        secret_access_key: str | None = None,
    ) -> None:
        self.bucket = bucket
        self.prefix = prefix.strip("/")
        self.endpoint = endpoint
        self.region = region
        self.access_key_id = access_key_id
        self.secret_access_key = secret_access_key

    @classmethod
    def from_url(cls, url: str, **kwargs: str | None) -> S3Location:
        """`s3://bucket/prefix` (the prefix may be empty)."""
        if not url.startswith("s3://"):
            raise ValueError(f"not an s3:// URL: {url!r}")
        bucket, _, prefix = url[len("s3://") :].partition("/")
        if not bucket:
            raise ValueError(f"MINLAEGE_BLOB_URL needs a bucket: {url!r}")
        return cls(bucket, prefix, **kwargs)


class S3BlobStore:
    """Objects in one bucket under a prefix, sealed with our envelope."""

    def __init__(self, location: S3Location, sealer: Sealer) -> None:
        config: S3Config = {"virtual_hosted_style_request": False}
        if location.endpoint:
            config["endpoint"] = location.endpoint
        if location.region:
            config["region"] = location.region
        if location.access_key_id and location.secret_access_key:
            config["access_key_id"] = location.access_key_id
            config["secret_access_key"] = location.secret_access_key
        client: ClientConfig = {}
        if (location.endpoint or "").startswith("http://"):
            client["allow_http"] = True  # an on-premises or test store on plain HTTP
        self._store = S3Store(
            location.bucket,
            prefix=location.prefix or None,
            config=config,
            client_options=client,
        )
        self._sealer = sealer

    async def put(self, key: str, data: bytes) -> None:
        await self.put_stream(key, _one(data))

    async def put_stream(self, key: str, chunks: AsyncIterable[bytes]) -> int:
        check_blob_key(key)
        counted = _Counted(chunks)
        await obstore.put_async(
            self._store,
            key,
            self._sealer.seal(key, counted),
            chunk_size=_PART,
            max_concurrency=_PARTS_IN_FLIGHT,
        )
        return counted.size

    async def get(self, key: str) -> bytes:
        out = bytearray()
        async for chunk in self._plain(key):
            out += chunk
        return bytes(out)

    async def delete(self, key: str) -> None:
        check_blob_key(key)
        with contextlib.suppress(NotFoundError, FileNotFoundError):
            await obstore.delete_async(self._store, key)

    @contextlib.asynccontextmanager
    async def local_copy(self, key: str) -> AsyncIterator[Path]:
        """The object downloaded (and opened) into a private temporary file."""
        fd, name = tempfile.mkstemp(prefix="minlaege-blob-", suffix=".tmp")
        path = Path(name)
        try:
            with os.fdopen(fd, "wb") as out:
                async for chunk in self._plain(key):
                    await asyncio.to_thread(out.write, chunk)
            yield path
        finally:
            await asyncio.to_thread(path.unlink, missing_ok=True)

    async def _plain(self, key: str) -> AsyncIterator[bytes]:
        check_blob_key(key)
        try:
            got = await obstore.get_async(self._store, key)
        except (NotFoundError, FileNotFoundError) as exc:
            raise NotFound(_MSG_MISSING) from exc
        sealed = _bytes(got.stream(min_chunk_size=_READ_CHUNK))
        async for chunk in self._sealer.open(key, sealed):
            yield chunk


class _Counted:
    """Passes chunks through and counts their bytes."""

    def __init__(self, chunks: AsyncIterable[bytes]) -> None:
        self._chunks = chunks
        self.size = 0

    async def __aiter__(self) -> AsyncIterator[bytes]:
        async for chunk in self._chunks:
            self.size += len(chunk)
            yield chunk


async def _one(data: bytes) -> AsyncIterator[bytes]:
    yield data


async def _bytes(stream: obstore.BytesStream) -> AsyncIterator[bytes]:
    async for chunk in stream:
        yield bytes(chunk)
