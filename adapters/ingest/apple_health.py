"""Streaming reader of Apple Health exports (`export.zip` or a bare `export.xml`).

Exports run from 100 MB to several GB of XML, so the file is fed to expat in 1 MiB
chunks and items are handed out between chunks: memory stays flat whatever the size.
Speed matters as much (the import pipeline must keep up with well over 100,000 records/s),
so the per-record path is kept small: expat hands attributes over as a list and the fields
are read by position (`_layout`), times are parsed by table look-up instead of `strptime`
(`parse_apple_time`), and `Source` objects are interned. Every step of the hot path is
Python bytecode run once per record, under a GIL the consumer shares: a look-up or a
string slice saved is worth its line.

What is read:
- `Record` of the quantity types in `QUANTITY_TYPES` and sleep analysis (category type);
  the `Record` children of a `Correlation` (blood pressure) are read like any other record.
  Real exports repeat them at top level too; the ingest service's same-sample rule
  (contracts §4) stores them once.
- `Workout`: its cumulative totals (distance, active energy, steps) as samples, from its
  `WorkoutStatistics` children (newer exports) or else its `totalDistance` /
  `totalEnergyBurned` attributes. They carry a source of their own (`… (workout)`, see
  `workout_source`) because the same watch also writes the per-minute records the totals
  are made of: under one source they would add up twice (a source never cancels itself),
  under two the overlap rule of §4 counts the workout only where no record covers it.
- Everything else (unknown types, `ActivitySummary`, `Me`, routes, metadata) is skipped.

No plausibility checks here (ranges, future times, intervals): that is the ingest service's
job, so every road into the store is judged alike. Units are converted (units.py); a unit or
value this reader cannot understand gives `Rejected`.

Hostile input: entity declarations (billion laughs) and external entities are refused;
Apple's internal DTD of `<!ELEMENT>`/`<!ATTLIST>` declarations is accepted.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Final
from xml.parsers import expat

from adapters.ingest.safe_zip import DEFAULT_LIMITS, ImportFormatError, SafeZip, ZipLimits
from adapters.ingest.units import IDENTITY, UNITS, Conversion
from app.domain.metrics import Metric, SleepStage
from app.domain.samples import Rejected, RejectReason, Sample, Source, SourceKind
from app.domain.time import to_ms

__all__ = [
    "CHUNK_SIZE",
    "QUANTITY_TYPES",
    "SLEEP_STAGES",
    "SLEEP_TYPE",
    "ExportStats",
    "ImportFormatError",
    "Item",
    "iter_export",
    "iter_export_stream",
    "looks_like_export",
    "map_quantity",
    "parse_apple_time",
    "source_for",
    "workout_source",
]

Item = Sample | Rejected

#: bytes fed to expat at a time: large enough to amortise the call, small enough to stay flat
CHUNK_SIZE: Final = 1 << 20

#: HealthKit quantity type identifier -> metric. Also used for HealthKit sync batches.
QUANTITY_TYPES: Final[dict[str, Metric]] = {
    "HKQuantityTypeIdentifierStepCount": Metric.STEPS,
    "HKQuantityTypeIdentifierDistanceWalkingRunning": Metric.DISTANCE,
    "HKQuantityTypeIdentifierDistanceCycling": Metric.DISTANCE,
    "HKQuantityTypeIdentifierActiveEnergyBurned": Metric.ACTIVE_ENERGY,
    "HKQuantityTypeIdentifierHeartRate": Metric.HEART_RATE,
    "HKQuantityTypeIdentifierRestingHeartRate": Metric.RESTING_HEART_RATE,
    "HKQuantityTypeIdentifierHeartRateVariabilitySDNN": Metric.HRV_SDNN,
    "HKQuantityTypeIdentifierBodyMass": Metric.BODY_MASS,
    "HKQuantityTypeIdentifierBloodPressureSystolic": Metric.BLOOD_PRESSURE_SYSTOLIC,
    "HKQuantityTypeIdentifierBloodPressureDiastolic": Metric.BLOOD_PRESSURE_DIASTOLIC,
    "HKQuantityTypeIdentifierOxygenSaturation": Metric.SPO2,
    "HKQuantityTypeIdentifierBloodGlucose": Metric.BLOOD_GLUCOSE,
    "HKQuantityTypeIdentifierBodyTemperature": Metric.BODY_TEMPERATURE,
    "HKQuantityTypeIdentifierRespiratoryRate": Metric.RESPIRATORY_RATE,
}

SLEEP_TYPE: Final = "HKCategoryTypeIdentifierSleepAnalysis"

#: sleep analysis value -> stage; the numbers are HKCategoryValueSleepAnalysis raw values
SLEEP_STAGES: Final[dict[str, SleepStage]] = {
    "HKCategoryValueSleepAnalysisInBed": SleepStage.IN_BED,
    "HKCategoryValueSleepAnalysisAsleep": SleepStage.ASLEEP,
    "HKCategoryValueSleepAnalysisAsleepUnspecified": SleepStage.ASLEEP,
    "HKCategoryValueSleepAnalysisAwake": SleepStage.AWAKE,
    "HKCategoryValueSleepAnalysisAsleepCore": SleepStage.CORE,
    "HKCategoryValueSleepAnalysisAsleepDeep": SleepStage.DEEP,
    "HKCategoryValueSleepAnalysisAsleepREM": SleepStage.REM,
    "0": SleepStage.IN_BED,
    "1": SleepStage.ASLEEP,
    "2": SleepStage.AWAKE,
    "3": SleepStage.CORE,
    "4": SleepStage.DEEP,
    "5": SleepStage.REM,
}

#: metrics a workout total may give; discrete statistics (average heart rate) are not samples
_WORKOUT_METRICS: Final = frozenset({Metric.STEPS, Metric.DISTANCE, Metric.ACTIVE_ENERGY})

_QUANTITY_SPECS: Final[dict[str, tuple[Metric, dict[str, Conversion]]]] = {
    t: (m, UNITS[m]) for t, m in QUANTITY_TYPES.items()
}


# --- values -------------------------------------------------------------------------------


def _number(text: str | None) -> float:
    """A finite float; NaN and infinities are not measurements (ValueError, like bad text)."""
    if text is None:
        raise ValueError("no value")
    v = float(text)
    if v - v != 0.0:
        raise ValueError(f"not a finite number: {text!r}")
    return v


def _apply(conv: Conversion, v: float) -> float:
    if conv is IDENTITY:
        return v
    return ((v + conv[0]) * conv[1]) / conv[2]


def map_quantity(
    type_identifier: str, unit: str | None, value_text: str | None
) -> tuple[Metric, float] | RejectReason | None:
    """A HealthKit quantity as (metric, value in the §2 unit).

    None when the type is not one we keep (the caller skips it); UNKNOWN_UNIT or MALFORMED
    when it is but the unit or the value cannot be understood. Shared with sync batches.
    """
    spec = _QUANTITY_SPECS.get(type_identifier)
    if spec is None:
        return None
    metric, units = spec
    conv = units.get(unit) if unit is not None else None
    if conv is None:
        return RejectReason.UNKNOWN_UNIT
    try:
        v = _number(value_text)
    except ValueError:
        return RejectReason.MALFORMED
    return metric, _apply(conv, v)


# --- times --------------------------------------------------------------------------------

_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)
_MS: Final = timedelta(milliseconds=1)
_TIME_RE: Final = re.compile(
    r"([0-9]{4})-([0-9]{2})-([0-9]{2}) ([0-9]{2}):([0-9]{2}):([0-9]{2}) ([+-])([0-9]{2})([0-9]{2})"
)
#: "MM:SS" -> ms; a leap second "60" is not there, so it falls through to the slow path
_MIN_SEC: Final[dict[str, int]] = {
    f"{m:02d}:{s:02d}": (m * 60 + s) * 1000 for m in range(60) for s in range(60)
}
#: "HH" -> ms of a valid hour of the day
_HOUR_OF_DAY: Final[dict[str, int]] = {f"{h:02d}": h * 3_600_000 for h in range(24)}
#: the caches below are filled only from texts validated in full, so any key in them is a
#: valid piece and any text made of two keys ("YYYY-MM-DD HH:" + "MM:SS +HHMM") is valid.
#: Bounds only guard against a hostile file: ten years hold under 90,000 hours, and a zone
#: gives 3,600 "MM:SS +HHMM" keys per offset it uses.
_CACHE_MAX: Final = 1 << 17
#: " +0100" -> offset ms; the leading space is part of the key
_OFFSETS: dict[str, int] = {}
#: the first offsets met get all their "MM:SS +HHMM" keys at once
_OFFSETS_PREFILLED: Final = 8
#: "YYYY-MM-DD" -> UTC epoch ms of that local midnight as if it were UTC
_DAYS: dict[str, int] = {}
#: "YYYY-MM-DD HH:" -> UTC epoch ms of that local hour as if it were UTC
_HOURS: dict[str, int] = {}
#: "MM:SS +0100" -> ms into the hour minus the offset
_MIN_SEC_OFF: dict[str, int] = {}


def _cache(table: dict[str, int], key: str, value: int) -> None:
    if len(table) >= _CACHE_MAX:
        table.clear()
    table[key] = value


def _parse_time_slow(text: str) -> int:
    """Validate and parse one Apple time, and fill the caches of the fast path."""
    m = _TIME_RE.fullmatch(text)
    if m is None:
        # not Apple's export format: accept ISO 8601 with a "T" and an offset (sync batches)
        if len(text) < 20 or text[10] != "T" or " " in text:
            raise ValueError(f"not a time: {text!r}")
        try:
            dt = datetime.fromisoformat(text)
        except ValueError:
            raise ValueError(f"not a time: {text!r}") from None
        if dt.tzinfo is None or dt.utcoffset() is None:
            raise ValueError(f"time without an offset: {text!r}")
        return to_ms(dt)
    year, month, day, hour, minute, second, sign, off_h, off_m = m.groups()
    sec = int(second)
    if sec > 59 or int(off_h) > 23 or int(off_m) > 59:
        raise ValueError(f"not a time: {text!r}")
    # datetime validates the calendar (month 13, 30 February, hour 24 are refused)
    local = datetime(int(year), int(month), int(day), int(hour), tzinfo=UTC)
    hour_ms = (local - _EPOCH) // _MS
    min_sec = int(minute) * 60_000 + sec * 1000
    if min_sec >= 3_600_000:
        raise ValueError(f"not a time: {text!r}")
    offset_ms = (int(off_h) * 60 + int(off_m)) * 60_000
    if sign == "-":
        offset_ms = -offset_ms
    offset = text[19:]
    if offset not in _OFFSETS and len(_OFFSETS) < _OFFSETS_PREFILLED:
        # a zone uses one or two offsets: fill their 3,600 keys now, not one miss at a time
        if len(_MIN_SEC_OFF) + len(_MIN_SEC) > _CACHE_MAX:
            _MIN_SEC_OFF.clear()
        _MIN_SEC_OFF.update((k + offset, ms - offset_ms) for k, ms in _MIN_SEC.items())
    _cache(_OFFSETS, offset, offset_ms)
    _cache(_DAYS, text[:10], hour_ms - int(hour) * 3_600_000)
    _cache(_HOURS, text[:14], hour_ms)
    _cache(_MIN_SEC_OFF, text[14:], min_sec - offset_ms)
    return hour_ms + min_sec - offset_ms


def _parse_time_miss(text: str) -> int:
    """A time whose hour or "MM:SS +HHMM" is not cached yet: built from the smaller caches
    (a known day, a known offset) where it can be, else validated in full."""
    hour_ms = _HOURS.get(text[:14])
    if hour_ms is None:
        day_ms = _DAYS.get(text[:10])
        hour_of_day = _HOUR_OF_DAY.get(text[11:13])
        if day_ms is None or hour_of_day is None or text[10:11] != " " or text[13:14] != ":":
            return _parse_time_slow(text)
        hour_ms = day_ms + hour_of_day
        _cache(_HOURS, text[:14], hour_ms)
    rest = _MIN_SEC_OFF.get(text[14:])
    if rest is None:
        min_sec = _MIN_SEC.get(text[14:19])
        offset_ms = _OFFSETS.get(text[19:])
        if min_sec is None or offset_ms is None:
            return _parse_time_slow(text)
        rest = min_sec - offset_ms
        _cache(_MIN_SEC_OFF, text[14:], rest)
    return hour_ms + rest


def parse_apple_time(text: str) -> int:
    """Apple's "2024-03-15 08:30:00 +0100" as UTC epoch milliseconds, exactly.

    Each string carries its own offset, so DST changes within a file need no zone rules.
    The fast path is two dict look-ups (the hour, then "MM:SS +HHMM"); a text whose pieces
    are not cached yet is validated in full. Raises ValueError.
    """
    try:
        return _HOURS[text[:14]] + _MIN_SEC_OFF[text[14:]]
    except KeyError:
        return _parse_time_miss(text)


# --- sources ------------------------------------------------------------------------------

_DEVICE_FIELD: Final = re.compile(r"(?:^|, )([A-Za-z]+):(.*?)(?=, [A-Za-z]+:|>$|$)")
_SOURCES: dict[tuple[str, SourceKind, str | None, bool], Source] = {}
_SOURCES_BY_TEXT: dict[tuple[str, str | None, bool], Source] = {}
_SOURCES_MAX: Final = 4096


def _device_fields(device: str) -> dict[str, str]:
    """The key:value fields of an HKDevice description, without the object address."""
    return {k: v.strip() for k, v in _DEVICE_FIELD.findall(_device_body(device))}


def _device_body(device: str) -> str:
    """An HKDevice description without its object address ("<<HKDevice: 0x…>")."""
    cut = device.find(">")
    return device[cut + 1 :] if device.startswith("<<") and cut >= 0 else device


#: device description without its address -> (kind, hardware): the address changes from
#: record to record, so `_SOURCES_BY_TEXT` misses often, but the rest of the text seldom
_DEVICE_KINDS: dict[str, tuple[SourceKind, str | None]] = {}


def _device_kind(device: str | None) -> tuple[SourceKind, str | None]:
    if not device:
        return SourceKind.OTHER, None
    body = _device_body(device)
    known = _DEVICE_KINDS.get(body)
    if known is not None:
        return known
    fields = _device_fields(device)
    model = fields.get("model")
    if model == "Watch":
        kind = SourceKind.WATCH
    elif model == "iPhone":
        kind = SourceKind.PHONE
    else:
        kind = SourceKind.OTHER
    known = (kind, fields.get("hardware") or model or None)
    if len(_DEVICE_KINDS) >= _SOURCES_MAX:
        _DEVICE_KINDS.clear()
    _DEVICE_KINDS[body] = known
    return known


def _make_source(name: str, device: str | None, workout: bool) -> Source:
    kind, hardware = _device_kind(device)
    interned = (name, kind, hardware, workout)
    src = _SOURCES.get(interned)
    if src is None:
        if len(_SOURCES) >= _SOURCES_MAX:  # only a hostile file has thousands of sources
            _SOURCES.clear()
        if workout:
            src = Source(
                key=f"apple:{name}:{kind}:workout",
                name=f"{name} (workout)",
                kind=kind,
                device=hardware,
            )
        else:
            src = Source(key=f"apple:{name}:{kind}", name=name, kind=kind, device=hardware)
        _SOURCES[interned] = src
    return src


def source_for(name: str, device: str | None) -> Source:
    """The interned Source of a record's `sourceName` and `device` attributes.

    The key, "apple:<sourceName>:<kind>", is stable across exports: the device text is left
    out of it because it carries an object address that changes from record to record and a
    software version that changes with updates. `kind` comes from the device model
    (`model:Watch` -> watch, `model:iPhone` -> phone, anything else or none -> other).
    """
    text_key = (name, device, False)
    src = _SOURCES_BY_TEXT.get(text_key)
    if src is None:
        if len(_SOURCES_BY_TEXT) >= _SOURCES_MAX:
            _SOURCES_BY_TEXT.clear()
        src = _SOURCES_BY_TEXT[text_key] = _make_source(name, device, False)
    return src


def workout_source(name: str, device: str | None) -> Source:
    """The source of workout totals: "apple:<sourceName>:<kind>:workout", "<name> (workout)".

    Separate from the records' source so the §4 overlap rule, not addition, decides between
    a workout's total and the per-minute records the same device wrote during it; the name
    sorts after the plain one, so on a priority tie the records win.
    """
    text_key = (name, device, True)
    src = _SOURCES_BY_TEXT.get(text_key)
    if src is None:
        if len(_SOURCES_BY_TEXT) >= _SOURCES_MAX:
            _SOURCES_BY_TEXT.clear()
        src = _SOURCES_BY_TEXT[text_key] = _make_source(name, device, True)
    return src


# --- the parser ---------------------------------------------------------------------------


class ExportStats:
    """Counters of one read; refreshed after every chunk and final when iteration ends."""

    __slots__ = (
        "bytes_read",
        "bytes_total",
        "correlations_read",
        "export_date_ms",
        "items",
        "records_ignored",
        "records_read",
        "workouts_read",
    )

    def __init__(self) -> None:
        #: `Record` elements seen, of any type, correlation children included (contracts §3)
        self.records_read = 0
        #: of those, records of types this reader does not map (skipped, not rejected)
        self.records_ignored = 0
        self.correlations_read = 0
        self.workouts_read = 0
        #: Samples + Rejected handed out (records of mapped types plus workout totals)
        self.items = 0
        #: input bytes consumed (uncompressed XML bytes for a zip)
        self.bytes_read = 0
        self.bytes_total: int | None = None
        #: the export's own <ExportDate>, for the ingest service's future-time check
        self.export_date_ms: int | None = None


def looks_like_export(head: bytes) -> bool:
    """True when the first bytes of a file are those of an Apple Health export.xml.

    Apple's file opens with `<!DOCTYPE HealthData [` (its DTD runs for kilobytes before the
    `<HealthData` element itself); exports stripped of the DTD open with `<HealthData`.
    """
    return b"<HealthData" in head or b"<!DOCTYPE HealthData" in head


def _refuse_entity(name: str, is_parameter: bool, *_args: object) -> None:
    kind = "parameter entity" if is_parameter else "entity"
    raise ImportFormatError("xml-entity-declaration", f"{kind} declaration {name!r} refused")


def _refuse_external_entity(
    context: str | None, base: str | None, system_id: str | None, *_args: object
) -> int:
    raise ImportFormatError("xml-external-entity", f"external entity {system_id!r} refused")


def _doctype(name: str, system_id: str | None, public_id: str | None, _internal: bool) -> None:
    if system_id is not None or public_id is not None:
        raise ImportFormatError(
            "xml-external-entity", f"external DTD {system_id or public_id!r} refused"
        )


#: stands in for "no previous source" so the hot path needs no None check
_NO_SOURCE: Final = Source(key="", name="", kind=SourceKind.OTHER)

_RARE_ELEMENTS: Final = frozenset(
    {"Correlation", "Workout", "WorkoutStatistics", "WorkoutActivity", "ExportDate"}
)

# --- record layouts -----------------------------------------------------------------------
#
# The parser hands a record's attributes over as one list, [name, value, name, value, …]
# (`ordered_attributes`: cheaper than a dict), so the fast path reads its seven fields by
# position. The positions hold for one order of attribute names, a "layout"; real exports
# use two or three (with and without `unit` and `device`), so they are worked out once and
# each record is only checked against the layout of the record before it.

#: the attributes a record needs for the fast path; one missing takes the general path
_RECORD_REQUIRED: Final = frozenset({"type", "startDate", "endDate", "value", "sourceName"})
#: appended to the attribute list of a record without `unit` or `device`, to stand in for them
_RECORD_PAD: Final[list[str | None]] = ["", None]
#: slices of the hot path, made once: `text[_HOUR]` is `text[:14]` without building the slice
_HOUR: Final = slice(None, 14)
_AFTER_HOUR: Final = slice(14, None)
_NAMES: Final = slice(None, None, 2)
#: layouts kept per read; only a hostile file has more
_LAYOUTS_MAX: Final = 16
#: all seven fields are there: their seven names are all a record needs to match the layout
#: (expat refuses a repeated name, so no other attribute can be one of them)
_FULL: Final = 0
#: `unit` or `device` is missing: a record matches only with all its names the same (one of
#: its other attributes could be the missing one); `_RECORD_PAD` stands in for them
_PADDED: Final = 1
#: a required attribute is missing: the record is read by name (`record_general`)
_GENERAL: Final = 2
#: (how, names, then the list positions of the values of type, unit, startDate, endDate,
#: value, sourceName and device, then those of their names)
_Layout = tuple[
    int, list[str], int, int, int, int, int, int, int, int, int, int, int, int, int, int
]


def _attr_dict(attrs: list[str]) -> dict[str, str]:
    """An expat attribute list [name, value, name, value, …] as a dict."""
    return dict(zip(attrs[::2], attrs[1::2], strict=True))


def _layout(names: list[str]) -> _Layout:
    """How to read a record whose attribute names come in this order."""
    if not _RECORD_REQUIRED.issubset(names):
        return (_GENERAL, names, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
    pos = {n: 2 * i + 1 for i, n in enumerate(names)}
    end = 2 * len(names)  # where `_RECORD_PAD` goes
    how = _FULL if "unit" in pos and "device" in pos else _PADDED
    t, s, e, v, n = pos["type"], pos["startDate"], pos["endDate"], pos["value"], pos["sourceName"]
    u = pos.get("unit", end)
    d = pos.get("device", end + 1)
    return (how, names, t, u, s, e, v, n, d, t - 1, u - 1, s - 1, e - 1, v - 1, n - 1, d - 1)


class _Reader:
    """One expat parser and its handlers. Items collect in `out` while a chunk is parsed.

    Names are not interned (`intern=None`): the handler compares them, never hashes them,
    and interning costs the parser a dict look-up per name.
    """

    def __init__(self) -> None:
        self.out: list[Item] = []
        self.stats = ExportStats()
        self.root_seen = False
        p = expat.ParserCreate(intern=None)
        p.ordered_attributes = True
        p.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
        p.EntityDeclHandler = _refuse_entity
        p.ExternalEntityRefHandler = _refuse_external_entity
        p.StartDoctypeDeclHandler = _doctype
        self.parser = p
        self._counts: Callable[[], tuple[int, int, int, int]] = lambda: (0, 0, 0, 0)
        p.StartElementHandler = self._root

    def _root(self, name: str, attrs: list[str]) -> None:
        if name != "HealthData":
            raise ImportFormatError(
                "xml-not-health-export", f"root element is <{name}>, not <HealthData>"
            )
        self.root_seen = True
        self.parser.StartElementHandler = self._build_handlers()

    def counts(self) -> tuple[int, int, int, int]:
        """(records, ignored, correlations, workouts) so far."""
        return self._counts()

    def _build_handlers(self) -> Callable[[str, list[Any]], None]:
        """The element handler, a closure: the hot path of the import.

        Every name it uses is either a module global or a closure variable it needs: each
        closure variable costs every call (every element) a copy.
        """
        parser = self.parser
        stats = self.stats
        emit = self.out.append
        specs_get = _QUANTITY_SPECS.get
        sleep_stages_get = SLEEP_STAGES.get
        unknown_unit = RejectReason.UNKNOWN_UNIT
        malformed = RejectReason.MALFORMED
        sleep_metric = Metric.SLEEP
        n_records = 0
        n_ignored = 0
        n_correlations = 0
        n_workouts = 0
        # the layouts met, and that of the last record unpacked: how to read it, its names,
        # the positions of the values of its fields (ti, ui, …) and of their names (tk, uk, …)
        layouts: list[_Layout] = []
        how = _PADDED
        layout_names: list[str] | None = None  # equal to no list: the first record sets it
        ti = ui = si = ei = vi = ni = di = 0
        tk = uk = sk = ek = vk = nk = dk = 0
        # the hour ("YYYY-MM-DD HH:") of the last time parsed, its epoch ms (as in `_HOURS`),
        # and the least text after all texts of that hour (":" + 1 is ";")
        hour_lo = hour_hi = ""  # an empty range: no text is in it
        hour_ms = 0
        # the sources of the last two records: consecutive records nearly always share one,
        # and within a type the watch's and the phone's records alternate in time order
        last_name: str | None = None
        last_device: str | None = None
        last_source = _NO_SOURCE
        prev_name: str | None = None
        prev_device: str | None = None
        prev_source = _NO_SOURCE
        # the workout being read, if any
        workout: dict[str, str] | None = None
        workout_stats: list[dict[str, str]] = []
        activity_depth = 0

        def counts() -> tuple[int, int, int, int]:
            return n_records, n_ignored, n_correlations, n_workouts

        self._counts = counts

        def relayout(attrs: list[str]) -> None:
            nonlocal how, layout_names, ti, ui, si, ei, vi, ni, di, tk, uk, sk, ek, vk, nk, dk
            names = attrs[::2]
            for layout in layouts:
                if layout[1] == names:
                    break
            else:
                if len(layouts) >= _LAYOUTS_MAX:
                    del layouts[0]
                layout = _layout(names)
                layouts.append(layout)
            how, layout_names, ti, ui, si, ei, vi, ni, di, tk, uk, sk, ek, vk, nk, dk = layout

        def odd(attrs: list[Any]) -> None:
            """A record (of the current layout) of a type that gives no sample, or in a unit
            not understood."""
            nonlocal n_ignored
            typ = attrs[ti]
            spec = specs_get(typ)
            if spec is None:
                if typ == SLEEP_TYPE:
                    sleep(attrs[vi], attrs[si], attrs[ei], attrs[ni], attrs[di])
                else:
                    n_ignored += 1
                return
            unit = attrs[ui]
            emit(Rejected(reason=unknown_unit, detail=f"{typ} in {unit!r}", metric=spec[0]))

        def sleep(value: str, start: str, end: str, name: str, device: str | None) -> None:
            stage = sleep_stages_get(value)
            if stage is None:
                emit(
                    Rejected(reason=malformed, detail=f"sleep value {value!r}", metric=sleep_metric)
                )
                return
            try:
                t0 = parse_apple_time(start)
                t1 = parse_apple_time(end)
            except ValueError as exc:
                emit(Rejected(reason=malformed, detail=f"sleep: {exc}", metric=sleep_metric))
                return
            emit(
                Sample(
                    metric=sleep_metric,
                    start_ms=t0,
                    end_ms=t1,
                    value=(t1 - t0) / 60_000,
                    source=source_for(name, device),
                    stage=stage,
                )
            )

        def record_general(attrs: dict[str, str]) -> None:
            """A record without one of the attributes the fast path reads, read by name."""
            nonlocal n_ignored
            typ = attrs.get("type", "")
            spec = specs_get(typ)
            if spec is None:
                if typ == SLEEP_TYPE:
                    sleep_general(attrs)
                else:
                    n_ignored += 1
                return
            metric, units = spec
            unit = attrs.get("unit", "")
            conv = units.get(unit)
            if conv is None:
                emit(Rejected(reason=unknown_unit, detail=f"{typ} in {unit!r}", metric=metric))
                return
            try:
                t0 = parse_apple_time(attrs["startDate"])
                t1 = parse_apple_time(attrs["endDate"])
                v = _number(attrs["value"])
                name = attrs["sourceName"]
            except (KeyError, ValueError, TypeError) as exc:
                emit(Rejected(reason=malformed, detail=f"{typ}: {exc}", metric=metric))
                return
            emit(
                Sample(
                    metric=metric,
                    start_ms=t0,
                    end_ms=t1,
                    value=_apply(conv, v),
                    source=source_for(name, attrs.get("device")),
                )
            )

        def sleep_general(attrs: dict[str, str]) -> None:
            stage = sleep_stages_get(attrs.get("value", ""))
            if stage is None:
                emit(
                    Rejected(
                        reason=malformed,
                        detail=f"sleep value {attrs.get('value')!r}",
                        metric=sleep_metric,
                    )
                )
                return
            try:
                t0 = parse_apple_time(attrs["startDate"])
                t1 = parse_apple_time(attrs["endDate"])
                name = attrs["sourceName"]
            except (KeyError, ValueError, TypeError) as exc:
                emit(Rejected(reason=malformed, detail=f"sleep: {exc}", metric=sleep_metric))
                return
            emit(
                Sample(
                    metric=sleep_metric,
                    start_ms=t0,
                    end_ms=t1,
                    value=(t1 - t0) / 60_000,
                    source=source_for(name, attrs.get("device")),
                    stage=stage,
                )
            )

        def workout_end(name: str) -> None:
            nonlocal workout, activity_depth
            if name == "WorkoutActivity":
                activity_depth -= 1
            elif name == "Workout":
                assert workout is not None
                _emit_workout(workout, workout_stats, emit)
                workout = None
                workout_stats.clear()
                activity_depth = 0
                parser.EndElementHandler = None

        def start(name: str, attrs: list[Any]) -> None:
            nonlocal n_records, hour_lo, hour_hi, hour_ms
            nonlocal last_name, last_device, last_source, prev_name, prev_device, prev_source
            if name == "Record":
                n_records += 1
                # the layout of the last record?
                if how == _FULL:
                    try:
                        if not (
                            attrs[tk] == "type"
                            and attrs[sk] == "startDate"
                            and attrs[ek] == "endDate"
                            and attrs[vk] == "value"
                            and attrs[nk] == "sourceName"
                            and attrs[uk] == "unit"
                            and attrs[dk] == "device"
                        ):
                            relayout(attrs)
                    except IndexError:  # fewer attributes than the last record
                        relayout(attrs)
                elif attrs[_NAMES] != layout_names:
                    relayout(attrs)
                if how != _FULL:
                    if how == _GENERAL:
                        record_general(_attr_dict(attrs))
                        return
                    attrs += _RECORD_PAD
                try:
                    metric, units = _QUANTITY_SPECS[attrs[ti]]
                    conv = units[attrs[ui]]
                except KeyError:
                    odd(attrs)
                    return
                text = attrs[si]
                end = attrs[ei]
                try:
                    # `hour_lo <= text < hour_hi` is `text.startswith(hour_lo)`, only cheaper;
                    # then "MM:SS +HHMM" is one look-up (see `parse_apple_time`)
                    try:
                        if text >= hour_lo and text < hour_hi:
                            t0 = hour_ms + _MIN_SEC_OFF[text[_AFTER_HOUR]]
                        else:
                            prefix = text[_HOUR]
                            hour_ms = _HOURS[prefix]
                            hour_lo, hour_hi = prefix, prefix[:13] + ";"
                            t0 = hour_ms + _MIN_SEC_OFF[text[_AFTER_HOUR]]
                    except KeyError:
                        t0 = _parse_time_miss(text)
                    if end == text:
                        t1 = t0
                    else:
                        try:
                            if end >= hour_lo and end < hour_hi:
                                t1 = hour_ms + _MIN_SEC_OFF[end[_AFTER_HOUR]]
                            else:
                                prefix = end[_HOUR]
                                hour_ms = _HOURS[prefix]
                                hour_lo, hour_hi = prefix, prefix[:13] + ";"
                                t1 = hour_ms + _MIN_SEC_OFF[end[_AFTER_HOUR]]
                        except KeyError:
                            t1 = _parse_time_miss(end)
                    value = attrs[vi]
                    v = float(value)
                    if v - v != 0.0:
                        raise ValueError(f"not a finite number: {value!r}")
                except (ValueError, TypeError) as exc:
                    emit(
                        Rejected(
                            reason=RejectReason.MALFORMED,
                            detail=f"{attrs[ti]}: {exc}",
                            metric=metric,
                        )
                    )
                    return
                if conv is not IDENTITY:
                    v = ((v + conv[0]) * conv[1]) / conv[2]
                src_name = attrs[ni]
                device = attrs[di]
                if src_name == last_name and device == last_device:
                    source = last_source
                elif src_name == prev_name and device == prev_device:
                    source = prev_source
                else:
                    source = source_for(src_name, device)
                    prev_name, prev_device, prev_source = last_name, last_device, last_source
                    last_name, last_device, last_source = src_name, device, source
                emit(Sample(metric=metric, start_ms=t0, end_ms=t1, value=v, source=source))
            elif name in _RARE_ELEMENTS:
                other(name, _attr_dict(attrs))

        def other(name: str, attrs: dict[str, str]) -> None:
            """Elements other than Record that matter: rare, so off the hot path."""
            nonlocal n_correlations, n_workouts, workout, activity_depth
            if name == "Correlation":
                n_correlations += 1
            elif name == "Workout":
                n_workouts += 1
                workout = attrs
                workout_stats.clear()
                activity_depth = 0
                parser.EndElementHandler = workout_end
            elif name == "WorkoutStatistics":
                if workout is not None and activity_depth == 0:
                    workout_stats.append(attrs)
            elif name == "WorkoutActivity":
                activity_depth += 1
            elif name == "ExportDate":
                try:
                    stats.export_date_ms = parse_apple_time(attrs.get("value", ""))
                except ValueError:
                    stats.export_date_ms = None

        return start


def _emit_workout(
    attrs: dict[str, str], statistics: list[dict[str, str]], emit: Callable[[Item], Any]
) -> None:
    """A workout's cumulative totals as samples: statistics first, else the old attributes."""
    try:
        source = workout_source(attrs["sourceName"], attrs.get("device"))
        w_start = parse_apple_time(attrs["startDate"])
        w_end = parse_apple_time(attrs["endDate"])
    except (KeyError, ValueError) as exc:
        emit(Rejected(reason=RejectReason.MALFORMED, detail=f"workout: {exc}"))
        return
    done: set[Metric] = set()
    for st in statistics:
        metric = QUANTITY_TYPES.get(st.get("type", ""))
        if metric not in _WORKOUT_METRICS or "sum" not in st or metric in done:
            continue
        assert metric is not None
        done.add(metric)
        try:
            t0 = parse_apple_time(st["startDate"]) if "startDate" in st else w_start
            t1 = parse_apple_time(st["endDate"]) if "endDate" in st else w_end
        except ValueError as exc:
            emit(Rejected(reason=RejectReason.MALFORMED, detail=f"workout: {exc}", metric=metric))
            continue
        _emit_total(metric, st.get("unit"), st["sum"], t0, t1, source, emit)
    for metric, value_key, unit_key in (
        (Metric.DISTANCE, "totalDistance", "totalDistanceUnit"),
        (Metric.ACTIVE_ENERGY, "totalEnergyBurned", "totalEnergyBurnedUnit"),
    ):
        if metric not in done and value_key in attrs:
            _emit_total(metric, attrs.get(unit_key), attrs[value_key], w_start, w_end, source, emit)


