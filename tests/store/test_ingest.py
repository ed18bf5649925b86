"""Apple Health and FIT files through the ingest service into each engine: §3 and §4."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from adapters.clock import FixedClock
from adapters.ingest.files import BROKEN_FILE, detect_format, item_source
from app.domain.metrics import Metric
from app.ports import Store
from app.services.ingest import ImportReport, ingest
from app.services.wearables import daily_series

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
FIXTURES = Path(__file__).parents[1].parent / "fixtures"

WATCH = (
    'sourceName="Anna’s Apple Watch" device="&lt;&lt;HKDevice: 0x1&gt;, name:Apple Watch, '
    'manufacturer:Apple Inc., model:Watch, hardware:Watch6,1, software:10.1&gt;"'
)
PHONE = (
    'sourceName="Anna’s iPhone" device="&lt;&lt;HKDevice: 0x2&gt;, name:iPhone, '
    'manufacturer:Apple Inc., model:iPhone, hardware:iPhone14,2, software:17.1&gt;"'
)
DTD = """<!DOCTYPE HealthData [
<!ELEMENT HealthData (ExportDate,Me,(Record|Correlation|Workout)*)>
<!ATTLIST HealthData locale CDATA #REQUIRED>
<!ELEMENT ExportDate EMPTY>
<!ATTLIST ExportDate value CDATA #REQUIRED>
]>"""


def rec(kind: str, src: str, start: str, end: str, value: float | str, unit: str) -> str:
    return (
        f'<Record type="HKQuantityTypeIdentifier{kind}" {src} unit="{unit}" '
        f'creationDate="{end}" startDate="{start}" endDate="{end}" value="{value}"/>'
    )


def export(path: Path, *records: str) -> Path:
    body = "\n".join(records)
    path.write_text(
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'{DTD}\n<HealthData locale="da_DK">\n<ExportDate value="2026-11-19 10:00:00 +0100"/>\n'
        f'<Me HKCharacteristicTypeIdentifierDateOfBirth=""/>\n{body}\n</HealthData>\n',
        encoding="utf-8",
    )
    return path


async def run(store: Store, path: Path) -> ImportReport:
    fmt = detect_format(path)
    return await ingest(
        store,
        FixedClock(NOW),
        citizen_id="c1",
        items=item_source(path, fmt),
        import_id="i",
        fmt=fmt,
    )


async def days(store: Store, metric: Metric, first: str, last: str) -> list[dict[str, object]]:
    import msgspec

    async with store.read() as uow:
        series = await daily_series(
            uow,
            citizen_id="c1",
            metric=metric,
            first=date.fromisoformat(first),
            last=date.fromisoformat(last),
        )
    return msgspec.to_builtins(series.days)  # type: ignore[no-any-return]


async def test_overlapping_watch_and_phone_steps(store: Store, tmp_path: Path) -> None:
    path = export(
        tmp_path / "export.xml",
        # phone: 10:00-12:00, 1200 steps; the watch covers 10:30-11:30 with 900
        rec(
            "StepCount",
            PHONE,
            "2024-05-02 10:00:00 +0200",
            "2024-05-02 12:00:00 +0200",
            1200,
            "count",
        ),
        rec(
            "StepCount",
            WATCH,
            "2024-05-02 10:30:00 +0200",
            "2024-05-02 11:30:00 +0200",
            900,
            "count",
        ),
    )
    report = await run(store, path)
    assert (report.records_read, report.samples_stored, report.duplicates) == (2, 2, 0)
    # the phone keeps 1 of its 2 hours: 600; the watch 900 → 1500 (sum 2100, watch 900)
    assert await days(store, Metric.STEPS, "2024-05-02", "2024-05-02") == [
        {"date": "2024-05-02", "sum": 1500.0}
    ]


async def test_record_over_midnight_is_split_by_time(store: Store, tmp_path: Path) -> None:
    path = export(
        tmp_path / "export.xml",
        rec(
            "StepCount",
            WATCH,
            "2024-05-02 23:00:00 +0200",
            "2024-05-03 01:00:00 +0200",
            400,
            "count",
        ),
    )
    await run(store, path)
    assert await days(store, Metric.STEPS, "2024-05-01", "2024-05-04") == [
        {"date": "2024-05-02", "sum": 200.0},
        {"date": "2024-05-03", "sum": 200.0},
    ]


async def test_daylight_saving_days(store: Store, tmp_path: Path) -> None:
    path = export(
        tmp_path / "export.xml",
        # 2024-03-31 is 23 hours long in Copenhagen: 00:00 +0100 to 24:00 +0200
        rec(
            "StepCount",
            WATCH,
            "2024-03-30 23:00:00 +0100",
            "2024-03-31 01:00:00 +0100",
            120,
            "count",
        ),
        rec(
            "StepCount",
            WATCH,
            "2024-03-31 23:30:00 +0200",
            "2024-04-01 00:30:00 +0200",
            100,
            "count",
        ),
        # 2024-10-27 is 25 hours long: 02:00-03:00 happens twice
        rec(
            "StepCount",
            WATCH,
            "2024-10-27 02:30:00 +0200",
            "2024-10-27 02:30:00 +0100",
            60,
            "count",
        ),
        rec(
            "StepCount",
            WATCH,
            "2024-10-27 23:30:00 +0100",
            "2024-10-28 00:30:00 +0100",
            50,
            "count",
        ),
    )
    await run(store, path)
    assert await days(store, Metric.STEPS, "2024-03-30", "2024-04-01") == [
        {"date": "2024-03-30", "sum": 60.0},
        {"date": "2024-03-31", "sum": 110.0},
        {"date": "2024-04-01", "sum": 50.0},
    ]
    assert await days(store, Metric.STEPS, "2024-10-27", "2024-10-28") == [
        {"date": "2024-10-27", "sum": 85.0},
        {"date": "2024-10-28", "sum": 25.0},
    ]


async def test_blood_pressure_correlation_counts_once(store: Store, tmp_path: Path) -> None:
    t0, t1 = "2024-05-02 08:00:00 +0200", "2024-05-02 08:00:00 +0200"
    sys_rec = rec("BloodPressureSystolic", PHONE, t0, t1, 132, "mmHg")
    dia_rec = rec("BloodPressureDiastolic", PHONE, t0, t1, 84, "mmHg")
    corr = (
        f'<Correlation type="HKCorrelationTypeIdentifierBloodPressure" {PHONE} '
        f'creationDate="{t1}" startDate="{t0}" endDate="{t1}">{sys_rec}{dia_rec}</Correlation>'
    )
    report = await run(store, export(tmp_path / "export.xml", corr, sys_rec, dia_rec))
    assert report.samples_stored == 2 and report.duplicates == 2
    assert await days(store, Metric.BLOOD_PRESSURE_SYSTOLIC, "2024-05-02", "2024-05-02") == [
        {"date": "2024-05-02", "count": 1, "min": 132.0, "max": 132.0, "mean": 132.0}
    ]


async def test_units_lb_spo2_and_glucose(store: Store, tmp_path: Path) -> None:
    t = "2024-05-02 08:00:00 +0200"
    t2 = "2024-05-02 09:00:00 +0200"
    await run(
        store,
        export(
            tmp_path / "export.xml",
            rec("BodyMass", PHONE, t, t, 154.32, "lb"),
            rec("BodyMass", PHONE, t2, t2, 70, "kg"),
            rec("OxygenSaturation", WATCH, t, t, 0.97, "%"),
            rec("BloodGlucose", PHONE, t, t, 99, "mg/dL"),
            rec("BloodGlucose", PHONE, t2, t2, 5.5, "mmol&lt;180.1558800000541&gt;/L"),
        ),
    )
    (mass,) = await days(store, Metric.BODY_MASS, "2024-05-02", "2024-05-02")
    assert mass["min"] == pytest.approx(154.32 * 0.45359237) and mass["max"] == pytest.approx(70.0)
    (spo2,) = await days(store, Metric.SPO2, "2024-05-02", "2024-05-02")
    assert spo2["mean"] == pytest.approx(97.0)
    (glucose,) = await days(store, Metric.BLOOD_GLUCOSE, "2024-05-02", "2024-05-02")
    assert glucose["min"] == pytest.approx(5.495, abs=1e-3) and glucose["max"] == 5.5


async def test_reimport_and_superset_store_only_new(store: Store, tmp_path: Path) -> None:
    a = rec(
        "HeartRate",
        WATCH,
        "2024-05-02 08:00:00 +0200",
        "2024-05-02 08:00:00 +0200",
        61,
        "count/min",
    )
    b = rec(
        "HeartRate",
        WATCH,
        "2024-05-02 09:00:00 +0200",
        "2024-05-02 09:00:00 +0200",
        71,
        "count/min",
    )
    c = rec(
        "HeartRate",
        WATCH,
        "2024-05-03 09:00:00 +0200",
        "2024-05-03 09:00:00 +0200",
        81,
        "count/min",
    )
    first = await run(store, export(tmp_path / "one.xml", a, b, a))
    assert (first.samples_stored, first.duplicates) == (2, 1)  # an exact duplicate record
    again = await run(store, export(tmp_path / "one.xml", a, b, a))
    assert (again.samples_stored, again.duplicates) == (0, 3)
    superset = await run(store, export(tmp_path / "two.xml", a, b, c))
    assert (superset.samples_stored, superset.duplicates) == (1, 2)
    assert [
        d["count"] for d in await days(store, Metric.HEART_RATE, "2024-05-01", "2024-05-04")
    ] == [2, 1]


async def test_implausible_and_future_samples_are_rejected(store: Store, tmp_path: Path) -> None:
    t = "2024-05-02 08:00:00 +0200"
    report = await run(
        store,
        export(
            tmp_path / "export.xml",
            rec("HeartRate", WATCH, t, t, 300, "count/min"),
            rec("HeartRate", WATCH, t, t, 19, "count/min"),
            rec(
                "HeartRate",
                WATCH,
                "2030-01-01 08:00:00 +0100",
                "2030-01-01 08:00:00 +0100",
                70,
                "count/min",
            ),
            rec("StepCount", WATCH, "2024-05-02 09:00:00 +0200", t, 10, "count"),
            rec("HeartRate", WATCH, t, t, 70, "furlongs"),
            rec("HeartRate", WATCH, t, t, 70, "count/min"),
        ),
    )
    assert report.samples_stored == 1 and report.rejected == 5
    assert report.rejected_reasons["implausible_value"] == 2
    assert report.rejected_reasons["future_time"] == 1
    assert report.rejected_reasons["bad_interval"] == 1
    assert report.rejected_reasons["unknown_unit"] == 1


async def _stored(store: Store) -> int:
    async with store.read() as uow:
        return len(await uow.samples.between("c1", "heart_rate", 0, 2**62))


async def test_broken_file_halfway_stores_nothing(store: Store, tmp_path: Path) -> None:
    good = rec(
        "HeartRate",
        WATCH,
        "2024-05-02 08:00:00 +0200",
        "2024-05-02 08:00:00 +0200",
        61,
        "count/min",
    )
    path = export(
        tmp_path / "export.xml", *[good.replace("61", str(60 + i % 30)) for i in range(50_000)]
    )
    data = path.read_bytes()
    path.write_bytes(data[: len(data) - 5000])  # truncated near the end
    with pytest.raises(BROKEN_FILE):
        await run(store, path)
    assert await _stored(store) == 0


async def test_hostile_xml_stores_nothing(store: Store, tmp_path: Path) -> None:
    path = tmp_path / "export.xml"
    path.write_text(
        '<?xml version="1.0"?><!DOCTYPE HealthData [<!ENTITY a "aaaaaaaaaa">'
        '<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]><HealthData>&b;</HealthData>'
    )
    with pytest.raises(BROKEN_FILE) as info:
        await run(store, path)
    assert getattr(info.value, "kind", "") == "xml-entity-declaration"
    assert await _stored(store) == 0


async def test_fit_walk_heart_rate_matches_its_records_csv(store: Store) -> None:
    import csv

    path = FIXTURES / "fit" / "garmin-fenix-5-walk.fit"
    report = await run(store, path)
    assert report.format == "fit" and report.samples_stored >= 1
    with (FIXTURES / "fit" / "garmin-fenix-5-walk-records.csv").open() as f:
        rates = [float(r["heart_rate"]) for r in csv.DictReader(f) if r.get("heart_rate")]
    (day,) = await days(store, Metric.HEART_RATE, "2017-06-11", "2017-06-11")
    assert day["count"] == len(rates)
    assert day["min"] == min(rates) and day["max"] == max(rates)
