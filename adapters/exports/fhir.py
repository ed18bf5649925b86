"""The citizen's export as a FHIR R4 Bundle, entry by entry (ADR 0022).

Unlike the GP summary (`adapters.fhir`, one Observation per metric per day), the export
holds every stored sample: one Observation per sample, blood pressure as the vital-signs
panel when a systolic and a diastolic reading share their source and time (a reading
without its partner goes in alone, coded as that component). Beside them: one Patient
(name only: no CPR number), one Device per source, a QuestionnaireResponse per answered
questionnaire (`adapters.fhir.questionnaire_response`) and a MedicationAdministration
per dose the citizen recorded as taken (`completed`) or skipped (`not-done`).

The functions here build plain dicts for one entry each; `adapters.exports.archive`
encodes and writes them as they come, so nothing holds the whole Bundle.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator, Sequence
from datetime import datetime
from typing import Any, Final
from zoneinfo import ZoneInfo

from adapters.fhir import (
    BP_DIASTOLIC,
    BP_PANEL,
    BP_SYSTOLIC,
    BP_TEXT,
    CODES,
    UCUM_SYSTEM,
    Code,
    loinc,
    questionnaire_response,
)
from app.domain.dosing import Dose
from app.domain.ids import stable_id, stable_id_maker
from app.domain.metrics import METRICS, Metric
from app.domain.summary import SharedResponse
from app.ports.exports import StoredSample

__all__ = [
    "BASE_URL",
    "Entry",
    "ExportFhir",
    "bp_pairs",
]

BASE_URL: Final = "https://minlaege.dk/fhir"
_CATEGORY_SYSTEM: Final = "http://terminology.hl7.org/CodeSystem/observation-category"
_CATEGORY_DISPLAY: Final = {
    "vital-signs": "Vital Signs",
    "activity": "Activity",
    "laboratory": "Laboratory",
}
_SYS, _DIA = Metric.BLOOD_PRESSURE_SYSTOLIC.value, Metric.BLOOD_PRESSURE_DIASTOLIC.value

Entry = dict[str, Any]
#: a metric's Observation category list, code concept and coding (built once per metric)
_Head = tuple[list[dict[str, Any]], dict[str, Any], Code | None]
#: a blood pressure reading: its systolic and its diastolic sample, either may be missing
BpPair = tuple[StoredSample | None, StoredSample | None]


def _uuid(*parts: str) -> str:
    return stable_id("fhir-export", *parts)


class ExportFhir:
    """Builds the Bundle's entries for one citizen; the constant parts built once."""

    def __init__(
        self,
        *,
        citizen_id: str,
        name: str,
        timezone: str,
        generated_at: datetime,
        sources: dict[int, dict[str, Any]],
    ) -> None:
        self.citizen_id = citizen_id
        self.name = name
        self.tz = ZoneInfo(timezone)
        self.generated = generated_at.astimezone(self.tz).isoformat()
        self.patient_id = _uuid("patient", citizen_id)
        self.patient_ref = {"reference": f"urn:uuid:{self.patient_id}"}
        self.sources = sources
        self.device_refs = {
            no: {"reference": f"urn:uuid:{_uuid('device', citizen_id, src['key'])}"}
            for no, src in sources.items()
        }
        self._heads: dict[str, _Head] = {}
        self._obs_id = stable_id_maker("fhir-export", "obs", citizen_id)
        self._bp_id = stable_id_maker("fhir-export", "bp", citizen_id)

    # -- the Bundle around the entries -----------------------------------------------------

    def header(self, export_id: str) -> dict[str, Any]:
        """The Bundle without its entries (`entry` is written as a stream after this)."""
        bundle_id = _uuid("bundle", export_id)
        return {
            "resourceType": "Bundle",
            "id": bundle_id,
            "identifier": {"system": "urn:ietf:rfc:3986", "value": f"urn:uuid:{bundle_id}"},
            "type": "collection",
            "timestamp": self.generated,
        }

    def patient(self) -> Entry:
        resource: dict[str, Any] = {"resourceType": "Patient", "id": self.patient_id}
        if self.name.strip():
            resource["name"] = [{"text": self.name.strip()}]
        return {"fullUrl": self.patient_ref["reference"], "resource": resource}

    def devices(self) -> list[Entry]:
        out = []
        for no, src in sorted(self.sources.items()):
            ref = self.device_refs[no]["reference"]
            resource: dict[str, Any] = {
                "resourceType": "Device",
                "id": ref.removeprefix("urn:uuid:"),
                "identifier": [{"system": f"{BASE_URL}/identifier/source", "value": src["key"]}],
                "patient": self.patient_ref,
            }
            names = [{"name": src["name"], "type": "user-friendly-name"}] if src["name"] else []
            if src.get("device"):
                names.append({"name": src["device"], "type": "model-name"})
            if names:
                resource["deviceName"] = names
            if src.get("kind"):
                resource["type"] = {"text": src["kind"]}
            out.append({"fullUrl": ref, "resource": resource})
        return out

    # -- measurements ----------------------------------------------------------------------

    def _head(self, metric: str) -> _Head:
        """(category, code, coding) of a metric's Observations, built once per metric."""
        cached = self._heads.get(metric)
        if cached is None:
            code = CODES.get(metric)
            if metric == _SYS:
                code = Code(*BP_SYSTOLIC, "mm[Hg]", "mmHg", "vital-signs", 0)
            elif metric == _DIA:
                code = Code(*BP_DIASTOLIC, "mm[Hg]", "mmHg", "vital-signs", 0)
            category = code.category if code else "vital-signs"
            cat: dict[str, Any] = {
                "coding": [
                    {
                        "system": _CATEGORY_SYSTEM,
                        "code": category,
                        "display": _CATEGORY_DISPLAY[category],
                    }
                ]
            }
            if code is not None:
                concept: dict[str, Any] = {"coding": [loinc(code.loinc, code.display)]}
            else:  # no LOINC code of ours yet (hrv_rmssd): our own code, nothing lost
                concept = {
                    "coding": [{"system": f"{BASE_URL}/CodeSystem/metric", "code": metric}],
                    "text": metric,
                }
            cached = ([cat], concept, code)
            self._heads[metric] = cached
        return cached

    def _when(self, start_ms: int, end_ms: int) -> tuple[str, Any]:
        start = datetime.fromtimestamp(start_ms / 1000, self.tz).isoformat()
        if end_ms <= start_ms:
            return "effectiveDateTime", start
        end = datetime.fromtimestamp(end_ms / 1000, self.tz).isoformat()
        return "effectivePeriod", {"start": start, "end": end}

    def _quantity(self, metric: str, value: float, code: Code | None) -> dict[str, Any]:
        if code is not None:
            number: float | int = round(value) if code.decimals == 0 else value
            return {"value": number, "unit": code.unit, "system": UCUM_SYSTEM, "code": code.ucum}
        return {"value": value, "unit": _unit(metric)}

    def observations(self, metric: str, rows: Sequence[StoredSample]) -> Iterator[Entry]:
        """One Observation per sample of one metric (not blood pressure: `bp_panels`)."""
        category, concept, code = self._head(metric)
        for start_ms, source_no, end_ms, value, stage, _ in rows:
            obs_id = self._obs_id(
                metric, str(start_ms), str(source_no), str(end_ms), repr(value), stage
            )
            when_key, when = self._when(start_ms, end_ms)
            resource: dict[str, Any] = {
                "resourceType": "Observation",
                "id": obs_id,
                "status": "final",
                "category": category,
                "code": concept,
                "subject": self.patient_ref,
                when_key: when,
                "valueQuantity": self._quantity(metric, value, code),
            }
            device = self.device_refs.get(source_no)
            if device is not None:
                resource["device"] = device
            if stage:
                resource["note"] = [{"text": f"Søvnstadie / sleep stage: {stage}"}]
            yield {"fullUrl": f"urn:uuid:{obs_id}", "resource": resource}

    def bp_panels(self, pairs: Sequence[BpPair]) -> Iterator[Entry]:
        """A panel for each reading with both parts; a lone part as its own Observation."""
        category = self._head(Metric.BLOOD_PRESSURE_SYSTOLIC)[0]
        panel = {
            "coding": [loinc(BP_PANEL.loinc, BP_PANEL.display)],
            "text": BP_TEXT,
        }
        for systolic, diastolic in pairs:
            if systolic is None or diastolic is None:
                lone = systolic or diastolic
                assert lone is not None
                yield from self.observations(_SYS if systolic else _DIA, [lone])
                continue
            start_ms, source_no, end_ms = systolic[0], systolic[1], systolic[2]
            obs_id = self._bp_id(
                str(start_ms), str(source_no), str(end_ms), repr(systolic[3]), repr(diastolic[3])
            )
            when_key, when = self._when(start_ms, end_ms)
            resource: dict[str, Any] = {
                "resourceType": "Observation",
                "id": obs_id,
                "status": "final",
                "category": category,
                "code": panel,
                "subject": self.patient_ref,
                when_key: when,
                "component": [
                    {
                        "code": {"coding": [loinc(*BP_SYSTOLIC)]},
                        "valueQuantity": _mmhg(systolic[3]),
                    },
                    {
                        "code": {"coding": [loinc(*BP_DIASTOLIC)]},
                        "valueQuantity": _mmhg(diastolic[3]),
                    },
                ],
            }
            device = self.device_refs.get(source_no)
            if device is not None:
                resource["device"] = device
            yield {"fullUrl": f"urn:uuid:{obs_id}", "resource": resource}

    # -- questionnaires and medicine -------------------------------------------------------

    def responses(self, answered: Sequence[SharedResponse]) -> Iterator[Entry]:
        for a in answered:
            resource = questionnaire_response(
                a, patient_reference=self.patient_ref["reference"], base_url=BASE_URL
            )
            yield {
                "fullUrl": f"urn:uuid:{_uuid('qr', self.citizen_id, a.id)}",
                "resource": resource,
            }

    def doses(self, doses: Sequence[tuple[Dose, str]]) -> Iterator[Entry]:
        """A MedicationAdministration per dose: what the citizen took (or skipped) and when."""
        for dose, name in doses:
            dose_id = _uuid("dose", self.citizen_id, dose.id)
            resource: dict[str, Any] = {
                "resourceType": "MedicationAdministration",
                "id": dose_id,
                "status": "completed" if dose.status == "taken" else "not-done",
                "medicationCodeableConcept": {"text": name},
                "subject": self.patient_ref,
                "effectiveDateTime": dose.at.astimezone(self.tz).isoformat(),
            }
            if dose.status != "taken":
                resource["statusReason"] = [{"text": "Sprunget over / skipped"}]
            if dose.planned_at is not None:
                planned = dose.planned_at.astimezone(self.tz).isoformat()
                resource["note"] = [{"text": f"Planlagt / planned: {planned}"}]
            yield {"fullUrl": f"urn:uuid:{dose_id}", "resource": resource}


