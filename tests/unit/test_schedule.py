"""Slot generation from weekly opening hours: ordinary days, DST days, closures, ids.

Expected instants are worked out by hand in the comments: Europe/Copenhagen is UTC+1 in
winter (CET) and UTC+2 in summer (CEST); in 2026 the clocks go 02:00 CET -> 03:00 CEST on
Sunday 29 March (01:00 UTC) and 03:00 CEST -> 02:00 CET on Sunday 25 October (01:00 UTC).
"""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from app.domain.ids import stable_id
from app.domain.schedule import Closure, OpeningHours, generate_slots, validate_hours
from app.domain.slots import SLOT_MINUTES, Slot, SlotKind
from app.errors import Invalid

CPH_NAME = "Europe/Copenhagen"
CPH = ZoneInfo(CPH_NAME)
CLINIC = "clinic-1"
MONDAY = date(2026, 6, 1)  # an ordinary summer Monday (CEST, UTC+2)
SPRING = date(2026, 3, 29)  # Sunday, 23-hour day
AUTUMN = date(2026, 10, 25)  # Sunday, 25-hour day

# No example database: tests must not write files into the tree.
SETTINGS = settings(database=None, deadline=None, max_examples=80)


def hours(
    weekday: int,
    opens: str,
    closes: str,
    kind: SlotKind = "consultation",
    minutes: int | None = None,
) -> OpeningHours:
    return OpeningHours(
        weekday=weekday,
        opens=time.fromisoformat(opens),
        closes=time.fromisoformat(closes),
        kind=kind,
        minutes=minutes,
    )


def generate(
    *rows: OpeningHours,
    first: date,
    last: date | None = None,
    closures: tuple[Closure, ...] = (),
    zone: str = CPH_NAME,
    clinic_id: str = CLINIC,
) -> list[Slot]:
    return generate_slots(
        clinic_id=clinic_id,
        timezone=zone,
        hours=rows,
        closures=closures,
        first=first,
        last=first if last is None else last,
    )


def walls(slots: list[Slot]) -> list[str]:
    return [s.starts_at.astimezone(CPH).strftime("%H:%M") for s in slots]


def quarter_hours(start_hour: int, end_hour: int) -> list[str]:
    return [f"{h:02d}:{m:02d}" for h in range(start_hour, end_hour) for m in (0, 15, 30, 45)]


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def local(day: date, hhmm: str, fold: int = 0) -> datetime:
    return datetime.combine(day, time.fromisoformat(hhmm), tzinfo=CPH).replace(fold=fold)


def assert_consecutive(slots: list[Slot], minutes: int) -> None:
    step = timedelta(minutes=minutes)
    starts = [s.starts_at for s in slots]
    assert len(set(starts)) == len(starts)
    for s in slots:
        assert s.ends_at - s.starts_at == step
    for a, b in itertools.pairwise(slots):
        assert b.starts_at - a.starts_at == step


# --- ordinary days -------------------------------------------------------------------


def test_an_ordinary_morning_is_sixteen_quarter_hours() -> None:
    slots = generate(hours(0, "08:00", "12:00"), first=MONDAY)
    assert len(slots) == 16
    assert walls(slots) == quarter_hours(8, 12)
    # 08:00 CEST is 06:00 UTC; the last slot 11:45-12:00 CEST is 09:45-10:00 UTC.
    assert slots[0].starts_at == utc(2026, 6, 1, 6, 0)
    assert slots[-1].starts_at == utc(2026, 6, 1, 9, 45)
    assert slots[-1].ends_at == utc(2026, 6, 1, 10, 0)
    assert_consecutive(slots, 15)
    for s in slots:
        assert s.clinic_id == CLINIC
        assert s.kind == "consultation"
        assert s.status == "free"
        assert s.starts_at.utcoffset() == timedelta(0)


def test_a_range_that_does_not_divide_evenly_stops_before_closing() -> None:
    # 25-minute slots from 08:00: 08:00, 08:25; 08:50 would end at 09:15, after 09:00.
    slots = generate(hours(0, "08:00", "09:00", minutes=25), first=MONDAY)
    assert walls(slots) == ["08:00", "08:25"]
    assert slots[-1].ends_at == local(MONDAY, "08:50")


def test_custom_minutes_override_the_kind_default() -> None:
    slots = generate(hours(0, "08:00", "09:00", minutes=20), first=MONDAY)
    assert walls(slots) == ["08:00", "08:20", "08:40"]
    assert_consecutive(slots, 20)


