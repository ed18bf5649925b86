"""Weekly opening hours that generate a clinic's slots, minus closures. Pure: no I/O.

A clinic publishes availability as opening hours per weekday ("Monday 08:00–12:00,
15-minute consultations") and closures (holidays, a blocked hour). `generate_slots` turns
them into concrete `Slot`s for a range of local dates; the store inserts them with
ON CONFLICT DO NOTHING, so the ids are stable and re-generating a week is harmless.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta
from typing import Literal, get_args
from zoneinfo import ZoneInfo

import msgspec

from app.domain.ids import stable_id
from app.domain.slots import SLOT_MINUTES, Slot, SlotKind
from app.domain.time import valid_timezone
from app.errors import Invalid

__all__ = [
    "MAX_DAYS",
    "MAX_SLOT_MINUTES",
    "MIN_SLOT_MINUTES",
    "Closure",
    "OpeningHours",
    "generate_slots",
    "validate_closure",
    "validate_hours",
]

#: the longest range of local dates one call may generate (a leap year)
MAX_DAYS = 366
MIN_SLOT_MINUTES = 5
MAX_SLOT_MINUTES = 240

_KINDS: frozenset[str] = frozenset(get_args(SlotKind))


class OpeningHours(msgspec.Struct, frozen=True, kw_only=True):
    """One weekly opening range of one slot kind, in the clinic's wall-clock time."""

    #: 0 = Monday … 6 = Sunday (as `date.weekday()`)
    weekday: int
    #: wall-clock in the clinic's zone, naive time
    opens: time
    closes: time
    kind: SlotKind
    #: slot length; default SLOT_MINUTES[kind]
    minutes: int | None = None

    @property
    def slot_minutes(self) -> int:
        """The slot length in effect: `minutes`, or the kind's default."""
        return self.minutes if self.minutes is not None else SLOT_MINUTES[self.kind]


