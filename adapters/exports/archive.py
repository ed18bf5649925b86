"""The export zip, written as it goes to a local file (ADR 0022).

`fhir/bundle.json` is one zip member opened for writing (`force_zip64`, since its size is
not known up front and may pass 4 GiB): the Bundle's head, then its entries a batch at a
time, then its tail. The other members are small JSON documents, the README and the
photo files. Nothing holds the Bundle whole; memory is one batch of entries and
zlib's window. The file is then streamed into the blob store by the caller.
"""

from __future__ import annotations

import zipfile
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path
from typing import IO, Any, Final

import msgspec

__all__ = ["BUNDLE", "ExportArchive"]

BUNDLE: Final = "fhir/bundle.json"
#: zlib level 6 (the default): the Bundle of a year of minute heart rate (about 360 MB of
#: JSON) packs to 18 MB; level 3 deflates three times faster but a fifth larger, and a
#: phone downloads it (docs/benchmarks.md)
_LEVEL: Final = 6


class ExportArchive:
    """A zip being written to `path`. Not thread-safe: one writer at a time."""

    def __init__(self, path: Path, generated_at: datetime) -> None:
        self._zip = zipfile.ZipFile(
            path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=_LEVEL
        )
        self._stamp = generated_at.timetuple()[:6]
        self._encoder = msgspec.json.Encoder()
        self._bundle: IO[bytes] | None = None
        self._first = True

    def _info(self, name: str) -> zipfile.ZipInfo:
        info = zipfile.ZipInfo(name, date_time=self._stamp)
        info.compress_type = zipfile.ZIP_DEFLATED
        info.external_attr = 0o600 << 16
        return info

    def begin_bundle(self, header: dict[str, Any]) -> None:
        """Open the Bundle member and write everything before its first entry."""
        if self._bundle is not None:
            raise RuntimeError("the Bundle is already open")
        self._bundle = self._zip.open(self._info(BUNDLE), "w", force_zip64=True)
        head = self._encoder.encode(header)
        self._bundle.write(head[:-1] + b',"entry":[')

    def add_entries(self, entries: Iterable[dict[str, Any]]) -> int:
        """Append entries to the open Bundle, in one write; how many."""
        if self._bundle is None:
            raise RuntimeError("begin_bundle first")
        buf = bytearray()
        count = 0
        for entry in entries:
            if not self._first:
                buf += b","
            self._first = False
            buf += self._encoder.encode(entry)
            count += 1
        if buf:
            self._bundle.write(buf)
        return count

    def end_bundle(self) -> None:
        if self._bundle is None:
            raise RuntimeError("begin_bundle first")
        self._bundle.write(b"]}")
        self._bundle.close()
        self._bundle = None

    def add_json(self, name: str, document: Any) -> None:
        """A small JSON document, indented for people to read."""
        self._zip.writestr(
            self._info(name), msgspec.json.format(self._encoder.encode(document), indent=2)
        )

    def add_text(self, name: str, text: str) -> None:
        self._zip.writestr(self._info(name), text.encode())

    def add_file(self, name: str, data: bytes) -> None:
        """A file as it is (photos: already compressed, so stored)."""
        info = self._info(name)
        info.compress_type = zipfile.ZIP_STORED
        self._zip.writestr(info, data)

    def close(self) -> None:
        if self._bundle is not None:
            self._bundle.close()
            self._bundle = None
        self._zip.close()
