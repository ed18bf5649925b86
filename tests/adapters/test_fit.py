"""FIT adapter: real sample files (python-fitparse, MIT) and small files written here.

Expected values come from the `-records.csv` files beside the samples, from the files'
own summary messages, or are derived by hand below from messages listed with fitdecode.
The small FIT writer in this module builds the cases no sample file has (multi-day
monitoring, HRV windows, chained files, a CRC-valid file that does not decode) and a
long activity for progress. How fast our import is against a bare fitdecode decode is
measured by bench/fit.py, not here: a timing check fails at random on a loaded machine.
"""

from __future__ import annotations

import csv
import random
import statistics
import struct
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import fitdecode  # type: ignore[import-untyped,unused-ignore]
import pytest
from fitdecode.utils import compute_crc  # type: ignore[import-untyped,unused-ignore]

from adapters.ingest.fit import FitFormatError, fit_crc, is_fit, iter_fit
from adapters.ingest.fit_gen import FitWriter, activity_file
from app.domain.metrics import Metric
from app.domain.samples import Rejected, RejectReason, Sample, SourceKind

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "fit"
FIT_EPOCH = 631065600  # 1989-12-31T00:00:00Z


def fit_ms(fit_seconds: int) -> int:
    return (fit_seconds + FIT_EPOCH) * 1000


def utc_ms(text: str) -> int:
    return int(datetime.fromisoformat(text).replace(tzinfo=UTC).timestamp() * 1000)


def to_fit(text: str) -> int:
    return utc_ms(text) // 1000 - FIT_EPOCH


_decoded: dict[str, list[Sample | Rejected]] = {}


def decoded(name: str) -> list[Sample | Rejected]:
    """Each sample file is decoded once per test session (the Edge 500 takes a while)."""
    if name not in _decoded:
        _decoded[name] = list(iter_fit(FIXTURES / name))
    return _decoded[name]


def samples(items: list[Sample | Rejected], metric: Metric) -> list[Sample]:
    return [s for s in items if isinstance(s, Sample) and s.metric is metric]


def error_kind(path: Path) -> str:
    with pytest.raises(FitFormatError) as info:
        for _ in iter_fit(path):
            pass
    assert isinstance(info.value, ValueError)
    return info.value.kind


# --- a small FIT writer ----------------------------------------------------------------------


def write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def hr_records(
    items: Iterator[Sample | Rejected] | list[Sample | Rejected],
) -> list[tuple[int, float]]:
    return [
        (s.start_ms, s.value)
        for s in items
        if isinstance(s, Sample) and s.metric is Metric.HEART_RATE
    ]


# --- detection and CRC -----------------------------------------------------------------------


def test_is_fit_reads_the_header_size_and_signature() -> None:
    for name in ("garmin-fenix-5-walk.fit", "compressed-speed-distance.fit"):  # 14 and 12 bytes
        assert is_fit((FIXTURES / name).read_bytes()[:14])
    head = (FIXTURES / "garmin-fenix-5-walk.fit").read_bytes()[:14]
    assert not is_fit(bytes([13]) + head[1:])
    assert not is_fit(head[:8] + b".FIX" + head[12:])
    assert not is_fit(head[:11])
    assert not is_fit(b"PK\x03\x04" + bytes(10))
    assert not is_fit(b'<?xml version="1.0"?>')


def test_table_crc_equals_fitdecodes_crc() -> None:
    data = (FIXTURES / "activity-small-fenix2-run.fit").read_bytes()
    assert fit_crc(data[:5000]) == compute_crc(data[:5000])
    assert fit_crc(data[5000:9000], fit_crc(data[:5000])) == compute_crc(data[:9000])
    assert fit_crc(data) == 0  # a whole file, its CRC included


# --- activity files --------------------------------------------------------------------------

PACIFIC = {"PDT": timezone(timedelta(hours=-7)), "PST": timezone(timedelta(hours=-8))}


def csv_heart_rates(name: str) -> list[tuple[int, float]]:
    """(UTC ms, bpm) of every CSV row with a heart rate; times read like 'Sun Jun 11
    07:32:51 PDT 2017'."""
    out = []
    with (FIXTURES / name).open(newline="") as fh:
        for row in csv.DictReader(fh):
            if not row["heart_rate"]:
                continue
            parts = row["timestamp"].split()
            zone = PACIFIC[parts.pop(4)]
            local = datetime.strptime(" ".join(parts), "%a %b %d %H:%M:%S %Y")
            out.append(
                (int(local.replace(tzinfo=zone).timestamp() * 1000), float(row["heart_rate"]))
            )
    return out