class Closure(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """A time the clinic takes no bookings, half-open [starts_at, ends_at)."""

    starts_at: datetime
    ends_at: datetime
    reason: Literal["holiday", "blocked"] = "blocked"


def validate_hours(hours: OpeningHours) -> None:
    """Raise `Invalid` unless the range is usable.

    weekday 0..6, a known kind, naive times with opens < closes, a slot length of
    5..240 minutes, and a range (as wall-clock) long enough for at least one slot.
    """
    if not 0 <= hours.weekday <= 6:
        raise Invalid("weekday must be 0 (Monday) to 6 (Sunday)")
    if hours.kind not in _KINDS:
        raise Invalid(f"unknown slot kind {hours.kind!r}")
    if hours.opens.tzinfo is not None or hours.closes.tzinfo is not None:
        raise Invalid("opening hours are wall-clock times without a zone")
    if not hours.opens < hours.closes:
        raise Invalid("opening hours must open before they close")
    minutes = hours.slot_minutes
    if not MIN_SLOT_MINUTES <= minutes <= MAX_SLOT_MINUTES:
        raise Invalid(f"slot length must be {MIN_SLOT_MINUTES} to {MAX_SLOT_MINUTES} minutes")
    day = date(2000, 1, 3)  # any date: wall-clock length, no zone involved
    length = datetime.combine(day, hours.closes) - datetime.combine(day, hours.opens)
    if length < timedelta(minutes=minutes):
        raise Invalid("opening hours are shorter than one slot")


def validate_closure(closure: Closure) -> None:
    """Raise `Invalid` unless both ends are timezone-aware and it ends after it starts."""
    for dt in (closure.starts_at, closure.ends_at):
        if dt.tzinfo is None or dt.utcoffset() is None:
            raise Invalid("closure times must be timezone-aware")
    if not closure.starts_at < closure.ends_at:
        raise Invalid("a closure must end after it starts")


def generate_slots(
    *,
    clinic_id: str,
    timezone: str,
    hours: Sequence[OpeningHours],
    closures: Sequence[Closure],
    first: date,
    last: date,
) -> list[Slot]:
    """Free slots for the local dates `first`..`last` (inclusive), sorted by (start, kind).

    For each date and each range of that weekday, the opening and closing instants are
    the wall times `opens` and `closes` on that date in `timezone`. Slots then run
    consecutively in real (UTC) time from the opening instant, each `minutes` long,
    while a whole slot fits before the closing instant. Counting in real time means no
    duplicates and no gaps on daylight-saving days: on the autumn day 01:00–04:00 in
    Europe/Copenhagen is four real hours, on the spring day two (the skipped hour is not
    there), and 08:00–12:00 is four hours on both.

    Wall times that DST makes odd are resolved like this:

    * a wall time that does not exist (02:30 on the spring day) is moved forward to the
      first real instant after the gap, the transition itself (03:00 CEST); this goes for
      both `opens` and `closes`, so a range lying wholly inside the gap yields nothing;
    * a wall time that occurs twice (02:30 on the autumn day) takes its first occurrence
      (fold=0) for `opens` and its second (fold=1) for `closes`, i.e. the wider range.

    A slot overlapping any closure (half-open intervals) is left out. Slot ids are
    `stable_id("slot", clinic_id, <start as UTC ISO>, kind)`, so the same week always
    gives the same ids, and overlapping ranges of one kind give no second slot with the
    same start: the first range listed wins. Closures are applied first, so where that
    range's slot is closed another range's shorter slot with the same start may still be
    offered. Times in the result are UTC-aware.

    Raises `Invalid` for an unknown zone, an invalid range or closure, `last < first`,
    or more than `MAX_DAYS` dates.
    """
    if not valid_timezone(timezone):
        raise Invalid(f"unknown time zone {timezone!r}")
    if last < first:
        raise Invalid("the last date is before the first")
    days = (last - first).days + 1
    if days > MAX_DAYS:
        raise Invalid(f"slots can be generated for at most {MAX_DAYS} days at a time")
    for h in hours:
        validate_hours(h)
    for c in closures:
        validate_closure(c)

    tz = ZoneInfo(timezone)
    blocked = sorted((c.starts_at.astimezone(UTC), c.ends_at.astimezone(UTC)) for c in closures)
    by_weekday: dict[int, list[OpeningHours]] = {}
    for h in hours:
        by_weekday.setdefault(h.weekday, []).append(h)

    slots: dict[str, Slot] = {}
    for offset in range(days):
        day = first + timedelta(days=offset)
        for h in by_weekday.get(day.weekday(), ()):
            opening = _instant(datetime.combine(day, h.opens), tz, fold=0)
            closing = _instant(datetime.combine(day, h.closes), tz, fold=1)
            step = timedelta(minutes=h.slot_minutes)
            start = opening
            while start + step <= closing:
                end = start + step
                if not any(b_start < end and start < b_end for b_start, b_end in blocked):
                    slot_id = stable_id("slot", clinic_id, start.isoformat(), h.kind)
                    if slot_id not in slots:
                        slots[slot_id] = Slot(
                            id=slot_id,
                            clinic_id=clinic_id,
                            kind=h.kind,
                            starts_at=start,
                            ends_at=end,
                            status="free",
                        )
                start = end
    return sorted(slots.values(), key=lambda s: (s.starts_at, s.kind))


def _instant(wall: datetime, tz: ZoneInfo, *, fold: int) -> datetime:
    """The UTC instant of the naive wall time `wall` in `tz` (see `generate_slots`).

    An ambiguous wall time takes the occurrence `fold` picks; one inside a gap becomes the
    transition instant, the first real instant after the gap.
    """
    candidate = wall.replace(tzinfo=tz, fold=fold).astimezone(UTC)
    if _wall(candidate, tz) == wall:
        return candidate
    # In a gap. Every instant before the transition shows a wall time before `wall`, every
    # one from it on a wall time after: search the whole seconds between the two readings.
    offsets = [wall.replace(tzinfo=tz, fold=f).utcoffset() or timedelta() for f in (0, 1)]
    lo = wall.replace(tzinfo=UTC) - max(offsets)  # shows a wall time before `wall`
    hi = wall.replace(tzinfo=UTC) - min(offsets)  # shows a wall time after `wall`
    lo = lo.replace(microsecond=0)
    while hi - lo > timedelta(seconds=1):
        mid = lo + timedelta(seconds=(hi - lo) // timedelta(seconds=2))
        if _wall(mid, tz) > wall:
            hi = mid
        else:
            lo = mid
    return hi


def _wall(instant: datetime, tz: ZoneInfo) -> datetime:
    """The naive wall time an aware instant shows in `tz`."""
    return instant.astimezone(tz).replace(tzinfo=None, fold=0)