def _emit_total(
    metric: Metric,
    unit: str | None,
    value_text: str,
    t0: int,
    t1: int,
    source: Source,
    emit: Callable[[Item], Any],
) -> None:
    conv = UNITS[metric].get(unit) if unit is not None else None
    if conv is None:
        emit(Rejected(reason=RejectReason.UNKNOWN_UNIT, detail=f"workout {unit!r}", metric=metric))
        return
    try:
        v = _number(value_text)
    except ValueError as exc:
        emit(Rejected(reason=RejectReason.MALFORMED, detail=f"workout: {exc}", metric=metric))
        return
    emit(Sample(metric=metric, start_ms=t0, end_ms=t1, value=_apply(conv, v), source=source))


def _xml_error(exc: expat.ExpatError, final: bool) -> ImportFormatError:
    what = expat.ErrorString(exc.code) if exc.code is not None else str(exc)
    where = f"line {exc.lineno}, column {exc.offset}"
    if final:
        return ImportFormatError(
            "xml-not-well-formed", f"file ends before the document does (truncated?): {what}"
        )
    return ImportFormatError("xml-not-well-formed", f"{what} at {where}")


def iter_export_stream(
    read: Callable[[int], bytes],
    *,
    size: int | None = None,
    progress: Callable[[float], None] | None = None,
    stats: ExportStats | None = None,
) -> Iterator[Item]:
    """Items of an export.xml read through `read(n)` (a file's or a zip member's `read`).

    `size` (bytes, if known) scales `progress`. `stats`, if given, is filled as the read
    goes (after each chunk) and is final once the iterator is exhausted.
    Raises ImportFormatError for empty, not well formed, truncated or hostile XML.
    """
    return _items(None, read, size, progress, stats, DEFAULT_LIMITS)


