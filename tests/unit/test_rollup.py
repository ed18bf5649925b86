"""The cumulative overlap rule of contracts §4, by hand-computed cases."""

from __future__ import annotations

import pytest

from app.domain.rollup import CumulativeRecord as R
from app.domain.rollup import cumulative_total

H = 3_600_000
DAY = (0, 24 * H)


def test_single_source_records_add_up() -> None:
    assert cumulative_total([R(0, H, 100, 0), R(H, 2 * H, 50, 0)], *DAY) == 150


def test_same_source_overlaps_never_cancel() -> None:
    assert cumulative_total([R(0, 2 * H, 100, 1), R(H, 3 * H, 100, 1)], *DAY) == 200


def test_watch_wins_overlap_phone_keeps_the_rest_pro_rata() -> None:
    watch = R(H, 2 * H, 600, 0)  # 10:00-11:00 style: one hour, 600 steps
    phone = R(0, 4 * H, 1000, 1)  # four hours, 1000 steps; the watch covers one of them
    total = cumulative_total([phone, watch], *DAY)
    # phone wins 3 of its 4 hours: 1000 * 3/4 = 750; watch 600
    assert total == pytest.approx(1350)
    assert total not in (1600, 600)  # neither the sum nor the watch alone


def test_partly_covered_record_counts_the_part_it_wins() -> None:
    watch = R(30 * 60_000, 90 * 60_000, 90, 0)
    phone = R(0, H, 60, 1)  # half of the phone's hour is under the watch
    assert cumulative_total([watch, phone], *DAY) == pytest.approx(90 + 30)


def test_three_sources_in_priority_order() -> None:
    a = R(0, H, 10, 0)
    b = R(0, 2 * H, 20, 1)  # wins the second hour only
    c = R(0, 3 * H, 30, 2)  # wins the third hour only
    assert cumulative_total([c, b, a], *DAY) == pytest.approx(10 + 10 + 10)


def test_record_over_midnight_is_split_by_time() -> None:
    rec = R(23 * H, 25 * H, 200, 0)
    assert cumulative_total([rec], 0, 24 * H) == pytest.approx(100)
    assert cumulative_total([rec], 24 * H, 48 * H) == pytest.approx(100)


def test_instant_records_count_unless_a_better_source_covers_them() -> None:
    assert cumulative_total([R(H, H, 5, 1)], *DAY) == 5
    assert cumulative_total([R(0, 2 * H, 100, 0), R(H, H, 5, 1)], *DAY) == 100
    assert cumulative_total([R(24 * H, 24 * H, 5, 0)], *DAY) == 0  # belongs to the next day


def test_records_outside_the_day_are_ignored() -> None:
    assert cumulative_total([R(-2 * H, -H, 100, 0), R(25 * H, 26 * H, 100, 0)], *DAY) == 0


# --- the rule against a brute-force minute-by-minute reference ------------------------

from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

M = 60_000


@st.composite
def _records(draw: st.DrawFn) -> list[R]:
    out = []
    for _ in range(draw(st.integers(0, 8))):
        start = draw(st.integers(-120, 24 * 60 + 120))
        length = draw(st.integers(0, 300))
        value = float(draw(st.integers(0, 1000)))
        out.append(R(start * M, (start + length) * M, value, draw(st.integers(0, 2))))
    return out


def _reference(records: list[R], lo: int, hi: int) -> float:
    total = 0.0
    for minute in range(lo // M, hi // M):
        a, b = minute * M, (minute + 1) * M
        covering = [
            r for r in records if r.end_ms > r.start_ms and r.start_ms <= a and r.end_ms >= b
        ]
        if covering:
            best = min(r.rank for r in covering)
            total += sum(r.value * M / (r.end_ms - r.start_ms) for r in covering if r.rank == best)
    for r in records:
        if r.start_ms == r.end_ms and lo <= r.start_ms < hi:
            better = any(o.rank < r.rank and o.start_ms <= r.start_ms < o.end_ms for o in records)
            if not better:
                total += r.value
    return total


@settings(max_examples=300, deadline=None, database=None)
@given(_records())
def test_overlap_rule_matches_a_minute_by_minute_reference(records: list[R]) -> None:
    assert cumulative_total(records, *DAY) == pytest.approx(_reference(records, *DAY), abs=1e-6)