@pytest.mark.parametrize(
    ("fit", "expected"),
    [
        ("garmin-fenix-5-walk.fit", "garmin-fenix-5-walk-records.csv"),
        ("garmin-edge-500-activity.fit", "garmin-edge-500-activity-records.csv"),
    ],
)
def test_record_heart_rates_match_the_csv(fit: str, expected: str) -> None:
    items = decoded(fit)
    want = csv_heart_rates(expected)
    assert len(want) in (17, 10686)
    assert hr_records(items) == want
    assert all(s.start_ms == s.end_ms for s in samples(items, Metric.HEART_RATE))
    assert not [r for r in items if isinstance(r, Rejected)]


def test_fenix2_heart_rates_are_its_records_with_heart_rate() -> None:
    want = []
    with fitdecode.FitReader(FIXTURES / "activity-small-fenix2-run.fit") as reader:
        for frame in reader:
            if frame.frame_type == fitdecode.FIT_FRAME_DATA and frame.name == "record":
                hr = frame.get_value("heart_rate", fallback=None)
                if hr is not None:
                    when = frame.get_value("timestamp")
                    want.append((int(when.timestamp() * 1000), float(hr)))
    assert len(want) == 2808
    assert hr_records(decoded("activity-small-fenix2-run.fit")) == want


@pytest.mark.parametrize(
    ("fit", "start", "elapsed_ms", "distance", "energy", "steps"),
    [
        # walking: total_strides 41 -> 82 steps
        ("garmin-fenix-5-walk.fit", "2017-06-11T14:32:51", 45379, 67.85, 4.0, 82.0),
        # running, but the session has no total_strides: no steps
        ("activity-small-fenix2-run.fit", "2015-08-15T14:45:08", 2832000, 9008.22, 516.0, None),
        # cycling: no steps
        ("garmin-edge-500-activity.fit", "2011-09-25T13:00:21", 12691280, 92622.34, 1954.0, None),
    ],
)
def test_session_totals(
    fit: str, start: str, elapsed_ms: int, distance: float, energy: float, steps: float | None
) -> None:
    items = decoded(fit)
    interval = (utc_ms(start), utc_ms(start) + elapsed_ms)
    got = {
        m: [(s.start_ms, s.end_ms, s.value) for s in samples(items, m)]
        for m in (Metric.DISTANCE, Metric.ACTIVE_ENERGY, Metric.STEPS)
    }
    assert got[Metric.DISTANCE] == [(*interval, distance)]
    assert got[Metric.ACTIVE_ENERGY] == [(*interval, energy)]
    assert got[Metric.STEPS] == ([(*interval, steps)] if steps is not None else [])
    assert not samples(items, Metric.HRV_SDNN)  # a 45-second walk is no 5-minute window


@pytest.mark.parametrize(("sport", "steps"), [(1, 8000.0), (11, 8000.0), (2, None), (5, None)])
def test_only_walking_and_running_cycles_are_strides(
    tmp_path: Path, sport: int, steps: float | None
) -> None:
    start = to_fit("2024-03-24T08:00:00")
    items = list(iter_fit(write(tmp_path, "a.fit", activity_file(60, start, sport=sport))))
    got = [s.value for s in samples(items, Metric.STEPS)]
    assert got == ([steps] if steps else [])  # cycling counts crank turns, swimming strokes


def test_sources_come_from_file_id_and_are_cached() -> None:
    fenix2 = {
        s.source for s in samples(decoded("activity-small-fenix2-run.fit"), Metric.HEART_RATE)
    }
    assert len(fenix2) == 1
    source = fenix2.pop()
    assert source.key == "fit:garmin:fenix2:3882015183"
    assert source.name == "Garmin fenix2"
    assert source.kind is SourceKind.WATCH
    assert source.device == "garmin fenix2"
    again = next(iter(iter_fit(FIXTURES / "activity-small-fenix2-run.fit")))
    assert isinstance(again, Sample)
    assert again.source is source
    walk = samples(decoded("garmin-fenix-5-walk.fit"), Metric.STEPS)[0].source
    assert walk.key == "fit:garmin:fenix5:3945849289"
    assert walk.kind is SourceKind.WATCH


