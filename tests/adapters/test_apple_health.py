"""The Apple Health reader: real and hand-written exports, hostile XML, zips, generated files.

Expected values are worked out by hand in the comments (UTC times from the offsets in the
text, unit arithmetic from contracts §2), never taken from the reader's output.
"""

from __future__ import annotations

import hashlib
import io
import random
import zipfile
from collections import Counter
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from adapters.ingest.apple_health import (
    QUANTITY_TYPES,
    ExportStats,
    ImportFormatError,
    Item,
    iter_export,
    iter_export_stream,
    looks_like_export,
    map_quantity,
    parse_apple_time,
    source_for,
)
from adapters.ingest.apple_health_gen import (
    DTD,
    generate_export,
    generate_hr_dense_export,
    zip_export,
)
from app.domain.metrics import Metric, SleepStage
from app.domain.samples import Rejected, RejectReason, Sample, SourceKind
from app.domain.time import to_ms

FIXTURE = Path(__file__).parents[2] / "fixtures" / "apple_health" / "export-small.xml"

WATCH_DEVICE = (
    "&lt;&lt;HKDevice: 0x283aa5d10&gt;, name:Apple Watch, manufacturer:Apple Inc., "
    "model:Watch, hardware:Watch6,1, software:10.1&gt;"
)
PHONE_DEVICE = (
    "&lt;&lt;HKDevice: 0x281bb0000&gt;, name:iPhone, manufacturer:Apple Inc., "
    "model:iPhone, hardware:iPhone14,5, software:17.1&gt;"
)


def utc_ms(year: int, month: int, day: int, hour: int, minute: int, second: int) -> int:
    return to_ms(datetime(year, month, day, hour, minute, second, tzinfo=UTC))


def export(tmp_path: Path, body: str, *, dtd: str = "", name: str = "export.xml") -> Path:
    p = tmp_path / name
    p.write_text(
        f'<?xml version="1.0" encoding="UTF-8"?>\n{dtd}<HealthData locale="da_DK">\n'
        f' <ExportDate value="2024-04-01 12:00:00 +0200"/>\n{body}</HealthData>\n',
        encoding="utf-8",
    )
    return p


def record(
    typ: str,
    value: str,
    unit: str | None,
    start: str = "2024-03-15 08:30:00 +0100",
    end: str | None = None,
    source: str = "Anna’s Apple Watch",
    device: str | None = WATCH_DEVICE,
    children: str = "",
) -> str:
    t = typ if typ.startswith("HK") else f"HKQuantityTypeIdentifier{typ}"
    dev = f' device="{device}"' if device else ""
    u = f' unit="{unit}"' if unit is not None else ""
    head = (
        f' <Record type="{t}" sourceName="{source}" sourceVersion="10.1"{dev}{u} '
        f'creationDate="{end or start}" startDate="{start}" endDate="{end or start}" '
        f'value="{value}"'
    )
    return f"{head}>{children}</Record>\n" if children else f"{head}/>\n"


def read(path: Path) -> tuple[list[Item], ExportStats]:
    stats = ExportStats()
    return list(iter_export(path, stats=stats)), stats


def samples(items: list[Item]) -> list[Sample]:
    return [i for i in items if isinstance(i, Sample)]


def only(tmp_path: Path, rec: str) -> Item:
    items, _ = read(export(tmp_path, rec))
    assert len(items) == 1
    return items[0]


def kind_of(path: Path) -> str:
    with pytest.raises(ImportFormatError) as exc:
        list(iter_export(path))
    return exc.value.kind


# --- the real export ------------------------------------------------------------------------


def test_real_small_export() -> None:
    raw = FIXTURE.read_bytes()
    items, stats = read(FIXTURE)
    # counted independently of the parser: two Records (body mass index, heart rate), one Workout
    assert stats.records_read == raw.count(b"<Record ") == 2
    assert stats.workouts_read == raw.count(b"<Workout ") == 1
    assert stats.records_ignored == 1  # HKQuantityTypeIdentifierBodyMassIndex is not a metric
    assert stats.correlations_read == 0
    assert stats.items == len(items) == 3
    assert stats.bytes_read == stats.bytes_total == len(raw)
    # ExportDate 2019-07-19 10:36:11 -0700 is 17:36:11 UTC
    assert stats.export_date_ms == utc_ms(2019, 7, 19, 17, 36, 11)
    assert all(isinstance(i, Sample) for i in items)

    hr, dist, energy = samples(items)
    # heart rate 72 count/min at 2018-09-10 02:28:55 -0700 = 09:28:55 UTC, from an Apple Watch
    assert hr.metric is Metric.HEART_RATE
    assert hr.value == 72.0
    assert hr.start_ms == hr.end_ms == utc_ms(2018, 9, 10, 9, 28, 55)
    assert hr.source.kind is SourceKind.WATCH
    assert hr.source.name == "Apple\u00a0Watch"  # Apple writes a no-break space here
    assert hr.source.device == "Watch2,4"
    assert hr.external_id is None
    # the workout: 07:25:41 to 07:30:52 -0700 = 14:25:41 to 14:30:52 UTC
    # 0.4971749504535062 mi * 1609.344 m/mi = 800.1255... m; 48.745 kcal as written
    w_start, w_end = utc_ms(2016, 11, 14, 14, 25, 41), utc_ms(2016, 11, 14, 14, 30, 52)
    assert dist.metric is Metric.DISTANCE
    assert dist.value == pytest.approx(800.1255, abs=1e-4)
    assert (dist.start_ms, dist.end_ms) == (w_start, w_end)
    assert energy.metric is Metric.ACTIVE_ENERGY
    assert energy.value == pytest.approx(48.745)
    assert (energy.start_ms, energy.end_ms) == (w_start, w_end)
    # the workout has no device attribute: "other", and its own workout source
    assert dist.source is energy.source
    assert dist.source.kind is SourceKind.OTHER
    assert dist.source.key == "apple:Apple\u00a0Watch:other:workout"


