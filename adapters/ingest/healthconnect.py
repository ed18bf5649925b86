"""Android Health Connect sync: records as Android clients produce them, mapped to samples.

A record is the JSON of `readRecords` or of the changes API's upsertions (the shape
react-native-health-connect gives, contracts §7) plus its `recordType`. Each maps to
zero or more samples in the units of contracts §2, or to a rejection with a reason;
one bad record never fails the batch. Times are instants: the zone offsets Health
Connect keeps beside them only complete a time sent without one (days are the
citizen's, §4).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from typing import Annotated, Final

import msgspec

from app.domain.metrics import Metric, SleepStage
from app.domain.samples import RejectReason, Sample, Source, SourceKind
from app.domain.time import to_ms
from app.services.healthconnect import MappedRecord, RefusedRecord

__all__ = [
    "MAX_RECORDS",
    "RECORD_TYPES",
    "HealthConnectBatch",
    "map_record",
    "source_for",
]

#: records, and deleted ids, per batch (contracts §7)
MAX_RECORDS = 5000

#: the reason beyond `RejectReason`: a record type we do not read
UNKNOWN_TYPE = "unknown_type"


class HealthConnectBatch(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """`POST /v1/me/healthconnect/records`: records (decoded one by one) and deleted ids."""

    #: Health Connect records, each with its `recordType` (contracts §7)
    records: list[msgspec.Raw] = []
    #: `metadata.id`s the changes API reported deleted
    deleted: list[Annotated[str, msgspec.Meta(min_length=1, max_length=200)]] = []


# --- the wire shapes -------------------------------------------------------------------


class _Origin(msgspec.Struct, frozen=True, kw_only=True):
    packageName: str = ""


class _Device(msgspec.Struct, frozen=True, kw_only=True):
    type: int = 0
    manufacturer: str | None = None
    model: str | None = None


class _Metadata(msgspec.Struct, frozen=True, kw_only=True):
    id: Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
    lastModifiedTime: datetime
    dataOrigin: str | _Origin = ""
    device: int | _Device | None = None


class _Offset(msgspec.Struct, frozen=True, kw_only=True):
    id: str | None = None
    totalSeconds: int | None = None


#: "+02:00", {"id": "+02:00", "totalSeconds": 7200}, or absent
_ZoneOffset = str | _Offset | None
#: a unit object as react-native-health-connect reads it ({"inKilograms": 72.5, …}) or
#: writes it ({"value": 72.5, "unit": "kilograms"})
_Quantity = dict[str, float | str | None] | float


class _Base(msgspec.Struct, frozen=True, kw_only=True, tag_field="recordType"):
    metadata: _Metadata


class _Interval(_Base, frozen=True, kw_only=True):
    startTime: datetime
    endTime: datetime
    startZoneOffset: _ZoneOffset = None
    endZoneOffset: _ZoneOffset = None


class _Instant(_Base, frozen=True, kw_only=True):
    time: datetime
    zoneOffset: _ZoneOffset = None


class Steps(_Interval, frozen=True, kw_only=True, tag="Steps"):
    count: float


class Distance(_Interval, frozen=True, kw_only=True, tag="Distance"):
    distance: _Quantity


class ActiveCaloriesBurned(_Interval, frozen=True, kw_only=True, tag="ActiveCaloriesBurned"):
    energy: _Quantity


class _HeartRateSample(msgspec.Struct, frozen=True, kw_only=True):
    time: datetime
    beatsPerMinute: float


class HeartRate(_Interval, frozen=True, kw_only=True, tag="HeartRate"):
    samples: list[_HeartRateSample]


class _SleepStage(msgspec.Struct, frozen=True, kw_only=True):
    startTime: datetime
    endTime: datetime
    stage: int = 0


class SleepSession(_Interval, frozen=True, kw_only=True, tag="SleepSession"):
    stages: list[_SleepStage] = []


class RestingHeartRate(_Instant, frozen=True, kw_only=True, tag="RestingHeartRate"):
    beatsPerMinute: float


class Weight(_Instant, frozen=True, kw_only=True, tag="Weight"):
    weight: _Quantity


class BloodPressure(_Instant, frozen=True, kw_only=True, tag="BloodPressure"):
    systolic: _Quantity
    diastolic: _Quantity


class OxygenSaturation(_Instant, frozen=True, kw_only=True, tag="OxygenSaturation"):
    percentage: _Quantity


class BloodGlucose(_Instant, frozen=True, kw_only=True, tag="BloodGlucose"):
    level: _Quantity


class BodyTemperature(_Instant, frozen=True, kw_only=True, tag="BodyTemperature"):
    temperature: _Quantity


class RespiratoryRate(_Instant, frozen=True, kw_only=True, tag="RespiratoryRate"):
    rate: float


class HeartRateVariabilityRmssd(
    _Instant, frozen=True, kw_only=True, tag="HeartRateVariabilityRmssd"
):
    heartRateVariabilityMillis: float


_Record = (
    Steps
    | Distance
    | ActiveCaloriesBurned
    | HeartRate
    | SleepSession
    | RestingHeartRate
    | Weight
    | BloodPressure
    | OxygenSaturation
    | BloodGlucose
    | BodyTemperature
    | RespiratoryRate
    | HeartRateVariabilityRmssd
)

#: every record type of contracts §7
RECORD_TYPES: Final = (
    "Steps",
    "Distance",
    "ActiveCaloriesBurned",
    "HeartRate",
    "SleepSession",
    "RestingHeartRate",
    "Weight",
    "BloodPressure",
    "OxygenSaturation",
    "BloodGlucose",
    "BodyTemperature",
    "RespiratoryRate",
    "HeartRateVariabilityRmssd",
)


class _HeadMeta(msgspec.Struct, frozen=True):
    id: object = None


class _Head(msgspec.Struct, frozen=True):
    """What a record that does not decode still tells: its type and id, when it has them."""

    recordType: object = None
    metadata: _HeadMeta | None = None


_DECODE_RECORD = msgspec.json.Decoder(_Record)
_DECODE_HEAD = msgspec.json.Decoder(_Head)


class _Refusal(Exception):
    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(detail)
        self.reason = reason
        self.detail = detail


# --- units -------------------------------------------------------------------------------

_Convert = Callable[[float], float]


def _scale(factor: float) -> _Convert:
    return lambda v: v * factor


def _identity(v: float) -> float:
    return v


def _fahrenheit(v: float) -> float:
    return (v - 32.0) * 5.0 / 9.0


#: per quantity: the key contracts §7 names, then every "inX" key and every written
#: `unit` name Health Connect has for it, each with its conversion to the §2 unit
_MASS: dict[str, _Convert] = {
    "inKilograms": _identity,
    "inGrams": _scale(1e-3),
    "inMilligrams": _scale(1e-6),
    "inMicrograms": _scale(1e-9),
    "inPounds": _scale(0.45359237),
    "inOunces": _scale(0.45359237 / 16),
    "kilograms": _identity,
    "grams": _scale(1e-3),
    "milligrams": _scale(1e-6),
    "micrograms": _scale(1e-9),
    "pounds": _scale(0.45359237),
    "ounces": _scale(0.45359237 / 16),
}
_LENGTH: dict[str, _Convert] = {
    "inMeters": _identity,
    "inKilometers": _scale(1000.0),
    "inMiles": _scale(1609.344),
    "inFeet": _scale(0.3048),
    "inInches": _scale(0.0254),
    "meters": _identity,
    "kilometers": _scale(1000.0),
    "miles": _scale(1609.344),
    "feet": _scale(0.3048),
    "inches": _scale(0.0254),
}
#: Health Connect's "calories" are small calories; kilocalories are the §2 kcal
_ENERGY: dict[str, _Convert] = {
    "inKilocalories": _identity,
    "inCalories": _scale(1e-3),
    "inKilojoules": _scale(1 / 4.184),
    "inJoules": _scale(1 / 4184.0),
    "kilocalories": _identity,
    "calories": _scale(1e-3),
    "kilojoules": _scale(1 / 4.184),
    "joules": _scale(1 / 4184.0),
}
_PRESSURE: dict[str, _Convert] = {
    "inMillimetersOfMercury": _identity,
    "millimetersOfMercury": _identity,
}
_GLUCOSE: dict[str, _Convert] = {
    "inMillimolesPerLiter": _identity,
    "inMilligramsPerDeciliter": _scale(10 / 180.15588),
    "millimolesPerLiter": _identity,
    "milligramsPerDeciliter": _scale(10 / 180.15588),
}
_TEMPERATURE: dict[str, _Convert] = {
    "inCelsius": _identity,
    "inFahrenheit": _fahrenheit,
    "celsius": _identity,
    "fahrenheit": _fahrenheit,
}
#: OxygenSaturation's `percentage` is 0–100 (a bare number, or {"value": 97})
_PERCENT: dict[str, _Convert] = {"value": _identity, "percent": _identity}


def _finite(value: object, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise _Refusal(RejectReason.MALFORMED.value, f"{what} is not a finite number")
    return float(value)


def _read_key(key: str) -> bool:
    """ "inKilograms" (how a read record names a unit), not "inches" (a written unit)."""
    return key[:2] == "in" and key[2:3].isupper()


def _quantity(q: _Quantity, table: dict[str, _Convert], first: str, what: str) -> float:
    """The value in the §2 unit, from the first unit key of `table` the object carries."""
    if not isinstance(q, dict):
        if table is _PERCENT:
            return _finite(q, what)
        raise _Refusal(RejectReason.UNKNOWN_UNIT.value, f"{what} has no unit")
    if first in q:
        return table[first](_finite(q[first], what))
    unit = q.get("unit")
    if isinstance(unit, str):
        convert = table.get(unit)
        if convert is None or _read_key(unit):
            raise _Refusal(RejectReason.UNKNOWN_UNIT.value, f"{what} in {unit!r}")
        return convert(_finite(q.get("value"), what))
    for key, raw in q.items():
        convert = table.get(key)
        if convert is not None and _read_key(key):
            return convert(_finite(raw, what))
    keys = ", ".join(sorted(q)) or "nothing"
    raise _Refusal(RejectReason.UNKNOWN_UNIT.value, f"{what} has no unit we know ({keys})")


# --- times -------------------------------------------------------------------------------


def _offset(z: _ZoneOffset) -> timezone | None:
    if z is None:
        return None
    if isinstance(z, _Offset):
        if z.totalSeconds is not None:
            return timezone(timedelta(seconds=z.totalSeconds))
        if z.id is None:
            return None
        text = z.id
    else:
        text = z
    if text == "Z":
        return UTC
    try:
        parsed = datetime.fromisoformat(f"2000-01-01T00:00:00{text}")
    except ValueError:
        raise _Refusal(RejectReason.MALFORMED.value, f"zone offset {text!r}") from None
    return parsed.tzinfo if isinstance(parsed.tzinfo, timezone) else None


def _ms(t: datetime, zone: _ZoneOffset, what: str) -> int:
    """UTC epoch ms of an instant; a time sent without an offset takes its zone offset."""
    if t.tzinfo is None:
        tz = _offset(zone)
        if tz is None:
            raise _Refusal(RejectReason.MALFORMED.value, f"{what} has no offset")
        t = t.replace(tzinfo=tz)
    return to_ms(t)


# --- sources -----------------------------------------------------------------------------

#: Health Connect device types (androidx Device.TYPE_*) -> our kind (§4, §7): a watch,
#: ring or band first, then a phone, then home devices, then the rest
_KINDS: dict[int, SourceKind] = {
    1: SourceKind.WATCH,
    2: SourceKind.PHONE,
    3: SourceKind.DEVICE,
    4: SourceKind.WATCH,
    6: SourceKind.WATCH,
    7: SourceKind.DEVICE,
}
_TYPE_NAMES: dict[int, str] = {
    0: "unknown",
    1: "watch",
    2: "phone",
    3: "scale",
    4: "ring",
    5: "head-mounted",
    6: "fitness band",
    7: "chest strap",
    8: "smart display",
}

#: the apps a reader knows by name; any other app is shown by its package name
_APPS: dict[str, str] = {
    "com.sec.android.app.shealth": "Samsung Health",
    "com.google.android.apps.fitness": "Google Fit",
    "com.garmin.android.apps.connectmobile": "Garmin Connect",
    "com.withings.wiscale2": "Withings Health Mate",
    "com.ouraring.oura": "Oura",
    "com.fitbit.FitbitMobile": "Fitbit",
    "fi.polar.polarflow": "Polar Flow",
    "com.xiaomi.wearable": "Mi Fitness",
    "com.huawei.health": "Huawei Health",
    "com.google.android.apps.healthdata": "Health Connect",
    "com.android.healthconnect.controller": "Health Connect",
}

_SOURCES: dict[tuple[str, int, str, str], Source] = {}
_SOURCES_MAX = 10_000


def source_for(package: str, device: int | _Device | None) -> Source:
    """The source of a record: its app (`dataOrigin`) plus its device.

    Key "hc:<package>:<device type>:<manufacturer>:<model>". Name "<app> · <device>",
    so a person tells Samsung Health on the watch from Samsung Health on the phone.
    """
    if isinstance(device, _Device):
        kind_no, maker, model = device.type, device.manufacturer or "", device.model or ""
    else:
        kind_no, maker, model = device or 0, "", ""
    text_key = (package, kind_no, maker, model)
    src = _SOURCES.get(text_key)
    if src is None:
        if len(_SOURCES) >= _SOURCES_MAX:
            _SOURCES.clear()
        app = _APPS.get(package, package or "Health Connect")
        what = " ".join(p for p in (maker, model) if p) or _TYPE_NAMES.get(kind_no, "device")
        src = _SOURCES[text_key] = Source(
            key=f"hc:{package}:{kind_no}:{maker}:{model}",
            name=f"{app} · {what}",
            kind=_KINDS.get(kind_no, SourceKind.OTHER),
            device=" ".join(p for p in (maker, model) if p) or None,
        )
    return src


# --- records -----------------------------------------------------------------------------

#: Health Connect sleep stages (SleepSessionRecord.STAGE_TYPE_*) -> ours. Out of bed (3)
#: gives no sample. Unknown (0) counts as asleep, as Health Connect's own sleep total
#: counts it; light sleep is Apple's "core".
_STAGES: dict[int, SleepStage | None] = {
    0: SleepStage.ASLEEP,
    1: SleepStage.AWAKE,
    2: SleepStage.ASLEEP,
    3: None,
    4: SleepStage.CORE,
    5: SleepStage.DEEP,
    6: SleepStage.REM,
    7: SleepStage.AWAKE,
}


def _samples(r: _Record, source: Source) -> list[Sample]:
    def one(metric: Metric, start: int, end: int, value: float, stage: str | None = None) -> Sample:
        return Sample(
            metric=metric, start_ms=start, end_ms=end, value=value, source=source, stage=stage
        )

    if isinstance(r, _Interval):
        start = _ms(r.startTime, r.startZoneOffset, "startTime")
        end = _ms(r.endTime, r.endZoneOffset, "endTime")
        if isinstance(r, Steps):
            return [one(Metric.STEPS, start, end, _finite(r.count, "count"))]
        if isinstance(r, Distance):
            value = _quantity(r.distance, _LENGTH, "inMeters", "distance")
            return [one(Metric.DISTANCE, start, end, value)]
        if isinstance(r, ActiveCaloriesBurned):
            value = _quantity(r.energy, _ENERGY, "inKilocalories", "energy")
            return [one(Metric.ACTIVE_ENERGY, start, end, value)]
        if isinstance(r, HeartRate):
            if not r.samples:
                raise _Refusal(RejectReason.MALFORMED.value, "a heart-rate series without samples")
            out = []
            for s in r.samples:
                t = _ms(s.time, r.startZoneOffset, "samples.time")
                out.append(one(Metric.HEART_RATE, t, t, _finite(s.beatsPerMinute, "bpm")))
            return out
        if isinstance(r, SleepSession):
            if not r.stages:
                return [one(Metric.SLEEP, start, end, (end - start) / 60_000, SleepStage.ASLEEP)]
            out = []
            for st in r.stages:
                if st.stage not in _STAGES:
                    raise _Refusal(RejectReason.MALFORMED.value, f"sleep stage {st.stage}")
                stage = _STAGES[st.stage]
                if stage is None:
                    continue
                a = _ms(st.startTime, r.startZoneOffset, "stages.startTime")
                b = _ms(st.endTime, r.endZoneOffset, "stages.endTime")
                out.append(one(Metric.SLEEP, a, b, (b - a) / 60_000, stage.value))
            return out
        raise AssertionError(type(r).__name__)  # pragma: no cover - the union is closed
    t = _ms(r.time, r.zoneOffset, "time")
    if isinstance(r, Weight):
        return [one(Metric.BODY_MASS, t, t, _quantity(r.weight, _MASS, "inKilograms", "weight"))]
    if isinstance(r, BloodPressure):
        sys_ = _quantity(r.systolic, _PRESSURE, "inMillimetersOfMercury", "systolic")
        dia = _quantity(r.diastolic, _PRESSURE, "inMillimetersOfMercury", "diastolic")
        return [
            one(Metric.BLOOD_PRESSURE_SYSTOLIC, t, t, sys_),
            one(Metric.BLOOD_PRESSURE_DIASTOLIC, t, t, dia),
        ]
    if isinstance(r, OxygenSaturation):
        return [one(Metric.SPO2, t, t, _quantity(r.percentage, _PERCENT, "value", "percentage"))]
    if isinstance(r, BloodGlucose):
        value = _quantity(r.level, _GLUCOSE, "inMillimolesPerLiter", "level")
        return [one(Metric.BLOOD_GLUCOSE, t, t, value)]
    if isinstance(r, BodyTemperature):
        value = _quantity(r.temperature, _TEMPERATURE, "inCelsius", "temperature")
        return [one(Metric.BODY_TEMPERATURE, t, t, value)]
    if isinstance(r, RespiratoryRate):
        return [one(Metric.RESPIRATORY_RATE, t, t, _finite(r.rate, "rate"))]
    if isinstance(r, RestingHeartRate):
        value = _finite(r.beatsPerMinute, "beatsPerMinute")
        return [one(Metric.RESTING_HEART_RATE, t, t, value)]
    if isinstance(r, HeartRateVariabilityRmssd):
        # its own metric: RMSSD and SDNN differ, and a GP must not read one as the other
        value = _finite(r.heartRateVariabilityMillis, "heartRateVariabilityMillis")
        return [one(Metric.HRV_RMSSD, t, t, value)]
    raise AssertionError(type(r).__name__)  # pragma: no cover - the union is closed


def _refused_head(raw: msgspec.Raw, error: str) -> RefusedRecord:
    try:
        head = _DECODE_HEAD.decode(raw)
    except msgspec.DecodeError:
        return RefusedRecord(id="", reason=RejectReason.MALFORMED.value, detail="not a JSON object")
    rid = head.metadata.id if head.metadata is not None else None
    rid = rid if isinstance(rid, str) else ""
    kind = head.recordType
    if not isinstance(kind, str):
        return RefusedRecord(id=rid, reason=RejectReason.MALFORMED.value, detail="no recordType")
    if kind not in RECORD_TYPES:
        return RefusedRecord(id=rid, reason=UNKNOWN_TYPE, detail=f"{kind} is not read")
    return RefusedRecord(id=rid, reason=RejectReason.MALFORMED.value, detail=error)


def map_record(raw: msgspec.Raw) -> MappedRecord | RefusedRecord:
    """One record's samples in §2 units, or why it is refused."""
    try:
        r = _DECODE_RECORD.decode(raw)
    except msgspec.DecodeError as exc:  # also ValidationError
        return _refused_head(raw, str(exc))
    meta = r.metadata
    try:
        modified_ms = _ms(meta.lastModifiedTime, None, "metadata.lastModifiedTime")
        origin = (
            meta.dataOrigin if isinstance(meta.dataOrigin, str) else meta.dataOrigin.packageName
        )
        samples = _samples(r, source_for(origin, meta.device))
    except _Refusal as refusal:
        return RefusedRecord(id=meta.id, reason=refusal.reason, detail=refusal.detail)
    return MappedRecord(id=meta.id, modified_ms=modified_ms, samples=samples)
