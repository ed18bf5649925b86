"""Tests for the BLE GATT decoder (contracts §5, reference/ble-gatt.md).

Every expected value is derived by hand from the reference and the SIG definitions; the
derivation is in the comment next to the payload. Payload hex groups one field per word,
little-endian as sent.
"""

from __future__ import annotations

import contextlib
import json
from datetime import datetime
from decimal import Decimal
from typing import Any

import msgspec
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from adapters.ingest.ble_gatt import GattError, Reading, Sample, decode, decode_hex
from app.domain.metrics import METRICS, Metric

# No example database: tests must not write files into the tree.
SETTINGS = settings(database=None, deadline=None, max_examples=300)

SUPPORTED = ("2A35", "2A37", "2A9D", "2A18", "2A5E", "2A5F", "2A1C")
NAMES = {
    "2A35": "blood_pressure_measurement",
    "2A37": "heart_rate_measurement",
    "2A9D": "weight_measurement",
    "2A18": "glucose_measurement",
    "2A5E": "plx_spot_check_measurement",
    "2A5F": "plx_continuous_measurement",
    "2A1C": "temperature_measurement",
}
# Flag bits each characteristic leaves reserved.
RESERVED = {
    "2A35": 0xE0,
    "2A37": 0xE0,
    "2A9D": 0xF0,
    "2A18": 0xE0,
    "2A5E": 0xE0,
    "2A5F": 0xE0,
    "2A1C": 0xF8,
}

SFLOAT_SPECIALS = {
    "nan": "FF07",
    "nres": "0008",
    "+inf": "FE07",
    "-inf": "0208",
    "reserved": "0108",
}
FLOAT_SPECIALS = {
    "nan": "FFFF7F00",
    "nres": "00008000",
    "+inf": "FEFF7F00",
    "-inf": "02008000",
    "reserved": "01008000",
}

# 2024-03-15 08:30:00 as Date Time: year 2024 = 0x07E8, 3, 15 = 0x0F, 8, 30 = 0x1E, 0.
T_2024 = "E807 03 0F 08 1E 00"
DT_2024 = datetime(2024, 3, 15, 8, 30, 0)
# Worked example 9: E0 07 05 17 11 34 11 = 2016-05-23 17:52:17.
T_EX9 = "E0 07 05 17 11 34 11"
DT_EX9 = datetime(2016, 5, 23, 17, 52, 17)


def as_json(reading: Reading) -> dict[str, Any]:
    """The reading as the gateway would see it on the wire."""
    result: dict[str, Any] = json.loads(msgspec.json.encode(reading))
    return result


def values(reading: Reading) -> dict[str, float]:
    return {str(s.metric): s.value for s in reading.samples}


# --------------------------------------------------------------------------- worked examples


def test_example_1_blood_pressure_mmhg_unknown_year_full_status() -> None:
    # flags 0x1E: time, pulse, user, status; mmHg. 0x8A = 138, 0x58 = 88, 0x78 = 120.
    # Year 0 -> time unknown. Pulse 0x3C = 60, user 1, status 0x0027 = bits 0,1,2,5.
    reading = decode_hex("2A35", "1E 8A00 5800 7800 0000 04 11 14 29 3B 3C00 01 2700")
    assert as_json(reading) == {
        "characteristic": "2A35",
        "name": "blood_pressure_measurement",
        "time": None,
        "user": 1,
        "samples": [
            {"metric": "blood_pressure_systolic", "value": 138.0, "unit": "mmHg"},
            {"metric": "blood_pressure_diastolic", "value": 88.0, "unit": "mmHg"},
            {"metric": "heart_rate", "value": 60.0, "unit": "bpm"},
        ],
        "status": {
            "body_movement": True,
            "cuff_loose": True,
            "irregular_pulse": True,
            "improper_position": True,
            "pulse_rate_above_range": False,
            "pulse_rate_below_range": False,
        },
        "absent": ["time"],
        "extra": {"mean_arterial_pressure_mmhg": 120.0},
    }


def test_example_2_blood_pressure_kpa_converted() -> None:
    # flags 0x15: kPa, pulse, status. 0xF0BD = 189e-1 = 18.9 kPa; 0x000B = 11 kPa;
    # 0xF09F = 159e-1 = 15.9 kPa. 18.9 x 7.50062 = 141.761718; 11 x 7.50062 = 82.50682;
    # 15.9 x 7.50062 = 119.259858. Pulse 60 bpm (never kPa). Status 0x0012: bit 1 cuff
    # loose, bits 3-4 = 2 below range.
    reading = decode_hex("2A35", "15 BDF0 0B00 9FF0 3C00 1200")
    assert values(reading) == {
        "blood_pressure_systolic": 141.761718,
        "blood_pressure_diastolic": 82.50682,
        "heart_rate": 60.0,
    }
    assert round(values(reading)["blood_pressure_systolic"], 1) == 141.8
    assert round(values(reading)["blood_pressure_diastolic"], 1) == 82.5
    assert reading.extra == {"mean_arterial_pressure_mmhg": 119.259858}
    assert reading.status == {
        "body_movement": False,
        "cuff_loose": True,
        "irregular_pulse": False,
        "improper_position": False,
        "pulse_rate_above_range": False,
        "pulse_rate_below_range": True,
    }
    assert reading.time is None
    assert reading.user is None
    assert reading.absent == []
    assert all(s.unit == "mmHg" for s in reading.samples if s.metric != Metric.HEART_RATE)


def test_example_3_heart_rate_u8_contact_not_supported() -> None:
    reading = decode_hex("2A37", "00 55")  # 0x55 = 85
    assert as_json(reading) == {
        "characteristic": "2A37",
        "name": "heart_rate_measurement",
        "time": None,
        "user": None,
        "samples": [{"metric": "heart_rate", "value": 85.0, "unit": "bpm"}],
        "status": {"sensor_contact_supported": False},
        "absent": [],
    }


