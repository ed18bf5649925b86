"""Sources and their priority (contracts §4): who wins when two devices count the same time."""

from __future__ import annotations

from collections.abc import Sequence

import msgspec

from app.domain.samples import SourceKind

__all__ = [
    "DEFAULT_KIND_ORDER",
    "SAME_READING_MS",
    "SAME_READING_RELATIVE",
    "StoredSource",
    "ranked",
]

#: wrist-worn first, then the phone, then home devices, then other apps and manual entry
DEFAULT_KIND_ORDER: dict[str, int] = {
    SourceKind.WATCH: 0,
    SourceKind.PHONE: 1,
    SourceKind.DEVICE: 2,
    SourceKind.OTHER: 3,
}

#: Discrete readings (a weighing, a blood pressure, a pulse) of one metric from two
#: sources that start within this many milliseconds of each other ...
SAME_READING_MS = 5_000
#: ... and whose values differ by at most this fraction are one reading seen twice (the
#: same Withings weighing synced through Apple Health and fetched from Withings' cloud):
#: it counts once, as the reading of the higher-ranked source (ADR 0027).
SAME_READING_RELATIVE = 0.001


class StoredSource(msgspec.Struct, frozen=True, kw_only=True):
    """A source as the store knows it for one citizen."""

    source_no: int
    key: str
    name: str
    kind: str
    device: str | None = None
    #: the citizen's own position for it (0 first), or None for the default by kind
    priority: int | None = None


def ranked(sources: Sequence[StoredSource]) -> list[StoredSource]:
    """Best first: the citizen's own order where set, before the default by kind; ties by name.

    A source the citizen placed always outranks one they did not.
    """

    def key(s: StoredSource) -> tuple[int, int, str, str]:
        if s.priority is not None:
            return (0, s.priority, s.name, s.key)
        return (1, DEFAULT_KIND_ORDER.get(s.kind, 3), s.name, s.key)

    return sorted(sources, key=key)