def test_compressed_timestamp_headers_decode(tmp_path: Path) -> None:
    path = FIXTURES / "compressed-speed-distance.fit"
    compressed = with_hr = 0
    with fitdecode.FitReader(path) as reader:
        for frame in reader:
            if frame.frame_type == fitdecode.FIT_FRAME_DATA and frame.name == "record":
                compressed += frame.time_offset is not None
                with_hr += frame.get_value("heart_rate", fallback=None) is not None
    assert compressed > 700
    items = list(iter_fit(path))
    # The FR70 never learnt the time: its timestamps count from power-on (< 0x10000000)
    # and the file holds no UTC anchor, so nothing can be placed in time.
    assert not [s for s in items if isinstance(s, Sample)]
    rejected = [r for r in items if isinstance(r, Rejected)]
    assert all(r.reason is RejectReason.MALFORMED and "power-on" in r.detail for r in rejected)
    assert sum(r.metric is Metric.HEART_RATE for r in rejected) == with_hr == 754
    assert {r.metric for r in rejected} == {
        Metric.HEART_RATE,
        Metric.DISTANCE,
        Metric.ACTIVE_ENERGY,
        Metric.STEPS,
    }

    # The same header kind with real UTC times: the 5-bit offsets roll over the base.
    start = to_fit("2024-03-24T08:00:00")
    w = FitWriter()
    w.file_id(4, 1967, 7)
    w.define(0, 20, [(253, "uint32", 1), (3, "uint8", 1)])
    w.data(0, start, 60)
    w.define(1, 20, [(3, "uint8", 1)])
    times = [start + 7 * i for i in range(1, 20)]
    for i, t in enumerate(times):
        w.data(1, 61 + i, time_offset=t & 0x1F)
    got = hr_records(iter_fit(write(tmp_path, "c.fit", w.build())))
    assert got == [(fit_ms(start), 60.0)] + [(fit_ms(t), 61.0 + i) for i, t in enumerate(times)]


# --- monitoring ------------------------------------------------------------------------------


def test_monitoring_daily_steps_derived_by_hand() -> None:
    """The vivofit file covers 2014-12-27 (local UTC-6: monitoring_info says local
    00:00 is 06:00Z). Listing its monitoring messages with fitdecode: walking and
    running readings carry `cycles` counting steps since local midnight (the profile's
    `steps` subfield, scale 1, although fitdecode renders raw/2 when the activity type
    comes from the packed `current_activity_type_intensity`). The last walking reading
    is 3142 and the last running one 31, and the device's own end-of-day summary
    (two messages stamped at the next midnight, `steps` 3142 and 31) agrees: 3173 steps.
    """
    path = FIXTURES / "MonitoringFile.fit"
    last: dict[str, int] = {}
    summary: dict[str, int] = {}
    readings: list[tuple[str, int, int]] = []  # (type, rebuilt time, counter)
    base = 0
    with fitdecode.FitReader(path, processor=None) as reader:
        for frame in reader:
            if frame.frame_type != fitdecode.FIT_FRAME_DATA:
                continue
            full = frame.get_value("timestamp", fallback=None)
            if full is not None:
                base = full
            if frame.name == "monitoring_info":
                assert frame.get_value("local_timestamp") - full == -6 * 3600
                assert full == to_fit("2014-12-27T06:00:00")
            if frame.name != "monitoring":
                continue
            kind = frame.get_value("activity_type", fallback=None)
            if kind not in ("walking", "running"):
                continue
            counter = frame.get_raw_value("cycles")
            if frame.has_field("duration_min"):  # the daily summary
                summary[kind] = counter
                continue
            ts16 = frame.get_value("timestamp_16")
            base += (ts16 - base) & 0xFFFF
            readings.append((kind, base, counter))
            last[kind] = counter
    assert last == summary == {"walking": 3142, "running": 31}

    items = decoded("MonitoringFile.fit")
    steps = samples(items, Metric.STEPS)
    midnight = utc_ms("2014-12-27T06:00:00")
    assert sum(s.value for s in steps) == 3173
    assert all(midnight <= s.start_ms < s.end_ms <= midnight + 86_400_000 for s in steps)
    # One sample per reading whose counter moved, ending at that reading's rebuilt time.
    moved = []
    previous: dict[str, int] = {}
    for kind, when, counter in readings:
        if counter != previous.get(kind, 0):
            moved.append((fit_ms(when), float(counter - previous.get(kind, 0))))
        previous[kind] = counter
    assert sorted((s.end_ms, s.value) for s in steps) == sorted(moved)
    assert {s.source.key for s in steps} == {"fit:garmin:vivo_fit:3882708276"}
    assert not samples(items, Metric.HEART_RATE)  # the vivofit has no heart-rate sensor