def test_example_4_heart_rate_energy_and_one_rr() -> None:
    # flags 0x1E: contact bits = 3 (detected), energy, RR. 0x32 = 50 kJ, RR 0x21 = 33.
    reading = decode_hex("2A37", "1E 55 3200 2100")
    assert values(reading) == {"heart_rate": 85.0}
    assert reading.status == {"sensor_contact_supported": True, "sensor_contact_detected": True}
    assert reading.extra == {"energy_expended_kj": 50.0}
    assert reading.rr_intervals_ms == [33 / 1024 * 1000]
    assert round(reading.rr_intervals_ms[0], 1) == 32.2
    assert reading.rr_intervals_ms == [32.2265625]


def test_example_5_heart_rate_u16_several_rr() -> None:
    # flags 0x1F: u16 value 0x0101 = 257, energy 0x0132 = 306, RR 1, 0x0102 = 258, 65535.
    reading = decode_hex("2A37", "1F 0101 3201 0100 0201 FFFF")
    assert values(reading) == {"heart_rate": 257.0}
    assert reading.extra == {"energy_expended_kj": 306.0}
    assert reading.rr_intervals_ms == [1000 / 1024, 258000 / 1024, 65535000 / 1024]
    assert reading.excess_bytes == 0


def test_example_6_weight_si() -> None:
    # 0x36B0 = 14000 x 0.005 kg = 70.0 kg.
    reading = decode_hex("2A9D", "00 B036")
    assert reading.samples == [Sample(Metric.BODY_MASS, 70.0, "kg")]


def test_example_7_weight_imperial() -> None:
    # 0x3D54 = 15700 x 0.01 lb = 157.00 lb x 0.45359237 = 71.21400209 kg.
    reading = decode_hex("2A9D", "01 543D")
    assert reading.samples == [Sample(Metric.BODY_MASS, 71.21400209, "kg")]
    assert round(reading.samples[0].value, 3) == 71.214


def test_example_8_temperature_celsius_time_finger() -> None:
    # FLOAT 0xFE000EB0: exponent -2, mantissa 0x0EB0 = 3760 -> 37.60 degC.
    # 0x07DC = 2012, 12, 5, 11, 0x32 = 50, 0x1B = 27; type 4 = finger.
    reading = decode_hex("2A1C", "06 B00E00FE DC07 0C 05 0B 32 1B 04")
    assert as_json(reading) == {
        "characteristic": "2A1C",
        "name": "temperature_measurement",
        "time": "2012-12-05T11:50:27",
        "user": None,
        "samples": [{"metric": "body_temperature", "value": 37.6, "unit": "°C"}],
        "status": {},
        "absent": [],
        "location": "finger",
    }


@pytest.mark.parametrize(
    ("uuid", "hex_text"),
    [
        ("2A1C", f"02 B00E00FE {T_EX9}"),
        ("2A35", f"02 7800 5000 5A00 {T_EX9}"),
        ("2A9D", f"02 B036 {T_EX9}"),
        ("2A18", f"00 0100 {T_EX9}"),
        ("2A5E", f"01 6100 4800 {T_EX9}"),
    ],
)
def test_example_9_date_time_in_every_characteristic_that_has_one(uuid: str, hex_text: str) -> None:
    assert decode_hex(uuid, hex_text).time == DT_EX9


@pytest.mark.parametrize(
    ("sfloat", "expected"),
    [
        ("14F0", 2.0),  # 0xF014: exponent -1, mantissa 20
        ("C8E0", 2.0),  # 0xE0C8: exponent -2, mantissa 200
        ("2E0B", -1234.0),  # 0x0B2E: exponent 0, mantissa 0xB2E sign-extended = -1234
        ("65F0", 10.1),  # 0xF065: exponent -1, mantissa 101 (example 11)
        ("0110", 10.0),  # 0x1001: exponent 1, mantissa 1
        ("FF77", 2047e7),  # 0x77FF: exponent 7, mantissa 2047 (largest)
        ("FF7F", -1e7),  # 0x7FFF: exponent 7, mantissa 0xFFF sign-extended = -1
        ("0088", -2048e-8),  # 0x8800: exponent -8, mantissa -2048
        ("FF0F", -1.0),  # 0x0FFF: exponent 0, mantissa -1
        ("0000", 0.0),
    ],
)
def test_examples_10_11_sfloat(sfloat: str, expected: float) -> None:
    # Read through the systolic field of a mmHg blood pressure (no conversion).
    reading = decode_hex("2A35", f"00 {sfloat} 0000 0000")
    assert values(reading)["blood_pressure_systolic"] == expected


@pytest.mark.parametrize(
    ("flt", "expected"),
    [
        ("87D612FE", 12345.67),  # 0xFE12D687: exponent -2, mantissa 1234567 (example 11)
        ("01000001", 10.0),  # exponent 1, mantissa 1
        ("FFFFFF00", -1.0),  # mantissa 0xFFFFFF sign-extended = -1
        ("0100007F", 1e127),  # exponent 127
        ("01000080", 1e-128),  # exponent -128
    ],
)
def test_example_11_float(flt: str, expected: float) -> None:
    assert values(decode_hex("2A1C", f"00 {flt}"))["body_temperature"] == expected


# --------------------------------------------------------------------------- contracts §5


def test_contract_section_5_example() -> None:
    # flags 0x1E, mmHg: 0x7A = 122, 0x4F = 79, MAP 0x5D = 93, 2024-03-15 08:30:00,
    # pulse 0x48 = 72, user 1, status 0.
    reading = decode_hex("2A35", f"1E 7A00 4F00 5D00 {T_2024} 4800 01 0000")
    body = as_json(reading)
    assert list(body)[:7] == [
        "characteristic",
        "name",
        "time",
        "user",
        "samples",
        "status",
        "absent",
    ]
    assert body["characteristic"] == "2A35"
    assert body["name"] == "blood_pressure_measurement"
    assert body["time"] == "2024-03-15T08:30:00"
    assert body["user"] == 1
    assert body["samples"] == [
        {"metric": "blood_pressure_systolic", "value": 122.0, "unit": "mmHg"},
        {"metric": "blood_pressure_diastolic", "value": 79.0, "unit": "mmHg"},
        {"metric": "heart_rate", "value": 72.0, "unit": "bpm"},
    ]
    assert body["status"]["irregular_pulse"] is False
    assert body["status"]["body_movement"] is False
    assert body["absent"] == []