def test_kinds_use_their_own_default_lengths_and_sort_by_start_then_kind() -> None:
    slots = generate(
        hours(0, "08:00", "09:00", "phone"),  # 10 minutes: 6 slots
        hours(0, "08:00", "09:00", "consultation"),  # 15 minutes: 4 slots
        hours(0, "08:00", "09:00", "long"),  # 30 minutes: 2 slots
        hours(0, "08:00", "09:00", "video"),  # 15 minutes: 4 slots
        first=MONDAY,
    )
    assert len(slots) == 16
    per_kind = {
        k: [s for s in slots if s.kind == k] for k in ("consultation", "long", "phone", "video")
    }
    assert walls(per_kind["phone"]) == ["08:00", "08:10", "08:20", "08:30", "08:40", "08:50"]
    assert walls(per_kind["consultation"]) == ["08:00", "08:15", "08:30", "08:45"]
    assert walls(per_kind["video"]) == ["08:00", "08:15", "08:30", "08:45"]
    assert walls(per_kind["long"]) == ["08:00", "08:30"]
    assert [(w, s.kind) for w, s in zip(walls(slots[:4]), slots[:4], strict=True)] == [
        ("08:00", "consultation"),
        ("08:00", "long"),
        ("08:00", "phone"),
        ("08:00", "video"),
    ]
    assert slots == sorted(slots, key=lambda s: (s.starts_at, s.kind))


def test_only_the_weekdays_with_hours_get_slots() -> None:
    # Monday 2026-06-01 .. Sunday 2026-06-07; hours on Monday and Wednesday only.
    slots = generate(
        hours(0, "08:00", "09:00"),
        hours(2, "13:00", "14:00"),
        first=MONDAY,
        last=MONDAY + timedelta(days=6),
    )
    days = sorted({s.starts_at.astimezone(CPH).date() for s in slots})
    assert days == [date(2026, 6, 1), date(2026, 6, 3)]
    assert walls(slots) == ["08:00", "08:15", "08:30", "08:45", "13:00", "13:15", "13:30", "13:45"]


def test_a_range_of_several_weeks_repeats_weekly() -> None:
    slots = generate(hours(0, "08:00", "09:00"), first=MONDAY, last=MONDAY + timedelta(days=20))
    days = sorted({s.starts_at.astimezone(CPH).date() for s in slots})
    assert days == [date(2026, 6, 1), date(2026, 6, 8), date(2026, 6, 15)]
    assert len(slots) == 12


def test_overlapping_ranges_of_one_kind_do_not_duplicate_starts() -> None:
    slots = generate(hours(0, "08:00", "10:00"), hours(0, "09:00", "11:00"), first=MONDAY)
    assert walls(slots) == quarter_hours(8, 11)
    assert len({s.id for s in slots}) == len(slots) == 12

    # Misaligned overlap: 08:00..09:45 from the first, 09:10..10:40 from the second.
    slots = generate(hours(0, "08:00", "10:00"), hours(0, "09:10", "11:00"), first=MONDAY)
    assert len(slots) == 8 + 7
    assert len({(s.starts_at, s.kind) for s in slots}) == len(slots)


# --- daylight saving -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "first_utc"),
    [
        (SPRING, utc(2026, 3, 29, 6, 0)),  # 08:00 CEST
        (AUTUMN, utc(2026, 10, 25, 7, 0)),  # 08:00 CET
    ],
)
def test_a_morning_on_a_dst_day_is_still_sixteen_quarter_hours(
    day: date, first_utc: datetime
) -> None:
    slots = generate(hours(6, "08:00", "12:00"), first=day)
    assert len(slots) == 16
    assert walls(slots) == quarter_hours(8, 12)
    assert slots[0].starts_at == first_utc
    assert slots[-1].ends_at == first_utc + timedelta(hours=4)
    assert_consecutive(slots, 15)


def test_a_night_range_on_the_spring_day_loses_the_skipped_hour() -> None:
    # 01:00 CET = 00:00 UTC; 04:00 CEST = 02:00 UTC: two real hours, eight slots.
    slots = generate(hours(6, "01:00", "04:00"), first=SPRING)
    assert len(slots) == 8
    assert slots[0].starts_at == utc(2026, 3, 29, 0, 0)
    assert slots[-1].ends_at == utc(2026, 3, 29, 2, 0)
    assert walls(slots) == quarter_hours(1, 2) + quarter_hours(3, 4)
    assert_consecutive(slots, 15)