# --- times ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "utc"),
    [
        ("2024-03-15 08:30:00 +0100", (2024, 3, 15, 7, 30, 0)),
        ("2024-07-15 08:30:00 +0200", (2024, 7, 15, 6, 30, 0)),
        ("2024-03-15 08:30:00 -0500", (2024, 3, 15, 13, 30, 0)),
        ("2024-03-15 08:30:00 +0000", (2024, 3, 15, 8, 30, 0)),
        ("2024-03-15 08:30:00 +0530", (2024, 3, 15, 3, 0, 0)),
        ("2024-03-15 08:30:00 -0930", (2024, 3, 15, 18, 0, 0)),
        ("2024-01-01 00:15:07 +0100", (2023, 12, 31, 23, 15, 7)),
        ("2023-12-31 20:00:59 -0500", (2024, 1, 1, 1, 0, 59)),
        ("2024-02-29 23:59:59 +1400", (2024, 2, 29, 9, 59, 59)),
        # Copenhagen spring forward: 01:59:59 +0100 and 03:00:00 +0200 are one second apart
        ("2024-03-31 01:59:59 +0100", (2024, 3, 31, 0, 59, 59)),
        ("2024-03-31 03:00:00 +0200", (2024, 3, 31, 1, 0, 0)),
        # fall back: the same local text twice, an hour apart by its offset
        ("2024-10-27 02:30:00 +0200", (2024, 10, 27, 0, 30, 0)),
        ("2024-10-27 02:30:00 +0100", (2024, 10, 27, 1, 30, 0)),
        # ISO 8601 with an offset is accepted too
        ("2024-03-15T08:30:00+01:00", (2024, 3, 15, 7, 30, 0)),
    ],
)
def test_parse_apple_time(text: str, utc: tuple[int, int, int, int, int, int]) -> None:
    expected = utc_ms(*utc)
    assert parse_apple_time(text) == expected
    assert parse_apple_time(text) == expected  # again, now from the caches


def test_time_caches_keep_offsets_apart() -> None:
    # same hour text, different offsets, parsed in a row
    a = parse_apple_time("2024-10-27 02:10:00 +0200")
    b = parse_apple_time("2024-10-27 02:10:00 +0100")
    assert b - a == 3_600_000


def test_time_caches_build_new_hours_and_offsets_from_known_pieces() -> None:
    # the first text fills the day, hour and offset caches; the others reuse pieces of it
    assert parse_apple_time("2024-05-01 10:00:00 +0200") == utc_ms(2024, 5, 1, 8, 0, 0)
    # a new hour of a known day: 11:22:33 +0200 is 09:22:33 UTC
    assert parse_apple_time("2024-05-01 11:22:33 +0200") == utc_ms(2024, 5, 1, 9, 22, 33)
    # a known hour with a new offset: 11:22:33 +0530 is 05:52:33 UTC
    assert parse_apple_time("2024-05-01 11:22:33 +0530") == utc_ms(2024, 5, 1, 5, 52, 33)
    # and the last hour of the day: 23:59:59 -0300 is 02:59:59 UTC the next day
    assert parse_apple_time("2024-05-01 23:59:59 -0300") == utc_ms(2024, 5, 2, 2, 59, 59)
    for bad in (
        "2024-05-01 24:00:00 +0200",
        "2024-05-01 1:22:33 +0200",
        "2024-05-01T11:22:33 +0200",
        "2024-05-01 11:22:60 +0200",
        "2024-05-01 11:22:33 +0260",
        "2024-05-01 11:22:33 +02000",
        "2024-05-01 11:22:33",
    ):
        with pytest.raises(ValueError):
            parse_apple_time(bad)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "garbage",
        "2024-02-30 10:00:00 +0100",
        "2023-02-29 10:00:00 +0100",
        "2024-13-01 10:00:00 +0100",
        "2024-03-15 24:00:00 +0100",
        "2024-03-15 08:60:00 +0100",
        "2024-03-15 08:30:60 +0100",
        "2024-03-15 08:30:00 +01",
        "2024-03-15 08:30:00 +0160",
        "2024-03-15 08:30:00 +0100 ",
        "2024-03-15 08:30:00",  # no offset: ambiguous, refused
        "2024-03-15T08:30:00",
        "２０２４-03-15 08:30:00 +0100",  # fullwidth digits
    ],
)
def test_bad_times_raise(text: str) -> None:
    parse_apple_time("2024-03-15 08:00:00 +0100")  # warm the caches for this hour
    with pytest.raises(ValueError):
        parse_apple_time(text)


@given(
    st.datetimes(
        min_value=datetime(1990, 1, 1),
        max_value=datetime(2040, 12, 31),
        timezones=st.sampled_from(
            [timezone(timedelta(minutes=m)) for m in (-600, -300, -210, 0, 60, 120, 330, 765)]
        ),
    )
)
def test_parse_apple_time_matches_datetime(dt: datetime) -> None:
    dt = dt.replace(microsecond=0)
    assert parse_apple_time(dt.strftime("%Y-%m-%d %H:%M:%S %z")) == to_ms(dt)


# --- records and units ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typ", "value", "unit", "metric", "expected"),
    [
        ("StepCount", "1234", "count", Metric.STEPS, 1234.0),
        ("DistanceWalkingRunning", "1.5", "km", Metric.DISTANCE, 1500.0),
        ("DistanceWalkingRunning", "2", "mi", Metric.DISTANCE, 3218.688),
        ("DistanceCycling", "12.5", "km", Metric.DISTANCE, 12500.0),
        ("ActiveEnergyBurned", "418.4", "kJ", Metric.ACTIVE_ENERGY, 100.0),
        ("ActiveEnergyBurned", "55.5", "Cal", Metric.ACTIVE_ENERGY, 55.5),
        ("ActiveEnergyBurned", "55.5", "kcal", Metric.ACTIVE_ENERGY, 55.5),
        ("HeartRate", "72", "count/min", Metric.HEART_RATE, 72.0),
        ("RestingHeartRate", "54", "count/min", Metric.RESTING_HEART_RATE, 54.0),
        ("HeartRateVariabilitySDNN", "48.25", "ms", Metric.HRV_SDNN, 48.25),
        ("BodyMass", "81.6", "kg", Metric.BODY_MASS, 81.6),
        ("BodyMass", "200", "lb", Metric.BODY_MASS, 90.718474),
        ("BloodPressureSystolic", "122", "mmHg", Metric.BLOOD_PRESSURE_SYSTOLIC, 122.0),
        ("BloodPressureDiastolic", "10", "kPa", Metric.BLOOD_PRESSURE_DIASTOLIC, 75.0062),
        ("OxygenSaturation", "0.97", "%", Metric.SPO2, 97.0),
        ("BloodGlucose", "108", "mg/dL", Metric.BLOOD_GLUCOSE, 5.9948),
        ("BloodGlucose", "5.8", "mmol&lt;180.1558800000541&gt;/L", Metric.BLOOD_GLUCOSE, 5.8),
        ("BodyTemperature", "98.6", "degF", Metric.BODY_TEMPERATURE, 37.0),
        ("BodyTemperature", "36.8", "degC", Metric.BODY_TEMPERATURE, 36.8),
        ("RespiratoryRate", "14.5", "count/min", Metric.RESPIRATORY_RATE, 14.5),
    ],
)
def test_quantity_records(
    tmp_path: Path, typ: str, value: str, unit: str, metric: Metric, expected: float
) -> None:
    # 108 mg/dL: 1080 / 180.15588 = 5.99481...; 200 lb * 0.45359237 = 90.718474 kg
    item = only(tmp_path, record(typ, value, unit, "2024-03-15 08:30:00 +0100"))
    assert isinstance(item, Sample)
    assert item.metric is metric
    assert item.value == pytest.approx(expected, abs=1e-4)
    assert item.start_ms == utc_ms(2024, 3, 15, 7, 30, 0)
    assert item.stage is None


