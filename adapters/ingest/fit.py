"""Garmin FIT files (activity, monitoring, weight scale) turned into normalised samples.

Decoding rides on `fitdecode`: it streams in flat memory, understands compressed-timestamp
record headers and chained files, and decoded every valid real file we tried. It is slow
pure Python (a 4-hour ride is most of a second of CPU), so `iter_fit` is a plain
synchronous iterator that the caller runs on a worker thread, and the adapter keeps its
own cost far below the decoder's:

- fitdecode runs without its data processor (no per-field method look-ups, no datetime
  objects; we want raw integers anyway) and without its CRC check, which it computes
  nibble by nibble per field. We check framing and CRC ourselves first, in one
  table-driven pass over the file, which costs a few per cent of the decode.
- Messages are told apart by their global number, fields by the identity of their
  profile `Field` objects; no dict of fields is built for the hot messages.

Checking the CRC before decoding also means a damaged file fails before it yields a
single sample, and that every failure is named by its cause (`FitFormatError.kind`)
rather than by whatever the decoder tripped over. Failures must store nothing: the caller
consumes the whole iterator before it commits.

Decisions where the FIT profile or the issue leave room:

- `session.total_calories` is stored as `active_energy` as it stands. Garmin counts all
  energy spent during the activity, the resting share included; taking that out needs a
  resting rate the file rarely holds, and the overstatement is bounded by the resting
  rate over the session (about 1 kcal/min).
- Session totals of zero are left out: they mean "not measured" (indoors, no sensor),
  and since a watch outranks a phone a stored zero would blank the phone's figure.
- Steps from a session are 2 x `total_cycles` for running and walking only (the profile's
  `total_strides`); cycling counts crank turns and swimming strokes. No steps when the
  session has no `total_cycles`, even if it has a cadence: we do not estimate.
- Times before 0x10000000 count from device power-on (FIT protocol). Without a UTC
  anchor in the file they cannot be placed, so such records are `Rejected` (malformed).
- Monitoring steps and HRV windows: see `_FileState._steps` and `_HrvWindows`.
- Every device counts as wrist-worn except a scale (see `_source`).
"""

from __future__ import annotations

import os
import statistics
from collections.abc import Callable, Iterator
from functools import lru_cache
from pathlib import Path
from typing import IO, Any, Final, Literal, NoReturn

import fitdecode  # type: ignore[import-untyped,unused-ignore]
from fitdecode import profile as _profile  # type: ignore[import-untyped,unused-ignore]

from app.domain.metrics import Metric
from app.domain.samples import Rejected, RejectReason, Sample, Source, SourceKind
from app.errors import Invalid

__all__ = ["FitErrorKind", "FitFormatError", "fit_crc", "is_fit", "iter_fit"]

FitErrorKind = Literal[
    "fit-not-fit",
    "fit-header-corrupt",
    "fit-truncated",
    "fit-crc-mismatch",
    "fit-malformed",
]


class FitFormatError(Invalid, ValueError):
    """A FIT file that cannot be imported; `kind` names the cause and nothing is stored.

    Kinds: `fit-not-fit` (no FIT header at the start), `fit-header-corrupt` (a header
    with a bad size, signature or header CRC, including the header of a chained file),
    `fit-truncated` (the file ends before the data its header announces),
    `fit-crc-mismatch` (the data does not match the file's CRC) and `fit-malformed`
    (framing and CRC are intact but the messages do not decode: a writer's bug).
    It is an `Invalid` domain error (bad input, not a server fault) and a `ValueError`.
    """

    kind: str

    def __init__(self, kind: FitErrorKind, detail: str) -> None:
        super().__init__(detail, kind=kind)


# --- format detection and the CRC/framing pass -------------------------------------------

_SIGNATURE: Final = b".FIT"
_HEADER_SIZES: Final = (12, 14)


def is_fit(head: bytes) -> bool:
    """True when `head` (the file's first 12 or more bytes) starts a FIT file.

    The header size byte must be 12 or 14 and ".FIT" must stand at offset 8: both are
    fixed by the FIT protocol, so they tell FIT apart from zip or XML without decoding.
    """
    return len(head) >= 12 and head[0] in _HEADER_SIZES and head[8:12] == _SIGNATURE


