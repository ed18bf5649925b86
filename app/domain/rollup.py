"""Daily roll-ups (contracts §4): what one local calendar day of a metric adds up to.

Cumulative metrics spread each record's value evenly over its interval. Where records
of different sources overlap, only the highest-priority source counts for the shared
time, and a partly covered record counts for the part it wins:
``value × won time / its duration``. Records of one source never cancel each other.
Discrete metrics (count/min/max/mean of the samples that start in a day) are
aggregated by the store.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable, Sequence

import msgspec

__all__ = ["CumulativeRecord", "cumulative_total"]


class CumulativeRecord(msgspec.Struct, frozen=True, array_like=True, gc=False):
    """A cumulative sample as the roll-up needs it: interval, value and source rank."""

    start_ms: int
    end_ms: int
    value: float
    #: position in the priority order: 0 is the best source; ties are already broken
    rank: int


def _overlap(covered: Sequence[tuple[int, int]], starts: Sequence[int], lo: int, hi: int) -> int:
    """Milliseconds of [lo, hi) that the disjoint, sorted intervals `covered` cover."""
    if not covered or hi <= lo:
        return 0
    total = 0
    i = max(bisect_right(starts, lo) - 1, 0)
    n = len(covered)
    while i < n:
        a, b = covered[i]
        if a >= hi:
            break
        if b > lo:
            total += min(b, hi) - max(a, lo)
        i += 1
    return total


def _inside(covered: Sequence[tuple[int, int]], starts: Sequence[int], t: int) -> bool:
    i = bisect_right(starts, t) - 1
    return i >= 0 and covered[i][0] <= t < covered[i][1]


def _merge(intervals: list[tuple[int, int]]) -> list[tuple[int, int]]:
    intervals.sort()
    out: list[tuple[int, int]] = []
    for a, b in intervals:
        if out and a <= out[-1][1]:
            if b > out[-1][1]:
                out[-1] = (out[-1][0], b)
        else:
            out.append((a, b))
    return out


def cumulative_total(records: Iterable[CumulativeRecord], day_start: int, day_end: int) -> float:
    """The day's total under the overlap rule, for records that may reach outside it."""
    by_rank: dict[int, list[CumulativeRecord]] = {}
    for r in records:
        if (r.end_ms > day_start and r.start_ms < day_end) or (
            r.start_ms == r.end_ms and day_start <= r.start_ms < day_end
        ):
            by_rank.setdefault(r.rank, []).append(r)
    if len(by_rank) == 1:
        # One source that day (the common case): nothing to cancel, a plain pro-rata sum.
        (only,) = by_rank.values()
        total = 0.0
        for r in only:
            duration = r.end_ms - r.start_ms
            if duration == 0:
                total += r.value
            else:
                won = min(r.end_ms, day_end) - max(r.start_ms, day_start)
                total += r.value * won / duration
        return total
    total = 0.0
    covered: list[tuple[int, int]] = []
    starts: list[int] = []
    for rank in sorted(by_rank):
        mine: list[tuple[int, int]] = []
        for r in by_rank[rank]:
            duration = r.end_ms - r.start_ms
            if duration == 0:
                if not _inside(covered, starts, r.start_ms):
                    total += r.value
                continue
            lo, hi = max(r.start_ms, day_start), min(r.end_ms, day_end)
            won = (hi - lo) - _overlap(covered, starts, lo, hi)
            if won > 0:
                total += r.value * won / duration
            mine.append((lo, hi))
        if mine:
            covered = _merge(covered + mine)
            starts = [a for a, _ in covered]
    return total