MONITORING_FIELDS = [(26, "uint16", 1), (5, "enum", 1), (3, "uint32", 1), (27, "uint8", 1)]
NONE8, NONE32 = 0xFF, 0xFFFFFFFF
WALK, RUN = 6, 1


def monitoring_file(
    start: int | None, local_offset: int, readings: list[tuple[int, int, int, int]]
) -> bytes:
    """readings: (time, activity type, counter, heart rate), times as timestamp_16 only."""
    w = FitWriter()
    w.file_id(32, 1837, 42)  # monitoring_b, vivo_fit
    if start is not None:
        w.define(1, 103, [(253, "uint32", 1), (0, "uint32", 1)])
        w.data(1, start, start + local_offset)
    w.define(2, 55, MONITORING_FIELDS)
    for when, kind, counter, hr in readings:
        w.data(2, when & 0xFFFF, kind, counter, hr)
    return w.build()


def test_monitoring_counters_reset_at_local_midnight(tmp_path: Path) -> None:
    offset = 3600  # local = UTC + 1 h
    midnight = to_fit("2024-03-23T23:00:00")  # local 2024-03-24 00:00
    h = 3600
    readings = [
        (midnight + 8 * h, WALK, 1000, 70),
        (midnight + 9 * h, RUN, 40, NONE8),
        (midnight + 12 * h, WALK, 2500, NONE8),
        (midnight + 20 * h, 8, NONE32, 64),  # sedentary, heart rate only
        (midnight + 24 * h, WALK, 2500, NONE8),  # end-of-day reading at midnight: no change
        (midnight + 34 * h, WALK, 700, 58),  # next day: counted from midnight
        (midnight + 35 * h, WALK, 900, NONE8),
        (midnight + 35 * h + 600, WALK, 100, NONE8),  # fell within the day: a device reset
    ]
    items = list(iter_fit(write(tmp_path, "m.fit", monitoring_file(midnight, offset, readings))))
    day2 = midnight + 24 * h
    assert [(s.start_ms, s.end_ms, s.value) for s in samples(items, Metric.STEPS)] == [
        (fit_ms(midnight), fit_ms(midnight + 8 * h), 1000.0),
        (fit_ms(midnight), fit_ms(midnight + 9 * h), 40.0),
        (fit_ms(midnight + 8 * h), fit_ms(midnight + 12 * h), 1500.0),
        (fit_ms(day2), fit_ms(midnight + 34 * h), 700.0),
        (fit_ms(midnight + 34 * h), fit_ms(midnight + 35 * h), 200.0),
        (fit_ms(midnight + 35 * h), fit_ms(midnight + 35 * h + 600), 100.0),
    ]
    # 35 hours after the only full timestamp: timestamp_16 rebuilt from the rolling base.
    assert hr_records(items) == [
        (fit_ms(midnight + 8 * h), 70.0),
        (fit_ms(midnight + 20 * h), 64.0),
        (fit_ms(midnight + 34 * h), 58.0),
    ]
    assert not [r for r in items if isinstance(r, Rejected)]


def test_monitoring_file_starting_mid_day_uses_first_readings_as_baselines(tmp_path: Path) -> None:
    midnight = to_fit("2024-03-23T23:00:00")
    readings = [
        (midnight + 10 * 3600, WALK, 5000, NONE8),  # includes steps an earlier file holds
        (midnight + 11 * 3600, WALK, 5600, NONE8),
    ]
    data = monitoring_file(midnight + 9 * 3600, 3600, readings)
    steps = samples(list(iter_fit(write(tmp_path, "m.fit", data))), Metric.STEPS)
    assert [(s.start_ms, s.end_ms, s.value) for s in steps] == [
        (fit_ms(midnight + 10 * 3600), fit_ms(midnight + 11 * 3600), 600.0)
    ]


def test_monitoring_without_a_full_timestamp_is_rejected(tmp_path: Path) -> None:
    data = monitoring_file(None, 0, [(1000, WALK, 10, 60), (2000, WALK, 20, NONE8)])
    items = list(iter_fit(write(tmp_path, "m.fit", data)))
    assert not [s for s in items if isinstance(s, Sample)]
    assert {(r.metric, r.reason) for r in items if isinstance(r, Rejected)} == {
        (Metric.HEART_RATE, RejectReason.MALFORMED),
        (Metric.STEPS, RejectReason.MALFORMED),
    }