def test_a_night_range_on_the_autumn_day_has_the_repeated_hour_twice() -> None:
    # 01:00 CEST = 23:00 UTC the day before; 04:00 CET = 03:00 UTC: four real hours.
    slots = generate(hours(6, "01:00", "04:00"), first=AUTUMN)
    assert len(slots) == 16
    assert slots[0].starts_at == utc(2026, 10, 24, 23, 0)
    assert slots[-1].ends_at == utc(2026, 10, 25, 3, 0)
    assert walls(slots) == quarter_hours(1, 3) + quarter_hours(2, 4)
    assert_consecutive(slots, 15)
    # 02:00..02:45 once in CEST (+02:00) and once in CET (+01:00).
    twice = [s for s in slots if s.starts_at.astimezone(CPH).hour == 2]
    assert [s.starts_at.astimezone(CPH).utcoffset() for s in twice] == [timedelta(hours=2)] * 4 + [
        timedelta(hours=1)
    ] * 4


@pytest.mark.parametrize("minutes", [7, 10, 15, 25, 45, 60])
@pytest.mark.parametrize("day", [SPRING, AUTUMN])
def test_no_slot_crosses_closing_on_a_dst_night(day: date, minutes: int) -> None:
    opening = local(day, "00:30")
    closing = local(day, "04:10")
    slots = generate(hours(6, "00:30", "04:10", minutes=minutes), first=day)
    real = closing.astimezone(UTC) - opening.astimezone(UTC)  # same-zone subtraction is wall time
    assert real == (
        timedelta(hours=2, minutes=40) if day == SPRING else timedelta(hours=4, minutes=40)
    )
    assert len(slots) == real // timedelta(minutes=minutes)
    assert slots[0].starts_at == opening
    assert all(s.ends_at <= closing for s in slots)
    assert_consecutive(slots, minutes)


def test_a_nonexistent_opening_time_moves_forward_to_the_end_of_the_gap() -> None:
    # 02:30 does not exist on the spring day: the range opens at 03:00 CEST = 01:00 UTC.
    slots = generate(hours(6, "02:30", "04:00"), first=SPRING)
    assert slots[0].starts_at == utc(2026, 3, 29, 1, 0)
    assert walls(slots) == quarter_hours(3, 4)


def test_a_nonexistent_closing_time_moves_forward_to_the_end_of_the_gap() -> None:
    # Closing at "02:30" means 03:00 CEST = 01:00 UTC: 01:00..01:45 CET.
    slots = generate(hours(6, "01:00", "02:30"), first=SPRING)
    assert walls(slots) == quarter_hours(1, 2)
    assert slots[-1].ends_at == utc(2026, 3, 29, 1, 0)


def test_a_range_wholly_inside_the_gap_has_no_slots() -> None:
    assert generate(hours(6, "02:00", "02:45"), first=SPRING) == []


def test_ambiguous_times_open_at_the_first_and_close_at_the_second_occurrence() -> None:
    # Opens 02:30 CEST (fold 0) = 00:30 UTC, closes 03:00 CET = 02:00 UTC: 6 slots.
    slots = generate(hours(6, "02:30", "03:00"), first=AUTUMN)
    assert slots[0].starts_at == utc(2026, 10, 25, 0, 30)
    assert slots[-1].ends_at == utc(2026, 10, 25, 2, 0)
    assert len(slots) == 6
    # Closes at 02:30 CET (fold 1) = 01:30 UTC; opens 01:00 CEST = 23:00 UTC: 10 slots.
    slots = generate(hours(6, "01:00", "02:30"), first=AUTUMN)
    assert slots[0].starts_at == utc(2026, 10, 24, 23, 0)
    assert slots[-1].ends_at == utc(2026, 10, 25, 1, 30)
    assert len(slots) == 10


def test_lord_howe_half_hour_shift() -> None:
    # Australia/Lord_Howe: +10:30 standard, +11:00 summer. On Sunday 2026-04-05 the
    # clocks go 02:00 -> 01:30 (15:00 UTC on the 4th). 01:00 +11:00 = 14:00 UTC;
    # 03:00 +10:30 = 16:30 UTC: 2.5 real hours, 10 slots.
    slots = generate(hours(6, "01:00", "03:00"), first=date(2026, 4, 5), zone="Australia/Lord_Howe")
    assert len(slots) == 10
    assert slots[0].starts_at == utc(2026, 4, 4, 14, 0)
    assert slots[-1].ends_at == utc(2026, 4, 4, 16, 30)
    assert_consecutive(slots, 15)