def iter_export(
    path: Path,
    *,
    progress: Callable[[float], None] | None = None,
    stats: ExportStats | None = None,
    zip_limits: ZipLimits = DEFAULT_LIMITS,
) -> Iterator[Item]:
    """Samples and rejections of an Apple Health `export.zip` or bare `export.xml`.

    A zip is recognised by its magic bytes and opened with SafeZip; the export inside is
    the first member whose first bytes look like one (`looks_like_export`), whatever its
    name. `progress` gets the fraction (0..1) of input bytes consumed (uncompressed bytes of
    the member for a zip). Errors (ImportFormatError) surface on iteration, not on the call,
    and may come after items have been handed out (a file truncated near its end is only
    known to be broken there): the caller stores nothing until the iterator is exhausted.
    """
    return _items(path, None, None, progress, stats, zip_limits)


def _items(
    path: Path | None,
    read: Callable[[int], bytes] | None,
    size: int | None,
    progress: Callable[[float], None] | None,
    stats: ExportStats | None,
    zip_limits: ZipLimits,
) -> Iterator[Item]:
    """The one generator behind both entry points: a generator that delegates to another
    costs every item a second resumption, so the file is opened here too."""
    with ExitStack() as stack:
        if path is not None:
            f = stack.enter_context(path.open("rb"))
            magic = f.read(4)
            if not magic:
                raise ImportFormatError("empty-file", f"{path.name} is empty")
            if magic.startswith(b"PK"):
                f.close()
                archive = stack.enter_context(SafeZip(path, zip_limits))
                info = archive.find_member(looks_like_export, what="Apple Health export.xml")
                read = stack.enter_context(archive.open(info)).read
                size = info.file_size
            else:
                f.seek(0)
                read = f.read
                size = path.stat().st_size
        assert read is not None
        reader = _Reader()
        parse = reader.parser.Parse
        out = reader.out
        own = reader.stats
        own.bytes_total = size
        consumed = 0

        def publish() -> None:
            r, ig, c, w = reader.counts()
            own.records_read, own.records_ignored = r, ig
            own.correlations_read, own.workouts_read = c, w
            own.bytes_read = consumed
            if stats is not None:
                for field in ExportStats.__slots__:
                    setattr(stats, field, getattr(own, field))

        while True:
            chunk = read(CHUNK_SIZE)
            if not chunk:
                break
            consumed += len(chunk)
            try:
                parse(chunk, False)
            except expat.ExpatError as exc:
                raise _xml_error(exc, final=False) from None
            own.items += len(out)
            publish()
            if progress is not None and size:
                progress(min(1.0, consumed / size))
            # a plain loop hands items out faster than `yield from` a list
            for item in out:
                yield item
            out.clear()
        if consumed == 0:
            raise ImportFormatError("empty-file", "the file is empty")
        try:
            parse(b"", True)
        except expat.ExpatError as exc:
            raise _xml_error(exc, final=True) from None
        if not reader.root_seen:  # pragma: no cover - expat refuses a document without a root
            raise ImportFormatError("xml-not-health-export", "no <HealthData> element")
        own.items += len(out)
        publish()
        if progress is not None:
            progress(1.0)
        for item in out:
            yield item
        out.clear()