def test_time_encodes_naive_to_the_second() -> None:
    raw = msgspec.json.encode(decode_hex("2A9D", f"02 B036 {T_2024}"))
    assert b'"time":"2024-03-15T08:30:00"' in raw


def test_units_are_those_of_contracts_section_2() -> None:
    readings = [
        decode_hex("2A35", "15 BDF0 0B00 9FF0 3C00 1200"),
        decode_hex("2A9D", "01 543D"),
        decode_hex("2A18", f"02 0100 {T_2024} 64B0 11"),
        decode_hex("2A5E", "00 6100 4800"),
        decode_hex("2A1C", "01 DA0300FF"),
    ]
    seen = {(s.metric, s.unit) for r in readings for s in r.samples}
    assert seen == {
        (Metric.BLOOD_PRESSURE_SYSTOLIC, "mmHg"),
        (Metric.BLOOD_PRESSURE_DIASTOLIC, "mmHg"),
        (Metric.HEART_RATE, "bpm"),
        (Metric.BODY_MASS, "kg"),
        (Metric.BLOOD_GLUCOSE, "mmol/L"),
        (Metric.SPO2, "%"),
        (Metric.BODY_TEMPERATURE, "°C"),
    }
    assert all(METRICS[m].unit == u for m, u in seen)


# --------------------------------------------------------------------------- blood pressure


def test_blood_pressure_minimal() -> None:
    reading = decode_hex("2A35", "00 7800 5000 5A00")  # 120 / 80, MAP 90
    assert values(reading) == {"blood_pressure_systolic": 120.0, "blood_pressure_diastolic": 80.0}
    assert reading.time is None
    assert reading.user is None
    assert reading.status == {}
    assert reading.extra == {"mean_arterial_pressure_mmhg": 90.0}


def test_blood_pressure_kpa_with_every_field() -> None:
    # flags 0x1F. 16.0 kPa = 0xF0A0 (160e-1) -> 120.00992; 10.5 kPa = 0xF069 (105e-1) ->
    # 78.75651; 12.5 kPa = 0xF07D (125e-1) -> 93.75775; pulse 0x48 = 72 bpm, user 3,
    # status 0x0008: pulse range 1 = above.
    reading = decode_hex("2A35", f"1F A0F0 69F0 7DF0 {T_2024} 4800 03 0800")
    assert values(reading) == {
        "blood_pressure_systolic": 120.00992,
        "blood_pressure_diastolic": 78.75651,
        "heart_rate": 72.0,
    }
    assert reading.extra == {"mean_arterial_pressure_mmhg": 93.75775}
    assert reading.time == DT_2024
    assert reading.user == 3
    assert reading.status["pulse_rate_above_range"] is True
    assert reading.status["pulse_rate_below_range"] is False


def test_blood_pressure_pulse_range_3_is_reserved() -> None:
    reading = decode_hex("2A35", "10 7800 5000 5A00 1800")  # bits 3-4 = 3
    assert reading.status["pulse_rate_above_range"] is False
    assert reading.status["pulse_rate_below_range"] is False


def test_blood_pressure_status_reserved_bits_ignored() -> None:
    reading = decode_hex("2A35", "10 7800 5000 5A00 C0FF")  # only bits 6-15 set
    assert not any(reading.status.values())


def test_blood_pressure_user_ff_is_unknown() -> None:
    assert decode_hex("2A35", "08 7800 5000 5A00 FF").user is None


@pytest.mark.parametrize("kind", sorted(SFLOAT_SPECIALS))
def test_blood_pressure_special_values(kind: str) -> None:
    sv = SFLOAT_SPECIALS[kind]
    reading = decode_hex("2A35", f"04 {sv} {sv} {sv} {sv}")
    assert reading.samples == []
    assert reading.extra == {}
    assert reading.absent == [
        "blood_pressure_systolic",
        "blood_pressure_diastolic",
        "mean_arterial_pressure_mmhg",
        "heart_rate",
    ]


def test_blood_pressure_one_special_value_keeps_the_others() -> None:
    reading = decode_hex("2A35", "05 7800 5000 FF07 4800")  # MAP NaN, kPa: 120 kPa, 80 kPa
    assert values(reading) == {
        "blood_pressure_systolic": 900.0744,  # 120 x 7.50062
        "blood_pressure_diastolic": 600.0496,  # 80 x 7.50062
        "heart_rate": 72.0,
    }
    assert reading.absent == ["mean_arterial_pressure_mmhg"]


def test_blood_pressure_special_sfloat_with_nonzero_exponent_is_a_number() -> None:
    # The special values are the exact 16-bit patterns; 0xF7FF is 2047e-1.
    assert values(decode_hex("2A35", "00 FFF7 0000 0000"))["blood_pressure_systolic"] == 204.7


# --------------------------------------------------------------------------- heart rate


@pytest.mark.parametrize(
    ("flags", "status"),
    [
        ("00", {"sensor_contact_supported": False}),
        ("02", {"sensor_contact_supported": False}),
        ("04", {"sensor_contact_supported": True, "sensor_contact_detected": False}),
        ("06", {"sensor_contact_supported": True, "sensor_contact_detected": True}),
    ],
)
def test_heart_rate_contact_states(flags: str, status: dict[str, bool]) -> None:
    reading = decode_hex("2A37", f"{flags} 48")
    assert reading.status == status
    assert values(reading) == {"heart_rate": 72.0}


def test_heart_rate_u16() -> None:
    assert values(decode_hex("2A37", "01 4800")) == {"heart_rate": 72.0}
    assert values(decode_hex("2A37", "01 2C01")) == {"heart_rate": 300.0}