def _crc_table() -> tuple[int, ...]:
    """Byte-wise table of the FIT CRC (CRC-16/ARC: reflected 0x8005, start 0)."""
    table = []
    for byte in range(256):
        crc = byte
        for _ in range(8):
            crc = (crc >> 1) ^ 0xA001 if crc & 1 else crc >> 1
        table.append(crc)
    return tuple(table)


_CRC_TABLE: Final = _crc_table()
_CRC_BLOCK: Final = 1 << 20


def fit_crc(data: bytes, crc: int = 0) -> int:
    """FIT CRC of `data`, continuing from `crc`.

    One table look-up per byte: about four times faster than fitdecode's nibble-wise
    routine, and it runs over whole blocks rather than once per decoded field.
    """
    table = _CRC_TABLE
    for byte in data:
        crc = table[(crc ^ byte) & 0xFF] ^ (crc >> 8)
    return crc


def _verify(fh: IO[bytes], size: int) -> None:
    """Walk the file's (possibly chained) FIT files, checking headers, sizes and CRCs.

    Raises `FitFormatError` naming the first problem; reads the file once in blocks.
    """
    if size == 0:
        raise FitFormatError("fit-not-fit", "empty file")
    offset = 0
    while offset < size:
        fh.seek(offset)
        head = fh.read(14)
        first = offset == 0
        if len(head) < 12 or head[8:12] != _SIGNATURE:
            _raise_bad_header(head, offset, first)
        header_size = head[0]
        if header_size not in _HEADER_SIZES:
            raise FitFormatError(
                "fit-header-corrupt", f"FIT header at byte {offset} has size {header_size}"
            )
        if header_size == 14:
            if len(head) < 14:
                raise FitFormatError("fit-truncated", f"FIT header at byte {offset} is cut short")
            header_crc = int.from_bytes(head[12:14], "little")
            # A zero header CRC means "not computed" (FIT protocol).
            if header_crc and header_crc != fit_crc(head[:12]):
                raise FitFormatError(
                    "fit-header-corrupt", f"FIT header at byte {offset} fails its CRC"
                )
        body_size = int.from_bytes(head[4:8], "little")
        end = offset + header_size + body_size + 2
        if end > size:
            raise FitFormatError(
                "fit-truncated",
                f"FIT header at byte {offset} announces {body_size} data bytes "
                f"and a CRC ending at byte {end}, but the file has {size} bytes",
            )
        fh.seek(offset)
        remaining = header_size + body_size
        crc = 0
        while remaining:
            block = fh.read(min(remaining, _CRC_BLOCK))
            if not block:  # the file shrank under us
                raise FitFormatError("fit-truncated", f"file ended before byte {end}")
            crc = fit_crc(block, crc)
            remaining -= len(block)
        stored = int.from_bytes(fh.read(2), "little")
        if crc != stored:
            raise FitFormatError(
                "fit-crc-mismatch",
                f"CRC of the FIT file at byte {offset} is {crc:#06x}, the file says {stored:#06x}",
            )
        offset = end


def _raise_bad_header(head: bytes, offset: int, first: bool) -> NoReturn:
    """Name what stands where a FIT header should."""
    looks_cut = (
        len(head) < 12
        and len(head) > 0
        and head[0] in _HEADER_SIZES
        and _SIGNATURE.startswith(head[8:12])
    )
    if first and not looks_cut:
        raise FitFormatError("fit-not-fit", "not a FIT file (no '.FIT' header signature)")
    if len(head) < 12:
        raise FitFormatError("fit-truncated", f"file ends inside the FIT header at byte {offset}")
    raise FitFormatError(
        "fit-header-corrupt", f"no FIT signature in the chained header at byte {offset}"
    )


# --- sources --------------------------------------------------------------------------------