def test_interval_record_over_a_dst_change(tmp_path: Path) -> None:
    # 01:50 +0100 (00:50 UTC) to 03:10 +0200 (01:10 UTC): 20 minutes, not 80
    item = only(
        tmp_path,
        record(
            "StepCount", "500", "count", "2024-03-31 01:50:00 +0100", "2024-03-31 03:10:00 +0200"
        ),
    )
    assert isinstance(item, Sample)
    assert item.end_ms - item.start_ms == 20 * 60_000
    assert item.start_ms == utc_ms(2024, 3, 31, 0, 50, 0)


@pytest.mark.parametrize(
    ("typ", "value", "unit", "reason", "metric"),
    [
        ("HeartRate", "72", "count/h", RejectReason.UNKNOWN_UNIT, Metric.HEART_RATE),
        ("BodyMass", "81", "stone", RejectReason.UNKNOWN_UNIT, Metric.BODY_MASS),
        ("OxygenSaturation", "97", "count", RejectReason.UNKNOWN_UNIT, Metric.SPO2),
        ("StepCount", "12", None, RejectReason.UNKNOWN_UNIT, Metric.STEPS),
        ("HeartRate", "seventy", "count/min", RejectReason.MALFORMED, Metric.HEART_RATE),
        ("HeartRate", "", "count/min", RejectReason.MALFORMED, Metric.HEART_RATE),
        ("HeartRate", "nan", "count/min", RejectReason.MALFORMED, Metric.HEART_RATE),
        ("HeartRate", "inf", "count/min", RejectReason.MALFORMED, Metric.HEART_RATE),
    ],
)
def test_rejected_records(
    tmp_path: Path, typ: str, value: str, unit: str | None, reason: RejectReason, metric: Metric
) -> None:
    item = only(tmp_path, record(typ, value, unit))
    assert isinstance(item, Rejected)
    assert item.reason is reason
    assert item.metric is metric


def test_bad_dates_and_missing_attributes_are_malformed(tmp_path: Path) -> None:
    body = (
        record("HeartRate", "72", "count/min", "2024-02-30 08:00:00 +0100")
        + record("HeartRate", "72", "count/min", "yesterday")
        + ' <Record type="HKQuantityTypeIdentifierHeartRate" sourceName="x" unit="count/min" '
        'startDate="2024-03-15 08:30:00 +0100" endDate="2024-03-15 08:30:00 +0100"/>\n'
        ' <Record type="HKQuantityTypeIdentifierHeartRate" unit="count/min" value="70" '
        'startDate="2024-03-15 08:30:00 +0100" endDate="2024-03-15 08:30:00 +0100"/>\n'
    )
    items, stats = read(export(tmp_path, body))
    assert stats.records_read == 4
    assert [i.reason for i in items if isinstance(i, Rejected)] == [RejectReason.MALFORMED] * 4


def test_no_plausibility_checks_here(tmp_path: Path) -> None:
    body = (
        record("HeartRate", "900", "count/min")  # impossible, but judged downstream
        + record("StepCount", "-5", "count")
        + record("HeartRate", "70", "count/min", "2099-01-01 00:00:00 +0000")  # future
        + record(
            "StepCount", "10", "count", "2024-03-15 09:00:00 +0100", "2024-03-15 08:00:00 +0100"
        )
    )
    items, _ = read(export(tmp_path, body))
    got = samples(items)
    assert [s.value for s in got] == [900.0, -5.0, 70.0, 10.0]
    assert got[3].end_ms < got[3].start_ms


def test_unknown_types_and_elements_are_ignored(tmp_path: Path) -> None:
    body = (
        record("FlightsClimbed", "3", "count")
        + record(
            "HKCategoryTypeIdentifierAppleStandHour", "HKCategoryValueAppleStandHourStood", None
        )
        + record("HKQuantityTypeIdentifierSomethingNew", "1", "furlong")
        + ' <ActivitySummary dateComponents="2024-03-15" activeEnergyBurned="500"/>\n'
        ' <ClinicalRecord type="HKClinicalTypeIdentifierLabResultRecord" '
        'sourceName="Hospital" fhirVersion="4.0.1" receivedDate="2024-03-15 08:00:00 +0100"/>\n'
        " <Audiogram><SensitivityPoint frequencyValue='500'/></Audiogram>\n"
        ' <Correlation type="HKCorrelationTypeIdentifierFood" sourceName="App" '
        'startDate="2024-03-15 08:00:00 +0100" endDate="2024-03-15 08:00:00 +0100">'
        + record("DietaryEnergyConsumed", "300", "kcal")
        + " </Correlation>\n"
        + record("HeartRate", "61", "count/min")
    )
    items, stats = read(export(tmp_path, body))
    assert [(s.metric, s.value) for s in samples(items)] == [(Metric.HEART_RATE, 61.0)]
    assert len(items) == 1
    assert stats.records_read == 5
    assert stats.records_ignored == 4


def test_record_children_are_skipped(tmp_path: Path) -> None:
    hrv = (
        "<HeartRateVariabilityMetadataList>"
        '<InstantaneousBeatsPerMinute bpm="62" time="8:30:01,00 AM"/>'
        "</HeartRateVariabilityMetadataList>"
        '<MetadataEntry key="HKMetadataKeyHeartRateMotionContext" value="0"/>'
    )
    item = only(tmp_path, record("HeartRateVariabilitySDNN", "41.5", "ms", children=hrv))
    assert isinstance(item, Sample)
    assert (item.metric, item.value) == (Metric.HRV_SDNN, 41.5)


