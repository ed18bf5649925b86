"""`BlobStore` on a local directory: one file per key, written atomically.

Enough for one server with a disk that is backed up; an object store (S3 and the like)
can replace it behind the same port. Keys are chosen by us (ids, never a citizen's file
name), but they become paths, so they are still checked: a short alphabet, no empty,
`.` or `..` segments, no segment starting with a dot (which also keeps them apart from
our temporary files), and the resolved path must lie under the root. Only this process
is expected to write under the root; symlinks planted there between the check and the
write are out of scope.

A reader never sees half a photo: `put` writes a temporary file in the target directory,
fsyncs it and renames it over the key (`os.replace` is atomic on POSIX and Windows), then
fsyncs the directory so the rename survives a crash. A deleted photo stays deleted for
the same reason. Files are created 0600 and directories 0700: these are health data.

The file system is blocking, so every call runs in a worker thread.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import sys
import tempfile
from collections.abc import AsyncIterable, AsyncIterator
from pathlib import Path
from typing import IO, Final

from app.errors import NotFound

__all__ = ["LocalBlobStore", "check_blob_key"]

_KEY_CHARS: Final = re.compile(r"[A-Za-z0-9._/-]+")
_MAX_KEY_CHARS: Final = 1024
#: NAME_MAX is 255 bytes; this leaves room for the temporary file's prefix and suffix
_MAX_SEGMENT_CHARS: Final = 200
_MSG_MISSING: Final = "Filen findes ikke. / The file does not exist."


def check_blob_key(key: str) -> tuple[str, ...]:
    """The segments of a well-formed key; `ValueError` for anything else."""
    if not key or len(key) > _MAX_KEY_CHARS or not _KEY_CHARS.fullmatch(key):
        raise ValueError(f"invalid blob key {key[:80]!r}: use 1-1024 of A-Z a-z 0-9 . _ - /")
    segments = tuple(key.split("/"))
    for segment in segments:
        if not segment:
            raise ValueError(f"invalid blob key {key[:80]!r}: empty segment or leading '/'")
        if segment.startswith("."):
            raise ValueError(f"invalid blob key {key[:80]!r}: a segment starts with '.'")
        if len(segment) > _MAX_SEGMENT_CHARS:
            raise ValueError(f"invalid blob key {key[:80]!r}: a segment is too long")
    return segments


class LocalBlobStore:
    """`BlobStore` keeping each blob as a file under `root` (created when first needed)."""

    def __init__(self, root: Path) -> None:
        self._root = Path(root).resolve()

    @property
    def root(self) -> Path:
        return self._root

    async def put(self, key: str, data: bytes) -> None:
        """Store `data` under `key`, replacing what was there, atomically."""
        await asyncio.to_thread(self._put, key, data)

    async def get(self, key: str) -> bytes:
        """The bytes under `key`; `app.errors.NotFound` if there are none."""
        return await asyncio.to_thread(self._get, key)

    async def delete(self, key: str) -> None:
        """Remove `key`; nothing happens if it does not exist."""
        await asyncio.to_thread(self._delete, key)

    async def put_stream(self, key: str, chunks: AsyncIterable[bytes]) -> int:
        """Store a stream under `key` (a temporary file renamed at the end); its size."""
        path = await asyncio.to_thread(self._path, key)
        await asyncio.to_thread(self._make_dirs, key, path.parent)
        fd, tmp_name = await asyncio.to_thread(
            tempfile.mkstemp, dir=path.parent, prefix=f".{path.name}.", suffix=".tmp"
        )
        tmp = Path(tmp_name)
        size = 0
        try:
            with os.fdopen(fd, "wb") as out:
                async for chunk in chunks:
                    size += len(chunk)
                    await asyncio.to_thread(out.write, chunk)
                await asyncio.to_thread(_flush, out)
            await asyncio.to_thread(tmp.replace, path)
        except BaseException:
            await asyncio.to_thread(tmp.unlink, missing_ok=True)
            raise
        await asyncio.to_thread(_fsync_dir, path.parent)
        return size

    @contextlib.asynccontextmanager
    async def local_copy(self, key: str) -> AsyncIterator[Path]:
        """The blob's own file (no copy is needed on a local disk)."""
        path = self._path(key)
        if not await asyncio.to_thread(path.is_file):
            raise NotFound(_MSG_MISSING)
        yield path

    def _path(self, key: str) -> Path:
        path = self._root.joinpath(*check_blob_key(key)).resolve()
        if path == self._root or not path.is_relative_to(self._root):
            raise ValueError(f"invalid blob key {key[:80]!r}: it leads outside the store")
        return path

    def _put(self, key: str, data: bytes) -> None:
        path = self._path(key)
        self._make_dirs(key, path.parent)
        fd, tmp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        tmp = Path(tmp_name)
        try:
            with os.fdopen(fd, "wb") as tmp_file:
                tmp_file.write(data)
                tmp_file.flush()
                os.fsync(tmp_file.fileno())
            try:
                tmp.replace(path)
            except IsADirectoryError as exc:
                raise ValueError(
                    f"invalid blob key {key[:80]!r}: it is a folder of other blobs"
                ) from exc
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        _fsync_dir(path.parent)

    def _make_dirs(self, key: str, directory: Path) -> None:
        """Create the folders down to `directory`, each 0700 and durably linked."""
        self._root.mkdir(parents=True, exist_ok=True)
        current = self._root
        for part in directory.relative_to(self._root).parts:
            current = current / part
            try:
                current.mkdir(mode=0o700)
            except FileExistsError:
                if not current.is_dir():
                    raise ValueError(
                        f"invalid blob key {key[:80]!r}: it runs through another blob"
                    ) from None
            else:
                _fsync_dir(current.parent)

    def _get(self, key: str) -> bytes:
        path = self._path(key)
        try:
            return path.read_bytes()
        except (FileNotFoundError, NotADirectoryError, IsADirectoryError) as exc:
            raise NotFound(_MSG_MISSING) from exc

    def _delete(self, key: str) -> None:
        path = self._path(key)
        if path.is_dir():  # a folder of other blobs is not a blob
            return
        try:
            path.unlink()
        except (FileNotFoundError, NotADirectoryError):
            return
        _fsync_dir(path.parent)


def _flush(out: IO[bytes]) -> None:
    out.flush()
    os.fsync(out.fileno())


def _fsync_dir(directory: Path) -> None:
    """Make a rename, create or unlink in `directory` durable (POSIX only)."""
    if sys.platform == "win32":  # directories cannot be opened for fsync there
        return
    fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
