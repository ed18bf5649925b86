"""Open an uploaded zip without trusting it, and stream one member out of it.

Citizens upload `export.zip` files we did not make. A hostile or broken zip must fail with a
clear error and never cost more than bounded memory and time, so before any member is read:

- the end-of-central-directory record is read by hand and the size of the central
  directory and the number of members are capped (zipfile reads the whole central
  directory into memory and builds an object per member, so a fake one of gigabytes or
  millions of entries would be a memory bomb on its own);
- every member name is checked for path traversal (absolute paths, drive letters, `..`
  components, with `\\` read as a separator too, NUL bytes), even though nothing is ever
  extracted to disk: such a name only comes from a crafted file;
- declared sizes are checked: no member may inflate more than `max_ratio` times its
  compressed size and the total may not exceed `max_total_bytes`.

Headers can lie, so the bytes actually streamed are counted as well: a member that inflates
past its declared size, past the ratio or past the total cap is stopped right there. Only
stored and deflated members are opened (the only methods Apple uses); bzip2 and lzma
inflate a whole input block in one call, which would defeat the streaming bound.

The member to read is found by its content, not by its name: exports arrive renamed,
repacked and nested in folders, and a name says nothing about what is inside.

The limits (see `ZipLimits`): 200x is well above what deflate achieves on real Apple
exports (XML at 10x–40x; the largest on record is 79 MB zipped to 2.45 GB, 31x) and far below
a bomb's 1000x; 16 GiB total is six times the largest export on record.
"""

from __future__ import annotations

import copy
import struct
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Final, Self

__all__ = [
    "DEFAULT_LIMITS",
    "ImportFormatError",
    "MemberReader",
    "SafeZip",
    "ZipLimits",
    "unsafe_member_name",
]


class ImportFormatError(ValueError):
    """A structurally broken or hostile input file; nothing of it may be stored.

    `kind` is a stable slug callers can branch on and report ("xml-not-well-formed",
    "xml-entity-declaration", "xml-external-entity", "xml-not-health-export",
    "zip-invalid", "zip-no-export", "zip-path-traversal", "zip-bomb", "empty-file");
    `detail` is for people.
    """

    def __init__(self, kind: str, detail: str) -> None:
        super().__init__(f"{kind}: {detail}")
        self.kind = kind
        self.detail = detail


@dataclass(frozen=True, slots=True)
class ZipLimits:
    """How much a zip may cost us. The defaults and why are in the module docstring."""

    #: uncompressed / compressed size, per member, declared and actual
    max_ratio: float = 200.0
    #: uncompressed bytes over all members (declared) and over all reads (actual)
    max_total_bytes: int = 16 * 2**30
    #: members smaller than this are never judged by ratio (tiny files compress oddly)
    ratio_floor_bytes: int = 2**20
    #: Apple exports carry one GPX per workout and one CSV per ECG: thousands, not millions
    max_members: int = 50_000
    #: zipfile holds the whole central directory in memory while it parses it
    max_central_directory_bytes: int = 8 * 2**20


DEFAULT_LIMITS: Final = ZipLimits()

_EOCD_SIG: Final = b"PK\x05\x06"
_EOCD64_LOCATOR_SIG: Final = b"PK\x06\x07"
_EOCD64_SIG: Final = b"PK\x06\x06"
_EOCD_SIZE: Final = 22
_EOCD_SEARCH: Final = _EOCD_SIZE + 0xFFFF
_SUPPORTED_METHODS: Final = frozenset({zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED})
#: zipfile raises these (and more) on a corrupt archive; all mean "not a usable zip"
_ZIP_ERRORS: Final = (
    zipfile.BadZipFile,
    zipfile.LargeZipFile,
    EOFError,
    ValueError,
    NotImplementedError,
    struct.error,
    zlib.error,
)