# --- attribute order --------------------------------------------------------------------------
#
# The reader reads a record's fields by position, worked out from the attribute names of the
# record before it: records whose attributes come in another order, lack an optional one, or
# lack a required one must read exactly as if looked up by name.

HR = "HKQuantityTypeIdentifierHeartRate"
SLEEP = "HKCategoryTypeIdentifierSleepAnalysis"


def tag(attrs: list[tuple[str, str]]) -> str:
    return " <Record " + " ".join(f'{k}="{v}"' for k, v in attrs) + "/>\n"


def read_stream(body: str) -> tuple[list[Item], ExportStats]:
    xml = f'<?xml version="1.0" encoding="UTF-8"?>\n<HealthData locale="da_DK">\n{body}</HealthData>\n'
    stats = ExportStats()
    return list(iter_export_stream(io.BytesIO(xml.encode()).read, stats=stats)), stats


HR_ATTRS = [
    ("type", HR),
    ("sourceName", "Anna’s Apple Watch"),
    ("sourceVersion", "10.1"),
    ("device", WATCH_DEVICE),
    ("unit", "count/min"),
    ("creationDate", "2024-03-15 08:30:05 +0100"),
    ("startDate", "2024-03-15 08:30:00 +0100"),
    ("endDate", "2024-03-15 08:30:00 +0100"),
    ("value", "72"),
]
STEPS_ATTRS = [
    ("type", "HKQuantityTypeIdentifierStepCount"),
    ("sourceName", "Anna’s iPhone"),
    ("device", PHONE_DEVICE),
    ("unit", "count"),
    ("startDate", "2024-03-31 01:50:00 +0100"),
    ("endDate", "2024-03-31 03:10:00 +0200"),
    ("value", "500"),
]
SLEEP_ATTRS = [
    ("type", SLEEP),
    ("sourceName", "Anna’s Apple Watch"),
    ("device", WATCH_DEVICE),
    ("startDate", "2024-03-15 23:00:00 +0100"),
    ("endDate", "2024-03-16 01:30:00 +0100"),
    ("value", "HKCategoryValueSleepAnalysisAsleepDeep"),
]


def check_hr(item: Item, *, device: bool = True) -> None:
    # 72 count/min at 08:30 +0100 = 07:30 UTC
    assert isinstance(item, Sample)
    assert (item.metric, item.value) == (Metric.HEART_RATE, 72.0)
    assert item.start_ms == item.end_ms == utc_ms(2024, 3, 15, 7, 30, 0)
    assert item.source.kind is (SourceKind.WATCH if device else SourceKind.OTHER)


def check_steps(item: Item, *, device: bool = True) -> None:
    # 01:50 +0100 to 03:10 +0200: 00:50 to 01:10 UTC
    assert isinstance(item, Sample)
    assert (item.metric, item.value) == (Metric.STEPS, 500.0)
    assert (item.start_ms, item.end_ms) == (
        utc_ms(2024, 3, 31, 0, 50, 0),
        utc_ms(2024, 3, 31, 1, 10, 0),
    )
    assert item.source.kind is (SourceKind.PHONE if device else SourceKind.OTHER)


def check_sleep(item: Item, *, device: bool = True) -> None:
    # 23:00 to 01:30 +0100: 150 minutes of deep sleep from 22:00 UTC
    assert isinstance(item, Sample)
    assert (item.metric, item.value, item.stage) == (Metric.SLEEP, 150.0, SleepStage.DEEP)
    assert item.start_ms == utc_ms(2024, 3, 15, 22, 0, 0)
    assert item.source.kind is (SourceKind.WATCH if device else SourceKind.OTHER)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["hr", "steps", "sleep"]),
            st.randoms(use_true_random=False),
            st.booleans(),
        ),
        min_size=1,
        max_size=8,
    )
)
def test_records_read_alike_in_any_attribute_order(
    recs: list[tuple[str, random.Random, bool]],
) -> None:
    body = ""
    for what, rnd, with_device in recs:
        attrs = {"hr": HR_ATTRS, "steps": STEPS_ATTRS, "sleep": SLEEP_ATTRS}[what]
        attrs = [a for a in attrs if with_device or a[0] != "device"]
        rnd.shuffle(attrs)
        body += tag(attrs)
    items, stats = read_stream(body)
    assert stats.records_read == len(items) == len(recs)
    for item, (what, _, with_device) in zip(items, recs, strict=True):
        {"hr": check_hr, "steps": check_steps, "sleep": check_sleep}[what](item, device=with_device)


def test_missing_attributes_after_full_records() -> None:
    def without(attrs: list[tuple[str, str]], *names: str) -> list[tuple[str, str]]:
        return [a for a in attrs if a[0] not in names]

    def renamed(attrs: list[tuple[str, str]], old: str, new: str) -> list[tuple[str, str]]:
        return [(new if k == old else k, v) for k, v in attrs]

    body = "".join(
        tag(a)
        for a in (
            HR_ATTRS,
            without(HR_ATTRS, "startDate"),
            HR_ATTRS,
            without(HR_ATTRS, "sourceName"),
            without(HR_ATTRS, "value", "endDate"),
            without(SLEEP_ATTRS, "endDate"),
            without(HR_ATTRS, "unit"),
            # in the place of `unit` or `device`, another attribute is not them
            renamed(HR_ATTRS, "unit", "units"),
            renamed(HR_ATTRS, "device", "devices"),
            # fewer attributes than the record before, none of them missing
            without(HR_ATTRS, "sourceVersion", "creationDate", "device"),
            [*HR_ATTRS, ("extra", "1")],
            without(SLEEP_ATTRS, "type"),
            SLEEP_ATTRS,
        )
    )
    items, stats = read_stream(body)
    assert stats.records_read == 13
    assert stats.records_ignored == 1  # the sleep record without a type
    check_hr(items[0])
    rejected = items[1:2] + items[3:7] + items[7:8]
    assert [(r.reason, r.detail) for r in rejected if isinstance(r, Rejected)] == [
        (RejectReason.MALFORMED, f"{HR}: 'startDate'"),
        (RejectReason.MALFORMED, f"{HR}: 'sourceName'"),
        (RejectReason.MALFORMED, f"{HR}: 'endDate'"),
        (RejectReason.MALFORMED, "sleep: 'endDate'"),
        (RejectReason.UNKNOWN_UNIT, f"{HR} in ''"),
        (RejectReason.UNKNOWN_UNIT, f"{HR} in ''"),
    ]
    check_hr(items[2])
    check_hr(items[8], device=False)
    check_hr(items[9], device=False)
    check_hr(items[10])
    check_sleep(items[11])
    assert len(items) == 12


