"""The export's FHIR entries and zip writer, without a database (ADR 0022)."""

from __future__ import annotations

import json
import tracemalloc
import zipfile
from collections.abc import AsyncIterator, Sequence
from datetime import UTC, datetime
from pathlib import Path

from adapters.exports.archive import BUNDLE, ExportArchive
from adapters.exports.fhir import ExportFhir, bp_pairs
from app.domain.ids import stable_id, stable_id_maker
from app.ports.exports import StoredSample

T0 = 1_767_225_600_000  # 2026-01-01T00:00:00Z
MIN = 60_000


def _fhir() -> ExportFhir:
    return ExportFhir(
        citizen_id="c1",
        name="Anna",
        timezone="Europe/Copenhagen",
        generated_at=datetime(2026, 12, 1, tzinfo=UTC),
        sources={1: {"key": "cuff", "name": "Måler", "kind": "device", "device": None}},
    )


async def _pages(rows: list[StoredSample], size: int) -> AsyncIterator[Sequence[StoredSample]]:
    for i in range(0, len(rows), size):
        yield rows[i : i + size]


def test_the_fast_id_maker_gives_stable_ids() -> None:
    make = stable_id_maker("fhir-export", "obs", "c1")
    for rest in (("heart_rate", "0", "1"), ("x",), ("æøå", "")):
        assert make(*rest) == stable_id("fhir-export", "obs", "c1", *rest)


async def test_blood_pressure_pairs_by_source_and_time_across_pages() -> None:
    def s(minute: int, value: float, source: int = 1) -> StoredSample:
        return (T0 + minute * MIN, source, T0 + minute * MIN, value, "", None)

    systolic = [s(0, 120), s(1, 130), s(3, 140), s(5, 150, source=2)]
    diastolic = [s(0, 80), s(2, 85), s(3, 90), s(5, 95)]
    got = [
        pair
        async for batch in bp_pairs(_pages(systolic, 1), _pages(diastolic, 3), batch=2)
        for pair in batch
    ]
    values = [(a[3] if a else None, b[3] if b else None) for a, b in got]
    # minute 5: same time, other source (1 before 2): two lone readings
    assert values == [(120, 80), (130, None), (None, 85), (140, 90), (None, 95), (150, None)]
    entries = list(_fhir().bp_panels(got))
    codes = [e["resource"]["code"]["coding"][0]["code"] for e in entries]
    assert codes == ["85354-9", "8480-6", "8462-4", "85354-9", "8462-4", "8480-6"]
    # source 2 is no device we know: no reference, and nothing made up
    assert "device" not in entries[-1]["resource"]
    assert entries[0]["resource"]["device"] == _fhir().device_refs[1]


def _write(path: Path, samples: int) -> int:
    fhir = _fhir()
    archive = ExportArchive(path, datetime(2026, 12, 1, tzinfo=UTC))
    archive.begin_bundle(fhir.header("e1"))
    archive.add_entries([fhir.patient(), *fhir.devices()])
    tracemalloc.start()
    for first in range(0, samples, 5000):
        rows = [
            (T0 + i * MIN, 1, T0 + i * MIN, 60.0 + i % 30, "", None)
            for i in range(first, min(samples, first + 5000))
        ]
        archive.add_entries(fhir.observations("heart_rate", rows))
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    archive.end_bundle()
    archive.close()
    return peak


def test_memory_holds_one_page_however_many_samples(tmp_path: Path) -> None:
    small = _write(tmp_path / "a.zip", 10_000)
    large = _write(tmp_path / "b.zip", 60_000)
    # six times the samples, the same page: the peak does not grow with the count
    assert large < small * 1.5, (small, large)
    with zipfile.ZipFile(tmp_path / "b.zip") as z:
        info = z.getinfo(BUNDLE)
        bundle = json.loads(z.read(BUNDLE))
    assert len(bundle["entry"]) == 1 + 1 + 60_000
    assert info.compress_size < info.file_size / 10
    first = bundle["entry"][2]["resource"]
    assert first["effectiveDateTime"] == "2026-01-01T01:00:00+01:00"
    assert first["valueQuantity"] == {
        "value": 60.0,
        "unit": "beats/min",
        "system": "http://unitsofmeasure.org",
        "code": "/min",
    }
