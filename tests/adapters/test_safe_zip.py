"""SafeZip: hostile and broken zips fail with the right kind; good ones stream by content."""

from __future__ import annotations

import os
import struct
import zipfile
from pathlib import Path

import pytest

from adapters.ingest.safe_zip import ImportFormatError, SafeZip, ZipLimits, unsafe_member_name

EXPORT = b'<?xml version="1.0" encoding="UTF-8"?>\n<HealthData locale="en_US">\n</HealthData>\n'


def _zip(path: Path, members: dict[str, bytes], method: int = zipfile.ZIP_DEFLATED) -> Path:
    with zipfile.ZipFile(path, "w", compression=method) as zf:
        for name, data in members.items():
            zf.writestr(zipfile.ZipInfo(name), data, compress_type=method)
    return path


def _patch(path: Path, *, usize: int | None = None, flag: int | None = None) -> None:
    """Rewrite the headers of a one-member zip: the lies a crafted file tells."""
    data = bytearray(path.read_bytes())
    local = data.index(b"PK\x03\x04")
    central = data.index(b"PK\x01\x02")
    if usize is not None:
        struct.pack_into("<L", data, local + 22, usize)
        struct.pack_into("<L", data, central + 24, usize)
    if flag is not None:
        struct.pack_into("<H", data, local + 6, flag)
        struct.pack_into("<H", data, central + 8, flag)
    path.write_bytes(bytes(data))


def _is_export(head: bytes) -> bool:
    return b"<HealthData" in head


def _read_all(path: Path, limits: ZipLimits | None = None) -> bytes:
    with SafeZip(path, limits or ZipLimits()) as z:
        info = z.find_member(_is_export)
        parts = []
        with z.open(info) as member:
            while chunk := member.read(1 << 16):
                parts.append(chunk)
        return b"".join(parts)


def _kind(exc: pytest.ExceptionInfo[ImportFormatError]) -> str:
    return exc.value.kind


# --- not a zip, empty, no export ------------------------------------------------------------


def test_empty_file(tmp_path: Path) -> None:
    p = tmp_path / "e.zip"
    p.write_bytes(b"")
    with pytest.raises(ImportFormatError) as exc:
        SafeZip(p)
    assert _kind(exc) == "empty-file"


@pytest.mark.parametrize("content", [b"hello, not a zip", b"PK\x03\x04garbage" + b"\0" * 40])
def test_not_a_zip(tmp_path: Path, content: bytes) -> None:
    p = tmp_path / "n.zip"
    p.write_bytes(content)
    with pytest.raises(ImportFormatError) as exc:
        SafeZip(p)
    assert _kind(exc) == "zip-invalid"
    assert isinstance(exc.value, ValueError)


def test_truncated_zip_is_invalid(tmp_path: Path) -> None:
    p = _zip(tmp_path / "t.zip", {"export.xml": EXPORT * 100})
    data = p.read_bytes()
    p.write_bytes(data[: len(data) // 2])
    with pytest.raises(ImportFormatError) as exc:
        SafeZip(p)
    assert _kind(exc) == "zip-invalid"


def test_no_export_member(tmp_path: Path) -> None:
    p = _zip(
        tmp_path / "x.zip",
        {
            "apple_health_export/export_cda.xml": b"<ClinicalDocument/>",
            "apple_health_export/workout-routes/r.gpx": b"<gpx/>",
        },
    )
    with pytest.raises(ImportFormatError) as exc, SafeZip(p) as z:
        z.find_member(_is_export)
    assert _kind(exc) == "zip-no-export"


def test_empty_zip_has_no_export(tmp_path: Path) -> None:
    p = _zip(tmp_path / "x.zip", {})
    with pytest.raises(ImportFormatError) as exc, SafeZip(p) as z:
        z.find_member(_is_export)
    assert _kind(exc) == "zip-no-export"


# --- found by content ---------------------------------------------------------------------


def test_export_found_under_an_odd_name_after_other_members(tmp_path: Path) -> None:
    p = _zip(
        tmp_path / "odd.zip",
        {
            "folder/": b"",
            "export.xml": b"<ClinicalDocument/>",  # named like the export, but is not one
            "stuff/data.bin": EXPORT,
        },
    )
    with SafeZip(p) as z:
        info = z.find_member(_is_export)
        assert info.filename == "stuff/data.bin"
    assert _read_all(p) == EXPORT


def test_stored_members_stream_too(tmp_path: Path) -> None:
    p = _zip(tmp_path / "s.zip", {"a/b.xml": EXPORT}, method=zipfile.ZIP_STORED)
    assert _read_all(p) == EXPORT


def test_member_counts_what_it_streams(tmp_path: Path) -> None:
    body = EXPORT * 1000
    p = _zip(tmp_path / "c.zip", {"e.xml": body})
    with SafeZip(p) as z, z.open(z.members[0]) as m:
        assert m.declared_size == len(body)
        assert len(m.read(100)) == 100
        assert m.bytes_read == 100


def test_unsupported_compression_and_encryption_are_skipped_then_refused(tmp_path: Path) -> None:
    p = _zip(tmp_path / "bz.zip", {"e.xml": EXPORT}, method=zipfile.ZIP_BZIP2)
    with SafeZip(p) as z:
        with pytest.raises(ImportFormatError) as exc:
            z.find_member(_is_export)
        assert _kind(exc) == "zip-no-export"
        assert "could not be inspected" in exc.value.detail
        with pytest.raises(ImportFormatError) as exc:
            z.open(z.members[0])
        assert _kind(exc) == "zip-invalid"

    p = _zip(tmp_path / "enc.zip", {"e.xml": EXPORT})
    _patch(p, flag=0x1)
    with SafeZip(p) as z, pytest.raises(ImportFormatError) as exc:
        z.open(z.members[0])
    assert _kind(exc) == "zip-invalid"


# --- path traversal -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    [
        "../evil.xml",
        "apple_health_export/../../evil.xml",
        "/etc/cron.d/evil",
        "..\\evil.xml",
        "apple_health_export\\..\\..\\evil.xml",
        "C:\\Windows\\evil.xml",
        "c:/evil.xml",
        "\\\\server\\share\\evil.xml",
    ],
)
def test_path_traversal_member_refused(tmp_path: Path, name: str) -> None:
    p = _zip(tmp_path / "t.zip", {"apple_health_export/export.xml": EXPORT, name: b"x"})
    with pytest.raises(ImportFormatError) as exc:
        SafeZip(p)
    assert _kind(exc) == "zip-path-traversal"