def test_heart_rate_zero_is_absent() -> None:
    for hex_text in ("00 00", "01 0000"):
        reading = decode_hex("2A37", hex_text)
        assert reading.samples == []
        assert reading.absent == ["heart_rate"]


def test_heart_rate_energy_without_rr() -> None:
    reading = decode_hex("2A37", "08 48 FFFF")
    assert reading.extra == {"energy_expended_kj": 65535.0}
    assert reading.rr_intervals_ms == []


def test_heart_rate_rr_odd_trailing_byte_is_excess() -> None:
    reading = decode_hex("2A37", "10 48 0004 01")  # 0x0400 = 1024/1024 s = 1000 ms
    assert reading.rr_intervals_ms == [1000.0]
    assert reading.excess_bytes == 1


def test_heart_rate_rr_not_in_json_when_absent() -> None:
    assert "rr_intervals_ms" not in as_json(decode_hex("2A37", "00 48"))


def test_heart_rate_rr_flag_without_interval_is_truncated() -> None:
    with pytest.raises(GattError) as info:
        decode_hex("2A37", "10 48")
    assert info.value.offset == 2
    assert "RR interval" in str(info.value)


def test_heart_rate_excess_without_rr() -> None:
    assert decode_hex("2A37", "00 48 0102").excess_bytes == 2


# --------------------------------------------------------------------------- weight


def test_weight_si_with_time_user_bmi_height() -> None:
    # 0x36B0 = 70.0 kg; user 2; BMI 0x00E5 = 229 -> 22.9; height 0x06D6 = 1750 -> 1.75 m.
    reading = decode_hex("2A9D", f"0E B036 {T_2024} 02 E500 D606")
    assert reading.samples == [Sample(Metric.BODY_MASS, 70.0, "kg")]
    assert reading.time == DT_2024
    assert reading.user == 2
    assert reading.extra == {"bmi": 22.9, "height_m": 1.75}


def test_weight_imperial_with_bmi_height() -> None:
    # 0x4E20 = 20000 -> 200.00 lb = 90.718474 kg; BMI 0xFA = 25.0; height 0x02BC = 700
    # -> 70.0 in x 0.0254 = 1.778 m.
    reading = decode_hex("2A9D", "09 204E FA00 BC02")
    assert reading.samples == [Sample(Metric.BODY_MASS, 90.718474, "kg")]
    assert reading.extra == {"bmi": 25.0, "height_m": 1.778}


def test_weight_resolution() -> None:
    # One unit is 0.005 kg (SI) or 0.01 lb = 0.0045359237 kg (imperial).
    assert decode_hex("2A9D", "00 0100").samples[0].value == 0.005
    assert decode_hex("2A9D", "01 0100").samples[0].value == 0.0045359237
    assert decode_hex("2A9D", "00 FEFF").samples[0].value == 327.67  # 65534 x 0.005


def test_weight_unsuccessful() -> None:
    for flags in ("00", "01"):
        reading = decode_hex("2A9D", f"{flags} FFFF")
        assert reading.samples == []
        assert reading.absent == ["body_mass"]


def test_weight_user_ff_is_unknown() -> None:
    assert decode_hex("2A9D", "04 B036 FF").user is None
    assert decode_hex("2A9D", "04 B036 00").user == 0


# --------------------------------------------------------------------------- glucose

# 100 mg/dL = 0.001 kg/L = SFLOAT 100e-5 = 0xB064; 100 x 10 / 180.15588 = 5.5507486 mmol/L.
MMOL_100_MG_DL = 1000 / 180.15588


def test_glucose_kg_per_l() -> None:
    # flags 0x02: concentration present, kg/L. seq 1; type/location 0x11 = finger,
    # capillary whole blood.
    reading = decode_hex("2A18", f"02 0100 {T_2024} 64B0 11")
    assert reading.samples[0].metric == Metric.BLOOD_GLUCOSE
    assert reading.samples[0].unit == "mmol/L"
    assert reading.samples[0].value == pytest.approx(MMOL_100_MG_DL, rel=1e-15)
    assert reading.samples[0].value == pytest.approx(5.5507486, abs=1e-7)
    assert reading.sequence == 1
    assert reading.time == DT_2024
    assert reading.sample_type == "capillary_whole_blood"
    assert reading.location == "finger"
    assert reading.control_solution is False
    assert reading.withheld is None
    assert reading.status == {"context_follows": False}
    body = as_json(reading)
    assert body["sequence"] == 1
    assert "control_solution" not in body


def test_glucose_mol_per_l() -> None:
    # flags 0x06: mol/L. 5.5 mmol/L = 0.0055 mol/L = SFLOAT 55e-4 = 0xC037.
    reading = decode_hex("2A18", f"06 0200 {T_2024} 37C0 12")
    assert values(reading) == {"blood_glucose": 5.5}
    assert reading.sample_type == "capillary_plasma"
    assert reading.sequence == 2


def test_glucose_time_offset_is_added() -> None:
    # flags 0x03: offset 0xFFA6 = -90 minutes: 08:30 -> 07:00.
    reading = decode_hex("2A18", f"03 0300 {T_2024} A6FF 64B0 11")
    assert reading.time == datetime(2024, 3, 15, 7, 0, 0)
    # Example 9 base time + 0x000F = 15 minutes.
    assert decode_hex("2A18", f"01 0400 {T_EX9} 0F00").time == datetime(2016, 5, 23, 18, 7, 17)


def test_glucose_offset_crosses_leap_day() -> None:
    # 2024-03-01 00:10:00 - 20 minutes (0xFFEC) = 2024-02-29 23:50:00.
    assert decode_hex("2A18", "01 0500 E807 03 01 00 0A 00 ECFF").time == datetime(
        2024, 2, 29, 23, 50, 0
    )


def test_glucose_offset_beyond_calendar_is_an_error() -> None:
    # 9999-12-31 23:59:00 + 1 minute.
    with pytest.raises(GattError) as info:
        decode_hex("2A18", "01 0100 0F27 0C 1F 17 3B 00 0100")
    assert info.value.characteristic == "2A18"
    assert info.value.offset == 10


