"""Synthetic Apple Health exports for tests and benchmarks, written in streaming fashion.

Real exports cannot be shared (they are health data) and the public sample is tiny, so the
reader's tests and the import benchmark need files that look like the real thing at any
size: Apple's internal DTD, `ExportDate` and `Me`, iPhone and Apple Watch step records that
overlap in time, heart rate with metadata children, blood pressure correlations whose
children also stand at top level, body mass in lb and kg, SpO2 as fractions, glucose in both
units, sleep stages, workouts with statistics and routes, types the reader ignores, and
local times in Europe/Copenhagen across DST changes. The file is written as it is generated
(never built in memory) and is the same for the same seed.

`GeneratedExport` says what was written, counted as it was written, so a test can compare
the reader's counts with the generator's without parsing the file twice.
"""

from __future__ import annotations

import itertools
import random
import zipfile
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Final

from adapters.ingest.apple_health_counts import GeneratedExport
from adapters.ingest.apple_health_dtd import DTD
from adapters.ingest.apple_health_events import EventWriter, LocalClock

__all__ = ["DTD", "GeneratedExport", "generate_export", "generate_hr_dense_export", "zip_export"]


def generate_export(
    path: Path,
    *,
    records: int,
    seed: int,
    start: datetime = datetime(2023, 1, 1, tzinfo=UTC),
    zone: str = "Europe/Copenhagen",
    dtd: bool = True,
) -> GeneratedExport:
    """Write an export.xml of exactly `records` Record elements; the same seed, the same file.

    Time advances by 20–400 s per event from `start`, so a million records span years and
    cross many DST changes. A workout is written now and then; it is not a Record.
    """
    rng = random.Random(seed)  # noqa: S311 - synthetic test data, not secrets
    clock = LocalClock(zone)
    out = GeneratedExport(path=path)
    w = EventWriter(out, rng, clock, int(start.timestamp()))
    # (weight, records the event writes, event)
    events = (
        (30, 2, w.steps),
        (28, 1, w.heart_rate),
        (9, 1, w.distance),
        (9, 1, w.energy),
        (8, 1, w.vitals),
        (2, 1, w.scale_and_glucose),
        (2, 4, w.blood_pressure),
        (5, 1, w.sleep),
        (6, 1, w.ignored),
    )
    cum_weights = list(itertools.accumulate(e[0] for e in events))
    with path.open("w", encoding="utf-8", newline="\n") as f:
        f.write('<?xml version="1.0" encoding="UTF-8"?>\n')
        if dtd:
            f.write(DTD)
        f.write('<HealthData locale="da_DK">\n')
        f.write(f' <ExportDate value="{clock(w.t + 86_400 * 3650)}"/>\n')
        f.write(
            ' <Me HKCharacteristicTypeIdentifierDateOfBirth="1961-05-04" '
            'HKCharacteristicTypeIdentifierBiologicalSex="HKBiologicalSexFemale" '
            'HKCharacteristicTypeIdentifierBloodType="HKBloodTypeNotSet" '
            'HKCharacteristicTypeIdentifierFitzpatrickSkinType="HKFitzpatrickSkinTypeNotSet"/>\n'
        )
        while out.records < records:
            w.t += rng.randint(20, 400)
            left = records - out.records
            _weight, n, event = rng.choices(events, cum_weights=cum_weights)[0]
            if n > left:
                w.heart_rate()
            else:
                event()
            if rng.random() < 0.002:
                w.workout()
            if len(w.buf) >= 2000:
                f.write("".join(w.buf))
                w.buf.clear()
        f.write("".join(w.buf))
        f.write("</HealthData>\n")
    return out


#: hours of the day (UTC) the watch is worn in the heart-rate-dense shape: 17 of 24, taken
#: off at night to charge
_WORN: Final = (5 * 3600, 22 * 3600)


