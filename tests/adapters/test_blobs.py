"""LocalBlobStore: round trips, atomic overwrite, NotFound, and keys that cannot escape."""

from __future__ import annotations

import asyncio
import os
import stat
import tempfile
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from adapters.blobs.local import LocalBlobStore, check_blob_key
from app.errors import NotFound

KEY = "citizens/c-123/messages/m-9/p_0.jpg"


@pytest.fixture
def store(tmp_path: Path) -> LocalBlobStore:
    return LocalBlobStore(tmp_path / "blobs")


def _all_files(top: Path) -> list[Path]:
    return sorted(path for path in top.rglob("*") if not path.is_dir())


async def test_round_trip(store: LocalBlobStore) -> None:
    await store.put(KEY, b"\xff\xd8\xff photo")
    assert await store.get(KEY) == b"\xff\xd8\xff photo"
    path = store.root / KEY
    assert path.read_bytes() == b"\xff\xd8\xff photo"
    assert _all_files(store.root) == [path]  # no temporary file left behind


@pytest.mark.skipif(os.name != "posix", reason="POSIX permissions")
async def test_files_and_folders_are_private(store: LocalBlobStore) -> None:
    await store.put(KEY, b"x")
    assert stat.S_IMODE((store.root / KEY).stat().st_mode) == 0o600
    assert stat.S_IMODE((store.root / "citizens" / "c-123").stat().st_mode) & 0o077 == 0


async def test_empty_blob(store: LocalBlobStore) -> None:
    await store.put("empty", b"")
    assert await store.get("empty") == b""


async def test_put_overwrites(store: LocalBlobStore) -> None:
    await store.put(KEY, b"first, and longer")
    await store.put(KEY, b"second")
    assert await store.get(KEY) == b"second"
    assert _all_files(store.root) == [store.root / KEY]


async def test_concurrent_puts_leave_one_whole_value(store: LocalBlobStore) -> None:
    values = [bytes([n]) * 100_000 for n in range(20)]
    await asyncio.gather(*(store.put(KEY, value) for value in values))
    assert await store.get(KEY) in values
    assert _all_files(store.root) == [store.root / KEY]


async def test_failed_put_keeps_the_old_value_and_no_temporary_file(
    store: LocalBlobStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    await store.put(KEY, b"old")

    def broken_fsync(fd: int) -> None:
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(os, "fsync", broken_fsync)
    with pytest.raises(OSError, match="Input/output"):
        await store.put(KEY, b"new")
    monkeypatch.undo()

    assert await store.get(KEY) == b"old"
    assert _all_files(store.root) == [store.root / KEY]


@pytest.mark.parametrize("key", ["never-stored", "no/such/folder/p.jpg", KEY + "/below-a-file"])
async def test_get_missing_is_not_found(store: LocalBlobStore, key: str) -> None:
    await store.put(KEY, b"x")
    with pytest.raises(NotFound):
        await store.get(key)


async def test_get_before_anything_was_stored_is_not_found(store: LocalBlobStore) -> None:
    assert not store.root.exists()
    with pytest.raises(NotFound):
        await store.get(KEY)


async def test_delete_is_idempotent(store: LocalBlobStore) -> None:
    await store.put(KEY, b"x")
    await store.delete(KEY)
    with pytest.raises(NotFound):
        await store.get(KEY)
    await store.delete(KEY)
    await store.delete("never/stored")
    await store.delete(KEY + "/below-a-file")
    assert _all_files(store.root) == []


async def test_a_folder_of_blobs_is_not_a_blob(store: LocalBlobStore) -> None:
    await store.put("a/b", b"inner")
    with pytest.raises(NotFound):
        await store.get("a")
    await store.delete("a")  # no-op: does not remove what is below
    assert await store.get("a/b") == b"inner"
    with pytest.raises(ValueError, match="folder"):
        await store.put("a", b"clash")
    await store.put("c", b"file")
    with pytest.raises(ValueError, match="another blob"):
        await store.put("c/d", b"clash")
    assert await store.get("c") == b"file"


HOSTILE_KEYS = [
    "../x",
    "/etc/passwd",
    "a//b",
    "a/../../b",
    "a/..",
    "..",
    ".",
    "./a",
    "a/./b",
    "",
    "a\\b",
    "..\\..\\x",
    "a/",
    ".hidden",
    "a/.p_0.jpg.tmp",
    "a b",
    "a\x00b",
    "a\nb",
    "a\n",
    "fotø.jpg",
    "C:x",
    "~/x",
    "a" * 201,
    "a/" * 600,
]


@pytest.mark.parametrize("key", HOSTILE_KEYS)
async def test_hostile_keys_are_refused(tmp_path: Path, key: str) -> None:
    store = LocalBlobStore(tmp_path / "blobs")
    with pytest.raises(ValueError, match="invalid blob key"):
        check_blob_key(key)
    with pytest.raises(ValueError):
        await store.put(key, b"payload")
    with pytest.raises(ValueError):
        await store.get(key)
    with pytest.raises(ValueError):
        await store.delete(key)
    assert _all_files(tmp_path) == []


async def test_symlink_out_of_the_root_is_refused(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret").write_bytes(b"not yours")
    store = LocalBlobStore(tmp_path / "blobs")
    store.root.mkdir()
    (store.root / "link").symlink_to(outside, target_is_directory=True)

    with pytest.raises(ValueError, match="outside"):
        await store.put("link/new", b"payload")
    with pytest.raises(ValueError, match="outside"):
        await store.get("link/secret")
    with pytest.raises(ValueError, match="outside"):
        await store.delete("link/secret")
    assert sorted(p.name for p in outside.iterdir()) == ["secret"]
    assert (outside / "secret").read_bytes() == b"not yours"


async def test_root_behind_a_symlink_works(tmp_path: Path) -> None:
    real = tmp_path / "real"
    real.mkdir()
    (tmp_path / "alias").symlink_to(real, target_is_directory=True)
    store = LocalBlobStore(tmp_path / "alias")
    await store.put(KEY, b"x")
    assert (real / KEY).read_bytes() == b"x"


@pytest.mark.parametrize("key", ["p.jpg", KEY, "a-b_c.d/E-F_G.h", "0/1/2/3", "a..b", "a" * 200])
def test_good_keys_pass(key: str) -> None:
    assert check_blob_key(key) == tuple(key.split("/"))


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet="ab./\\-_ ~\x00:", max_size=12))
def test_any_key_is_refused_or_stays_under_the_root(key: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        top = Path(tmp).resolve()
        store = LocalBlobStore(top / "blobs")
        try:
            asyncio.run(store.put(key, b"x"))
        except ValueError:
            assert _all_files(top) == []
            return
        written = _all_files(top)
        assert written == [store.root.joinpath(*key.split("/"))]
        assert written[0].is_relative_to(store.root)
        assert asyncio.run(store.get(key)) == b"x"
