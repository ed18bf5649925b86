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
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Final
from zoneinfo import ZoneInfo

__all__ = ["DTD", "GeneratedExport", "generate_export", "generate_hr_dense_export", "zip_export"]

#: a condensed internal DTD in the shape of Apple's (declarations only, no entities)
DTD: Final = """<!DOCTYPE HealthData [
<!-- HealthKit Export Version: 13 (synthetic) -->
<!ELEMENT HealthData (ExportDate,Me,(Record|Correlation|Workout|ActivitySummary)*)>
<!ATTLIST HealthData
  locale CDATA #REQUIRED
>
<!ELEMENT ExportDate EMPTY>
<!ATTLIST ExportDate
  value CDATA #REQUIRED
>
<!ELEMENT Me EMPTY>
<!ATTLIST Me
  HKCharacteristicTypeIdentifierDateOfBirth         CDATA #REQUIRED
  HKCharacteristicTypeIdentifierBiologicalSex       CDATA #REQUIRED
  HKCharacteristicTypeIdentifierBloodType           CDATA #REQUIRED
  HKCharacteristicTypeIdentifierFitzpatrickSkinType CDATA #REQUIRED
>
<!ELEMENT Record ((MetadataEntry|HeartRateVariabilityMetadataList)*)>
<!ATTLIST Record
  type          CDATA #REQUIRED
  unit          CDATA #IMPLIED
  value         CDATA #IMPLIED
  sourceName    CDATA #REQUIRED
  sourceVersion CDATA #IMPLIED
  device        CDATA #IMPLIED
  creationDate  CDATA #IMPLIED
  startDate     CDATA #REQUIRED
  endDate       CDATA #REQUIRED
>
<!ELEMENT MetadataEntry EMPTY>
<!ATTLIST MetadataEntry
  key   CDATA #REQUIRED
  value CDATA #REQUIRED
>
<!ELEMENT HeartRateVariabilityMetadataList (InstantaneousBeatsPerMinute*)>
<!ELEMENT InstantaneousBeatsPerMinute EMPTY>
<!ATTLIST InstantaneousBeatsPerMinute
  bpm  CDATA #REQUIRED
  time CDATA #REQUIRED
>
<!ELEMENT Correlation ((MetadataEntry|Record)*)>
<!ATTLIST Correlation
  type          CDATA #REQUIRED
  sourceName    CDATA #REQUIRED
  sourceVersion CDATA #IMPLIED
  device        CDATA #IMPLIED
  creationDate  CDATA #IMPLIED
  startDate     CDATA #REQUIRED
  endDate       CDATA #REQUIRED
>
<!ELEMENT Workout ((MetadataEntry|WorkoutEvent|WorkoutRoute|WorkoutStatistics)*)>
<!ATTLIST Workout
  workoutActivityType   CDATA #REQUIRED
  duration              CDATA #IMPLIED
  durationUnit          CDATA #IMPLIED
  totalDistance         CDATA #IMPLIED
  totalDistanceUnit     CDATA #IMPLIED
  totalEnergyBurned     CDATA #IMPLIED
  totalEnergyBurnedUnit CDATA #IMPLIED
  sourceName            CDATA #REQUIRED
  sourceVersion         CDATA #IMPLIED
  device                CDATA #IMPLIED
  creationDate          CDATA #IMPLIED
  startDate             CDATA #REQUIRED
  endDate               CDATA #REQUIRED
>
<!ELEMENT WorkoutEvent EMPTY>
<!ATTLIST WorkoutEvent
  type         CDATA #REQUIRED
  date         CDATA #REQUIRED
  duration     CDATA #IMPLIED
  durationUnit CDATA #IMPLIED
>
<!ELEMENT WorkoutStatistics EMPTY>
<!ATTLIST WorkoutStatistics
  type      CDATA #REQUIRED
  startDate CDATA #REQUIRED
  endDate   CDATA #REQUIRED
  average   CDATA #IMPLIED
  minimum   CDATA #IMPLIED
  maximum   CDATA #IMPLIED
  sum       CDATA #IMPLIED
  unit      CDATA #IMPLIED
>
<!ELEMENT WorkoutRoute ((MetadataEntry|FileReference)*)>
<!ATTLIST WorkoutRoute
  sourceName    CDATA #REQUIRED
  sourceVersion CDATA #IMPLIED
  device        CDATA #IMPLIED
  creationDate  CDATA #IMPLIED
  startDate     CDATA #REQUIRED
  endDate       CDATA #REQUIRED
>
<!ELEMENT FileReference EMPTY>
<!ATTLIST FileReference
  path CDATA #REQUIRED
>
<!ELEMENT ActivitySummary EMPTY>
<!ATTLIST ActivitySummary
  dateComponents         CDATA #IMPLIED
  activeEnergyBurned     CDATA #IMPLIED
  activeEnergyBurnedGoal CDATA #IMPLIED
  activeEnergyBurnedUnit CDATA #IMPLIED
>
]>
"""

