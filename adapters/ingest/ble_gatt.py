"""Decode the Bluetooth SIG health characteristics a home gateway uploads (contracts §5).

The gateway forwards raw notification bytes; this module turns one characteristic value
into a :class:`Reading` whose samples already speak the metric names and units of
contracts §2, so nothing downstream has to know about GATT, IEEE 11073 number formats or
imperial units. It is pure: no I/O, no clock, no global state beyond constant tables.

Layouts and worked examples follow the shared ``reference/ble-gatt.md``. Where the
reference is silent the choices are documented on :func:`decode` and next to the code.

Arithmetic is exact until the last step: an IEEE 11073 value is an integer mantissa
times a power of ten, and each unit conversion is a ratio of integers, so every value is
computed as one ``int / int`` division, which Python rounds correctly. ``18.9 kPa`` thus
becomes exactly the double nearest to ``141.761718`` mmHg, where float arithmetic gives
``141.76171799999997``, and 157.00 lb exactly ``71.21400209`` kg. The same reading
decoded twice, or by another exact decoder, gives the same float, which matters because
the store deduplicates samples on their value.
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Final, NamedTuple

import msgspec

from app.domain.metrics import METRICS, Metric

__all__ = ["GattError", "Reading", "Sample", "decode", "decode_hex"]


class GattError(ValueError):
    """A payload we cannot decode: unknown characteristic, bad hex, truncated or impossible.

    ``characteristic`` is the 16-bit code (``"2A35"``) when the UUID was recognised, else
    ``None``; ``offset`` is the byte offset in the payload the problem was found at (where
    a truncated payload ran out, or the byte holding an impossible value), else ``None``.
    It subclasses ``ValueError`` so callers that treat bad input generically still work.
    """

    def __init__(
        self, message: str, *, characteristic: str | None = None, offset: int | None = None
    ) -> None:
        super().__init__(message)
        self.characteristic = characteristic
        self.offset = offset


class Sample(msgspec.Struct, frozen=True, gc=False):
    """One normalised value: a §2 metric, its value, and the §2 unit it is expressed in."""

    metric: Metric
    value: float
    unit: str


class Reading(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True, gc=False):
    """One decoded characteristic value, in the shape of contracts §5.

    The first seven fields are always encoded (``time`` and ``user`` as ``null`` when not
    sent) so consumers see the §5 keys unconditionally. The rest are only encoded when
    they carry something, which keeps the common readings as small as §5 shows them.

    - ``time``: the device's local wall-clock time as sent, naive (devices send no zone);
      ``None`` when the payload has no time stamp or it says "unknown".
    - ``user``: the device's user index; ``None`` when not sent or 0xFF (unknown user).
    - ``samples``: values in §2 metrics and units.
    - ``status``: the device's status bits by name (only those the payload carries).
    - ``absent``: fields that were present but held no value: IEEE 11073 special values
      (NaN, NRes, ±INF, reserved), weight 0xFFFF, heart rate 0, a time stamp saying
      "unknown". Named by the metric (``"heart_rate"``) or the ``extra`` key they would
      have had, or ``"time"``.
    - ``sequence``: glucose record sequence number; the gateway dedupes on
      (device, sequence) because meters resend their whole memory.
    - ``control_solution``: a glucose reading of control solution; it has no samples.
    - ``withheld``: why samples were withheld although values were decoded
      (``"control_solution"``, ``"demonstration_data"``, ``"test_data"``): those values do
      not describe the person.
    - ``sample_type``: glucose sample type (``"capillary_whole_blood"`` …).
    - ``location``: where the body was measured (temperature type, glucose location).
    - ``extra``: decoded quantities that are not §2 metrics, the unit in the key:
      ``mean_arterial_pressure_mmhg``, ``energy_expended_kj``, ``bmi``, ``height_m``,
      ``spo2_fast_pct``, ``pulse_rate_fast_bpm``, ``spo2_slow_pct``,
      ``pulse_rate_slow_bpm``, ``pulse_amplitude_index_pct``.
    - ``rr_intervals_ms``: heart-rate RR intervals in milliseconds (raw / 1024 s).
    - ``excess_bytes``: trailing bytes beyond what the flags call for (kept, reported).

    Not tracked by the cyclic garbage collector (``gc=False``): it holds only numbers,
    strings and containers of those, so it cannot be part of a cycle, and a gateway
    batch decodes a thousand of them.
    """

    characteristic: str
    name: str
    time: datetime | None
    user: int | None
    samples: list[Sample]
    status: dict[str, bool]
    absent: list[str]
    sequence: int | None = None
    control_solution: bool = False
    withheld: str | None = None
    sample_type: str | None = None
    location: str | None = None
    extra: dict[str, float] = msgspec.field(default_factory=dict)
    rr_intervals_ms: list[float] = msgspec.field(default_factory=list)
    excess_bytes: int = 0


# --------------------------------------------------------------------------- numbers

#: Powers of ten for every exponent an SFLOAT (-8..7) or FLOAT (-128..127) can carry.
_POW10: Final[tuple[int, ...]] = tuple(10**i for i in range(129))

_FLOAT32: Final = struct.Struct("<I").unpack_from
_DATE_TIME: Final = struct.Struct("<HBBBBB").unpack_from

_UNIT_BPM: Final = METRICS[Metric.HEART_RATE].unit
_UNIT_MMHG: Final = METRICS[Metric.BLOOD_PRESSURE_SYSTOLIC].unit
_UNIT_KG: Final = METRICS[Metric.BODY_MASS].unit
_UNIT_PCT: Final = METRICS[Metric.SPO2].unit
_UNIT_MMOL: Final = METRICS[Metric.BLOOD_GLUCOSE].unit
_UNIT_CELSIUS: Final = METRICS[Metric.BODY_TEMPERATURE].unit

# Unit conversions as exact integer ratios (numerator, denominator).
_SAME: Final = (1, 1)
_KPA_TO_MMHG: Final = (750062, 100000)  # × 7.50062 (contracts §2)
# kg/L × 10^5 = mg/dL; mg/dL × 10 / 180.15588 = mmol/L  =>  kg/L × 10^11 / 18015588.
_KG_PER_L_TO_MMOL: Final = (10**11, 18015588)
_MOL_PER_L_TO_MMOL: Final = (1000, 1)


def _scaled(mantissa: int, exponent: int, num: int, den: int) -> float:
    """mantissa × 10^exponent × num / den, with a single correctly rounded division."""
    if exponent >= 0:
        return mantissa * _POW10[exponent] * num / den
    return mantissa * num / (den * _POW10[-exponent])


def _sfloat(raw: int, ratio: tuple[int, int] = _SAME) -> float | None:
    """Decode a 16-bit IEEE 11073 SFLOAT, times ``ratio``; ``None`` for a special value.

    The five special values (+INF 0x07FE, NaN 0x07FF, NRes 0x0800, reserved 0x0801,
    -INF 0x0802) happen to be contiguous, so one range test catches them all before any
    arithmetic, as 11073 requires. Both fields are two's complement and must be
    sign-extended: 0x0B2E is -1234, not 2862.
    """
    if 0x07FE <= raw <= 0x0802:
        return None
    mantissa = raw & 0x0FFF
    if mantissa >= 0x0800:
        mantissa -= 0x1000
    exponent = raw >> 12
    if exponent >= 8:
        exponent -= 16
    return _scaled(mantissa, exponent, ratio[0], ratio[1])


def _float32_parts(raw: int) -> tuple[int, int] | None:
    """Split a 32-bit IEEE 11073 FLOAT into (mantissa, exponent); ``None`` if special.

    Returned as parts, not a float, because °F → °C is affine and must see the exact
    decimal value. Special values 0x007FFFFE..0x00800002 are contiguous, like SFLOAT's.
    """
    if 0x007FFFFE <= raw <= 0x00800002:
        return None
    mantissa = raw & 0xFFFFFF
    if mantissa >= 0x800000:
        mantissa -= 0x1000000
    exponent = raw >> 24
    if exponent >= 128:
        exponent -= 256
    return mantissa, exponent


def _fahrenheit_to_celsius(mantissa: int, exponent: int) -> float:
    """(F − 32) × 5/9 exactly: contracts §2 asks for the exact conversion, not 0.5556."""
    if exponent >= 0:
        return (mantissa * _POW10[exponent] - 32) * 5 / 9
    scale = _POW10[-exponent]
    return (mantissa - 32 * scale) * 5 / (9 * scale)


# --------------------------------------------------------------------------- layouts

_FieldList = list[tuple[str, int]]
_Decoder = Callable[["_Spec", bytes, int, int], Reading]


class _Spec(NamedTuple):
    """Everything known about one characteristic.

    ``need[flags]`` is the payload length those flags require, precomputed from
    ``fields`` for all 256 flag bytes so the hot path checks length with one index, while
    the error path walks the same ``fields`` to name the field that ran out: one source of
    truth for both.
    """

    code: str
    name: str
    fields: Callable[[int], _FieldList]
    decoder: _Decoder
    need: tuple[int, ...]


def _bp_fields(flags: int) -> _FieldList:
    fields = [("systolic", 2), ("diastolic", 2), ("mean arterial pressure", 2)]
    if flags & 0x02:
        fields.append(("time stamp", 7))
    if flags & 0x04:
        fields.append(("pulse rate", 2))
    if flags & 0x08:
        fields.append(("user id", 1))
    if flags & 0x10:
        fields.append(("measurement status", 2))
    return fields


def _hr_fields(flags: int) -> _FieldList:
    fields = [("heart rate", 2 if flags & 0x01 else 1)]
    if flags & 0x08:
        fields.append(("energy expended", 2))
    if flags & 0x10:
        # The RR flag promises at least one interval; more may follow to the end.
        fields.append(("RR interval", 2))
    return fields


def _weight_fields(flags: int) -> _FieldList:
    fields = [("weight", 2)]
    if flags & 0x02:
        fields.append(("time stamp", 7))
    if flags & 0x04:
        fields.append(("user id", 1))
    if flags & 0x08:
        fields += [("BMI", 2), ("height", 2)]
    return fields


def _glucose_fields(flags: int) -> _FieldList:
    fields = [("sequence number", 2), ("base time", 7)]
    if flags & 0x01:
        fields.append(("time offset", 2))
    if flags & 0x02:
        fields += [("glucose concentration", 2), ("type and sample location", 1)]
    if flags & 0x08:
        fields.append(("sensor status annunciation", 2))
    return fields


def _plx_spot_fields(flags: int) -> _FieldList:
    fields = [("SpO2", 2), ("pulse rate", 2)]
    if flags & 0x01:
        fields.append(("time stamp", 7))
    if flags & 0x02:
        fields.append(("measurement status", 2))
    if flags & 0x04:
        fields.append(("device and sensor status", 3))
    if flags & 0x08:
        fields.append(("pulse amplitude index", 2))
    return fields


def _plx_continuous_fields(flags: int) -> _FieldList:
    fields = [("SpO2", 2), ("pulse rate", 2)]
    if flags & 0x01:
        fields += [("SpO2 fast", 2), ("pulse rate fast", 2)]
    if flags & 0x02:
        fields += [("SpO2 slow", 2), ("pulse rate slow", 2)]
    if flags & 0x04:
        fields.append(("measurement status", 2))
    if flags & 0x08:
        fields.append(("device and sensor status", 3))
    if flags & 0x10:
        fields.append(("pulse amplitude index", 2))
    return fields


def _temperature_fields(flags: int) -> _FieldList:
    fields = [("temperature", 4)]
    if flags & 0x02:
        fields.append(("time stamp", 7))
    if flags & 0x04:
        fields.append(("temperature type", 1))
    return fields


def _truncated(spec: _Spec, flags: int, payload_len: int) -> GattError:
    """Name the field a short payload ran out in (only called on the error path)."""
    prefix = f"{spec.code} {spec.name}"
    position = 1
    for field, size in spec.fields(flags):
        if position + size > payload_len:
            return GattError(
                f"{prefix}: truncated payload of {payload_len} bytes; flags 0x{flags:02X} "
                f"call for the {field} field at offset {position} ({size} byte(s)) but the "
                f"data ends at offset {payload_len}",
                characteristic=spec.code,
                offset=payload_len,
            )
        position += size
    raise AssertionError("need[] and fields() disagree")  # pragma: no cover


def _impossible(spec: _Spec, offset: int, what: str) -> GattError:
    return GattError(
        f"{spec.code} {spec.name}: impossible {what} at offset {offset}",
        characteristic=spec.code,
        offset=offset,
    )


def _date_time(spec: _Spec, payload: bytes, pos: int) -> datetime | None:
    """Read a 7-byte Date Time at ``pos``; ``None`` when the device says "unknown".

    Per the Date Time characteristic, year, month or day 0 means "not known", and the
    reference says to treat such a time stamp as absent (a meter whose clock was never set
    sends them). Anything else out of range is impossible, not unknown, and is an error
    at the offending byte: year 1..1581 or above 9999 (the characteristic's range is
    1582..9999), month > 12, a day the month does not have, hour > 23, minute or
    second > 59. Ranges are checked before the zero test, so month 13 is an error even
    when the year is unknown: such bytes are corrupt, not merely unset.
    """
    year, month, day, hour, minute, second = _DATE_TIME(payload, pos)
    if year > 9999 or 0 < year < 1582:
        raise _impossible(spec, pos, f"year {year}")
    if month > 12:
        raise _impossible(spec, pos + 2, f"month {month}")
    if day > 31:
        raise _impossible(spec, pos + 3, f"day {day}")
    if hour > 23:
        raise _impossible(spec, pos + 4, f"hour {hour}")
    if minute > 59:
        raise _impossible(spec, pos + 5, f"minute {minute}")
    if second > 59:
        raise _impossible(spec, pos + 6, f"second {second}")
    if year == 0 or month == 0 or day == 0:
        return None
    try:
        return datetime(year, month, day, hour, minute, second)  # naive on purpose: device-local
    except ValueError:  # only the day can still be wrong: 30 February, 31 April …
        raise _impossible(spec, pos + 3, f"date {year:04d}-{month:02d}-{day:02d}") from None


def _user(raw: int) -> int | None:
    """User index; 0xFF is "unknown user" in both BP and weight scale profiles."""
    return None if raw == 0xFF else raw


def _bits(word: int, names: tuple[tuple[int, str], ...]) -> dict[str, bool]:
    return {name: bool(word >> bit & 1) for bit, name in names}


_BP_STATUS: Final = (
    (0, "body_movement"),
    (1, "cuff_loose"),
    (2, "irregular_pulse"),
    (5, "improper_position"),
)

# Sensor status annunciation, bits 0-11; 12-15 are reserved. Bit 5 is "above" and bit 6
# "below" the device's range (the reference warns some decoders swap them).
_GLUCOSE_STATUS: Final = (
    (0, "battery_low"),
    (1, "sensor_malfunction"),
    (2, "sample_size_insufficient"),
    (3, "strip_insertion_error"),
    (4, "strip_type_incorrect"),
    (5, "result_above_range"),
    (6, "result_below_range"),
    (7, "sensor_temperature_too_high"),
    (8, "sensor_temperature_too_low"),
    (9, "read_interrupted"),
    (10, "general_device_fault"),
    (11, "time_fault"),
)

# PLX measurement status, bits 5-15 (0-4 reserved); same for spot-check and continuous.
_PLX_MEASUREMENT_STATUS: Final = (
    (5, "measurement_ongoing"),
    (6, "early_estimated_data"),
    (7, "validated_data"),
    (8, "fully_qualified_data"),
    (9, "data_from_storage"),
    (10, "data_for_demonstration"),
    (11, "data_for_testing"),
    (12, "calibration_ongoing"),
    (13, "measurement_unavailable"),
    (14, "questionable_measurement"),
    (15, "invalid_measurement"),
)
_PLX_DEMONSTRATION: Final = 1 << 10
_PLX_TESTING: Final = 1 << 11

# PLX device and sensor status, bits 0-15 of the 24-bit field (16-23 reserved).
_PLX_DEVICE_STATUS: Final = (
    (0, "extended_display_update_ongoing"),
    (1, "equipment_malfunction"),
    (2, "signal_processing_irregularity"),
    (3, "inadequate_signal"),
    (4, "poor_signal"),
    (5, "low_perfusion"),
    (6, "erratic_signal"),
    (7, "nonpulsatile_signal"),
    (8, "questionable_pulse"),
    (9, "signal_analysis_ongoing"),
    (10, "sensor_interference"),
    (11, "sensor_unconnected_to_user"),
    (12, "unknown_sensor_connected"),
    (13, "sensor_displaced"),
    (14, "sensor_malfunctioning"),
    (15, "sensor_disconnected"),
)

_TEMPERATURE_TYPES: Final = (
    None,
    "armpit",
    "body",
    "ear",
    "finger",
    "gastrointestinal_tract",
    "mouth",
    "rectum",
    "toe",
    "tympanum",
)

_GLUCOSE_CONTROL_TYPE: Final = 10
_GLUCOSE_CONTROL_LOCATION: Final = 4
_GLUCOSE_TYPES: Final = (
    None,
    "capillary_whole_blood",
    "capillary_plasma",
    "venous_whole_blood",
    "venous_plasma",
    "arterial_whole_blood",
    "arterial_plasma",
    "undetermined_whole_blood",
    "undetermined_plasma",
    "interstitial_fluid",
    "control_solution",
)
# 15 is "not available"; 5-14 reserved: both decode to no location.
_GLUCOSE_LOCATIONS: Final = (None, "finger", "alternate_site", "earlobe", "control_solution")


# --------------------------------------------------------------------------- decoders


def _blood_pressure(spec: _Spec, p: bytes, n: int, flags: int) -> Reading:
    """2A35. kPa values are converted to mmHg; the pulse is bpm in either unit.

    The mean arterial pressure is not a §2 metric, so it goes to ``extra`` (in mmHg).
    """
    ratio = _KPA_TO_MMHG if flags & 0x01 else _SAME
    samples: list[Sample] = []
    absent: list[str] = []
    extra: dict[str, float] = {}
    value = _sfloat(p[1] | p[2] << 8, ratio)
    if value is None:
        absent.append(Metric.BLOOD_PRESSURE_SYSTOLIC.value)
    else:
        samples.append(Sample(Metric.BLOOD_PRESSURE_SYSTOLIC, value, _UNIT_MMHG))
    value = _sfloat(p[3] | p[4] << 8, ratio)
    if value is None:
        absent.append(Metric.BLOOD_PRESSURE_DIASTOLIC.value)
    else:
        samples.append(Sample(Metric.BLOOD_PRESSURE_DIASTOLIC, value, _UNIT_MMHG))
    value = _sfloat(p[5] | p[6] << 8, ratio)
    if value is None:
        absent.append("mean_arterial_pressure_mmhg")
    else:
        extra["mean_arterial_pressure_mmhg"] = value
    pos = 7
    time = None
    if flags & 0x02:
        time = _date_time(spec, p, pos)
        if time is None:
            absent.append("time")
        pos += 7
    if flags & 0x04:
        value = _sfloat(p[pos] | p[pos + 1] << 8)
        if value is None:
            absent.append(Metric.HEART_RATE.value)
        else:
            samples.append(Sample(Metric.HEART_RATE, value, _UNIT_BPM))
        pos += 2
    user = None
    if flags & 0x08:
        user = _user(p[pos])
        pos += 1
    status: dict[str, bool] = {}
    if flags & 0x10:
        word = p[pos] | p[pos + 1] << 8
        status = _bits(word, _BP_STATUS)
        pulse_range = word >> 3 & 0x03  # 0 in range, 1 above, 2 below, 3 reserved
        status["pulse_rate_above_range"] = pulse_range == 1
        status["pulse_rate_below_range"] = pulse_range == 2
        pos += 2
    return Reading(
        characteristic=spec.code,
        name=spec.name,
        time=time,
        user=user,
        samples=samples,
        status=status,
        absent=absent,
        extra=extra,
        excess_bytes=n - pos,
    )


def _heart_rate(spec: _Spec, p: bytes, n: int, flags: int) -> Reading:
    """2A37. Energy expended and RR intervals are not §2 metrics; they go alongside.

    Energy expended is a running total since the sensor was last reset, not energy spent
    over an interval, so it cannot be an ``active_energy`` sample. RR intervals feed HRV,
    but SDNN needs a window of them, which one notification is not. A heart rate of 0 is
    what straps send while they have no reading; it is named in ``absent`` rather than
    stored as a pulse of zero.
    """
    if flags & 0x01:
        rate = p[1] | p[2] << 8
        pos = 3
    else:
        rate = p[1]
        pos = 2
    contact = flags >> 1 & 0x03  # 0 and 1: not supported, 2: not detected, 3: detected
    status = (
        {"sensor_contact_supported": True, "sensor_contact_detected": contact == 3}
        if contact >= 2
        else {"sensor_contact_supported": False}
    )
    samples: list[Sample] = []
    absent: list[str] = []
    if rate == 0:
        absent.append(Metric.HEART_RATE.value)
    else:
        samples.append(Sample(Metric.HEART_RATE, float(rate), _UNIT_BPM))
    extra: dict[str, float] = {}
    if flags & 0x08:
        extra["energy_expended_kj"] = float(p[pos] | p[pos + 1] << 8)
        pos += 2
    rr: list[float] = []
    if flags & 0x10:
        end = n - (n - pos) % 2
        # raw / 1024 s = raw × 125 / 128 ms: exact in binary floating point.
        rr = [(p[i] | p[i + 1] << 8) * 125 / 128 for i in range(pos, end, 2)]
        pos = end
    return Reading(
        characteristic=spec.code,
        name=spec.name,
        time=None,
        user=None,
        samples=samples,
        status=status,
        absent=absent,
        extra=extra,
        rr_intervals_ms=rr,
        excess_bytes=n - pos,
    )


def _weight(spec: _Spec, p: bytes, n: int, flags: int) -> Reading:
    """2A9D. Resolution is fixed by the characteristic: 0.005 kg or 0.01 lb per unit.

    0xFFFF means "measurement unsuccessful". BMI and height are not §2 metrics: ``extra``
    gets ``bmi`` (0.1 resolution) and ``height_m`` (0.001 m, or 0.1 in converted exactly
    at 0.0254 m per inch).
    """
    imperial = flags & 0x01
    raw = p[1] | p[2] << 8
    samples: list[Sample] = []
    absent: list[str] = []
    if raw == 0xFFFF:
        absent.append(Metric.BODY_MASS.value)
    else:
        # 0.01 lb × 0.45359237 kg/lb = 45359237 / 10^10 kg per unit; 0.005 kg = 1/200.
        kg = raw * 45359237 / 10**10 if imperial else raw / 200
        samples.append(Sample(Metric.BODY_MASS, kg, _UNIT_KG))
    pos = 3
    time = None
    if flags & 0x02:
        time = _date_time(spec, p, pos)
        if time is None:
            absent.append("time")
        pos += 7
    user = None
    if flags & 0x04:
        user = _user(p[pos])
        pos += 1
    extra: dict[str, float] = {}
    if flags & 0x08:
        extra["bmi"] = (p[pos] | p[pos + 1] << 8) / 10
        height = p[pos + 2] | p[pos + 3] << 8
        extra["height_m"] = height * 254 / 100000 if imperial else height / 1000
        pos += 4
    return Reading(
        characteristic=spec.code,
        name=spec.name,
        time=time,
        user=user,
        samples=samples,
        status={},
        absent=absent,
        extra=extra,
        excess_bytes=n - pos,
    )


def _glucose(spec: _Spec, p: bytes, n: int, flags: int) -> Reading:
    """2A18. kg/L or mol/L become mmol/L; the time is base time plus the offset.

    A control-solution reading (type 10, or sample location 4) checks the meter, not the
    person: it gets no samples, ``control_solution: true`` and ``withheld``. Readings the
    meter flags as above or below its range keep their sample (the value is the meter's
    limit, and dropping a dangerous high would be worse); the status says so.
    """
    sequence = p[1] | p[2] << 8
    time = _date_time(spec, p, 3)
    absent: list[str] = []
    if time is None:
        absent.append("time")
    pos = 10
    if flags & 0x01:
        offset = p[10] | p[11] << 8
        if offset >= 0x8000:
            offset -= 0x10000
        if time is not None:
            try:
                time += timedelta(minutes=offset)
            except OverflowError:
                raise _impossible(spec, 10, f"time offset of {offset} minutes") from None
        pos = 12
    samples: list[Sample] = []
    control = False
    sample_type = location = None
    if flags & 0x02:
        value = _sfloat(
            p[pos] | p[pos + 1] << 8,
            _MOL_PER_L_TO_MMOL if flags & 0x04 else _KG_PER_L_TO_MMOL,
        )
        type_location = p[pos + 2]
        type_code = type_location & 0x0F
        location_code = type_location >> 4
        if type_code < len(_GLUCOSE_TYPES):
            sample_type = _GLUCOSE_TYPES[type_code]
        if location_code < len(_GLUCOSE_LOCATIONS):
            location = _GLUCOSE_LOCATIONS[location_code]
        control = type_code == _GLUCOSE_CONTROL_TYPE or location_code == _GLUCOSE_CONTROL_LOCATION
        if value is None:
            absent.append(Metric.BLOOD_GLUCOSE.value)
        elif not control:
            samples.append(Sample(Metric.BLOOD_GLUCOSE, value, _UNIT_MMOL))
        pos += 3
    status: dict[str, bool] = {}
    if flags & 0x08:
        status = _bits(p[pos] | p[pos + 1] << 8, _GLUCOSE_STATUS)
        pos += 2
    # The context is a separate characteristic (2A34); the flag only announces it.
    status["context_follows"] = bool(flags & 0x10)
    return Reading(
        characteristic=spec.code,
        name=spec.name,
        time=time,
        user=None,
        samples=samples,
        status=status,
        absent=absent,
        sequence=sequence,
        control_solution=control,
        withheld="control_solution" if control else None,
        sample_type=sample_type,
        location=location,
        excess_bytes=n - pos,
    )


def _plx_common(p: bytes, samples: list[Sample], absent: list[str]) -> None:
    """SpO2 and pulse rate, the two fields both PLX characteristics start with."""
    value = _sfloat(p[1] | p[2] << 8)
    if value is None:
        absent.append(Metric.SPO2.value)
    else:
        samples.append(Sample(Metric.SPO2, value, _UNIT_PCT))
    value = _sfloat(p[3] | p[4] << 8)
    if value is None:
        absent.append(Metric.HEART_RATE.value)
    else:
        samples.append(Sample(Metric.HEART_RATE, value, _UNIT_BPM))


def _plx_status(
    p: bytes, pos: int, flags: int, ms_bit: int, ds_bit: int, status: dict[str, bool]
) -> tuple[int, str | None]:
    """Measurement and device/sensor status; returns the new offset and a withhold reason.

    Data "for demonstration" or "for testing" is simulated, not the person's, so its
    samples are withheld like a glucose control solution.
    """
    withheld = None
    if flags & ms_bit:
        word = p[pos] | p[pos + 1] << 8
        status.update(_bits(word, _PLX_MEASUREMENT_STATUS))
        if word & _PLX_DEMONSTRATION:
            withheld = "demonstration_data"
        elif word & _PLX_TESTING:
            withheld = "test_data"
        pos += 2
    if flags & ds_bit:
        status.update(_bits(p[pos] | p[pos + 1] << 8, _PLX_DEVICE_STATUS))
        pos += 3
    return pos, withheld


def _sfloat_extra(p: bytes, pos: int, key: str, extra: dict[str, float], absent: list[str]) -> None:
    value = _sfloat(p[pos] | p[pos + 1] << 8)
    if value is None:
        absent.append(key)
    else:
        extra[key] = value


def _plx_spot_check(spec: _Spec, p: bytes, n: int, flags: int) -> Reading:
    """2A5E. With "device clock is not set" (b4) the time stamp is meaningless: ignored.

    It is then not even validated, since a device without a clock may send anything.
    """
    samples: list[Sample] = []
    absent: list[str] = []
    status: dict[str, bool] = {"device_clock_not_set": bool(flags & 0x10)}
    _plx_common(p, samples, absent)
    pos = 5
    time = None
    if flags & 0x01:
        if not flags & 0x10:
            time = _date_time(spec, p, pos)
        if time is None:
            absent.append("time")
        pos += 7
    pos, withheld = _plx_status(p, pos, flags, 0x02, 0x04, status)
    extra: dict[str, float] = {}
    if flags & 0x08:
        _sfloat_extra(p, pos, "pulse_amplitude_index_pct", extra, absent)
        pos += 2
    return Reading(
        characteristic=spec.code,
        name=spec.name,
        time=time,
        user=None,
        samples=[] if withheld else samples,
        status=status,
        absent=absent,
        withheld=withheld,
        extra=extra,
        excess_bytes=n - pos,
    )


def _plx_continuous(spec: _Spec, p: bytes, n: int, flags: int) -> Reading:
    """2A5F. Only the normal SpO2/pulse pair become samples.

    The fast and slow pairs are the same physiology averaged over other windows at the
    same instant; as samples they would triple-count one moment in daily statistics.
    """
    samples: list[Sample] = []
    absent: list[str] = []
    status: dict[str, bool] = {}
    _plx_common(p, samples, absent)
    extra: dict[str, float] = {}
    pos = 5
    if flags & 0x01:
        _sfloat_extra(p, pos, "spo2_fast_pct", extra, absent)
        _sfloat_extra(p, pos + 2, "pulse_rate_fast_bpm", extra, absent)
        pos += 4
    if flags & 0x02:
        _sfloat_extra(p, pos, "spo2_slow_pct", extra, absent)
        _sfloat_extra(p, pos + 2, "pulse_rate_slow_bpm", extra, absent)
        pos += 4
    pos, withheld = _plx_status(p, pos, flags, 0x04, 0x08, status)
    if flags & 0x10:
        _sfloat_extra(p, pos, "pulse_amplitude_index_pct", extra, absent)
        pos += 2
    return Reading(
        characteristic=spec.code,
        name=spec.name,
        time=None,
        user=None,
        samples=[] if withheld else samples,
        status=status,
        absent=absent,
        withheld=withheld,
        extra=extra,
        excess_bytes=n - pos,
    )


def _temperature(spec: _Spec, p: bytes, n: int, flags: int) -> Reading:
    """2A1C. A 32-bit FLOAT; °F is converted to °C exactly. Type 0 or >9: no location."""
    samples: list[Sample] = []
    absent: list[str] = []
    parts = _float32_parts(_FLOAT32(p, 1)[0])
    if parts is None:
        absent.append(Metric.BODY_TEMPERATURE.value)
    else:
        mantissa, exponent = parts
        celsius = (
            _fahrenheit_to_celsius(mantissa, exponent)
            if flags & 0x01
            else _scaled(mantissa, exponent, 1, 1)
        )
        samples.append(Sample(Metric.BODY_TEMPERATURE, celsius, _UNIT_CELSIUS))
    pos = 5
    time = None
    if flags & 0x02:
        time = _date_time(spec, p, pos)
        if time is None:
            absent.append("time")
        pos += 7
    location = None
    if flags & 0x04:
        code = p[pos]
        if code < len(_TEMPERATURE_TYPES):
            location = _TEMPERATURE_TYPES[code]
        pos += 1
    return Reading(
        characteristic=spec.code,
        name=spec.name,
        time=time,
        user=None,
        samples=samples,
        status={},
        absent=absent,
        location=location,
        excess_bytes=n - pos,
    )


# --------------------------------------------------------------------------- registry


def _spec(code: str, name: str, fields: Callable[[int], _FieldList], decoder: _Decoder) -> _Spec:
    need = tuple(1 + sum(size for _, size in fields(flags)) for flags in range(256))
    return _Spec(code, name, fields, decoder, need)


_SPECS: Final = (
    _spec("2A35", "blood_pressure_measurement", _bp_fields, _blood_pressure),
    _spec("2A37", "heart_rate_measurement", _hr_fields, _heart_rate),
    _spec("2A9D", "weight_measurement", _weight_fields, _weight),
    _spec("2A18", "glucose_measurement", _glucose_fields, _glucose),
    _spec("2A5E", "plx_spot_check_measurement", _plx_spot_fields, _plx_spot_check),
    _spec("2A5F", "plx_continuous_measurement", _plx_continuous_fields, _plx_continuous),
    _spec("2A1C", "temperature_measurement", _temperature_fields, _temperature),
)

_BASE_UUID_SUFFIX: Final = "-0000-1000-8000-00805f9b34fb"

#: Lower-case 16-bit code → spec, for the normalising slow path.
_BY_CODE: Final = {spec.code.lower(): spec for spec in _SPECS}
#: Common exact spellings → spec, so the usual call costs one dict lookup.
_BY_SPELLING: Final = {
    spelling: spec
    for spec in _SPECS
    for code in (spec.code, spec.code.lower())
    for spelling in (code, "0x" + code, f"0000{code}{_BASE_UUID_SUFFIX}".lower())
}


def _resolve(uuid: str) -> _Spec:
    """Find the characteristic for a 16-bit code, ``0x`` code or full 128-bit SIG UUID."""
    spec = _BY_SPELLING.get(uuid)
    if spec is not None:
        return spec
    text = uuid.strip().lower()
    if text.startswith("0x"):
        text = text[2:]
    elif len(text) == 36 and text.startswith("0000") and text.endswith(_BASE_UUID_SUFFIX):
        text = text[4:8]
    spec = _BY_CODE.get(text)
    if spec is None:
        shown = uuid if len(uuid) <= 40 else uuid[:40] + "…"
        supported = ", ".join(s.code for s in _SPECS)
        raise GattError(f"unknown characteristic {shown!r}; supported: {supported}")
    return spec


# --------------------------------------------------------------------------- public


def decode(uuid: str, payload: bytes) -> Reading:
    """Decode one characteristic value sent by a health device.

    ``uuid`` may be ``"2A35"``, ``"2a35"``, ``"0x2A35"`` or
    ``"00002a35-0000-1000-8000-00805f9b34fb"``. Raises :class:`GattError` (and nothing
    else, for any byte string) for an unknown characteristic, a payload shorter than its
    flags require (``offset`` = where the data ran out) or an impossible time stamp
    (``offset`` = the offending byte).

    Rules applied where the reference is silent (see also each decoder):

    - The required length is known from the flags before any field is read; reserved flag
      bits are ignored; trailing bytes are kept as ``excess_bytes``.
    - A time stamp with year, month or day 0 is "unknown": ``time`` is ``None`` and
      ``"time"`` is in ``absent``. Out-of-range components are errors (see
      :func:`_date_time`).
    - Values are exact decimal results rounded once to the nearest float; no further
      rounding, so precision is never silently dropped.
    - User index 0xFF means "unknown user" and becomes ``None``.
    """
    return _decode(_resolve(uuid), payload)


def _decode(spec: _Spec, payload: bytes) -> Reading:
    n = len(payload)
    if n == 0:
        raise GattError(
            f"{spec.code} {spec.name}: empty payload; the flags byte at offset 0 is missing",
            characteristic=spec.code,
            offset=0,
        )
    flags = payload[0]
    if n < spec.need[flags]:
        raise _truncated(spec, flags, n)
    return spec.decoder(spec, payload, n, flags)


def decode_hex(uuid: str, hex_text: str) -> Reading:
    """:func:`decode` for hex text as logged or typed (``"1E 8A00 5800 …"``).

    Whitespace between bytes is allowed; anything else that is not hex is a
    :class:`GattError` naming the characteristic.
    """
    spec = _resolve(uuid)
    try:
        payload = bytes.fromhex(hex_text)
    except ValueError as exc:
        raise GattError(
            f"{spec.code} {spec.name}: payload is not hexadecimal ({exc})",
            characteristic=spec.code,
        ) from None
    return _decode(spec, payload)
