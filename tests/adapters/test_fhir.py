"""The GP summary as a FHIR Bundle, checked against the FHIR R4B models of fhir.resources.

fhir.resources 8 ships R5 (default), R4B and STU3, no R4; R4B is R4 plus fixes and has the
same Patient, Device, Observation, Provenance and Bundle shapes, so it stands in for R4.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime
from typing import Any

import msgspec
import pytest
from fhir.resources.R4B.bundle import Bundle

from adapters.fhir import CPR_SYSTEM, LOINC_SYSTEM, UCUM_SYSTEM, summary_bundle
from app.domain.metrics import Metric
from app.domain.summary import (
    Completeness,
    DayPoint,
    MetricSummary,
    PatientRef,
    SourceRef,
    Summary,
    Trend,
)

PATIENT_ID = "8f14e45f-ceea-467a-9575-1a1f8f1b3c2d"
WATCH = SourceRef(
    key="apple:Annas Apple Watch", name="Annas Apple Watch", kind="watch", device="Watch6,1"
)
CUFF = SourceRef(
    key="ble:omron:m7:00A0", name="Omron M7", kind="device", device="Omron M7 Intelli IT"
)
D29, D30, D31, A01 = date(2024, 3, 29), date(2024, 3, 30), date(2024, 3, 31), date(2024, 4, 1)


def _metric(
    metric: Metric, unit: str, days: list[DayPoint], sources: list[SourceRef]
) -> MetricSummary:
    return MetricSummary(
        metric=metric.value,
        unit=unit,
        label_da=f"da:{metric.value}",
        label_en=f"en:{metric.value}",
        days=days,
        mean=sum(d.value for d in days) / len(days) if days else None,
        trend=Trend(),
        completeness=Completeness(
            days_with_data=len(days), days_in_period=4, fraction=len(days) / 4
        ),
        last_data=max((d.date for d in days), default=None),
        sources=sources,
    )


def _day(
    day: date, value: float, lo: float | None = None, hi: float | None = None, n: int | None = None
) -> DayPoint:
    return DayPoint(date=day, value=value, min=lo, max=hi, count=n)


METRICS = [
    _metric(Metric.STEPS, "count", [_day(D29, 8123), _day(D30, 10250), _day(D31, 4321)], [WATCH]),
    _metric(
        Metric.HEART_RATE,
        "bpm",
        [
            _day(D29, 72.44, 55, 130, 480),
            _day(D30, 70.0, 52, 121, 470),
            _day(D31, 74.5, 58, 140, 455),
        ],
        [WATCH],
    ),
    _metric(Metric.RESTING_HEART_RATE, "bpm", [_day(D29, 58), _day(D30, 57)], [WATCH]),
    # weighed on two things: no single Device to point at
    _metric(
        Metric.BODY_MASS,
        "kg",
        [_day(D29, 81.64, 81.6, 81.7, 2), _day(D31, 81.2, 81.2, 81.2, 1)],
        [WATCH, CUFF],
    ),
    _metric(
        Metric.BLOOD_PRESSURE_SYSTOLIC,
        "mmHg",
        [
            _day(D29, 142.333, 138, 147, 3),
            _day(D30, 136.0, 136, 136, 1),
            _day(D31, 150.0, 150, 150, 1),
        ],
        [CUFF],
    ),
    # 31 March has a systolic value only: no panel that day
    _metric(
        Metric.BLOOD_PRESSURE_DIASTOLIC,
        "mmHg",
        [_day(D29, 88.667, 85, 92, 3), _day(D30, 84.0, 84, 84, 1)],
        [CUFF],
    ),
    _metric(Metric.SPO2, "%", [_day(D30, 96.5, 94, 99, 12), _day(D31, 97.0, 95, 99, 10)], [WATCH]),
    # typed in by hand: no source
    _metric(Metric.BLOOD_GLUCOSE, "mmol/L", [_day(D30, 6.2, 5.8, 6.6, 2)], []),
    _metric(
        Metric.BODY_TEMPERATURE,
        "°C",
        [_day(D29, 36.85, 36.7, 37.0, 2), _day(A01, 37.9, 37.9, 37.9, 1)],
        [WATCH],
    ),
    _metric(Metric.SLEEP, "min", [_day(D30, 412), _day(D31, 388)], [WATCH]),
]
#: per Observation code: 3 steps, 3 HR, 2 resting HR, 2 weight, 2 BP panels, 2 SpO2,
#: 1 glucose, 2 temperature, 2 sleep
N_OBSERVATIONS = 19


def _summary(
    *, cpr: str | None = "010190-1234", metrics: list[MetricSummary] | None = None
) -> Summary:
    return Summary(
        patient=PatientRef(id=PATIENT_ID, name="Anna Jensen", cpr=cpr),
        share_id="share-1",
        clinic_id="clinic-1",
        period_from=D29,
        period_to=A01,
        timezone="Europe/Copenhagen",
        generated_at=datetime(2024, 4, 2, 7, 30, tzinfo=UTC),
        flags=[],
        metrics=METRICS if metrics is None else metrics,
    )


def _resources(bundle: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == kind]


def _url_of(bundle: dict[str, Any], resource: dict[str, Any]) -> str:
    return str(next(e["fullUrl"] for e in bundle["entry"] if e["resource"] is resource))


def _by_code(bundle: dict[str, Any], loinc: str) -> list[dict[str, Any]]:
    return [
        o
        for o in _resources(bundle, "Observation")
        if o["code"]["coding"][0]
        == {**o["code"]["coding"][0], "system": LOINC_SYSTEM, "code": loinc}
    ]


def _references(node: Any) -> list[str]:
    if isinstance(node, dict):
        found = [node["reference"]] if isinstance(node.get("reference"), str) else []
        return found + [r for v in node.values() for r in _references(v)]
    if isinstance(node, list):
        return [r for v in node for r in _references(v)]
    return []


@pytest.fixture
def bundle() -> dict[str, Any]:
    return summary_bundle(_summary())


def test_the_whole_bundle_validates_as_r4b(bundle: dict[str, Any]) -> None:
    parsed = Bundle.model_validate(bundle)
    assert parsed.type == "collection"
    assert len(parsed.entry or []) == len(bundle["entry"])
    assert bundle["timestamp"] == "2024-04-02T07:30:00+00:00"


def test_resource_counts(bundle: dict[str, Any]) -> None:
    kinds = Counter(e["resource"]["resourceType"] for e in bundle["entry"])
    assert kinds == {"Patient": 1, "Device": 2, "Observation": N_OBSERVATIONS, "Provenance": 1}


def test_provenance_targets_every_observation_and_names_patient_and_devices(
    bundle: dict[str, Any],
) -> None:
    (prov,) = _resources(bundle, "Provenance")
    obs_urls = {
        e["fullUrl"] for e in bundle["entry"] if e["resource"]["resourceType"] == "Observation"
    }
    targets = [t["reference"] for t in prov["target"]]
    assert len(targets) == N_OBSERVATIONS
    assert set(targets) == obs_urls
    assert prov["recorded"] == bundle["timestamp"]
    assert prov["activity"]["text"].startswith("Hjemmemålinger delt af borgeren")
    assert prov["occurredPeriod"] == {
        "start": "2024-03-29T00:00:00+01:00",
        "end": "2024-04-01T23:59:59+02:00",
    }
    (patient,) = _resources(bundle, "Patient")
    device_urls = {_url_of(bundle, d) for d in _resources(bundle, "Device")}
    roles = {a["who"]["reference"]: a["type"]["coding"][0]["code"] for a in prov["agent"]}
    assert roles == {_url_of(bundle, patient): "author"} | {u: "performer" for u in device_urls}


@pytest.mark.parametrize(
    ("metric", "loinc", "ucum", "category", "days"),
    [
        (Metric.STEPS, "41950-7", "/d", "activity", 3),
        (Metric.HEART_RATE, "8867-4", "/min", "vital-signs", 3),
        (Metric.RESTING_HEART_RATE, "40443-4", "/min", "vital-signs", 2),
        (Metric.BODY_MASS, "29463-7", "kg", "vital-signs", 2),
        (Metric.SPO2, "2708-6", "%", "vital-signs", 2),
        (Metric.BLOOD_GLUCOSE, "15074-8", "mmol/L", "laboratory", 1),
        (Metric.BODY_TEMPERATURE, "8310-5", "Cel", "vital-signs", 2),
        (Metric.SLEEP, "93832-4", "min", "activity", 2),
    ],
)
def test_loinc_ucum_and_category_per_metric(
    bundle: dict[str, Any], metric: Metric, loinc: str, ucum: str, category: str, days: int
) -> None:
    found = _by_code(bundle, loinc)
    assert len(found) == days
    for obs in found:
        assert obs["status"] == "final"
        assert obs["code"]["text"] == f"da:{metric.value}"
        assert obs["valueQuantity"]["system"] == UCUM_SYSTEM
        assert obs["valueQuantity"]["code"] == ucum
        assert obs["category"][0]["coding"][0] == {
            "system": "http://terminology.hl7.org/CodeSystem/observation-category",
            "code": category,
            "display": {
                "activity": "Activity",
                "vital-signs": "Vital Signs",
                "laboratory": "Laboratory",
            }[category],
        }


def test_the_other_metrics_get_their_codes_too() -> None:
    extra = [
        _metric(Metric.DISTANCE, "m", [_day(D30, 6512.4)], [WATCH]),
        _metric(Metric.ACTIVE_ENERGY, "kcal", [_day(D30, 412.6)], [WATCH]),
        _metric(Metric.HRV_SDNN, "ms", [_day(D30, 41.26, 20, 70, 5)], [WATCH]),
        _metric(Metric.RESPIRATORY_RATE, "/min", [_day(D30, 14.3, 12, 17, 30)], [WATCH]),
    ]
    bundle = summary_bundle(_summary(metrics=extra))
    Bundle.model_validate(bundle)
    got = {
        o["code"]["coding"][0]["code"]: (o["valueQuantity"]["code"], o["valueQuantity"]["value"])
        for o in _resources(bundle, "Observation")
    }
    assert got == {
        "41953-1": ("m", 6512),
        "41981-2": ("kcal", 413),
        "80404-7": ("ms", 41.3),
        "9279-1": ("/min", 14.3),
    }


def test_spo2_also_carries_the_pulse_oximetry_code(bundle: dict[str, Any]) -> None:
    for obs in _by_code(bundle, "2708-6"):
        assert [c["code"] for c in obs["code"]["coding"]] == ["2708-6", "59408-5"]


def test_values_are_the_day_values_rounded_with_a_count_note(bundle: dict[str, Any]) -> None:
    steps = sorted(_by_code(bundle, "41950-7"), key=lambda o: o["effectivePeriod"]["start"])
    assert [o["valueQuantity"]["value"] for o in steps] == [8123, 10250, 4321]
    assert all("note" not in o for o in steps)  # a sum has no count
    hr = sorted(_by_code(bundle, "8867-4"), key=lambda o: o["effectivePeriod"]["start"])
    assert hr[0]["valueQuantity"]["value"] == 72.4
    assert hr[0]["note"] == [{"text": "n=480, 55–130 beats/min"}]
    (glucose,) = _by_code(bundle, "15074-8")
    assert glucose["valueQuantity"] == {
        "value": 6.2,
        "unit": "mmol/L",
        "system": UCUM_SYSTEM,
        "code": "mmol/L",
    }
    assert glucose["note"] == [{"text": "n=2, 5.8–6.6 mmol/L"}]
    weight = sorted(_by_code(bundle, "29463-7"), key=lambda o: o["effectivePeriod"]["start"])
    assert weight[0]["valueQuantity"]["value"] == 81.64
    assert weight[0]["note"] == [{"text": "n=2, 81.6–81.7 kg"}]


def test_blood_pressure_is_one_panel_per_day_with_both_values(bundle: dict[str, Any]) -> None:
    panels = sorted(_by_code(bundle, "85354-9"), key=lambda o: o["effectivePeriod"]["start"])
    assert [p["effectivePeriod"]["start"][:10] for p in panels] == ["2024-03-29", "2024-03-30"]
    first = panels[0]
    assert "valueQuantity" not in first
    assert first["category"][0]["coding"][0]["code"] == "vital-signs"
    (systolic, diastolic) = first["component"]
    assert systolic["code"]["coding"] == [
        {"system": LOINC_SYSTEM, "code": "8480-6", "display": "Systolic blood pressure"}
    ]
    assert diastolic["code"]["coding"] == [
        {"system": LOINC_SYSTEM, "code": "8462-4", "display": "Diastolic blood pressure"}
    ]
    assert systolic["valueQuantity"] == {
        "value": 142.3,
        "unit": "mmHg",
        "system": UCUM_SYSTEM,
        "code": "mm[Hg]",
    }
    assert diastolic["valueQuantity"] == {
        "value": 88.7,
        "unit": "mmHg",
        "system": UCUM_SYSTEM,
        "code": "mm[Hg]",
    }
    assert first["note"] == [{"text": "n=3, systolic 138–147, diastolic 85–92 mmHg"}]


def test_no_loose_systolic_or_diastolic_observations(bundle: dict[str, Any]) -> None:
    top_codes = {c["code"] for o in _resources(bundle, "Observation") for c in o["code"]["coding"]}
    assert "8480-6" not in top_codes
    assert "8462-4" not in top_codes


def test_effective_period_is_the_local_day_with_offsets(bundle: dict[str, Any]) -> None:
    # 31 March 2024 is the spring-forward day in Copenhagen: 23 hours, +01:00 to +02:00
    steps = {
        o["effectivePeriod"]["start"][:10]: o["effectivePeriod"]
        for o in _by_code(bundle, "41950-7")
    }
    assert steps["2024-03-29"] == {
        "start": "2024-03-29T00:00:00+01:00",
        "end": "2024-03-29T23:59:59+01:00",
    }
    assert steps["2024-03-31"] == {
        "start": "2024-03-31T00:00:00+01:00",
        "end": "2024-03-31T23:59:59+02:00",
    }


def test_device_only_when_the_metric_has_exactly_one_source(bundle: dict[str, Any]) -> None:
    devices = {d["deviceName"][0]["name"]: _url_of(bundle, d) for d in _resources(bundle, "Device")}
    assert set(devices) == {"Annas Apple Watch", "Omron M7"}
    assert {o["device"]["reference"] for o in _by_code(bundle, "41950-7")} == {
        devices["Annas Apple Watch"]
    }
    assert {o["device"]["reference"] for o in _by_code(bundle, "85354-9")} == {devices["Omron M7"]}
    assert all("device" not in o for o in _by_code(bundle, "29463-7"))  # two sources
    assert all("device" not in o for o in _by_code(bundle, "15074-8"))  # none


def test_devices_carry_name_model_and_kind(bundle: dict[str, Any]) -> None:
    cuff = next(d for d in _resources(bundle, "Device") if d["deviceName"][0]["name"] == "Omron M7")
    assert cuff["deviceName"] == [
        {"name": "Omron M7", "type": "user-friendly-name"},
        {"name": "Omron M7 Intelli IT", "type": "model-name"},
    ]
    assert cuff["type"] == {"text": "device"}
    (patient,) = _resources(bundle, "Patient")
    assert cuff["patient"] == {"reference": _url_of(bundle, patient)}


def test_every_reference_resolves_inside_the_bundle(bundle: dict[str, Any]) -> None:
    urls = [e["fullUrl"] for e in bundle["entry"]]
    assert len(urls) == len(set(urls))
    assert all(u.startswith("urn:uuid:") for u in urls)
    refs = _references(bundle)
    assert refs
    assert set(refs) <= set(urls)


def test_subject_is_the_patient(bundle: dict[str, Any]) -> None:
    (patient,) = _resources(bundle, "Patient")
    url = _url_of(bundle, patient)
    assert {o["subject"]["reference"] for o in _resources(bundle, "Observation")} == {url}


def test_patient_with_cpr(bundle: dict[str, Any]) -> None:
    (patient,) = _resources(bundle, "Patient")
    assert patient["id"] == PATIENT_ID
    assert patient["identifier"] == [{"system": CPR_SYSTEM, "value": "0101901234"}]
    assert patient["name"] == [{"text": "Anna Jensen"}]


def test_patient_without_cpr_has_no_identifier() -> None:
    bundle = summary_bundle(_summary(cpr=None))
    Bundle.model_validate(bundle)
    (patient,) = _resources(bundle, "Patient")
    assert "identifier" not in patient
    assert patient["name"] == [{"text": "Anna Jensen"}]


def test_a_patient_id_that_is_no_fhir_id_is_hashed_into_one() -> None:
    summary = msgspec.structs.replace(
        _summary(), patient=PatientRef(id="citizen:42/x" * 8, name="Anna Jensen")
    )
    bundle = summary_bundle(summary)
    Bundle.model_validate(bundle)
    (patient,) = _resources(bundle, "Patient")
    assert len(patient["id"]) == 36


def test_summary_without_metrics_is_still_a_valid_bundle() -> None:
    bundle = summary_bundle(_summary(metrics=[]))
    Bundle.model_validate(bundle)
    assert [e["resource"]["resourceType"] for e in bundle["entry"]] == ["Patient"]


def test_only_systolic_gives_no_blood_pressure_and_no_provenance_without_observations() -> None:
    systolic = next(m for m in METRICS if m.metric == Metric.BLOOD_PRESSURE_SYSTOLIC)
    bundle = summary_bundle(_summary(metrics=[systolic]))
    Bundle.model_validate(bundle)
    kinds = Counter(e["resource"]["resourceType"] for e in bundle["entry"])
    assert kinds == {"Patient": 1, "Device": 1}


def test_json_with_msgspec(bundle: dict[str, Any]) -> None:
    raw = msgspec.json.encode(bundle)
    assert msgspec.json.decode(raw) == bundle
    Bundle.model_validate_json(raw)


def test_the_same_summary_gives_the_same_bundle(bundle: dict[str, Any]) -> None:
    assert summary_bundle(_summary()) == bundle
    assert bundle["identifier"] == {
        "system": "urn:ietf:rfc:3986",
        "value": f"urn:uuid:{bundle['id']}",
    }
    other_period = summary_bundle(msgspec.structs.replace(_summary(), period_to=date(2024, 4, 2)))
    other_share = summary_bundle(msgspec.structs.replace(_summary(), share_id="share-2"))
    assert len({bundle["id"], other_period["id"], other_share["id"]}) == 3


def test_base_url_names_the_identifier_systems() -> None:
    bundle = summary_bundle(_summary(), base_url="https://example.org/fhir/")
    (obs, *_) = _resources(bundle, "Observation")
    assert obs["identifier"][0]["system"] == "https://example.org/fhir/identifier/observation"
    (dev, *_) = _resources(bundle, "Device")
    assert dev["identifier"][0]["system"] == "https://example.org/fhir/identifier/device"


def test_flags_stay_out(bundle: dict[str, Any]) -> None:
    assert not _resources(bundle, "Flag")
    assert all("interpretation" not in o for o in _resources(bundle, "Observation"))


def test_a_naive_generated_at_is_refused() -> None:
    summary = msgspec.structs.replace(_summary(), generated_at=datetime(2024, 4, 2, 7, 30))
    with pytest.raises(ValueError, match="timezone-aware"):
        summary_bundle(summary)