# --- closures ------------------------------------------------------------------------


def test_a_holiday_closes_a_whole_day() -> None:
    # Christmas Eve 2026 is a Thursday; Mon-Fri 08:00-09:00 for that week.
    week = [hours(d, "08:00", "09:00") for d in range(5)]
    first = date(2026, 12, 21)
    holiday = Closure(
        starts_at=local(date(2026, 12, 24), "00:00"),
        ends_at=local(date(2026, 12, 25), "00:00"),
        reason="holiday",
    )
    slots = generate(*week, first=first, last=first + timedelta(days=6), closures=(holiday,))
    days = sorted({s.starts_at.astimezone(CPH).date() for s in slots})
    assert days == [date(2026, 12, 21), date(2026, 12, 22), date(2026, 12, 23), date(2026, 12, 25)]
    assert len(slots) == 16


def test_a_blocked_hour_removes_only_the_slots_it_overlaps() -> None:
    blocked = Closure(starts_at=local(MONDAY, "09:00"), ends_at=local(MONDAY, "10:00"))
    slots = generate(hours(0, "08:00", "12:00"), first=MONDAY, closures=(blocked,))
    # Half-open: the 08:45 slot ends at 09:00 and stays; 10:00 starts at the end and stays.
    assert walls(slots) == quarter_hours(8, 9) + quarter_hours(10, 12)


def test_a_closed_slot_leaves_room_for_another_range_of_the_same_kind() -> None:
    # Without closures the 30-minute range listed first wins 08:00; with 08:20-08:30
    # blocked its 08:00 slot is gone and the 15-minute range's 08:00-08:15 is offered.
    rows = (hours(0, "08:00", "09:00", minutes=30), hours(0, "08:00", "09:00"))
    plain = generate(*rows, first=MONDAY)
    assert walls(plain)[0] == "08:00"
    assert plain[0].ends_at - plain[0].starts_at == timedelta(minutes=30)
    blocked = Closure(starts_at=local(MONDAY, "08:20"), ends_at=local(MONDAY, "08:30"))
    slots = generate(*rows, first=MONDAY, closures=(blocked,))
    assert walls(slots) == ["08:00", "08:30", "08:45"]
    assert slots[0].ends_at - slots[0].starts_at == timedelta(minutes=15)
    assert slots[0].id == plain[0].id


def test_a_closure_cutting_into_a_slot_removes_that_slot() -> None:
    # 09:05-09:20 UTC+2 given in UTC: overlaps the 09:00 and 09:15 slots.
    blocked = Closure(starts_at=utc(2026, 6, 1, 7, 5), ends_at=utc(2026, 6, 1, 7, 20))
    slots = generate(hours(0, "08:00", "10:00"), first=MONDAY, closures=(blocked,))
    assert walls(slots) == ["08:00", "08:15", "08:30", "08:45", "09:30", "09:45"]


# --- ids -----------------------------------------------------------------------------


def test_ids_are_stable_and_follow_the_documented_recipe() -> None:
    a = generate(hours(0, "08:00", "09:00"), first=MONDAY)
    b = generate(hours(0, "08:00", "09:00"), first=MONDAY)
    assert a == b
    assert a[0].id == stable_id("slot", CLINIC, "2026-06-01T06:00:00+00:00", "consultation")
    # A longer range re-generates the same ids for the days both cover.
    wider = generate(hours(0, "08:00", "09:00"), first=MONDAY - timedelta(days=7), last=MONDAY)
    assert {s.id for s in a} <= {s.id for s in wider}
    other = generate(hours(0, "08:00", "09:00"), first=MONDAY, clinic_id="clinic-2")
    assert not {s.id for s in a} & {s.id for s in other}
    video = generate(hours(0, "08:00", "09:00", "video"), first=MONDAY)
    assert not {s.id for s in a} & {s.id for s in video}


# --- validation ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "bad",
    [
        hours(7, "08:00", "09:00"),
        hours(-1, "08:00", "09:00"),
        hours(0, "09:00", "09:00"),
        hours(0, "10:00", "09:00"),
        hours(0, "08:00", "09:00", minutes=4),
        hours(0, "08:00", "18:00", minutes=241),
        hours(0, "08:00", "08:10"),  # shorter than one 15-minute slot
        hours(0, "08:00", "08:29", "long"),
        hours(0, "08:00", "09:00", "house-call"),  # type: ignore[arg-type]
        OpeningHours(
            weekday=0, opens=time(8, tzinfo=UTC), closes=time(9, tzinfo=UTC), kind="consultation"
        ),
    ],
)
def test_bad_hours_are_refused(bad: OpeningHours) -> None:
    with pytest.raises(Invalid):
        validate_hours(bad)
    with pytest.raises(Invalid):
        generate(bad, first=MONDAY)