# --- sources ----------------------------------------------------------------------------------


def test_sources_by_device_model(tmp_path: Path) -> None:
    scale = "&lt;&lt;HKDevice: 0x1&gt;, name:Body+, manufacturer:Withings, model:WBS05&gt;"
    body = (
        record("StepCount", "10", "count", source="Anna’s Apple Watch", device=WATCH_DEVICE)
        + record("StepCount", "11", "count", source="Anna’s iPhone", device=PHONE_DEVICE)
        + record("BodyMass", "80", "kg", source="Health Mate", device=scale)
        + record("BodyMass", "80.5", "kg", source="Health", device=None)
    )
    watch, phone, scale_s, manual = (s.source for s in samples(read(export(tmp_path, body))[0]))
    assert (watch.kind, watch.key, watch.name, watch.device) == (
        SourceKind.WATCH,
        "apple:Anna’s Apple Watch:watch",
        "Anna’s Apple Watch",
        "Watch6,1",
    )
    assert (phone.kind, phone.key, phone.device) == (
        SourceKind.PHONE,
        "apple:Anna’s iPhone:phone",
        "iPhone14,5",
    )
    assert (scale_s.kind, scale_s.key, scale_s.device) == (
        SourceKind.OTHER,
        "apple:Health Mate:other",
        "WBS05",
    )
    assert (manual.kind, manual.key, manual.device) == (
        SourceKind.OTHER,
        "apple:Health:other",
        None,
    )


def test_sources_are_interned_across_device_addresses(tmp_path: Path) -> None:
    other_address = WATCH_DEVICE.replace("0x283aa5d10", "0x2900000ff")
    body = (
        record("HeartRate", "60", "count/min", device=WATCH_DEVICE)
        + record("StepCount", "5", "count", source="Anna’s iPhone", device=PHONE_DEVICE)
        + record("HeartRate", "61", "count/min", device=other_address)
        + record("HeartRate", "62", "count/min", device=WATCH_DEVICE)
    )
    a, phone, b, c = (s.source for s in samples(read(export(tmp_path, body))[0]))
    assert a is b is c
    assert phone is not a
    assert (
        source_for("Anna’s Apple Watch", WATCH_DEVICE.replace("&lt;", "<").replace("&gt;", ">"))
        is a
    )


# --- correlations, sleep, workouts ------------------------------------------------------------


def test_blood_pressure_correlation_children_are_samples(tmp_path: Path) -> None:
    cuff = "&lt;&lt;HKDevice: 0x9&gt;, name:M7, manufacturer:Omron, model:HEM-7361T&gt;"
    t = "2024-03-15 08:30:00 +0100"
    sys_r = record("BloodPressureSystolic", "128", "mmHg", t, source="Omron", device=cuff)
    dia_r = record("BloodPressureDiastolic", "84", "mmHg", t, source="Omron", device=cuff)
    body = (
        sys_r
        + dia_r
        + ' <Correlation type="HKCorrelationTypeIdentifierBloodPressure" sourceName="Omron" '
        f'device="{cuff}" creationDate="{t}" startDate="{t}" endDate="{t}">\n'
        '  <MetadataEntry key="HKWasUserEntered" value="0"/>\n'
        f"{sys_r}{dia_r} </Correlation>\n"
    )
    items, stats = read(export(tmp_path, body))
    assert stats.records_read == 4
    assert stats.correlations_read == 1
    got = samples(items)
    assert [(s.metric, s.value) for s in got] == [
        (Metric.BLOOD_PRESSURE_SYSTOLIC, 128.0),
        (Metric.BLOOD_PRESSURE_DIASTOLIC, 84.0),
    ] * 2
    # the children are the same samples as the top-level records: stored once downstream
    assert got[0] == got[2]
    assert got[1] == got[3]
    assert got[0].start_ms == utc_ms(2024, 3, 15, 7, 30, 0)


@pytest.mark.parametrize(
    ("value", "stage"),
    [
        ("HKCategoryValueSleepAnalysisInBed", SleepStage.IN_BED),
        ("HKCategoryValueSleepAnalysisAsleep", SleepStage.ASLEEP),
        ("HKCategoryValueSleepAnalysisAsleepUnspecified", SleepStage.ASLEEP),
        ("HKCategoryValueSleepAnalysisAsleepCore", SleepStage.CORE),
        ("HKCategoryValueSleepAnalysisAsleepDeep", SleepStage.DEEP),
        ("HKCategoryValueSleepAnalysisAsleepREM", SleepStage.REM),
        ("HKCategoryValueSleepAnalysisAwake", SleepStage.AWAKE),
        ("0", SleepStage.IN_BED),
    ],
)
def test_sleep(tmp_path: Path, value: str, stage: SleepStage) -> None:
    # 23:40 +0100 to 00:25 +0100 next day: 45 minutes, across midnight
    rec = record(
        "HKCategoryTypeIdentifierSleepAnalysis",
        value,
        None,
        "2024-03-15 23:40:00 +0100",
        "2024-03-16 00:25:00 +0100",
    )
    item = only(tmp_path, rec)
    assert isinstance(item, Sample)
    assert item.metric is Metric.SLEEP
    assert item.stage == stage
    assert item.value == 45.0
    assert (item.start_ms, item.end_ms) == (
        utc_ms(2024, 3, 15, 22, 40, 0),
        utc_ms(2024, 3, 15, 23, 25, 0),
    )
    assert item.source.kind is SourceKind.WATCH


def test_unknown_sleep_value_is_malformed(tmp_path: Path) -> None:
    item = only(tmp_path, record("HKCategoryTypeIdentifierSleepAnalysis", "Napping", None))
    assert isinstance(item, Rejected)
    assert (item.reason, item.metric) == (RejectReason.MALFORMED, Metric.SLEEP)