def _unit(metric: str) -> str:
    try:
        return METRICS[Metric(metric)].unit
    except (ValueError, KeyError):
        return ""


def _mmhg(value: float) -> dict[str, Any]:
    return {"value": value, "unit": "mmHg", "system": UCUM_SYSTEM, "code": "mm[Hg]"}


async def bp_pairs(
    systolic: AsyncIterator[Sequence[StoredSample]],
    diastolic: AsyncIterator[Sequence[StoredSample]],
    *,
    batch: int = 5000,
) -> AsyncIterator[list[BpPair]]:
    """Merge the two metrics' key-ordered streams: a systolic and a diastolic sample of
    the same source, start and end make one reading; either alone stays alone."""
    sys_rows = _rows(systolic)
    dia_rows = _rows(diastolic)
    s = await anext(sys_rows, None)
    d = await anext(dia_rows, None)
    out: list[BpPair] = []
    while s is not None or d is not None:
        if s is not None and d is not None and (s[0], s[1], s[2]) == (d[0], d[1], d[2]):
            out.append((s, d))
            s, d = await anext(sys_rows, None), await anext(dia_rows, None)
        elif d is None or (s is not None and (s[0], s[1], s[2]) < (d[0], d[1], d[2])):
            out.append((s, None))
            s = await anext(sys_rows, None)
        else:
            out.append((None, d))
            d = await anext(dia_rows, None)
        if len(out) >= batch:
            yield out
            out = []
    if out:
        yield out


async def _rows(pages: AsyncIterator[Sequence[StoredSample]]) -> AsyncIterator[StoredSample]:
    async for page in pages:
        for row in page:
            yield row