# --- weight scale and HRV --------------------------------------------------------------------


def test_weight_scale() -> None:
    items = decoded("WeightScaleSingleUser.fit")
    got = [(s.start_ms, s.end_ms, s.value) for s in samples(items, Metric.BODY_MASS)]
    assert got == [
        (utc_ms("2009-09-09T21:38:00"), utc_ms("2009-09-09T21:38:00"), 75.8),
        (utc_ms("2009-09-09T22:38:00"), utc_ms("2009-09-09T22:38:00"), 76.09),
    ]
    assert len(items) == 2  # user_profile's weight is a setting, not a measurement
    source = samples(items, Metric.BODY_MASS)[0].source
    assert source.key == "fit:dynastream:hrm_fit_single_byte_product_id:1234"
    assert source.kind is SourceKind.DEVICE  # a scale, not a watch


def test_hrv_sdnn_per_five_minute_window(tmp_path: Path) -> None:
    start = to_fit("2024-03-24T08:00:00")
    rng = random.Random(7)
    rr: list[int] = []
    while sum(rr) < 11 * 60_000:  # 11 minutes of beats around 800 ms
        rr.append(800 + round(60 * statistics.fmean(rng.random() - 0.5 for _ in range(3))))
    rr[40] = 2500  # out of range: not an NN interval, but time passes
    w = FitWriter()
    w.file_id(4, 2697, 9)
    w.define(1, 20, [(253, "uint32", 1), (3, "uint8", 1)])
    w.data(1, start, 90)
    w.define(2, 78, [(0, "uint16", 5)])
    for i in range(0, len(rr), 4):
        chunk = rr[i : i + 4]
        w.data(2, *(chunk + [0xFFFF] * (5 - len(chunk))))  # 0xFFFF: an empty slot
    items = list(iter_fit(write(tmp_path, "h.fit", w.build())))

    # By hand: beat i ends at the sum of intervals 0..i; 5-minute windows from the start.
    windows: dict[int, list[int]] = {}
    clock = 0
    for value in rr:
        clock += value
        if 300 <= value <= 2000:
            windows.setdefault(clock // 300_000, []).append(value)
    assert set(windows) == {0, 1, 2}  # the third is 1 minute long: too little
    want = [
        (
            fit_ms(start) + k * 300_000,
            fit_ms(start) + (k + 1) * 300_000,
            round(statistics.stdev(windows[k]), 2),
        )
        for k in (0, 1)
    ]
    got = [(s.start_ms, s.end_ms, s.value) for s in samples(items, Metric.HRV_SDNN)]
    assert got == want
    assert all(5 < v < 40 for *_, v in got)


# --- chained files ---------------------------------------------------------------------------


def test_chained_files_keep_their_own_sources(tmp_path: Path) -> None:
    first = activity_file(5, to_fit("2024-03-24T08:00:00"))
    w = FitWriter()
    w.file_id(9, 1, 1234)  # weight file, another device
    w.define(1, 30, [(253, "uint32", 1), (0, "uint16", 1)])
    w.data(1, to_fit("2024-03-24T09:00:00"), 7312)
    w.data(1, to_fit("2024-03-24T09:01:00"), 0xFFFE)  # "calculating": no value
    items = list(iter_fit(write(tmp_path, "chain.fit", first + w.build())))
    assert len(samples(items, Metric.HEART_RATE)) == 5
    mass = samples(items, Metric.BODY_MASS)
    assert [(m.value, m.source.kind) for m in mass] == [(73.12, SourceKind.DEVICE)]
    assert samples(items, Metric.HEART_RATE)[0].source.key == "fit:garmin:fenix2:3882015183"


# --- broken files ----------------------------------------------------------------------------


def test_sample_broken_files_fail_with_their_kind() -> None:
    assert error_kind(FIXTURES / "activity-unexpected-eof.fit") == "fit-truncated"
    # A valid FIT file followed by a chained header whose signature reads ".GIT".
    assert error_kind(FIXTURES / "activity-settings-corruptheader.fit") == "fit-header-corrupt"


def test_damage_is_named(tmp_path: Path) -> None:
    good = (FIXTURES / "garmin-fenix-5-walk.fit").read_bytes()
    flipped = bytearray(good)
    flipped[3000] ^= 0x40
    assert error_kind(write(tmp_path, "crc.fit", bytes(flipped))) == "fit-crc-mismatch"
    footer = bytearray(good)
    footer[-1] ^= 0x01
    assert error_kind(write(tmp_path, "footer.fit", bytes(footer))) == "fit-crc-mismatch"
    assert error_kind(write(tmp_path, "size.fit", bytes([13]) + good[1:])) == "fit-header-corrupt"
    header_crc = bytearray(good)
    header_crc[12] ^= 0xFF
    assert error_kind(write(tmp_path, "hcrc.fit", bytes(header_crc))) == "fit-header-corrupt"
    assert error_kind(write(tmp_path, "cut.fit", good[:-10])) == "fit-truncated"
    assert error_kind(write(tmp_path, "head.fit", good[:10])) == "fit-truncated"
    assert error_kind(write(tmp_path, "tail.fit", good + good[:5])) == "fit-truncated"
    assert (
        error_kind(write(tmp_path, "text.fit", b"timestamp,heart_rate\n1,2\n" * 3)) == "fit-not-fit"
    )
    assert error_kind(write(tmp_path, "zip.fit", b"PK\x03\x04" + bytes(40))) == "fit-not-fit"
    assert error_kind(write(tmp_path, "empty.fit", b"")) == "fit-not-fit"


def test_damage_is_found_before_anything_is_yielded(tmp_path: Path) -> None:
    data = bytearray((FIXTURES / "activity-small-fenix2-run.fit").read_bytes())
    data[-500] ^= 0x01  # near the end: a streaming CRC check would yield first
    with pytest.raises(FitFormatError) as info:
        next(iter_fit(write(tmp_path, "late.fit", bytes(data))))
    assert info.value.kind == "fit-crc-mismatch"


def test_a_crc_valid_file_that_does_not_decode_is_malformed(tmp_path: Path) -> None:
    w = FitWriter()
    w.file_id(4, 1967, 1)
    w.body += bytes([0x05, 1, 2, 3])  # data for local message 5, never defined
    with pytest.raises(FitFormatError) as info:
        list(iter_fit(write(tmp_path, "m.fit", w.build())))
    assert info.value.kind == "fit-malformed"
    assert isinstance(info.value.__cause__, fitdecode.FitError)


def refresh_crcs(data: bytearray) -> None:
    """Make a damaged single file CRC-valid again, so the decoder itself meets the damage."""
    if len(data) >= 14 and data[0] == 14:
        data[12:14] = struct.pack("<H", compute_crc(bytes(data[:12])))
    if len(data) > 16:
        data[-2:] = struct.pack("<H", compute_crc(bytes(data[:-2])))


@pytest.mark.parametrize(
    "name", ["garmin-fenix-5-walk.fit", "MonitoringFile.fit", "WeightScaleSingleUser.fit"]
)
def test_random_damage_raises_only_fit_format_errors(tmp_path: Path, name: str) -> None:
    good = (FIXTURES / name).read_bytes()
    rng = random.Random(f"fit-{name}")
    kinds: set[str] = set()
    for case in range(40):
        data = bytearray(good)
        how = case % 4
        if how == 3:
            del data[rng.randrange(len(data)) :]
        else:
            for _ in range(rng.randint(1, 4)):
                data[rng.randrange(len(data))] ^= 1 << rng.randrange(8)
            if how == 2:
                refresh_crcs(data)  # past the CRC: the decoder and our handlers see it
        path = write(tmp_path, f"{case}.fit", bytes(data))
        try:
            items = list(iter_fit(path))
        except FitFormatError as exc:
            kinds.add(exc.kind)
        else:
            assert all(isinstance(i, Sample | Rejected) for i in items)
    assert {"fit-crc-mismatch", "fit-truncated"} <= kinds


# --- progress (speed against a bare decode: bench/fit.py) ----------------------------------------


@pytest.fixture(scope="module")
def long_activity(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """1.5 hours at 1 Hz, nine fields a record like the Edge 500."""
    path = tmp_path_factory.mktemp("fit") / "long.fit"
    path.write_bytes(activity_file(5400, to_fit("2024-03-24T06:00:00")))
    return path


def test_progress_rises_to_one(long_activity: Path) -> None:
    seen: list[float] = []
    items = list(iter_fit(long_activity, progress=seen.append))
    assert len(samples(items, Metric.HEART_RATE)) == 5400
    assert len(seen) >= 2
    assert seen == sorted(seen)
    assert 0 < seen[0] < 1
    assert seen[-1] == 1.0