WORKOUT_HEAD = (
    ' <Workout workoutActivityType="HKWorkoutActivityTypeRunning" duration="30" '
    'durationUnit="min" totalDistance="{dist}" totalDistanceUnit="mi" '
    'totalEnergyBurned="{energy}" totalEnergyBurnedUnit="kJ" sourceName="Anna’s Apple Watch" '
    f'device="{WATCH_DEVICE}" creationDate="2024-03-15 18:31:00 +0100" '
    'startDate="2024-03-15 18:00:00 +0100" endDate="2024-03-15 18:30:00 +0100">\n'
)


def test_workout_totals_from_attributes(tmp_path: Path) -> None:
    body = (
        WORKOUT_HEAD.format(dist="3", energy="1046")
        + '  <MetadataEntry key="HKIndoorWorkout" value="0"/>\n'
        '  <WorkoutRoute sourceName="Anna’s iPhone" startDate="2024-03-15 18:00:00 +0100" '
        'endDate="2024-03-15 18:30:00 +0100"><FileReference path="/r.gpx"/></WorkoutRoute>\n'
        " </Workout>\n" + record("HeartRate", "70", "count/min")
    )
    items, stats = read(export(tmp_path, body))
    assert stats.workouts_read == 1
    assert stats.records_read == 1
    dist, energy, hr = samples(items)
    # 3 mi = 4828.032 m; 1046 kJ / 4.184 = 250 kcal; 17:00 to 17:30 UTC
    assert dist.metric is Metric.DISTANCE
    assert dist.value == pytest.approx(4828.032)
    assert energy.metric is Metric.ACTIVE_ENERGY
    assert energy.value == pytest.approx(250.0)
    assert (dist.start_ms, dist.end_ms) == (
        utc_ms(2024, 3, 15, 17, 0, 0),
        utc_ms(2024, 3, 15, 17, 30, 0),
    )
    assert dist.source.key == "apple:Anna’s Apple Watch:watch:workout"
    assert dist.source.name == "Anna’s Apple Watch (workout)"
    assert dist.source.kind is SourceKind.WATCH
    assert hr.source.key == "apple:Anna’s Apple Watch:watch"  # records keep their own source
    assert hr.metric is Metric.HEART_RATE  # the end handler was let go after the workout


def test_workout_statistics_win_over_attributes(tmp_path: Path) -> None:
    s, e = "2024-03-15 18:00:00 +0100", "2024-03-15 18:30:00 +0100"
    q = "HKQuantityTypeIdentifier"
    body = (
        WORKOUT_HEAD.format(dist="3", energy="1046")
        + f'  <WorkoutStatistics type="{q}ActiveEnergyBurned" startDate="{s}" endDate="{e}" '
        'sum="300" unit="Cal"/>\n'
        f'  <WorkoutStatistics type="{q}DistanceWalkingRunning" startDate="{s}" endDate="{e}" '
        'sum="5.1" unit="km"/>\n'
        f'  <WorkoutStatistics type="{q}HeartRate" startDate="{s}" endDate="{e}" '
        'average="141" minimum="98" maximum="171" unit="count/min"/>\n'
        f'  <WorkoutStatistics type="{q}StepCount" startDate="{s}" endDate="{e}" '
        'sum="4800" unit="count"/>\n'
        '  <WorkoutActivity startDate="{s}" endDate="{e}">\n'
        f'   <WorkoutStatistics type="{q}StepCount" startDate="{s}" endDate="{e}" '
        'sum="999999" unit="count"/>\n'
        "  </WorkoutActivity>\n"
        " </Workout>\n"
    )
    items, _ = read(export(tmp_path, body))
    got = {s.metric: s.value for s in samples(items)}
    # statistics replace the attributes; the activity's nested statistics and the heart rate
    # average give nothing
    assert got == {Metric.ACTIVE_ENERGY: 300.0, Metric.DISTANCE: 5100.0, Metric.STEPS: 4800.0}
    assert len(items) == 3


def test_workout_with_unknown_unit_and_nothing_else(tmp_path: Path) -> None:
    body = (
        ' <Workout workoutActivityType="HKWorkoutActivityTypeYoga" sourceName="Yoga App" '
        'totalEnergyBurned="120" totalEnergyBurnedUnit="erg" '
        'startDate="2024-03-15 18:00:00 +0100" endDate="2024-03-15 18:30:00 +0100"/>\n'
        ' <Workout workoutActivityType="HKWorkoutActivityTypeYoga" sourceName="Yoga App" '
        'startDate="2024-03-15 19:00:00 +0100" endDate="2024-03-15 19:30:00 +0100"/>\n'
    )
    items, stats = read(export(tmp_path, body))
    assert stats.workouts_read == 2
    assert len(items) == 1
    assert isinstance(items[0], Rejected)
    assert (items[0].reason, items[0].metric) == (RejectReason.UNKNOWN_UNIT, Metric.ACTIVE_ENERGY)


# --- map_quantity -----------------------------------------------------------------------------


def test_map_quantity() -> None:
    q = "HKQuantityTypeIdentifier"
    mass = map_quantity(f"{q}BodyMass", "lb", "100")
    assert isinstance(mass, tuple)
    assert mass[0] is Metric.BODY_MASS
    assert mass[1] == pytest.approx(45.359237)
    spo2 = map_quantity(f"{q}OxygenSaturation", "%", "0.95")
    assert isinstance(spo2, tuple)
    assert spo2[0] is Metric.SPO2
    assert spo2[1] == pytest.approx(95.0)
    assert map_quantity(f"{q}BodyMass", "mmHg", "100") is RejectReason.UNKNOWN_UNIT
    assert map_quantity(f"{q}BodyMass", None, "100") is RejectReason.UNKNOWN_UNIT
    assert map_quantity(f"{q}BodyMass", "kg", "heavy") is RejectReason.MALFORMED
    assert map_quantity(f"{q}BodyMass", "kg", None) is RejectReason.MALFORMED
    assert map_quantity(f"{q}FlightsClimbed", "count", "3") is None
    assert len(QUANTITY_TYPES) == 14


# --- hostile and broken XML -------------------------------------------------------------------