@pytest.mark.parametrize(
    "good",
    [
        hours(0, "08:00", "08:15"),
        hours(6, "00:00", "23:59", minutes=240),
        hours(0, "08:00", "08:05", minutes=5),
    ],
)
def test_edge_hours_are_accepted(good: OpeningHours) -> None:
    validate_hours(good)


def test_bad_date_ranges_are_refused() -> None:
    with pytest.raises(Invalid):
        generate(hours(0, "08:00", "09:00"), first=MONDAY, last=MONDAY - timedelta(days=1))
    with pytest.raises(Invalid):
        generate(hours(0, "08:00", "09:00"), first=MONDAY, last=MONDAY + timedelta(days=366))
    # 366 dates inclusive is allowed: 53 Mondays (2026-06-01 .. 2027-06-01 is 366 dates).
    slots = generate(hours(0, "08:00", "08:15"), first=MONDAY, last=MONDAY + timedelta(days=365))
    assert len(slots) == 53


def test_bad_zone_and_closures_are_refused() -> None:
    with pytest.raises(Invalid):
        generate(hours(0, "08:00", "09:00"), first=MONDAY, zone="Europe/Atlantis")
    naive = Closure(starts_at=datetime(2026, 6, 1, 9), ends_at=datetime(2026, 6, 1, 10))
    with pytest.raises(Invalid):
        generate(hours(0, "08:00", "09:00"), first=MONDAY, closures=(naive,))
    backwards = Closure(starts_at=utc(2026, 6, 1, 10), ends_at=utc(2026, 6, 1, 9))
    with pytest.raises(Invalid):
        generate(hours(0, "08:00", "09:00"), first=MONDAY, closures=(backwards,))


# --- properties ----------------------------------------------------------------------

ZONES = ("Europe/Copenhagen", "America/New_York", "Australia/Lord_Howe", "UTC")


def _transition_days(zone: str) -> list[date]:
    tz = ZoneInfo(zone)
    out = []
    day = date(2026, 1, 1)
    while day <= date(2027, 12, 31):
        start = datetime.combine(day, time(), tzinfo=tz).astimezone(UTC)
        end = datetime.combine(day + timedelta(days=1), time(), tzinfo=tz).astimezone(UTC)
        if end - start != timedelta(days=1):
            out.append(day)
        day += timedelta(days=1)
    return out


TRANSITIONS = {zone: _transition_days(zone) for zone in ZONES}


def test_the_property_zones_have_the_transitions_we_expect() -> None:
    assert SPRING in TRANSITIONS["Europe/Copenhagen"]
    assert AUTUMN in TRANSITIONS["Europe/Copenhagen"]
    assert len(TRANSITIONS["America/New_York"]) == 4
    assert len(TRANSITIONS["Australia/Lord_Howe"]) == 4
    assert TRANSITIONS["UTC"] == []


def _oracle_instant(day: date, wall_time: time, zone: str, *, last: bool) -> datetime:
    """The instant a wall time names, found by trying every offset the zone uses nearby.

    Independent of the fold machinery: an existing wall time is any instant that shows it
    (the earliest for opening, the latest for closing); a missing one is the first minute
    that shows a later wall time.
    """
    tz = ZoneInfo(zone)
    wall = datetime.combine(day, wall_time)
    offsets = {
        datetime.combine(day + timedelta(days=d), time(12), tzinfo=tz).utcoffset()
        for d in (-1, 0, 1)
    }
    candidates = sorted(wall.replace(tzinfo=UTC) - off for off in offsets if off is not None)
    shows = [c for c in candidates if c.astimezone(tz).replace(tzinfo=None) == wall]
    if shows:
        return shows[-1] if last else shows[0]
    t = candidates[0]
    while t.astimezone(tz).replace(tzinfo=None) <= wall:
        t += timedelta(minutes=1)
    return t


KINDS: tuple[SlotKind, ...] = ("consultation", "long", "phone", "video")