@lru_cache(maxsize=256)
def _source(manufacturer: str, product: str, serial: str, kind: SourceKind) -> Source:
    """One `Source` per device, reused across files (the store looks sources up by key).

    Every FIT device counts as wrist-worn (the issue's rule for priority) except a scale
    (weight-scale file): only discrete metrics come from it, so priority is moot there,
    and calling it a watch would mislead whoever lists the sources.
    """
    maker = manufacturer.replace("_", " ")
    model = product.replace("_", " ")
    if manufacturer == "unknown":
        name = "Unknown FIT device"
    elif product.isdigit():
        name = f"{maker.title()} product {product}"
    else:
        name = f"{maker.title()} {model}"
    return Source(
        key=f"fit:{manufacturer}:{product}:{serial}",
        name=name,
        kind=kind,
        device=f"{manufacturer} {product}",
    )


_UNKNOWN_SOURCE: Final = _source("unknown", "unknown", "unknown", SourceKind.WATCH)


def _text(value: object) -> str:
    """A file_id value as key text: enum names as they are, numbers as digits."""
    if isinstance(value, str) and value:
        return value.strip().replace(":", "_").replace(" ", "_").lower()
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return "unknown"


# --- profile objects matched by identity in the hot loop ------------------------------------

_MESG: Final[dict[int, Any]] = _profile.MESSAGE_TYPES
_FILE_ID: Final = 0
_SPORT: Final = 12
_SESSION: Final = 18
_RECORD: Final = 20
_WEIGHT_SCALE: Final = 30
_MONITORING: Final = 55
_HRV: Final = 78
_MONITORING_INFO: Final = 103

_TS_HEADER: Final = _profile.FIELD_TYPE_TIMESTAMP  # added by compressed-timestamp headers
_REC_TS: Final = _MESG[_RECORD].fields[253]
_REC_HR: Final = _MESG[_RECORD].fields[3]
_MON_TS: Final = _MESG[_MONITORING].fields[253]
_MON_TS16: Final = _MESG[_MONITORING].fields[26]
_MON_ACTIVITY: Final = _MESG[_MONITORING].fields[5]
_MON_CYCLES: Final = _MESG[_MONITORING].fields[3]
_MON_HR: Final = _MESG[_MONITORING].fields[27]
_HRV_TIME: Final = _MESG[_HRV].fields[0]

_FIT_EPOCH_S: Final = 631065600  # 1989-12-31T00:00:00Z, the FIT time origin
_FIT_MIN_UTC: Final = 0x10000000  # smaller date_time values count from device power-on
_RELATIVE: Final = "time counts from device power-on; no UTC anchor in the file"

_SPORT_RUNNING: Final = 1
_SPORT_WALKING: Final = 11
_ACTIVITY_RUNNING: Final = 1
_ACTIVITY_WALKING: Final = 6
_WEIGHT_CALCULATING: Final = 0xFFFE

# HRV: SDNN per 5-minute window (the Task Force 1996 short-term length), from NN intervals
# in 300..2000 ms (30..200 bpm) that differ from the previous interval by at most 20 %.
_HRV_WINDOW_MS: Final = 300_000
_HRV_MIN_COVER_MS: Final = 240_000
_HRV_MIN_BEATS: Final = 100
_HRV_GAP_MS: Final = 60_000


def _int(value: object) -> int | None:
    """The value if it is a plain int (a corrupt definition can turn it into a tuple)."""
    return value if type(value) is int else None


def _utc_ms(fit_seconds: int) -> int:
    return (fit_seconds + _FIT_EPOCH_S) * 1000


def _pick(frame: Any, wanted: frozenset[int], *, rendered: bool = False) -> dict[int, Any]:
    """Raw (or rendered) values of the wanted fields of a rare message (session, file_id).

    Rare messages only: the hot ones match fields by identity instead.
    """
    out: dict[int, Any] = {}
    dev_field = fitdecode.types.DevField
    for fd in frame.fields:
        field = fd.field
        if field is None or type(field) is dev_field:
            continue
        num = field.def_num
        if num in wanted and num not in out:
            out[num] = fd.value if rendered else fd.raw_value
    return out


_FILE_ID_FIELDS: Final = frozenset({0, 1, 2, 3})
_SESSION_FIELDS: Final = frozenset({2, 5, 7, 9, 10, 11, 253})
_WEIGHT_FIELDS: Final = frozenset({0, 253})
_INFO_FIELDS: Final = frozenset({0, 253})


# --- per-file state -------------------------------------------------------------------------