def unsafe_member_name(raw: str) -> str | None:
    """Why a member name would escape an extraction folder, or None when it is safe.

    Backslashes count as separators: Windows tools write them and Windows extractors honour
    them, so `..\\evil` is as much a traversal as `../evil`.
    """
    if "\x00" in raw:
        return "contains a NUL byte"
    name = raw.replace("\\", "/")
    if name.startswith("/"):
        return "is an absolute path"
    if len(name) >= 2 and name[1] == ":" and name[0].isascii() and name[0].isalpha():
        return "starts with a drive letter"
    if ".." in name.split("/"):
        return "has a '..' component"
    return None


def _central_directory_size(path: Path, size: int) -> tuple[int, int]:
    """(member count, central directory bytes) from the end records, read the way zipfile does.

    Raises zip-invalid when there is no end record: the file is not a zip at all.
    """
    with path.open("rb") as f:
        start = max(0, size - _EOCD_SEARCH)
        f.seek(start)
        tail = f.read()
    if len(tail) >= _EOCD_SIZE and tail[-_EOCD_SIZE:-18] == _EOCD_SIG and tail[-2:] == b"\0\0":
        pos = len(tail) - _EOCD_SIZE
    else:
        pos = tail.rfind(_EOCD_SIG)
        if pos < 0 or len(tail) - pos < _EOCD_SIZE:
            raise ImportFormatError("zip-invalid", "not a zip file (no end of central directory)")
    _sig, _disk, _cd_disk, _n_disk, entries, cd_size, _cd_offset, _clen = struct.unpack(
        "<4s4H2LH", tail[pos : pos + _EOCD_SIZE]
    )
    loc = pos - 20
    if loc >= 0 and tail[loc : loc + 4] == _EOCD64_LOCATOR_SIG:
        _lsig, _ldisk, eocd64_offset, _ndisks = struct.unpack("<4sLQL", tail[loc : loc + 20])
        with path.open("rb") as f:
            f.seek(eocd64_offset)
            rec = f.read(56)
        if len(rec) != 56 or rec[:4] != _EOCD64_SIG:
            raise ImportFormatError("zip-invalid", "broken zip64 end of central directory")
        fields = struct.unpack("<4sQ2H2L4Q", rec)
        entries, cd_size = fields[7], fields[8]
    return entries, cd_size


class MemberReader:
    """A member being streamed: `read(n)` counts and bounds what actually comes out.

    zipfile itself cuts a member at its declared size and then reports a CRC error; here the
    declared size is not handed to zipfile, so a header that under-states the size is caught
    as what it is, a bomb, and reported as such.
    """

    def __init__(self, owner: SafeZip, info: zipfile.ZipInfo) -> None:
        self.info = info
        self.name = info.filename
        #: uncompressed size the headers declare
        self.declared_size = info.file_size
        #: uncompressed bytes handed out so far
        self.bytes_read = 0
        self._owner = owner
        limits = owner.limits
        self._max_bytes = min(
            info.file_size,
            max(limits.ratio_floor_bytes, int(limits.max_ratio * max(info.compress_size, 1))),
        )
        unbounded = copy.copy(info)
        unbounded.file_size = limits.max_total_bytes + 1
        try:
            self._raw = owner.zipfile.open(unbounded)
        except _ZIP_ERRORS as exc:
            raise ImportFormatError("zip-invalid", f"{info.filename}: {exc}") from None

    def read(self, n: int) -> bytes:
        """Up to `n` bytes; b"" at the end. Raises ImportFormatError on a lie or a bomb."""
        try:
            data = self._raw.read(n)
        except _ZIP_ERRORS as exc:
            raise ImportFormatError("zip-invalid", f"{self.name}: {exc}") from None
        got = len(data)
        self.bytes_read += got
        self._owner.add_streamed(got)
        if self.bytes_read > self._max_bytes:
            if self.bytes_read > self.declared_size:
                detail = f"inflates past its declared size of {self.declared_size} bytes"
            else:
                detail = f"inflates more than {self._owner.limits.max_ratio:g}x"
            raise ImportFormatError("zip-bomb", f"{self.name} {detail}")
        if not got and n > 0 and self.bytes_read < self.declared_size:
            raise ImportFormatError(
                "zip-invalid",
                f"{self.name} ends after {self.bytes_read} of {self.declared_size} bytes",
            )
        return data

    def close(self) -> None:
        self._raw.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