@st.composite
def opening_hours(draw: st.DrawFn) -> OpeningHours:
    # Bias towards Sunday nights: every transition in these zones is early on a Sunday.
    weekday = draw(st.one_of(st.just(6), st.integers(0, 6)))
    # Minutes of the day; half the draws 01:00-03:20, where these zones change clocks.
    moment = st.one_of(st.integers(60, 200), st.integers(0, 1439))
    opens, closes = sorted((draw(moment), draw(moment)))
    assume(closes - opens >= 5)
    kind = draw(st.sampled_from(KINDS))
    custom = draw(st.one_of(st.none(), st.integers(5, min(240, closes - opens))))
    assume(custom is not None or SLOT_MINUTES[kind] <= closes - opens)
    return OpeningHours(
        weekday=weekday,
        opens=time(opens // 60, opens % 60),
        closes=time(closes // 60, closes % 60),
        kind=kind,
        minutes=custom,
    )


@st.composite
def scenarios(draw: st.DrawFn) -> tuple[str, date, date, list[OpeningHours]]:
    zone = draw(st.sampled_from(ZONES))
    near = TRANSITIONS[zone]
    if len(near) > 0 and draw(st.booleans()):  # half the time, a range that holds a DST day
        change = draw(st.sampled_from(near))
        first = change - timedelta(days=draw(st.integers(0, 13)))
        last = change + timedelta(days=draw(st.integers(0, 13 - (change - first).days)))
    else:
        first = draw(st.dates(date(2026, 1, 1), date(2027, 12, 31)))
        last = first + timedelta(days=draw(st.integers(0, 13)))
    rows = draw(st.lists(opening_hours(), min_size=1, max_size=3))
    return zone, first, last, rows


@SETTINGS
@given(scenarios())
def test_slots_are_consecutive_within_their_range_and_unique(
    scenario: tuple[str, date, date, list[OpeningHours]],
) -> None:
    zone, first, last, rows = scenario
    combined = generate_slots(
        clinic_id=CLINIC, timezone=zone, hours=rows, closures=(), first=first, last=last
    )
    assert combined == sorted(combined, key=lambda s: (s.starts_at, s.kind))
    assert len({s.id for s in combined}) == len(combined)
    assert len({(s.starts_at, s.kind) for s in combined}) == len(combined)

    union: set[tuple[datetime, str]] = set()
    for row in rows:
        step = timedelta(minutes=row.slot_minutes)
        single = generate_slots(
            clinic_id=CLINIC, timezone=zone, hours=[row], closures=(), first=first, last=last
        )
        union |= {(s.starts_at, s.kind) for s in single}
        expected: list[datetime] = []
        day = first
        while day <= last:
            if day.weekday() == row.weekday:
                opening = _oracle_instant(day, row.opens, zone, last=False)
                closing = _oracle_instant(day, row.closes, zone, last=True)
                start = opening
                while start + step <= closing:
                    expected.append(start)
                    start += step
            day += timedelta(days=1)
        assert [s.starts_at for s in single] == expected
        for s in single:
            assert s.ends_at - s.starts_at == step
            assert s.kind == row.kind
        for a, b in itertools.pairwise(single):
            assert a.ends_at <= b.starts_at
    assert {(s.starts_at, s.kind) for s in combined} == union


@SETTINGS
@given(
    scenarios(),
    st.lists(
        st.tuples(st.integers(0, 14 * 24 * 60), st.integers(1, 12 * 60)), min_size=1, max_size=3
    ),
)
def test_closures_remove_exactly_the_overlapping_slots(
    scenario: tuple[str, date, date, list[OpeningHours]], spans: list[tuple[int, int]]
) -> None:
    zone, first, last, rows = scenario
    base = datetime.combine(first, time(), tzinfo=ZoneInfo(zone)).astimezone(UTC)
    closures = tuple(
        Closure(
            starts_at=base + timedelta(minutes=at), ends_at=base + timedelta(minutes=at + length)
        )
        for at, length in spans
    )
    common = {"clinic_id": CLINIC, "timezone": zone, "hours": rows, "first": first, "last": last}
    open_ = generate_slots(closures=(), **common)  # type: ignore[arg-type]
    closed = generate_slots(closures=closures, **common)  # type: ignore[arg-type]

    def overlaps(s: Slot) -> bool:
        return any(c.starts_at < s.ends_at and s.starts_at < c.ends_at for c in closures)

    assert not any(overlaps(s) for s in closed)
    kept = [s for s in open_ if not overlaps(s)]
    assert [s for s in closed if s in kept] == kept
    # Anything else is another range's slot whose id an overlapping slot held without the
    # closures (closures are applied before de-duplication).
    dropped = {s.id for s in open_ if overlaps(s)}
    assert all(s.id in dropped for s in closed if s not in kept)