def test_glucose_sequence_and_no_concentration() -> None:
    reading = decode_hex("2A18", f"00 FFFF {T_2024}")
    assert reading.sequence == 65535
    assert reading.samples == []
    assert reading.absent == []


def test_glucose_unknown_base_time() -> None:
    reading = decode_hex("2A18", "01 0700 0000 01 01 00 00 00 0A00")
    assert reading.time is None
    assert reading.absent == ["time"]


@pytest.mark.parametrize(
    ("type_location", "sample_type", "location"),
    [
        ("1A", "control_solution", "finger"),  # type 10
        ("41", "capillary_whole_blood", "control_solution"),  # location 4
        ("4A", "control_solution", "control_solution"),
    ],
)
def test_glucose_control_solution_is_not_the_persons(
    type_location: str, sample_type: str, location: str
) -> None:
    reading = decode_hex("2A18", f"02 0900 {T_2024} 64B0 {type_location}")
    assert reading.samples == []
    assert reading.control_solution is True
    assert reading.withheld == "control_solution"
    assert reading.sample_type == sample_type
    assert reading.location == location
    body = as_json(reading)
    assert body["control_solution"] is True
    assert body["samples"] == []
    assert body["sequence"] == 9


def test_glucose_types_and_locations() -> None:
    # type 9 interstitial fluid, location 2 alternate site; 0xF0: type 0, location 15.
    reading = decode_hex("2A18", f"02 0100 {T_2024} 64B0 29")
    assert (reading.sample_type, reading.location) == ("interstitial_fluid", "alternate_site")
    reading = decode_hex("2A18", f"02 0100 {T_2024} 64B0 F0")
    assert (reading.sample_type, reading.location) == (None, None)
    assert len(reading.samples) == 1
    reading = decode_hex("2A18", f"02 0100 {T_2024} 64B0 3B")  # type 11 reserved, earlobe
    assert (reading.sample_type, reading.location) == (None, "earlobe")


@pytest.mark.parametrize(
    ("word", "key"),
    [("2000", "result_above_range"), ("4000", "result_below_range")],
)
def test_glucose_out_of_range_status_bits(word: str, key: str) -> None:
    reading = decode_hex("2A18", f"0A 0100 {T_2024} 64B0 11 {word}")
    assert [k for k, v in reading.status.items() if v] == [key]
    assert len(reading.samples) == 1


def test_glucose_status_all_bits_and_context() -> None:
    reading = decode_hex("2A18", f"18 0100 {T_2024} FFFF")  # reserved bits 12-15 too
    assert len(reading.status) == 13
    assert all(reading.status.values())


@pytest.mark.parametrize("kind", sorted(SFLOAT_SPECIALS))
def test_glucose_special_values(kind: str) -> None:
    reading = decode_hex("2A18", f"02 0100 {T_2024} {SFLOAT_SPECIALS[kind]} 11")
    assert reading.samples == []
    assert reading.absent == ["blood_glucose"]


# --------------------------------------------------------------------------- PLX


def test_plx_spot_check_minimal() -> None:
    # SpO2 0x61 = 97 %, pulse 0x48 = 72 bpm.
    reading = decode_hex("2A5E", "00 6100 4800")
    assert reading.samples == [
        Sample(Metric.SPO2, 97.0, "%"),
        Sample(Metric.HEART_RATE, 72.0, "bpm"),
    ]
    assert reading.time is None
    assert reading.status == {"device_clock_not_set": False}


def test_plx_spot_check_everything() -> None:
    # flags 0x0F: SpO2 97.5 = 975e-1 = 0xF3CF; pulse 72; time; measurement status 0x0080
    # (validated); device status 0xFF0020 (low perfusion + reserved bits 16-23);
    # PAI 2.5 % = 25e-1 = 0xF019.
    reading = decode_hex("2A5E", f"0F CFF3 4800 {T_2024} 8000 2000FF 19F0")
    assert values(reading) == {"spo2": 97.5, "heart_rate": 72.0}
    assert reading.time == DT_2024
    assert reading.extra == {"pulse_amplitude_index_pct": 2.5}
    on = sorted(k for k, v in reading.status.items() if v)
    assert on == ["low_perfusion", "validated_data"]
    assert len(reading.status) == 1 + 11 + 16
    assert reading.excess_bytes == 0


def test_plx_spot_check_clock_not_set_ignores_time() -> None:
    # The time stamp bytes are garbage (month 13), but with b4 they are not used.
    reading = decode_hex("2A5E", "11 6100 4800 E807 0D 0F 08 1E 00")
    assert reading.time is None
    assert reading.absent == ["time"]
    assert reading.status["device_clock_not_set"] is True
    assert len(reading.samples) == 2


@pytest.mark.parametrize(
    ("word", "reason"), [("0004", "demonstration_data"), ("0008", "test_data")]
)
def test_plx_demonstration_and_test_data_are_withheld(word: str, reason: str) -> None:
    spot = decode_hex("2A5E", f"02 6100 4800 {word}")
    cont = decode_hex("2A5F", f"04 6100 4800 {word}")
    for reading in (spot, cont):
        assert reading.samples == []
        assert reading.withheld == reason


def test_plx_continuous_fast_slow() -> None:
    # flags 0x03: normal 97/72, fast 0x60 = 96 / 0x47 = 71, slow 0x62 = 98 / 0x49 = 73.
    reading = decode_hex("2A5F", "03 6100 4800 6000 4700 6200 4900")
    assert values(reading) == {"spo2": 97.0, "heart_rate": 72.0}
    assert reading.extra == {
        "spo2_fast_pct": 96.0,
        "pulse_rate_fast_bpm": 71.0,
        "spo2_slow_pct": 98.0,
        "pulse_rate_slow_bpm": 73.0,
    }
    assert reading.status == {}