APPLE_STYLE_DTD = """<!DOCTYPE HealthData [
<!-- HealthKit Export Version: 14 -->
<!ELEMENT HealthData (ExportDate,Me,(Record|Correlation|Workout|ActivitySummary)*)>
<!ATTLIST HealthData
  locale CDATA #REQUIRED
>
<!ELEMENT ExportDate EMPTY>
<!ATTLIST ExportDate
  value CDATA #REQUIRED
>
<!ELEMENT Record ((MetadataEntry|HeartRateVariabilityMetadataList)*)>
<!ATTLIST Record
  type          CDATA #REQUIRED
  unit          CDATA #IMPLIED
  value         CDATA #IMPLIED
  sourceName    CDATA #REQUIRED
  startDate     CDATA #REQUIRED
  endDate       CDATA #REQUIRED
>
]>
"""


@pytest.mark.parametrize("dtd", [APPLE_STYLE_DTD, DTD])
def test_internal_dtd_is_accepted(tmp_path: Path, dtd: str) -> None:
    rec = record("HeartRate", "66", "count/min")
    plain, _ = read(export(tmp_path, rec, name="plain.xml"))
    items, stats = read(export(tmp_path, rec, dtd=dtd, name="dtd.xml"))
    assert items == plain
    assert [(s.metric, s.value) for s in samples(items)] == [(Metric.HEART_RATE, 66.0)]
    assert stats.records_read == 1


BILLION_LAUGHS = """<!DOCTYPE HealthData [
<!ENTITY lol "lol">
<!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
]>
"""


@pytest.mark.parametrize(
    ("dtd", "body", "kind"),
    [
        (BILLION_LAUGHS, "<Me a='&lol3;'/>\n", "xml-entity-declaration"),
        (
            '<!DOCTYPE HealthData [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>\n',
            "<Me>&xxe;</Me>\n",
            "xml-entity-declaration",
        ),
        (
            '<!DOCTYPE HealthData [<!ENTITY % pe SYSTEM "http://example.com/x.dtd"> %pe;]>\n',
            "",
            "xml-entity-declaration",
        ),
        ('<!DOCTYPE HealthData SYSTEM "http://example.com/evil.dtd">\n', "", "xml-external-entity"),
        (
            '<!DOCTYPE HealthData PUBLIC "-//X//Y" "http://example.com/evil.dtd">\n',
            "",
            "xml-external-entity",
        ),
    ],
)
def test_entities_refused(tmp_path: Path, dtd: str, body: str, kind: str) -> None:
    assert kind_of(export(tmp_path, body, dtd=dtd)) == kind


@pytest.mark.parametrize(
    "content",
    [
        b'<HealthData><Record type="x"></HealthData>',
        b"<HealthData><Record type=x/></HealthData>",
        b"<HealthData></HealthData><HealthData/>",
        b"<HealthData>&undefined;</HealthData>",
        b"\x00\x01\x02 binary junk",
        b"   \n  ",
    ],
)
def test_not_well_formed(tmp_path: Path, content: bytes) -> None:
    p = tmp_path / "bad.xml"
    p.write_bytes(content)
    assert kind_of(p) == "xml-not-well-formed"


def test_truncated(tmp_path: Path) -> None:
    whole = export(tmp_path, record("HeartRate", "66", "count/min") * 10).read_bytes()
    p = tmp_path / "cut.xml"
    p.write_bytes(whole[: len(whole) - 40])
    with pytest.raises(ImportFormatError) as exc:
        list(iter_export(p))
    assert exc.value.kind == "xml-not-well-formed"
    assert "truncated" in exc.value.detail


