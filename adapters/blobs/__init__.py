"""Blob stores: bytes kept outside the database (photos, uploads), behind `app.ports.BlobStore`.

`open_blob_store` reads `MINLAEGE_BLOB_URL` (contracts §9): `file:///path` keeps files
on this machine (the default, `<var>/blobs`), `s3://bucket/prefix` puts sealed objects
in an S3-compatible store that every node shares.
"""

from __future__ import annotations

from pathlib import Path

from adapters.blobs.envelope import Sealer, blob_kek
from adapters.blobs.local import LocalBlobStore
from app.ports import BlobStore
from app.settings import Settings

__all__ = ["open_blob_store"]


def open_blob_store(settings: Settings, data_key: bytes) -> BlobStore:
    """The store `settings.blob_url` names (local files when it is unset)."""
    url = settings.blob_url
    if not url:
        return LocalBlobStore(settings.blob_root)
    if url.startswith("file://"):
        return LocalBlobStore(Path(url[len("file://") :] or "."))
    if url.startswith("s3://"):
        from adapters.blobs.s3 import S3BlobStore, S3Location

        location = S3Location.from_url(
            url,
            endpoint=settings.s3_endpoint,
            region=settings.s3_region,
            access_key_id=settings.s3_access_key_id,
            secret_access_key=settings.s3_secret_access_key,
        )
        return S3BlobStore(location, Sealer(blob_kek(settings.blob_key, data_key)))
    raise ValueError(f"MINLAEGE_BLOB_URL must start with file:// or s3://, not {url[:40]!r}")