def test_plx_continuous_status_and_pai() -> None:
    # flags 0x1C: measurement status 0x8000 (invalid), device 0x008000 (disconnected),
    # PAI 0x0003 = 3 %.
    reading = decode_hex("2A5F", "1C 6100 4800 0080 008000 0300")
    on = sorted(k for k, v in reading.status.items() if v)
    assert on == ["invalid_measurement", "sensor_disconnected"]
    assert reading.extra == {"pulse_amplitude_index_pct": 3.0}
    assert len(reading.samples) == 2


@pytest.mark.parametrize("kind", sorted(SFLOAT_SPECIALS))
def test_plx_special_values(kind: str) -> None:
    sv = SFLOAT_SPECIALS[kind]
    spot = decode_hex("2A5E", f"08 {sv} {sv} {sv}")
    assert spot.samples == []
    assert spot.absent == ["spo2", "heart_rate", "pulse_amplitude_index_pct"]
    cont = decode_hex("2A5F", f"13 {sv} {sv} {sv} {sv} {sv} {sv} {sv}")
    assert cont.samples == []
    assert cont.extra == {}
    assert cont.absent == [
        "spo2",
        "heart_rate",
        "spo2_fast_pct",
        "pulse_rate_fast_bpm",
        "spo2_slow_pct",
        "pulse_rate_slow_bpm",
        "pulse_amplitude_index_pct",
    ]


# --------------------------------------------------------------------------- temperature


@pytest.mark.parametrize(
    ("flt", "celsius"),
    [
        ("DA0300FF", 37.0),  # 986e-1 = 98.6 F: (98.6 - 32) x 5/9 = 37
        ("EC0300FF", 38.0),  # 100.4 F
        ("E30300FF", 37.5),  # 99.5 F
        ("F20300FF", 115 / 3),  # 101.0 F = 38.333... C, the double nearest 115/3
        ("20000000", 0.0),  # 32 F
        ("D8FFFF00", -40.0),  # -40 F (mantissa 0xFFFFD8 = -40)
        ("D4000000", 100.0),  # 212 F
    ],
)
def test_temperature_fahrenheit_exact(flt: str, celsius: float) -> None:
    assert values(decode_hex("2A1C", f"01 {flt}")) == {"body_temperature": celsius}


@pytest.mark.parametrize(
    ("code", "location"),
    [
        (0, None),
        (1, "armpit"),
        (2, "body"),
        (3, "ear"),
        (4, "finger"),
        (5, "gastrointestinal_tract"),
        (6, "mouth"),
        (7, "rectum"),
        (8, "toe"),
        (9, "tympanum"),
        (10, None),
        (255, None),
    ],
)
def test_temperature_types(code: int, location: str | None) -> None:
    assert decode_hex("2A1C", f"04 B00E00FE {code:02X}").location == location


@pytest.mark.parametrize("kind", sorted(FLOAT_SPECIALS))
@pytest.mark.parametrize("flags", ["00", "01"])
def test_temperature_special_values(kind: str, flags: str) -> None:
    reading = decode_hex("2A1C", f"{flags} {FLOAT_SPECIALS[kind]}")
    assert reading.samples == []
    assert reading.absent == ["body_temperature"]


# --------------------------------------------------------------------------- date time


@pytest.mark.parametrize(
    "date_time",
    [
        "0000 03 0F 08 1E 00",  # year 0
        "E807 00 0F 08 1E 00",  # month 0
        "E807 03 00 08 1E 00",  # day 0
        "0000 00 00 00 00 00",
    ],
)
def test_unknown_date_is_absent_time(date_time: str) -> None:
    reading = decode_hex("2A1C", f"02 B00E00FE {date_time}")
    assert reading.time is None
    assert reading.absent == ["time"]
    assert as_json(reading)["time"] is None


@pytest.mark.parametrize(
    ("date_time", "offset"),
    [
        ("E807 0D 0F 08 1E 00", 7),  # month 13
        ("0000 0D 0F 08 1E 00", 7),  # month 13 with unknown year is still corrupt
        ("E807 03 20 08 1E 00", 8),  # day 32
        ("E807 02 1E 08 1E 00", 8),  # 30 February
        ("E707 02 1D 08 1E 00", 8),  # 29 February 2023 (not a leap year)
        ("E807 04 1F 08 1E 00", 8),  # 31 April
        ("E807 03 0F 18 1E 00", 9),  # hour 24
        ("E807 03 0F 08 3C 00", 10),  # minute 60
        ("E807 03 0F 08 1E 3C", 11),  # second 60
        ("2D06 03 0F 08 1E 00", 5),  # year 1581
        ("1027 03 0F 08 1E 00", 5),  # year 10000
        ("FFFF FF FF FF FF FF", 5),
    ],
)
def test_impossible_date_names_the_offset(date_time: str, offset: int) -> None:
    with pytest.raises(GattError) as info:
        decode_hex("2A1C", f"02 B00E00FE {date_time}")
    assert info.value.characteristic == "2A1C"
    assert info.value.offset == offset
    assert f"offset {offset}" in str(info.value)
    assert "2A1C" in str(info.value)


def test_date_time_boundaries() -> None:
    for date_time, expected in [
        ("E807 02 1D 17 3B 3B", datetime(2024, 2, 29, 23, 59, 59)),
        ("2E06 01 01 00 00 00", datetime(1582, 1, 1, 0, 0, 0)),
        ("0F27 0C 1F 17 3B 3B", datetime(9999, 12, 31, 23, 59, 59)),
    ]:
        assert decode_hex("2A1C", f"02 B00E00FE {date_time}").time == expected


# --------------------------------------------------------------------------- truncation