def test_truncated_large_file_fails_after_items(tmp_path: Path) -> None:
    """Errors can come after items: the caller must not commit until iteration ends."""
    src = generate_export(tmp_path / "g.xml", records=6000, seed=3).path
    raw = src.read_bytes()
    cut = tmp_path / "cut.xml"
    cut.write_bytes(raw[: len(raw) * 2 // 3])
    got = 0
    with pytest.raises(ImportFormatError) as exc:
        for _ in iter_export(cut):
            got += 1
    assert exc.value.kind == "xml-not-well-formed"
    assert got > 0


def test_wrong_root_element(tmp_path: Path) -> None:
    p = tmp_path / "other.xml"
    p.write_bytes(b'<?xml version="1.0"?>\n<ClinicalDocument><Record/></ClinicalDocument>\n')
    assert kind_of(p) == "xml-not-health-export"


def test_empty_file(tmp_path: Path) -> None:
    p = tmp_path / "empty.xml"
    p.write_bytes(b"")
    assert kind_of(p) == "empty-file"


def test_errors_are_value_errors(tmp_path: Path) -> None:
    p = tmp_path / "empty.xml"
    p.write_bytes(b"")
    with pytest.raises(ValueError, match="empty-file"):
        list(iter_export(p))


# --- zips ---------------------------------------------------------------------------------------


def test_zip_export_found_by_content(tmp_path: Path) -> None:
    xml = export(
        tmp_path, record("HeartRate", "66", "count/min") + record("StepCount", "9", "count")
    )
    expected, _ = read(xml)
    zp = tmp_path / "export.zip"
    with zipfile.ZipFile(zp, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("apple_health_export/export.xml", "<ClinicalDocument/>")  # misleading name
        zf.write(xml, "apple_health_export/odd-name.dat")
    stats = ExportStats()
    assert list(iter_export(zp, stats=stats)) == expected
    assert stats.records_read == 2


@pytest.mark.parametrize(
    ("members", "kind"),
    [
        ({"a/export_cda.xml": b"<ClinicalDocument/>"}, "zip-no-export"),
        ({"../export.xml": b"<HealthData/>"}, "zip-path-traversal"),
        ({"export.xml": b"<HealthData>" + b"\0" * (20 * 2**20)}, "zip-bomb"),
    ],
)
def test_bad_zips(tmp_path: Path, members: dict[str, bytes], kind: str) -> None:
    zp = tmp_path / "export.zip"
    with zipfile.ZipFile(zp, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    assert kind_of(zp) == kind


def test_not_a_zip_though_it_starts_like_one(tmp_path: Path) -> None:
    p = tmp_path / "export.zip"
    p.write_bytes(b"PK\x03\x04" + b"rubbish" * 10)
    assert kind_of(p) == "zip-invalid"


def test_empty_export_inside_zip(tmp_path: Path) -> None:
    zp = tmp_path / "export.zip"
    with zipfile.ZipFile(zp, "w") as zf:
        zf.writestr("apple_health_export/export.xml", b"")
    assert kind_of(zp) == "zip-no-export"


# --- generated exports --------------------------------------------------------------------------


def test_generated_export_round_trip_and_streaming(tmp_path: Path) -> None:
    gen = generate_export(tmp_path / "export.xml", records=6000, seed=11)
    raw = gen.path.read_bytes()
    assert len(raw) > 2 * 2**20  # several chunks
    assert raw.count(b"<Record ") == gen.records == 6000
    assert raw.count(b"<Correlation ") == gen.correlations > 0
    assert raw.count(b"<Workout ") == gen.workouts

    fractions: list[float] = []
    stats = ExportStats()
    it = iter_export(gen.path, progress=fractions.append, stats=stats)
    first = next(it)
    assert isinstance(first, Sample | Rejected)
    assert 0 < stats.bytes_read < len(raw)  # items come before the whole file is read
    items = [first, *it]

    assert stats.records_read == gen.records
    assert stats.records_ignored == gen.ignored
    assert stats.correlations_read == gen.correlations
    assert stats.workouts_read == gen.workouts
    # every mapped record gives one item; each workout gives energy and distance
    assert len(items) == stats.items == gen.records - gen.ignored + 2 * gen.workouts
    assert not [i for i in items if isinstance(i, Rejected)]
    assert fractions == sorted(fractions)
    assert fractions[-1] == 1.0
    assert all(0.0 <= f <= 1.0 for f in fractions)

    got = samples(items)
    records_only = Counter(s.metric for s in got if not s.source.key.endswith(":workout"))
    assert records_only[Metric.STEPS] == gen.by_type["HKQuantityTypeIdentifierStepCount"]
    assert records_only[Metric.HEART_RATE] == gen.by_type["HKQuantityTypeIdentifierHeartRate"]
    assert records_only[Metric.SLEEP] == gen.by_type["HKCategoryTypeIdentifierSleepAnalysis"]
    # each correlation's two children plus their two top-level copies
    systolic = gen.by_type["HKQuantityTypeIdentifierBloodPressureSystolic"]
    assert systolic == 2 * gen.correlations
    assert records_only[Metric.BLOOD_PRESSURE_SYSTOLIC] == systolic
    # both step sources are there and overlap in time
    kinds = {s.source.kind for s in got if s.metric is Metric.STEPS}
    assert kinds == {SourceKind.WATCH, SourceKind.PHONE}


def test_generated_values_are_normalised(tmp_path: Path) -> None:
    gen = generate_export(tmp_path / "export.xml", records=3000, seed=5)
    raw = gen.path.read_text(encoding="utf-8")
    # the generator writes lb and kg, both glucose units and SpO2 fractions
    for unit in ('unit="lb"', 'unit="kg"', 'unit="mg/dL"', "mmol&lt;180.1558800000541&gt;/L"):
        assert unit in raw
    got = samples(read(gen.path)[0])
    spo2 = [s.value for s in got if s.metric is Metric.SPO2]
    assert spo2
    assert all(90.0 - 1e-9 <= v <= 100.0 + 1e-9 for v in spo2)  # written as 0.90..1.00
    mass = [s.value for s in got if s.metric is Metric.BODY_MASS]
    assert mass
    assert all(59.9 <= v <= 90.1 for v in mass)  # 60..90 kg, whether written in lb or kg
    glucose = [s.value for s in got if s.metric is Metric.BLOOD_GLUCOSE]
    assert glucose
    assert all(3.9 <= v <= 9.1 for v in glucose)  # 4..9 mmol/L, either unit


def test_generator_is_deterministic_and_zips(tmp_path: Path) -> None:
    a = generate_export(tmp_path / "a.xml", records=500, seed=9)
    b = generate_export(tmp_path / "b.xml", records=500, seed=9)
    c = generate_export(tmp_path / "c.xml", records=500, seed=10)
    digest = [hashlib.sha256(g.path.read_bytes()).hexdigest() for g in (a, b, c)]
    assert digest[0] == digest[1] != digest[2]
    zp = zip_export(a.path, tmp_path / "export.zip")
    with zipfile.ZipFile(zp) as zf:
        names = zf.namelist()
    assert names[-1] == "apple_health_export/export.xml"
    assert len(names) == 3
    assert list(iter_export(zp)) == list(iter_export(a.path))


def test_generated_heart_rate_dense_export(tmp_path: Path) -> None:
    gen = generate_hr_dense_export(tmp_path / "hr.xml", days=3, hr_per_hour=150, seed=4)
    again = generate_hr_dense_export(tmp_path / "again.xml", days=3, hr_per_hour=150, seed=4)
    assert gen.path.read_bytes() == again.path.read_bytes()
    items, stats = read(gen.path)
    assert stats.records_read == gen.records
    assert not [i for i in items if isinstance(i, Rejected)]
    got = samples(items)
    per_metric = Counter(s.metric for s in got)
    # 17 worn hours a day at about 150 an hour: about 2,550 a day
    hr = gen.by_type["HKQuantityTypeIdentifierHeartRate"]
    assert per_metric[Metric.HEART_RATE] == hr
    assert 3 * 2_300 < hr < 3 * 2_800
    assert per_metric[Metric.BODY_MASS] == 3
    # a reading a day: its two children, each also at top level
    assert per_metric[Metric.BLOOD_PRESSURE_SYSTOLIC] == 2 * 3 == 2 * gen.correlations
    assert {s.source.kind for s in got if s.metric is Metric.STEPS} == {
        SourceKind.WATCH,
        SourceKind.PHONE,
    }
    assert {Metric.SPO2, Metric.BLOOD_GLUCOSE} <= set(per_metric)
    # grouped by type, in time order within it, as Apple writes them
    runs = [m for i, m in enumerate(s.metric for s in got) if i == 0 or got[i - 1].metric != m]
    assert runs[:2] == [Metric.HEART_RATE, Metric.STEPS]
    beats = [s.start_ms for s in got if s.metric is Metric.HEART_RATE]
    assert beats == sorted(beats)
    denser = generate_hr_dense_export(tmp_path / "x4.xml", days=3, hr_per_hour=600, seed=4)
    assert 3.5 * hr < denser.by_type["HKQuantityTypeIdentifierHeartRate"] < 4.5 * hr


def test_looks_like_export() -> None:
    assert looks_like_export(b'<?xml version="1.0"?>\n<!DOCTYPE HealthData [\n<!ELEMENT')
    assert looks_like_export(b'<HealthData locale="en_US">')
    assert not looks_like_export(b'<?xml version="1.0"?><ClinicalDocument xmlns="urn:hl7-org:v3">')