class _FileState:
    """What one FIT file (of a possibly chained stream) needs to remember."""

    __slots__ = (
        "base",
        "covered_from",
        "hrv",
        "local_offset",
        "seen_last",
        "source",
        "sport",
        "steps",
    )

    def __init__(self) -> None:
        self.source: Source = _UNKNOWN_SOURCE
        #: sport of the last `sport` message, for sessions that do not name theirs
        self.sport: int | None = None
        #: monitoring: local time minus UTC (s), and the UTC second the file starts
        self.local_offset: int | None = None
        self.covered_from: int | None = None
        #: monitoring: per activity type, the last (counter, time, local day)
        self.steps: dict[int, tuple[int, int, int | None]] = {}
        #: timestamp_16 rebuilding: the last full time and the reader's last timestamp
        self.base = 0
        self.seen_last = -1
        self.hrv = _HrvWindows()

    def file_id(self, frame: Any) -> None:
        """The device: manufacturer and product by name (the decoder renders the enums,
        `garmin_product` included), and the serial number."""
        values = _pick(frame, _FILE_ID_FIELDS, rendered=True)
        kind = SourceKind.DEVICE if values.get(0) == "weight" else SourceKind.WATCH
        serial = _int(values.get(3))
        self.source = _source(
            _text(values.get(1)),
            _text(values.get(2)),
            str(serial) if serial else "unknown",
            kind,
        )

    def session(self, frame: Any) -> list[Sample | Rejected]:
        """Session totals: distance, energy and (walking/running) steps over the session.

        Totals come from the session, not from summing records: the device's own totals
        survive record gaps, pauses and smart recording. The interval is start_time to
        start_time + total_elapsed_time (pauses included: the steps were taken in it).
        """
        v = _pick(frame, _SESSION_FIELDS)
        start, elapsed, end = _int(v.get(2)), _int(v.get(7)), _int(v.get(253))
        sport = _int(v.get(5))
        if sport is None:
            sport = self.sport
        values: list[tuple[Metric, float]] = []
        distance = _int(v.get(9))
        if distance:  # cm
            values.append((Metric.DISTANCE, distance / 100))
        calories = _int(v.get(11))
        if calories:
            # Garmin counts all energy spent during the activity, resting share included;
            # stored as active_energy unadjusted (see the module's decisions).
            values.append((Metric.ACTIVE_ENERGY, float(calories)))
        cycles = _int(v.get(10))
        if cycles and sport in (_SPORT_RUNNING, _SPORT_WALKING):
            # total_cycles is total_strides for running and walking: two steps each.
            # For cycling it counts crank turns, for swimming strokes: not steps.
            values.append((Metric.STEPS, 2.0 * cycles))
        if not values:
            return []
        if (start is not None and start < _FIT_MIN_UTC) or (end is not None and end < _FIT_MIN_UTC):
            return [
                Rejected(reason=RejectReason.MALFORMED, detail=_RELATIVE, metric=metric)
                for metric, _ in values
            ]
        if start is not None and elapsed is not None:
            start_ms = _utc_ms(start)
            end_ms = start_ms + elapsed
        elif start is not None and end is not None:
            start_ms, end_ms = _utc_ms(start), _utc_ms(end)
        elif end is not None and elapsed is not None:
            end_ms = _utc_ms(end)
            start_ms = end_ms - elapsed
        else:
            return [
                Rejected(reason=RejectReason.BAD_INTERVAL, detail="session without times", metric=m)
                for m, _ in values
            ]
        if end_ms <= start_ms:
            return [
                Rejected(
                    reason=RejectReason.BAD_INTERVAL, detail="session of no duration", metric=m
                )
                for m, _ in values
            ]
        source = self.source
        return [
            Sample(metric=metric, start_ms=start_ms, end_ms=end_ms, value=value, source=source)
            for metric, value in values
        ]

    def weight(self, frame: Any) -> Sample | Rejected | None:
        v = _pick(frame, _WEIGHT_FIELDS)
        raw, ts = _int(v.get(0)), _int(v.get(253))
        if not raw or raw == _WEIGHT_CALCULATING:
            return None
        if ts is None:
            return Rejected(
                reason=RejectReason.MALFORMED, detail="weight without time", metric=Metric.BODY_MASS
            )
        if ts < _FIT_MIN_UTC:
            return Rejected(
                reason=RejectReason.MALFORMED, detail=_RELATIVE, metric=Metric.BODY_MASS
            )
        ms = _utc_ms(ts)
        return Sample(
            metric=Metric.BODY_MASS, start_ms=ms, end_ms=ms, value=raw / 100, source=self.source
        )

    def monitoring_info(self, frame: Any) -> None:
        v = _pick(frame, _INFO_FIELDS)
        local, ts = _int(v.get(0)), _int(v.get(253))
        if local is not None and ts is not None and ts >= _FIT_MIN_UTC:
            self.local_offset = local - ts
            self.covered_from = ts

    def monitoring(self, frame: Any, last_timestamp: int) -> list[Sample | Rejected]:
        """Daily wellness: heart rate, and step counters turned into interval samples.

        `cycles` of walking and running is the `steps` subfield (FIT profile, scale 1):
        the device's cumulative step count since local midnight, per activity type; the
        file's own end-of-day summary (3142 walking + 31 running) confirms it. Each
        reading becomes the steps since the previous reading of the same type.
        """
        ts: Any = None
        ts16: Any = None
        activity: Any = None
        cycles: Any = None
        hr: Any = None
        for fd in frame.fields:
            field = fd.field
            if field is _MON_TS:
                ts = fd.raw_value
            elif field is _MON_TS16:
                ts16 = fd.raw_value
            elif field is _MON_ACTIVITY:
                if activity is None:
                    activity = fd.raw_value
            elif field is _MON_CYCLES or fd.parent_field is _MON_CYCLES:
                cycles = fd.raw_value
            elif field is _MON_HR:
                hr = fd.raw_value
        is_steps = cycles is not None and activity in (_ACTIVITY_WALKING, _ACTIVITY_RUNNING)
        if hr is None and not is_steps:
            return []
        t = self._time(_int(ts), _int(ts16), last_timestamp)
        out: list[Sample | Rejected] = []
        if t is None or t < _FIT_MIN_UTC:
            detail = "monitoring without time" if t is None else _RELATIVE
            if hr is not None:
                out.append(
                    Rejected(reason=RejectReason.MALFORMED, detail=detail, metric=Metric.HEART_RATE)
                )
            if is_steps:
                out.append(
                    Rejected(reason=RejectReason.MALFORMED, detail=detail, metric=Metric.STEPS)
                )
            return out
        if hr is not None:
            if type(hr) is int:
                ms = _utc_ms(t)
                out.append(
                    Sample(
                        metric=Metric.HEART_RATE,
                        start_ms=ms,
                        end_ms=ms,
                        value=float(hr),
                        source=self.source,
                    )
                )
            else:
                out.append(
                    Rejected(
                        reason=RejectReason.MALFORMED,
                        detail="odd heart rate",
                        metric=Metric.HEART_RATE,
                    )
                )
        if is_steps:
            counter = _int(cycles)
            if counter is None:
                out.append(
                    Rejected(
                        reason=RejectReason.MALFORMED, detail="odd step count", metric=Metric.STEPS
                    )
                )
            else:
                step = self._steps(activity, counter, t)
                if step is not None:
                    out.append(step)
        return out

    def _time(self, ts: int | None, ts16: int | None, last_timestamp: int) -> int | None:
        """The message's full time; `timestamp_16` is rebuilt from the last full time.

        t = last + ((ts16 - last) & 0xFFFF): the next instant after the last full time
        whose low 16 bits are ts16. The rebuilt time becomes the new base, so readings
        more than 18 hours after the last full timestamp still come out right.
        """
        if last_timestamp != self.seen_last:  # the decoder saw a new full timestamp
            self.seen_last = last_timestamp
            self.base = last_timestamp
        if ts is not None:
            self.base = ts
            return ts
        if ts16 is None or not self.base:
            return None
        t: int = self.base + ((ts16 - self.base) & 0xFFFF)
        self.base = t
        return t

    def _steps(self, activity: int, counter: int, t: int) -> Sample | Rejected | None:
        """One step-counter reading to the steps since the previous reading of its type.

        A reading at time t counts steps up to t, so it belongs to the local day holding
        the second before t (the end-of-day summary stamped at midnight closes its day).
        The counter restarts at local midnight: the first reading of a day counts from
        midnight when the file covers that midnight (monitoring_info), else it is only a
        baseline, as its count includes steps of an earlier file we may also import. A
        counter that falls within a day (device reset) counts from zero. Without
        monitoring_info there are no days: the first reading is a baseline and a fall
        is a reset.
        """
        offset = self.local_offset
        day = (t - 1 + offset) // 86400 if offset is not None else None
        prev = self.steps.get(activity)
        self.steps[activity] = (counter, t, day)
        if prev is not None and (day is None or prev[2] == day):
            prev_counter, start = prev[0], prev[1]
            delta = counter - prev_counter if counter >= prev_counter else counter
        elif day is not None and offset is not None:
            midnight = day * 86400 - offset
            if self.covered_from is None or self.covered_from > midnight:
                return None
            delta, start = counter, midnight
        else:
            return None
        if delta <= 0:
            return None
        if t <= start:
            return Rejected(
                reason=RejectReason.BAD_INTERVAL, detail="steps of no duration", metric=Metric.STEPS
            )
        return Sample(
            metric=Metric.STEPS,
            start_ms=_utc_ms(start),
            end_ms=_utc_ms(t),
            value=float(delta),
            source=self.source,
        )