def generate_hr_dense_export(
    path: Path,
    *,
    days: int = 365,
    hr_per_hour: int = 150,
    seed: int,
    start: datetime = datetime(2023, 1, 1, tzinfo=UTC),
    zone: str = "Europe/Copenhagen",
    dtd: bool = True,
) -> GeneratedExport:
    """An export dense in heart rate, as a Watch with frequent background readings writes it.

    `days` days of heart rate at about `hr_per_hour` samples an hour while the watch is
    worn (17 hours a day; a quarter of them with a motion-context child), then everyday steps from the iPhone and the Watch (about 40
    walks a day each), a weighing a day, a blood-pressure reading a day (a correlation
    whose two children also stand at top level), SpO2 and glucose now and then. Records are
    grouped by type and in time order within a type, as Apple writes them. At the defaults
    (a year, 150 an hour) it is about 965,000 records; the same seed, the same file.
    """
    rng = random.Random(seed)  # noqa: S311 - synthetic test data, not secrets
    clock = LocalClock(zone)
    out = GeneratedExport(path=path)
    day0 = int(start.timestamp()) // 86_400 * 86_400
    w = EventWriter(out, rng, clock, day0)
    gap = 3600 / hr_per_hour
    lo, hi = max(1, round(gap / 2)), max(1, round(gap * 3 / 2))

    def every_day(event: Callable[[], None], per_day: float, span: tuple[int, int]) -> None:
        """`event` about `per_day` times a day at random times in `span`, in time order."""
        for d in range(days):
            base = day0 + d * 86_400
            n = int(per_day) + (rng.random() < per_day % 1)
            for t in sorted(rng.randint(*span) for _ in range(n)):
                w.t = base + t
                event()
            flush()

    def flush() -> None:
        if len(w.buf) >= 2000:
            f.write("".join(w.buf))
            w.buf.clear()

    with path.open("w", encoding="utf-8", newline="\n") as f:
        f.write('<?xml version="1.0" encoding="UTF-8"?>\n')
        if dtd:
            f.write(DTD)
        f.write('<HealthData locale="da_DK">\n')
        f.write(f' <ExportDate value="{clock(day0 + 86_400 * (days + 1))}"/>\n')
        f.write(' <Me HKCharacteristicTypeIdentifierDateOfBirth="1961-05-04"/>\n')
        for d in range(days):
            t = day0 + d * 86_400 + _WORN[0]
            end = day0 + d * 86_400 + _WORN[1]
            while t < end:
                w.t = t
                # background readings mostly carry no motion context
                w.heart_rate(with_context=rng.random() < 0.25)
                t += rng.randint(lo, hi)
                flush()
        every_day(w.steps, 40, (6 * 3600, 21 * 3600))
        every_day(w.weighing, 1, (5 * 3600, 8 * 3600))
        every_day(w.blood_pressure, 1, (6 * 3600, 20 * 3600))
        every_day(w.spo2, 6, (0, 86_399))
        every_day(w.glucose, 2, (6 * 3600, 21 * 3600))
        f.write("".join(w.buf))
        f.write("</HealthData>\n")
    return out


def zip_export(
    xml_path: Path,
    zip_path: Path,
    *,
    member_name: str = "apple_health_export/export.xml",
    with_others: bool = True,
) -> Path:
    """Zip an export as Apple does (deflated, in a folder), streaming it in.

    With `with_others`, a CDA document and a route file come first, so a reader that takes
    the first member or goes by the name `export.xml` alone is caught out.
    """
    with zipfile.ZipFile(zip_path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        if with_others:
            zf.writestr(
                "apple_health_export/export_cda.xml",
                '<?xml version="1.0"?>\n<ClinicalDocument xmlns="urn:hl7-org:v3"/>\n',
            )
            zf.writestr(
                "apple_health_export/workout-routes/route_2023-01-01_8.00am.gpx",
                '<?xml version="1.0"?>\n<gpx version="1.1"/>\n',
            )
        with xml_path.open("rb") as src, zf.open(member_name, "w", force_zip64=True) as dst:
            while chunk := src.read(1 << 20):
                dst.write(chunk)
    return zip_path