_WATCH: Final = "Anna’s Apple Watch"
_PHONE: Final = "Anna’s iPhone"
_Q: Final = "HKQuantityTypeIdentifier"


@dataclass
class GeneratedExport:
    """What a generated file holds, counted while writing it."""

    path: Path
    #: `Record` elements written, correlation children included
    records: int = 0
    #: Record elements per type identifier (correlation children included)
    by_type: Counter[str] = field(default_factory=Counter)
    #: records inside correlations (each also written at top level)
    correlation_children: int = 0
    correlations: int = 0
    workouts: int = 0
    #: records of types the reader does not map
    ignored: int = 0


class _Clock:
    """Formats UTC seconds as Apple's local "YYYY-MM-DD HH:MM:SS +hhmm", cached per minute."""

    def __init__(self, zone: str) -> None:
        self._tz = ZoneInfo(zone)
        self._minutes: dict[int, tuple[str, str]] = {}

    def __call__(self, t: int) -> str:
        minute, sec = divmod(t, 60)
        parts = self._minutes.get(minute)
        if parts is None:
            if len(self._minutes) > 50_000:
                self._minutes.clear()
            local = datetime.fromtimestamp(minute * 60, UTC).astimezone(self._tz)
            parts = (local.strftime("%Y-%m-%d %H:%M:"), local.strftime(" %z"))
            self._minutes[minute] = parts
        return f"{parts[0]}{sec:02d}{parts[1]}"


