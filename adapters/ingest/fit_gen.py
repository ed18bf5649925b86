"""Writing FIT files: small realistic ones for tests, hours-long ones for the benchmark.

Definition and data messages, little-endian, header and file CRCs by fitdecode's own
routine, optionally with compressed-timestamp record headers.
"""

from __future__ import annotations

import struct

from fitdecode.utils import compute_crc  # type: ignore[import-untyped,unused-ignore]

__all__ = ["BASE", "FitWriter", "activity_file"]

BASE = {
    "enum": (0x00, "B"),
    "sint8": (0x01, "b"),
    "uint8": (0x02, "B"),
    "uint16": (0x84, "H"),
    "sint32": (0x85, "i"),
    "uint32": (0x86, "I"),
    "uint32z": (0x8C, "I"),
}


class FitWriter:
    """Definition and data messages, little-endian, header and CRCs by fitdecode's routine."""

    def __init__(self) -> None:
        self.body = bytearray()
        self.formats: dict[int, struct.Struct] = {}

    def define(self, local: int, mesg_num: int, fields: list[tuple[int, str, int]]) -> None:
        """fields: (field number, base type name, array length)."""
        self.body += bytes([0x40 | local, 0, 0]) + struct.pack("<HB", mesg_num, len(fields))
        fmt = "<"
        for num, base, count in fields:
            code, char = BASE[base]
            size = struct.calcsize(char) * count
            self.body += bytes([num, size, code])
            fmt += f"{count}{char}"
        self.formats[local] = struct.Struct(fmt)

    def data(self, local: int, *values: int, time_offset: int | None = None) -> None:
        compressed = 0x80 | (local << 5) | ((time_offset or 0) & 0x1F)
        header = local if time_offset is None else compressed
        self.body += bytes([header]) + self.formats[local].pack(*values)

    def file_id(self, file_type: int, product: int, serial: int) -> None:
        self.define(0, 0, [(0, "enum", 1), (1, "uint16", 1), (2, "uint16", 1), (3, "uint32z", 1)])
        self.data(0, file_type, 1, product, serial)  # manufacturer 1: garmin

    def build(self) -> bytes:
        head = struct.pack("<BBHI4s", 14, 0x20, 2132, len(self.body), b".FIT")
        head += struct.pack("<H", compute_crc(head))
        data = head + bytes(self.body)
        return data + struct.pack("<H", compute_crc(data))


def activity_file(seconds: int, start: int, *, sport: int = 1, cycles: int = 4000) -> bytes:
    """A 1 Hz activity shaped like the Edge 500's records, then its session."""
    w = FitWriter()
    w.file_id(4, 1967, 3882015183)  # activity, garmin fenix2
    w.define(
        1,
        20,
        [
            (253, "uint32", 1),
            (0, "sint32", 1),
            (1, "sint32", 1),
            (2, "uint16", 1),
            (3, "uint8", 1),
            (4, "uint8", 1),
            (5, "uint32", 1),
            (6, "uint16", 1),
            (13, "sint8", 1),
        ],
    )
    for i in range(seconds):
        w.data(
            1, start + i, 521521093 + i, -946874053 - i, 2876, 100 + i % 90, 80, i * 300, 3000, 21
        )
    session = [(253, "uint32", 1), (2, "uint32", 1), (7, "uint32", 1), (9, "uint32", 1)]
    session += [(10, "uint32", 1), (11, "uint16", 1), (5, "enum", 1)]
    w.define(2, 18, session)
    w.data(2, start + seconds, start, seconds * 1000, seconds * 300, cycles, 500, sport)
    return w.build()