# (uuid, full valid payload, the length its flags require), lengths counted by hand.
CASES = [
    ("2A35", "1E 8A00 5800 7800 0000 04 11 14 29 3B 3C00 01 2700", 19),
    ("2A35", "15 BDF0 0B00 9FF0 3C00 1200", 11),
    ("2A35", "00 7800 5000 5A00", 7),
    ("2A37", "00 55", 2),
    ("2A37", "1E 55 3200 2100", 6),
    ("2A37", "1F 0101 3201 0100 0201 FFFF", 7),  # needs one RR; 2 more are optional
    ("2A9D", "00 B036", 3),
    ("2A9D", f"0E B036 {T_2024} 02 E500 D606", 15),
    ("2A18", f"1B 0100 {T_2024} A6FF 64B0 11 2000", 17),
    ("2A18", f"00 0100 {T_2024}", 10),
    ("2A5E", f"0F CFF3 4800 {T_2024} 8000 2000FF 19F0", 19),
    ("2A5F", "1F 6100 4800 6000 4700 6200 4900 0000 000000 1400", 20),
    ("2A1C", "06 B00E00FE DC07 0C 05 0B 32 1B 04", 13),
    ("2A1C", "00 B00E00FE", 5),
]


@pytest.mark.parametrize(("uuid", "hex_text", "need"), CASES)
def test_truncated_payload_names_characteristic_and_offset(
    uuid: str, hex_text: str, need: int
) -> None:
    payload = bytes.fromhex(hex_text)
    decode(uuid, payload)  # the whole payload is fine
    for length in range(need):
        with pytest.raises(GattError) as info:
            decode(uuid, payload[:length])
        assert info.value.characteristic == uuid
        assert info.value.offset == length
        assert uuid in str(info.value)
        assert NAMES[uuid] in str(info.value)
        assert f"offset {length}" in str(info.value)
    decode(uuid, payload[:need])  # exactly what the flags need is enough


def test_truncation_message_names_the_field() -> None:
    with pytest.raises(GattError, match=r"time stamp field at offset 7") as info:
        decode_hex("2A35", "1E 8A00 5800 7800 0000 04")
    assert info.value.offset == 10


@pytest.mark.parametrize(("uuid", "hex_text", "need"), CASES)
def test_excess_bytes_are_kept_and_reported(uuid: str, hex_text: str, need: int) -> None:
    payload = bytes.fromhex(hex_text)
    base = decode(uuid, payload)
    if uuid == "2A37" and payload[0] & 0x10:
        return  # RR intervals run to the end; covered by the odd-byte test
    longer = decode(uuid, payload + b"\x00\x01\x02")
    assert longer.excess_bytes == base.excess_bytes + 3
    assert msgspec.structs.replace(longer, excess_bytes=base.excess_bytes) == base
    assert as_json(longer)["excess_bytes"] == base.excess_bytes + 3


@pytest.mark.parametrize(("uuid", "hex_text", "need"), CASES)
def test_reserved_flag_bits_are_ignored(uuid: str, hex_text: str, need: int) -> None:
    payload = bytes.fromhex(hex_text)
    flagged = bytes([payload[0] | RESERVED[uuid]]) + payload[1:]
    assert decode(uuid, flagged) == decode(uuid, payload)


# --------------------------------------------------------------------------- UUIDs, hex


@pytest.mark.parametrize(
    "spelling",
    [
        "2A35",
        "2a35",
        "0x2A35",
        "0x2a35",
        "0X2A35",
        " 2A35 ",
        "00002a35-0000-1000-8000-00805f9b34fb",
        "00002A35-0000-1000-8000-00805F9B34FB",
    ],
)
def test_uuid_spellings(spelling: str) -> None:
    reading = decode(spelling, bytes.fromhex("00 7800 5000 5A00"))
    assert reading.characteristic == "2A35"
    assert reading.name == "blood_pressure_measurement"


@pytest.mark.parametrize("uuid", SUPPORTED)
def test_every_characteristic_has_its_name(uuid: str) -> None:
    full = f"0000{uuid.lower()}-0000-1000-8000-00805f9b34fb"
    with pytest.raises(GattError) as info:
        decode(full, b"")
    assert info.value.characteristic == uuid
    assert NAMES[uuid] in str(info.value)


@pytest.mark.parametrize(
    "uuid",
    [
        "2A36",
        "180D",
        "2A19",
        "",
        "0x",
        "2A35x",
        "x2A35",
        "0x0x2A35",
        "00002a35-0000-1000-8000-00805f9b34fc",
        "10002a35-0000-1000-8000-00805f9b34fb",
        "00002a35",
    ],
)
def test_unknown_characteristic(uuid: str) -> None:
    with pytest.raises(GattError, match="unknown characteristic") as info:
        decode(uuid, b"\x00\x00")
    assert info.value.characteristic is None
    assert info.value.offset is None
    assert isinstance(info.value, ValueError)


@pytest.mark.parametrize("hex_text", ["zz", "1E 8", "0x00", "00:55", "1E\x00"])
def test_bad_hex(hex_text: str) -> None:
    with pytest.raises(GattError, match="not hexadecimal") as info:
        decode_hex("2A37", hex_text)
    assert info.value.characteristic == "2A37"


def test_decode_hex_unknown_uuid_before_bad_hex() -> None:
    with pytest.raises(GattError, match="unknown characteristic"):
        decode_hex("FFFF", "zz")


def test_decode_hex_accepts_whitespace_and_case() -> None:
    assert decode_hex("2a37", " 00\t55\n") == decode("2A37", b"\x00\x55")
    assert decode_hex("2A9D", "00b036") == decode("2A9D", b"\x00\xb0\x36")


# --------------------------------------------------------------------------- properties


def check_outcome(uuid: str, payload: bytes) -> Reading | None:
    """Decode; the only failure allowed is GattError, and results must serialise."""
    try:
        reading = decode(uuid, payload)
    except GattError as exc:
        assert exc.offset is None or 0 <= exc.offset <= len(payload)
        assert str(exc)
        return None
    body = as_json(reading)
    assert body["characteristic"] == reading.characteristic
    assert reading.excess_bytes >= 0
    for sample in reading.samples:
        assert sample.unit == METRICS[sample.metric].unit
    if reading.time is not None:
        assert reading.time.tzinfo is None
        assert len(body["time"]) == 19
    return reading