class _Writer:
    """Generates events in time order and appends their XML to a buffer flushed often."""

    def __init__(self, out: GeneratedExport, rng: random.Random, clock: _Clock, t0: int) -> None:
        self.out = out
        self.rng = rng
        self.clock = clock
        self.t = t0
        self.buf: list[str] = []
        self._addr: dict[str, str] = {}

    def device(self, who: str) -> str:
        """An HKDevice description; its object address changes now and then, as in real ones."""
        rng = self.rng
        if who not in self._addr or rng.random() < 0.02:
            self._addr[who] = f"0x{rng.getrandbits(36):09x}"
        addr = self._addr[who]
        if who == "watch":
            body = "name:Apple Watch, manufacturer:Apple Inc., model:Watch, hardware:Watch6,1"
            return f"&lt;&lt;HKDevice: {addr}&gt;, {body}, software:10.1&gt;"
        body = "name:iPhone, manufacturer:Apple Inc., model:iPhone, hardware:iPhone14,5"
        return f"&lt;&lt;HKDevice: {addr}&gt;, {body}, software:17.1&gt;"

    def record(
        self,
        typ: str,
        source: str,
        device: str | None,
        unit: str | None,
        value: str,
        start: int,
        end: int,
        children: str = "",
        indent: str = " ",
    ) -> str:
        out = self.out
        out.records += 1
        out.by_type[typ] += 1
        clock = self.clock
        dev = f' device="{device}"' if device is not None else ""
        unit_attr = f' unit="{unit}"' if unit is not None else ""
        head = (
            f'{indent}<Record type="{typ}" sourceName="{source}" sourceVersion="10.1"{dev}'
            f'{unit_attr} creationDate="{clock(end + 5)}" startDate="{clock(start)}" '
            f'endDate="{clock(end)}" value="{value}"'
        )
        if children:
            return f"{head}>\n{children}{indent}</Record>\n"
        return f"{head}/>\n"

    # --- events: each appends XML and returns nothing; `self.t` is the current time ---

    def steps(self) -> None:
        rng, t = self.rng, self.t
        d = rng.randint(60, 600)
        self.buf.append(
            self.record(
                f"{_Q}StepCount",
                _WATCH,
                self.device("watch"),
                "count",
                str(rng.randint(10, 900)),
                t,
                t + d,
            )
        )
        # the phone counts the same walk, shifted and a little differently
        s = t + rng.randint(-120, 120)
        self.buf.append(
            self.record(
                f"{_Q}StepCount",
                _PHONE,
                self.device("phone"),
                "count",
                str(rng.randint(10, 900)),
                s,
                s + rng.randint(60, 600),
            )
        )

    def heart_rate(self, with_context: bool = True) -> None:
        rng, t = self.rng, self.t
        meta = (
            f'  <MetadataEntry key="HKMetadataKeyHeartRateMotionContext" value="{rng.randint(0, 2)}"/>\n'
            if with_context
            else ""
        )
        self.buf.append(
            self.record(
                f"{_Q}HeartRate",
                _WATCH,
                self.device("watch"),
                "count/min",
                str(rng.randint(48, 160)),
                t,
                t,
                children=meta,
            )
        )

    def distance(self) -> None:
        rng, t = self.rng, self.t
        km = rng.random() < 0.7
        value = round(rng.uniform(0.01, 0.8), 5)
        self.buf.append(
            self.record(
                f"{_Q}DistanceWalkingRunning",
                _WATCH,
                self.device("watch"),
                "km" if km else "mi",
                str(value if km else round(value / 1.609344, 5)),
                t,
                t + rng.randint(60, 600),
            )
        )

    def energy(self) -> None:
        rng, t = self.rng, self.t
        self.buf.append(
            self.record(
                f"{_Q}ActiveEnergyBurned",
                _WATCH,
                self.device("watch"),
                rng.choice(("Cal", "kcal", "kJ")),
                str(round(rng.uniform(0.1, 30.0), 3)),
                t,
                t + rng.randint(30, 300),
            )
        )

    def vitals(self) -> None:
        rng, t = self.rng, self.t
        kind = rng.randrange(5)
        dev = self.device("watch")
        if kind == 0:
            rec = self.record(
                f"{_Q}RestingHeartRate",
                _WATCH,
                dev,
                "count/min",
                str(rng.randint(45, 75)),
                t,
                t + 86_000,
            )
        elif kind == 1:
            beats = "".join(
                f'   <InstantaneousBeatsPerMinute bpm="{rng.randint(55, 90)}" '
                f'time="{i}:{i:02d}:00,{i:02d} AM"/>\n'
                for i in range(1, 6)
            )
            children = f"  <HeartRateVariabilityMetadataList>\n{beats}  </HeartRateVariabilityMetadataList>\n"
            rec = self.record(
                f"{_Q}HeartRateVariabilitySDNN",
                _WATCH,
                dev,
                "ms",
                str(round(rng.uniform(15, 120), 4)),
                t,
                t + 60,
                children,
            )
        elif kind == 2:
            rec = self.record(
                f"{_Q}RespiratoryRate",
                _WATCH,
                dev,
                "count/min",
                str(rng.choice((13, 13.5, 14, 15.5, 17))),
                t,
                t + 300,
            )
        elif kind == 3:
            rec = self.record(
                f"{_Q}OxygenSaturation", _WATCH, dev, "%", str(rng.randint(90, 100) / 100), t, t
            )
        else:
            degf = rng.random() < 0.5
            c = round(rng.uniform(36.1, 37.8), 1)
            rec = self.record(
                f"{_Q}BodyTemperature",
                "Thermo",
                None,
                "degF" if degf else "degC",
                str(round(c * 9 / 5 + 32, 1) if degf else c),
                t,
                t,
            )
        self.buf.append(rec)

    def scale_and_glucose(self) -> None:
        if self.rng.random() < 0.5:
            self.weighing()
        else:
            self.glucose()

    def weighing(self) -> None:
        rng, t = self.rng, self.t
        lb = rng.random() < 0.5
        kg = round(rng.uniform(60, 90), 1)
        dev = (
            "&lt;&lt;HKDevice: 0x2815a0000&gt;, name:Body+, manufacturer:Withings, model:WBS05&gt;"
        )
        self.buf.append(
            self.record(
                f"{_Q}BodyMass",
                "Health Mate",
                dev,
                "lb" if lb else "kg",
                str(round(kg / 0.45359237, 1) if lb else kg),
                t,
                t,
            )
        )

    def glucose(self) -> None:
        rng, t = self.rng, self.t
        mgdl = rng.random() < 0.5
        mmol = round(rng.uniform(4.0, 9.0), 1)
        unit = "mg/dL" if mgdl else "mmol&lt;180.1558800000541&gt;/L"
        value = str(round(mmol * 18.015588) if mgdl else mmol)
        self.buf.append(self.record(f"{_Q}BloodGlucose", "Glucose Buddy", None, unit, value, t, t))

    def spo2(self) -> None:
        rng, t = self.rng, self.t
        self.buf.append(
            self.record(
                f"{_Q}OxygenSaturation",
                _WATCH,
                self.device("watch"),
                "%",
                str(rng.randint(90, 100) / 100),
                t,
                t,
            )
        )

    def blood_pressure(self) -> None:
        rng, t = self.rng, self.t
        sys_v, dia_v = str(rng.randint(105, 150)), str(rng.randint(60, 95))
        src = "Omron connect"
        dev = "&lt;&lt;HKDevice: 0x2815a1111&gt;, name:M7, manufacturer:Omron, model:HEM-7361T&gt;"
        out = self.out
        out.correlations += 1
        out.correlation_children += 2
        children = self.record(
            f"{_Q}BloodPressureSystolic", src, dev, "mmHg", sys_v, t, t, indent="  "
        ) + self.record(f"{_Q}BloodPressureDiastolic", src, dev, "mmHg", dia_v, t, t, indent="  ")
        clock = self.clock
        self.buf.append(
            self.record(f"{_Q}BloodPressureSystolic", src, dev, "mmHg", sys_v, t, t)
            + self.record(f"{_Q}BloodPressureDiastolic", src, dev, "mmHg", dia_v, t, t)
            + f' <Correlation type="HKCorrelationTypeIdentifierBloodPressure" sourceName="{src}" '
            f'sourceVersion="2" device="{dev}" creationDate="{clock(t + 5)}" '
            f'startDate="{clock(t)}" endDate="{clock(t)}">\n'
            f'  <MetadataEntry key="HKWasUserEntered" value="0"/>\n{children} </Correlation>\n'
        )

    def sleep(self) -> None:
        rng, t = self.rng, self.t
        stage = rng.choice(("InBed", "AsleepCore", "AsleepDeep", "AsleepREM", "Awake", "Asleep"))
        self.buf.append(
            self.record(
                "HKCategoryTypeIdentifierSleepAnalysis",
                _WATCH,
                self.device("watch"),
                None,
                f"HKCategoryValueSleepAnalysis{stage}",
                t,
                t + rng.randint(120, 3600),
            )
        )

    def ignored(self) -> None:
        rng, t = self.rng, self.t
        typ, unit = rng.choice(
            (
                (f"{_Q}BasalEnergyBurned", "Cal"),
                (f"{_Q}FlightsClimbed", "count"),
                (f"{_Q}AppleExerciseTime", "min"),
                ("HKCategoryTypeIdentifierAppleStandHour", None),
            )
        )
        value = "HKCategoryValueAppleStandHourStood" if unit is None else str(rng.randint(1, 40))
        self.out.ignored += 1
        self.buf.append(self.record(typ, _WATCH, self.device("watch"), unit, value, t, t + 60))

    def workout(self) -> None:
        rng, t = self.rng, self.t
        d = rng.randint(900, 5400)
        clock = self.clock
        km = round(d / 360 * rng.uniform(0.8, 1.2), 3)
        cal = round(d / 6 * rng.uniform(0.8, 1.2), 3)
        dev = self.device("watch")
        self.out.workouts += 1
        s, e = clock(t), clock(t + d)
        self.buf.append(
            f' <Workout workoutActivityType="HKWorkoutActivityTypeRunning" duration="{d / 60:.4f}" '
            f'durationUnit="min" totalDistance="{km}" totalDistanceUnit="km" '
            f'totalEnergyBurned="{cal}" totalEnergyBurnedUnit="kcal" sourceName="{_WATCH}" '
            f'sourceVersion="10.1" device="{dev}" creationDate="{e}" startDate="{s}" endDate="{e}">\n'
            f'  <MetadataEntry key="HKIndoorWorkout" value="0"/>\n'
            f'  <WorkoutEvent type="HKWorkoutEventTypeSegment" date="{s}" duration="{d / 60:.4f}" '
            f'durationUnit="min"/>\n'
            f'  <WorkoutStatistics type="{_Q}ActiveEnergyBurned" startDate="{s}" endDate="{e}" '
            f'sum="{cal}" unit="Cal"/>\n'
            f'  <WorkoutStatistics type="{_Q}DistanceWalkingRunning" startDate="{s}" '
            f'endDate="{e}" sum="{km}" unit="km"/>\n'
            f'  <WorkoutStatistics type="{_Q}HeartRate" startDate="{s}" endDate="{e}" '
            f'average="141" minimum="98" maximum="171" unit="count/min"/>\n'
            f'  <WorkoutRoute sourceName="{_PHONE}" sourceVersion="17.1" creationDate="{e}" '
            f'startDate="{s}" endDate="{e}">\n'
            f'   <FileReference path="/workout-routes/route_{t}.gpx"/>\n'
            f"  </WorkoutRoute>\n </Workout>\n"
        )


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
    clock = _Clock(zone)
    out = GeneratedExport(path=path)
    w = _Writer(out, rng, clock, int(start.timestamp()))
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
    clock = _Clock(zone)
    out = GeneratedExport(path=path)
    day0 = int(start.timestamp()) // 86_400 * 86_400
    w = _Writer(out, rng, clock, day0)
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