class SafeZip:
    """A zip checked on opening (see the module docstring); members stream via `open`.

    Raises ImportFormatError: "empty-file", "zip-invalid", "zip-path-traversal", "zip-bomb".
    """

    def __init__(self, path: Path, limits: ZipLimits = DEFAULT_LIMITS) -> None:
        self.limits = limits
        self.path = path
        self._streamed = 0
        size = path.stat().st_size
        if size == 0:
            raise ImportFormatError("empty-file", f"{path.name} is empty")
        entries, cd_size = _central_directory_size(path, size)
        if entries > limits.max_members:
            raise ImportFormatError(
                "zip-bomb", f"{entries} members (more than {limits.max_members})"
            )
        if cd_size > limits.max_central_directory_bytes:
            raise ImportFormatError(
                "zip-bomb", f"central directory of {cd_size} bytes is implausibly large"
            )
        try:
            self.zipfile = zipfile.ZipFile(path)
        except _ZIP_ERRORS as exc:
            raise ImportFormatError("zip-invalid", f"{path.name}: {exc}") from None
        try:
            self.members = self._check_members()
        except BaseException:
            self.zipfile.close()
            raise

    def _check_members(self) -> list[zipfile.ZipInfo]:
        limits = self.limits
        infos = self.zipfile.infolist()
        if len(infos) > limits.max_members:
            raise ImportFormatError(
                "zip-bomb", f"{len(infos)} members (more than {limits.max_members})"
            )
        total = 0
        files: list[zipfile.ZipInfo] = []
        for info in infos:
            why = unsafe_member_name(info.orig_filename)
            if why is not None:
                raise ImportFormatError(
                    "zip-path-traversal", f"member name {info.orig_filename!r} {why}"
                )
            size = info.file_size
            if size > limits.ratio_floor_bytes and size > limits.max_ratio * max(
                info.compress_size, 1
            ):
                raise ImportFormatError(
                    "zip-bomb",
                    f"{info.filename} declares {size} bytes from {info.compress_size} "
                    f"(more than {limits.max_ratio:g}x)",
                )
            total += size
            if total > limits.max_total_bytes:
                raise ImportFormatError(
                    "zip-bomb", f"members declare more than {limits.max_total_bytes} bytes"
                )
            if not info.is_dir():
                files.append(info)
        return files

    def add_streamed(self, n: int) -> None:
        """Count bytes inflated from any member against the total cap."""
        self._streamed += n
        if self._streamed > self.limits.max_total_bytes:
            raise ImportFormatError(
                "zip-bomb", f"inflated more than {self.limits.max_total_bytes} bytes"
            )

    def open(self, info: zipfile.ZipInfo) -> MemberReader:
        """Stream one member (never to disk). Refuses encrypted and exotic compression."""
        if info.flag_bits & 0x1:
            raise ImportFormatError("zip-invalid", f"{info.filename} is encrypted")
        if info.compress_type not in _SUPPORTED_METHODS:
            raise ImportFormatError(
                "zip-invalid",
                f"{info.filename}: compression method {info.compress_type} is not supported",
            )
        return MemberReader(self, info)

    def find_member(
        self, matches: Callable[[bytes], bool], *, head_bytes: int = 4096, what: str = "export"
    ) -> zipfile.ZipInfo:
        """The first member (central directory order) whose first `head_bytes` match.

        Members that cannot be opened (encrypted, exotic compression) are skipped; if none
        matches, raises "zip-no-export".
        """
        skipped = 0
        for info in self.members:
            if info.flag_bits & 0x1 or info.compress_type not in _SUPPORTED_METHODS:
                skipped += 1
                continue
            with self.open(info) as member:
                head = member.read(head_bytes)
            if matches(head):
                return info
        detail = f"no {what} among {len(self.members)} members"
        if skipped:
            detail += f" ({skipped} could not be inspected: encrypted or unsupported compression)"
        raise ImportFormatError("zip-no-export", detail)

    def close(self) -> None:
        self.zipfile.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