def test_nul_byte_in_member_name_refused(tmp_path: Path) -> None:
    # zipfile will not write a NUL in a name, so write a placeholder and patch the bytes
    p = _zip(tmp_path / "nul.zip", {"ok.xml#../../evil": EXPORT})
    p.write_bytes(p.read_bytes().replace(b"ok.xml#", b"ok.xml\x00"))
    with pytest.raises(ImportFormatError) as exc:
        SafeZip(p)
    assert _kind(exc) == "zip-path-traversal"


@pytest.mark.parametrize(
    "name", ["apple_health_export/export.xml", "a..b/c..xml", "dir/", "./x.xml", "...", "é/ø.xml"]
)
def test_safe_names(name: str) -> None:
    assert unsafe_member_name(name) is None


# --- bombs ------------------------------------------------------------------------------------


def test_ratio_bomb_refused_on_opening(tmp_path: Path) -> None:
    # 20 MiB of zeros deflate to about 20 KiB: a ratio near 1000x, over the default 200x
    p = _zip(tmp_path / "bomb.zip", {"export.xml": EXPORT + b"\0" * (20 * 2**20)})
    with pytest.raises(ImportFormatError) as exc:
        SafeZip(p)
    assert _kind(exc) == "zip-bomb"


def test_ratio_is_configurable(tmp_path: Path) -> None:
    p = _zip(tmp_path / "r.zip", {"e.xml": EXPORT * 2000})  # ~170 KB of repetitive text
    limits = ZipLimits(max_ratio=5, ratio_floor_bytes=0)
    with pytest.raises(ImportFormatError) as exc:
        SafeZip(p, limits)
    assert _kind(exc) == "zip-bomb"
    assert _read_all(p) == EXPORT * 2000  # the default limits accept it


def test_total_size_cap(tmp_path: Path) -> None:
    body = EXPORT + os.urandom(2 * 2**20)  # incompressible: no ratio problem, only size
    p = _zip(tmp_path / "big.zip", {"e.xml": body})
    with pytest.raises(ImportFormatError) as exc:
        SafeZip(p, ZipLimits(max_total_bytes=2**20))
    assert _kind(exc) == "zip-bomb"
    assert _read_all(p) == body


def test_header_understating_the_size_is_caught_while_streaming(tmp_path: Path) -> None:
    # 8 MiB of zeros, declared as 1,000 bytes: the declared ratio looks harmless
    p = _zip(tmp_path / "lie.zip", {"e.xml": EXPORT + b"\0" * (8 * 2**20)})
    _patch(p, usize=1000)
    with SafeZip(p) as z:  # opening passes: the headers look fine
        assert z.members[0].file_size == 1000
        with pytest.raises(ImportFormatError) as exc:
            z.find_member(_is_export)
        assert _kind(exc) == "zip-bomb"
        with z.open(z.members[0]) as m, pytest.raises(ImportFormatError) as exc:
            while m.read(1 << 16):
                pass
        assert _kind(exc) == "zip-bomb"
        assert m.bytes_read <= 1000 + (1 << 16)


def test_header_overstating_the_size_is_a_bomb_by_ratio(tmp_path: Path) -> None:
    p = _zip(tmp_path / "huge.zip", {"e.xml": EXPORT})
    _patch(p, usize=0xFFFFFFF0)
    with pytest.raises(ImportFormatError) as exc:
        SafeZip(p)
    assert _kind(exc) == "zip-bomb"


def test_member_shorter_than_declared_is_invalid(tmp_path: Path) -> None:
    body = EXPORT + os.urandom(100_000)
    p = _zip(tmp_path / "short.zip", {"e.xml": body})
    _patch(p, usize=150_000)  # ratio 1.5: plausible, but a lie
    with pytest.raises(ImportFormatError) as exc:
        _read_all(p)
    assert _kind(exc) == "zip-invalid"


def test_too_many_members(tmp_path: Path) -> None:
    p = _zip(tmp_path / "many.zip", {f"r{i}.gpx": b"<gpx/>" for i in range(5)})
    with pytest.raises(ImportFormatError) as exc:
        SafeZip(p, ZipLimits(max_members=3))
    assert _kind(exc) == "zip-bomb"


def test_oversized_central_directory(tmp_path: Path) -> None:
    p = _zip(tmp_path / "cd.zip", {f"r{i}.gpx": b"<gpx/>" for i in range(50)})
    with pytest.raises(ImportFormatError) as exc:
        SafeZip(p, ZipLimits(max_central_directory_bytes=500))
    assert _kind(exc) == "zip-bomb"