class _HrvWindows:
    """RR intervals from `hrv` messages to SDNN per 5-minute window.

    `hrv` messages carry no time: each holds up to five beat-to-beat intervals. The beat
    clock starts at the time of the message before the first `hrv` message and advances
    by every interval; when it falls more than a minute behind the file's clock (a pause
    or lost contact) it jumps forward. Windows are 5 minutes from the clock's start; one
    gives a sample only when at least 4 minutes of it are covered by accepted NN
    intervals (and 100 of them), so short walks give none. SDNN during exercise mostly
    reflects changes of heart rate; it is still what the beats say.
    """

    __slots__ = ("clock", "covered", "nn", "origin", "prev", "window")

    def __init__(self) -> None:
        self.origin: int | None = None  # FIT seconds
        self.clock = 0  # ms since origin
        self.window = 0
        self.nn: list[int] = []
        self.covered = 0
        self.prev: int | None = None

    def add(self, frame: Any, last_timestamp: int, source: Source) -> list[Sample | Rejected]:
        raw = None
        for fd in frame.fields:
            if fd.field is _HRV_TIME:
                raw = fd.raw_value
                break
        if raw is None:
            return []
        intervals = raw if isinstance(raw, tuple) else (raw,)
        if self.origin is None:
            self.origin = last_timestamp
        elif (last_timestamp - self.origin) * 1000 - self.clock > _HRV_GAP_MS:
            self.clock = (last_timestamp - self.origin) * 1000
            self.prev = None
        out: list[Sample | Rejected] = []
        for rr in intervals:
            if type(rr) is not int:  # None: no beat in this slot
                continue
            self.clock += rr
            window = self.clock // _HRV_WINDOW_MS
            if window != self.window:
                out.extend(self.close(source))
                self.window = window
            if 300 <= rr <= 2000:
                prev = self.prev
                if prev is None or abs(rr - prev) * 5 <= prev:
                    self.nn.append(rr)
                    self.covered += rr
                self.prev = rr
        return out

    def close(self, source: Source) -> list[Sample | Rejected]:
        """The current window's SDNN, if it is covered well enough; then start afresh."""
        nn, covered = self.nn, self.covered
        self.nn, self.covered = [], 0
        if self.origin is None or covered < _HRV_MIN_COVER_MS or len(nn) < _HRV_MIN_BEATS:
            return []
        if self.origin < _FIT_MIN_UTC:
            return [
                Rejected(reason=RejectReason.MALFORMED, detail=_RELATIVE, metric=Metric.HRV_SDNN)
            ]
        start_ms = _utc_ms(self.origin) + self.window * _HRV_WINDOW_MS
        return [
            Sample(
                metric=Metric.HRV_SDNN,
                start_ms=start_ms,
                end_ms=start_ms + _HRV_WINDOW_MS,
                value=round(statistics.stdev(nn), 2),
                source=source,
            )
        ]