@SETTINGS
@given(uuid=st.sampled_from(SUPPORTED), payload=st.binary(max_size=40))
def test_any_bytes_decode_or_raise_gatt_error(uuid: str, payload: bytes) -> None:
    check_outcome(uuid, payload)


@SETTINGS
@given(
    uuid=st.sampled_from(SUPPORTED),
    flags=st.integers(0, 255),
    body=st.binary(min_size=0, max_size=30),
)
def test_any_flags_decode_or_raise_gatt_error(uuid: str, flags: int, body: bytes) -> None:
    # Valid-looking dates are rare in random bytes, so also try a fixed good time stamp.
    check_outcome(uuid, bytes([flags]) + body)
    for at in (1, 3, 5, 7):
        payload = bytes([flags]) + body
        if len(payload) >= at + 7:
            payload = payload[:at] + bytes.fromhex(T_2024) + payload[at + 7 :]
            check_outcome(uuid, payload)


@SETTINGS
@given(uuid=st.text(max_size=40), payload=st.binary(max_size=24))
def test_random_uuids_raise_only_gatt_error(uuid: str, payload: bytes) -> None:
    reading = check_outcome(uuid, payload)
    if reading is not None:
        assert reading.characteristic in SUPPORTED


@SETTINGS
@given(uuid=st.sampled_from(SUPPORTED), hex_text=st.text(max_size=40))
def test_random_hex_text_raises_only_gatt_error(uuid: str, hex_text: str) -> None:
    with contextlib.suppress(GattError):
        decode_hex(uuid, hex_text)


@SETTINGS
@given(
    uuid=st.sampled_from(SUPPORTED),
    payload=st.binary(min_size=1, max_size=40),
    bits=st.integers(0, 255),
)
def test_reserved_bits_never_change_the_outcome(uuid: str, payload: bytes, bits: int) -> None:
    bits &= RESERVED[uuid]
    flagged = bytes([payload[0] | bits]) + payload[1:]
    outcomes: list[object] = []
    for candidate in (payload, flagged):
        try:
            outcomes.append(decode(uuid, candidate))
        except GattError as exc:
            outcomes.append((exc.offset, str(exc).split("flags")[0]))
    assert outcomes[0] == outcomes[1]


@SETTINGS
@given(
    uuid=st.sampled_from([u for u in SUPPORTED if u != "2A37"]),
    payload=st.binary(min_size=1, max_size=40),
)
def test_every_shorter_prefix_of_a_good_payload_is_truncated(uuid: str, payload: bytes) -> None:
    try:
        reading = decode(uuid, payload)
    except GattError:
        return
    used = len(payload) - reading.excess_bytes
    for length in range(used):
        with pytest.raises(GattError) as info:
            decode(uuid, payload[:length])
        assert info.value.offset == length


def sfloat_parts(raw: int) -> tuple[int, int]:
    mantissa = raw & 0x0FFF
    exponent = raw >> 12
    return (
        mantissa - 0x1000 if mantissa & 0x0800 else mantissa,
        exponent - 16 if exponent & 0x8 else exponent,
    )


@SETTINGS
@given(raw=st.integers(0, 0xFFFF).filter(lambda r: not 0x07FE <= r <= 0x0802))
def test_sfloat_is_the_exact_decimal_rounded_once(raw: int) -> None:
    mantissa, exponent = sfloat_parts(raw)
    exact = Decimal(mantissa).scaleb(exponent)
    payload = bytes([0x00]) + raw.to_bytes(2, "little") * 3
    assert values(decode("2A35", payload))["blood_pressure_systolic"] == float(exact)
    kpa = decode("2A35", bytes([0x01]) + raw.to_bytes(2, "little") * 3)
    assert values(kpa)["blood_pressure_systolic"] == float(exact * Decimal("7.50062"))


@SETTINGS
@given(raw=st.integers(0, 0xFFFFFFFF).filter(lambda r: not 0x007FFFFE <= r <= 0x00800002))
def test_float_and_fahrenheit_are_exact(raw: int) -> None:
    mantissa = raw & 0xFFFFFF
    mantissa = mantissa - 0x1000000 if mantissa & 0x800000 else mantissa
    exponent = raw >> 24
    exponent = exponent - 256 if exponent & 0x80 else exponent
    exact = Decimal(mantissa).scaleb(exponent)
    payload = raw.to_bytes(4, "little")
    assert values(decode("2A1C", b"\x00" + payload))["body_temperature"] == float(exact)
    fahrenheit = values(decode("2A1C", b"\x01" + payload))["body_temperature"]
    # (F - 32) x 5 / 9; Decimal division is not exact, so allow one part in 1e15.
    with_context = (exact - 32) * 5 / 9
    assert fahrenheit == pytest.approx(float(with_context), rel=1e-15, abs=1e-300)


@SETTINGS
@given(raw=st.integers(0, 0xFFFE), imperial=st.booleans())
def test_weight_values(raw: int, imperial: bool) -> None:
    payload = bytes([int(imperial)]) + raw.to_bytes(2, "little")
    (sample,) = decode("2A9D", payload).samples
    exact = Decimal(raw) * (Decimal("0.0045359237") if imperial else Decimal("0.005"))
    assert sample.value == float(exact)


@SETTINGS
@given(raw=st.integers(0, 0xFFFF).filter(lambda r: not 0x07FE <= r <= 0x0802))
def test_glucose_units(raw: int) -> None:
    mantissa, exponent = sfloat_parts(raw)
    exact = Decimal(mantissa).scaleb(exponent)
    body = bytes.fromhex(f"0100 {T_2024}") + raw.to_bytes(2, "little") + b"\x11"
    mol = values(decode("2A18", b"\x06" + body))["blood_glucose"]
    assert mol == float(exact * 1000)
    kg = values(decode("2A18", b"\x02" + body))["blood_glucose"]
    # kg/L x 10^5 = mg/dL; x 10 / 180.15588 = mmol/L.
    assert kg == pytest.approx(float(exact * 100000 * 10 / Decimal("180.15588")), rel=1e-15)
