"""Health Connect records to samples: every §7 record type, its units, sources and times."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import msgspec
import pytest

from adapters.ingest.healthconnect import RECORD_TYPES, map_record
from app.domain.metrics import Metric
from app.domain.samples import SourceKind
from app.domain.time import to_ms
from app.services.healthconnect import MappedRecord, RefusedRecord

T = "2026-05-02T06:00:00Z"
T_MS = to_ms(datetime(2026, 5, 2, 6, 0, tzinfo=UTC))
END = "2026-05-02T07:00:00Z"
END_MS = T_MS + 3_600_000


def record(kind: str, device: Any = None, origin: Any = "com.example.app", **fields: Any) -> Any:
    body = {
        "recordType": kind,
        **fields,
        "metadata": {
            "id": "id-1",
            "dataOrigin": origin,
            "lastModifiedTime": "2026-05-02T08:00:00.123Z",
            "device": device,
        },
    }
    return map_record(msgspec.Raw(msgspec.json.encode(body)))


def mapped(kind: str, **fields: Any) -> list[tuple[Metric, int, int, float, str | None]]:
    got = record(kind, **fields)
    assert isinstance(got, MappedRecord), got
    assert (got.id, got.modified_ms) == ("id-1", T_MS + 2 * 3_600_000 + 123)
    return [(s.metric, s.start_ms, s.end_ms, s.value, s.stage) for s in got.samples]


def refused(kind: str, **fields: Any) -> tuple[str, str]:
    got = record(kind, **fields)
    assert isinstance(got, RefusedRecord), got
    return got.reason, got.detail


@pytest.mark.parametrize(
    ("kind", "fields", "metric", "value"),
    [
        ("Steps", {"count": 1200}, Metric.STEPS, 1200.0),
        ("Distance", {"distance": {"inMeters": 1500.5}}, Metric.DISTANCE, 1500.5),
        ("Distance", {"distance": {"inKilometers": 1.5}}, Metric.DISTANCE, 1500.0),
        ("Distance", {"distance": {"value": 2, "unit": "miles"}}, Metric.DISTANCE, 3218.688),
        ("ActiveCaloriesBurned", {"energy": {"inKilocalories": 250}}, Metric.ACTIVE_ENERGY, 250.0),
        # Health Connect's calories are small calories: 250,000 cal = 250 kcal
        ("ActiveCaloriesBurned", {"energy": {"inCalories": 250000}}, Metric.ACTIVE_ENERGY, 250.0),
        # 1046 kJ / 4.184 = 250 kcal
        ("ActiveCaloriesBurned", {"energy": {"value": 1046, "unit": "kilojoules"}},
         Metric.ACTIVE_ENERGY, 250.0),
    ],
)  # fmt: skip
def test_interval_records(kind: str, fields: Any, metric: Metric, value: float) -> None:
    [(m, start, end, v, stage)] = mapped(kind, startTime=T, endTime=END, **fields)
    assert (m, start, end, stage) == (metric, T_MS, END_MS, None)
    assert v == pytest.approx(value)


@pytest.mark.parametrize(
    ("kind", "fields", "metric", "value"),
    [
        ("RestingHeartRate", {"beatsPerMinute": 52}, Metric.RESTING_HEART_RATE, 52.0),
        ("Weight", {"weight": {"inKilograms": 72.5, "inPounds": 159.8}}, Metric.BODY_MASS, 72.5),
        ("Weight", {"weight": {"inGrams": 72500}}, Metric.BODY_MASS, 72.5),
        # 160 lb x 0.45359237 = 72.5747792 kg
        ("Weight", {"weight": {"value": 160, "unit": "pounds"}}, Metric.BODY_MASS, 72.5747792),
        ("OxygenSaturation", {"percentage": 97}, Metric.SPO2, 97.0),
        ("OxygenSaturation", {"percentage": {"value": 96.5}}, Metric.SPO2, 96.5),
        ("BloodGlucose", {"level": {"inMillimolesPerLiter": 5.4, "inMilligramsPerDeciliter": 97.3}},
         Metric.BLOOD_GLUCOSE, 5.4),
        # 90 mg/dL x 10 / 180.15588 = 4.99567 mmol/L
        ("BloodGlucose", {"level": {"value": 90, "unit": "milligramsPerDeciliter"}},
         Metric.BLOOD_GLUCOSE, 4.995674),
        ("BodyTemperature", {"temperature": {"inCelsius": 37.2}}, Metric.BODY_TEMPERATURE, 37.2),
        # (98.6 - 32) x 5 / 9 = 37 °C
        ("BodyTemperature", {"temperature": {"inFahrenheit": 98.6}}, Metric.BODY_TEMPERATURE, 37.0),
        ("RespiratoryRate", {"rate": 14.5}, Metric.RESPIRATORY_RATE, 14.5),
    ],
)  # fmt: skip
def test_instant_records(kind: str, fields: Any, metric: Metric, value: float) -> None:
    [(m, start, end, v, _)] = mapped(kind, time=T, **fields)
    assert (m, start, end) == (metric, T_MS, T_MS)
    assert v == pytest.approx(value, rel=1e-6)


def test_blood_pressure_is_two_samples() -> None:
    got = mapped(
        "BloodPressure",
        time=T,
        systolic={"inMillimetersOfMercury": 128},
        diastolic={"inMillimetersOfMercury": 84},
    )
    assert got == [
        (Metric.BLOOD_PRESSURE_SYSTOLIC, T_MS, T_MS, 128.0, None),
        (Metric.BLOOD_PRESSURE_DIASTOLIC, T_MS, T_MS, 84.0, None),
    ]


def test_heart_rate_series_gives_one_sample_each() -> None:
    got = mapped(
        "HeartRate",
        startTime=T,
        endTime=END,
        samples=[
            {"time": T, "beatsPerMinute": 61},
            {"time": "2026-05-02T06:00:05Z", "beatsPerMinute": 63},
        ],
    )
    assert got == [
        (Metric.HEART_RATE, T_MS, T_MS, 61.0, None),
        (Metric.HEART_RATE, T_MS + 5000, T_MS + 5000, 63.0, None),
    ]
    assert refused("HeartRate", startTime=T, endTime=END, samples=[])[0] == "malformed"


def test_sleep_stages() -> None:
    def stage(a: int, b: int, n: int) -> dict[str, Any]:
        iso = "2026-05-02T0{}:00:00Z"
        return {"startTime": iso.format(a), "endTime": iso.format(b), "stage": n}

    # 0 unknown -> asleep (Health Connect's own sleep total counts it); 1 awake; 2 sleeping;
    # 3 out of bed -> nothing; 4 light -> core; 5 deep; 6 REM; 7 awake in bed -> awake
    stages = [stage(0, 1, 4), stage(1, 2, 5), stage(2, 3, 6), stage(3, 4, 1), stage(4, 5, 3),
              stage(5, 6, 2), stage(6, 7, 7), stage(7, 8, 0)]  # fmt: skip
    got = mapped("SleepSession", startTime="2026-05-02T00:00:00Z", endTime=T, stages=stages)
    assert [(s[4], s[3]) for s in got] == [
        ("core", 60.0),
        ("deep", 60.0),
        ("rem", 60.0),
        ("awake", 60.0),
        ("asleep", 60.0),
        ("awake", 60.0),
        ("asleep", 60.0),
    ]
    # no stages: the whole session is sleep, as in Health Connect's own total
    [whole] = mapped("SleepSession", startTime="2026-05-01T22:00:00Z", endTime=T)
    assert (whole[0], whole[3], whole[4]) == (Metric.SLEEP, 480.0, "asleep")
    bad = refused("SleepSession", startTime=T, endTime=END, stages=[stage(6, 7, 9)])
    assert bad == ("malformed", "sleep stage 9")


def test_every_contract_type_is_read_or_refused_with_its_own_reason() -> None:
    assert len(RECORD_TYPES) == 13
    assert mapped("HeartRateVariabilityRmssd", time=T, heartRateVariabilityMillis=40) == [
        (Metric.HRV_RMSSD, T_MS, T_MS, 40.0, None)
    ]
    assert refused("TotalCaloriesBurned", startTime=T, endTime=END, energy={}) == (
        "unknown_type",
        "TotalCaloriesBurned is not read",
    )


@pytest.mark.parametrize(
    ("fields", "reason"),
    [
        ({"weight": {"value": 11, "unit": "stones"}}, "unknown_unit"),
        ({"weight": {"inStones": 11}}, "unknown_unit"),
        ({"weight": 72}, "unknown_unit"),
        ({"weight": {"value": 72, "unit": "inKilograms"}}, "unknown_unit"),
        ({"weight": {"inKilograms": None}}, "malformed"),
        ({"weight": {"inKilograms": "72"}}, "malformed"),
        ({}, "malformed"),
    ],
)
def test_units_and_shapes_refused(fields: Any, reason: str) -> None:
    assert refused("Weight", time=T, **fields)[0] == reason


def test_times_are_instants_and_an_offset_completes_a_naive_one() -> None:
    # 08:00 at +02:00 is 06:00Z, whether the offset is in the time or beside it
    for fields in (
        {"time": "2026-05-02T08:00:00+02:00"},
        {"time": "2026-05-02T08:00:00", "zoneOffset": "+02:00"},
        {"time": "2026-05-02T08:00:00", "zoneOffset": {"id": "+02:00", "totalSeconds": 7200}},
        {"time": T, "zoneOffset": {"id": "-05:00", "totalSeconds": -18000}},  # an instant wins
    ):
        [(_, start, _, _, _)] = mapped("RespiratoryRate", rate=14, **fields)
        assert start == T_MS
    assert refused("RespiratoryRate", rate=14, time="2026-05-02T08:00:00")[0] == "malformed"
    assert refused("RespiratoryRate", rate=14, time="2026-05-02T08:00:00", zoneOffset="nope")[
        0
    ] == ("malformed")


@pytest.mark.parametrize(
    ("device", "kind"),
    [(1, SourceKind.WATCH), (4, SourceKind.WATCH), (6, SourceKind.WATCH), (2, SourceKind.PHONE),
     (3, SourceKind.DEVICE), (7, SourceKind.DEVICE), (0, SourceKind.OTHER), (5, SourceKind.OTHER),
     (8, SourceKind.OTHER), (None, SourceKind.OTHER)],
)  # fmt: skip
def test_device_types_rank_as_the_contract_says(device: int | None, kind: SourceKind) -> None:
    got = record("Steps", device=device, startTime=T, endTime=END, count=1)
    assert isinstance(got, MappedRecord)
    assert got.samples[0].source.kind is kind


def test_a_source_is_the_app_plus_its_device() -> None:
    ring = {"type": 4, "manufacturer": "Oura", "model": "Ring Gen3"}
    got = record(
        "Steps", device=ring, origin={"packageName": "com.ouraring.oura"}, startTime=T,
        endTime=END, count=1,
    )  # fmt: skip
    assert isinstance(got, MappedRecord)
    source = got.samples[0].source
    assert (source.key, source.name, source.kind, source.device) == (
        "hc:com.ouraring.oura:4:Oura:Ring Gen3",
        "Oura · Oura Ring Gen3",
        SourceKind.WATCH,
        "Oura Ring Gen3",
    )
    bare = record("Steps", device=2, origin="org.example.pedometer", startTime=T, endTime=END, count=1)  # fmt: skip
    assert isinstance(bare, MappedRecord)
    assert (bare.samples[0].source.key, bare.samples[0].source.name) == (
        "hc:org.example.pedometer:2::",
        "org.example.pedometer · phone",
    )


def test_what_a_broken_record_still_tells() -> None:
    assert map_record(msgspec.Raw(b"[1, 2]")) == RefusedRecord(
        id="", reason="malformed", detail="not a JSON object"
    )
    assert map_record(msgspec.Raw(b"{}")) == RefusedRecord(
        id="", reason="malformed", detail="no recordType"
    )
    got = map_record(msgspec.Raw(b'{"recordType": "Steps", "metadata": {"id": "x"}}'))
    assert isinstance(got, RefusedRecord) and (got.id, got.reason) == ("x", "malformed")