# --- the iterator ---------------------------------------------------------------------------

_PROGRESS_EVERY: Final = 0x1000  # frames between progress reports


def iter_fit(
    path: Path, *, progress: Callable[[float], None] | None = None
) -> Iterator[Sample | Rejected]:
    """Stream the samples of a FIT file; raise `FitFormatError` if it is damaged.

    Reads activity files (`record` heart rate; `session` distance, energy, steps),
    monitoring files (heart rate; step counters to interval samples), weight-scale files
    and `hrv` beat intervals. Framing and CRC are checked before the first sample, but a
    file whose messages do not decode fails only when reached, so consume everything
    before storing. `progress` gets the fraction of the file decoded, ending at 1.0.
    An unreadable path raises `OSError`, which is not a property of the file's content.

    Sync on purpose: decoding is CPU-bound, the caller runs it on a worker thread.
    """
    with path.open("rb") as fh:
        size = os.fstat(fh.fileno()).st_size
        _verify(fh, size)
        fh.seek(0)
        try:
            yield from _decode(fh, size, progress)
        except (FitFormatError, OSError):
            raise
        except Exception as exc:  # the decoder (or an odd value) on a file with a valid CRC
            raise FitFormatError(
                "fit-malformed", f"FIT messages do not decode: {type(exc).__name__}: {exc}"
            ) from exc


