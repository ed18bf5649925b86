"""The records of a synthetic Apple Health export, generated in time order (see
`apple_health_gen`): local-time formatting, and a writer with one method per kind of
event (steps, heart rate, vitals, sleep, workouts, ignored types).
"""

from __future__ import annotations

import random
from datetime import UTC, datetime
from typing import Final
from zoneinfo import ZoneInfo

from adapters.ingest.apple_health_counts import GeneratedExport

__all__ = ["EventWriter", "LocalClock"]


_WATCH: Final = "Anna’s Apple Watch"
_PHONE: Final = "Anna’s iPhone"
_Q: Final = "HKQuantityTypeIdentifier"


class LocalClock:
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


class EventWriter:
    """Generates events in time order and appends their XML to a buffer flushed often."""

    def __init__(
        self, out: GeneratedExport, rng: random.Random, clock: LocalClock, t0: int
    ) -> None:
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