def _decode(
    fh: IO[bytes], size: int, progress: Callable[[float], None] | None
) -> Iterator[Sample | Rejected]:
    reader = fitdecode.FitReader(
        fh,
        processor=None,
        check_crc=fitdecode.CrcCheck.DISABLED,  # checked by _verify, much faster
        error_handling=fitdecode.ErrorHandling.IGNORE,  # no warnings; data stays byte-typed
    )
    data_message = fitdecode.FitDataMessage
    header = fitdecode.FitHeader
    rec_hr, rec_ts, ts_header = _REC_HR, _REC_TS, _TS_HEADER
    heart_rate, malformed = Metric.HEART_RATE, RejectReason.MALFORMED
    state = _FileState()
    source = state.source
    frames = 0
    for frame in reader:
        frames += 1
        if progress is not None and not frames % _PROGRESS_EVERY:
            progress(min(fh.tell() / size, 1.0))
        if type(frame) is not data_message:
            if type(frame) is header and frames > 1:  # a chained file starts
                yield from state.hrv.close(source)
                state = _FileState()
                source = state.source
            continue
        num = frame.def_mesg.global_mesg_num
        if num == _RECORD:  # the hot path: one per second of activity
            hr = ts = None
            for fd in frame.fields:
                field = fd.field
                if field is rec_hr:
                    hr = fd.raw_value
                elif field is rec_ts or field is ts_header:
                    ts = fd.raw_value
            if hr is None:
                continue
            if type(ts) is int and ts >= _FIT_MIN_UTC and type(hr) is int:
                ms = (ts + _FIT_EPOCH_S) * 1000
                yield Sample(
                    metric=heart_rate, start_ms=ms, end_ms=ms, value=float(hr), source=source
                )
            elif type(ts) is int and ts < _FIT_MIN_UTC:
                yield Rejected(reason=malformed, detail=_RELATIVE, metric=heart_rate)
            else:
                detail = "record without time" if ts is None else "odd heart rate record"
                yield Rejected(reason=malformed, detail=detail, metric=heart_rate)
        elif num == _MONITORING:
            yield from state.monitoring(frame, reader.last_timestamp)
        elif num == _HRV:
            yield from state.hrv.add(frame, reader.last_timestamp, source)
        elif num == _SESSION:
            yield from state.session(frame)
        elif num == _FILE_ID:
            state.file_id(frame)
            source = state.source
        elif num == _SPORT:
            state.sport = _int(_pick(frame, frozenset({0})).get(0))
        elif num == _MONITORING_INFO:
            state.monitoring_info(frame)
        elif num == _WEIGHT_SCALE:
            weight = state.weight(frame)
            if weight is not None:
                yield weight
    yield from state.hrv.close(source)
    if progress is not None:
        progress(1.0)
