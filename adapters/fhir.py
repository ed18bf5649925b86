"""The GP summary as a FHIR R4 `Bundle` of type "collection", as a JSON-ready dict.

One Patient, one Device per source, one Observation per metric per local day (the
day's sum or mean, as the summary has it), and one Provenance that says the data are
home measurements the citizen shared. Blood pressure goes in as the vital-signs panel
(85354-9) with systolic and diastolic components, never as two loose Observations.

Flags stay out: they are our rules' reading of the data, not measurements, and the GP
sees them in the summary page and JSON.

Plain dicts, no FHIR library: the request path stays fast and light; the tests check
the output against the fhir.resources models. Every entry has a `urn:uuid:` fullUrl
(UUID5, so the same summary gives the same Bundle) and references point at those.
Values are read in the contract §2 unit of their metric (app.domain.metrics);
metrics this module has no code for are left out.
"""

from __future__ import annotations

import math
import re
from datetime import date, datetime, timedelta
from typing import Any, Final
from zoneinfo import ZoneInfo

import msgspec

from app.domain.ids import stable_id
from app.domain.metrics import Metric
from app.domain.summary import DayPoint, MetricSummary, SharedResponse, SourceRef, Summary
from app.domain.time import local_day_bounds, require_aware

__all__ = [
    "BP_DIASTOLIC",
    "BP_PANEL",
    "BP_SYSTOLIC",
    "BP_TEXT",
    "CODES",
    "CPR_SYSTEM",
    "LOINC_SYSTEM",
    "UCUM_SYSTEM",
    "Code",
    "loinc",
    "questionnaire_response",
    "summary_bundle",
]

LOINC_SYSTEM: Final = "http://loinc.org"
UCUM_SYSTEM: Final = "http://unitsofmeasure.org"
#: the Danish CPR number (as DK Core uses it)
CPR_SYSTEM: Final = "urn:oid:1.2.208.176.1.2"
_CATEGORY_SYSTEM: Final = "http://terminology.hl7.org/CodeSystem/observation-category"
_PARTICIPANT_SYSTEM: Final = "http://terminology.hl7.org/CodeSystem/provenance-participant-type"
_RFC3986: Final = "urn:ietf:rfc:3986"

_CATEGORY_DISPLAY: Final = {
    "vital-signs": "Vital Signs",
    "activity": "Activity",
    "laboratory": "Laboratory",
}

_ACTIVITY_TEXT: Final = "Hjemmemålinger delt af borgeren / Home measurements shared by the citizen"
_FHIR_ID = re.compile(r"[A-Za-z0-9\-.]{1,64}")
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


class Code(msgspec.Struct, frozen=True):
    """How one metric goes into an Observation."""

    loinc: str
    display: str
    #: UCUM code of valueQuantity.code
    ucum: str
    #: what a person reads, valueQuantity.unit
    unit: str
    #: observation-category code
    category: str
    #: decimals kept in the value (0: a whole number)
    decimals: int
    #: further LOINC codings, (code, display), after the first
    more: tuple[tuple[str, str], ...] = ()


#: metric -> its Observation coding; blood pressure is BP_PANEL, not here
CODES: Final[dict[str, Code]] = {
    Metric.STEPS: Code(
        "41950-7", "Number of steps in 24 hour Measured", "/d", "steps/day", "activity", 0
    ),
    Metric.DISTANCE: Code(
        "41953-1", "Walking distance 24 hour Calculated", "m", "m", "activity", 0
    ),
    Metric.ACTIVE_ENERGY: Code("41981-2", "Calories burned", "kcal", "kcal", "activity", 0),
    Metric.HEART_RATE: Code("8867-4", "Heart rate", "/min", "beats/min", "vital-signs", 1),
    Metric.RESTING_HEART_RATE: Code(
        "40443-4", "Heart rate --resting", "/min", "beats/min", "vital-signs", 1
    ),
    Metric.HRV_SDNN: Code(
        "80404-7",
        "R-R interval.standard deviation (Heart rate variability)",
        "ms",
        "ms",
        "vital-signs",
        1,
    ),
    Metric.BODY_MASS: Code("29463-7", "Body weight", "kg", "kg", "vital-signs", 2),
    Metric.SPO2: Code(
        "2708-6",
        "Oxygen saturation in Arterial blood",
        "%",
        "%",
        "vital-signs",
        1,
        (("59408-5", "Oxygen saturation in Arterial blood by Pulse oximetry"),),
    ),
    # a home glucometer reading is point-of-care chemistry, not a vital sign
    Metric.BLOOD_GLUCOSE: Code(
        "15074-8", "Glucose [Moles/volume] in Blood", "mmol/L", "mmol/L", "laboratory", 1
    ),
    Metric.BODY_TEMPERATURE: Code("8310-5", "Body temperature", "Cel", "°C", "vital-signs", 2),
    Metric.RESPIRATORY_RATE: Code(
        "9279-1", "Respiratory rate", "/min", "breaths/min", "vital-signs", 1
    ),
    Metric.SLEEP: Code("93832-4", "Sleep duration", "min", "min", "activity", 0),
}

#: the blood pressure panel and its two components, in mm[Hg]
BP_PANEL: Final = Code(
    "85354-9", "Blood pressure panel with all children optional", "mm[Hg]", "mmHg", "vital-signs", 1
)
BP_SYSTOLIC: Final = ("8480-6", "Systolic blood pressure")
BP_DIASTOLIC: Final = ("8462-4", "Diastolic blood pressure")
BP_TEXT: Final = "Blodtryk / Blood pressure"


def summary_bundle(
    summary: Summary, *, base_url: str = "https://minlaege.dk/fhir"
) -> dict[str, Any]:
    """The summary as a FHIR R4 collection Bundle (a dict ready for JSON).

    `base_url` names the identifier systems of our ids (`<base_url>/identifier/...`);
    references inside the Bundle use the `urn:uuid:` fullUrls.
    """
    return _Builder(summary, base_url.rstrip("/")).bundle()


def questionnaire_response(
    answered: SharedResponse,
    *,
    patient_reference: str | None = None,
    base_url: str = "https://minlaege.dk/fhir",
) -> dict[str, Any]:
    """A PRO answer as a FHIR R4 QuestionnaireResponse: the items as the citizen sent
    them, the version answered in the canonical reference, and our triage as a tag."""
    base = base_url.rstrip("/")
    resource: dict[str, Any] = {
        "resourceType": "QuestionnaireResponse",
        "id": _fhir_id(answered.id, "questionnaire-response"),
        "meta": {
            "tag": [
                {
                    "system": f"{base}/CodeSystem/pro-triage",
                    "code": answered.triage,
                    "display": _TRIAGE_DISPLAY.get(answered.triage, answered.triage),
                }
            ]
        },
        "questionnaire": f"{base}/Questionnaire/{answered.key}|{answered.version}",
        "status": "completed",
        "authored": _instant(answered.submitted_at),
        "item": list(answered.response.get("item") or []),
    }
    if patient_reference is not None:
        resource["subject"] = {"reference": patient_reference}
        resource["source"] = {"reference": patient_reference}
    if not resource["item"]:
        del resource["item"]
    return resource


_TRIAGE_DISPLAY: Final = {
    "green": "Grøn: ingen konsultation nødvendig / Green: no consultation needed",
    "yellow": "Gul: vurderes af klinikken / Yellow: the clinic decides",
    "red": "Rød: kontakt nødvendig / Red: needs contact",
}


class _Builder:
    def __init__(self, summary: Summary, base: str) -> None:
        self.s = summary
        self.base = base
        self.tz = ZoneInfo(summary.timezone)
        self.generated = _instant(summary.generated_at)
        self.patient_id = _fhir_id(summary.patient.id, "patient")
        self.patient_url = _full_url("Patient", self.patient_id)
        #: source key -> (Device id, fullUrl), in first-seen order
        self.devices: dict[str, tuple[str, str]] = {}
        self.sources: dict[str, SourceRef] = {}
        self._periods: dict[date, tuple[str, str]] = {}

    # -- the Bundle ---------------------------------------------------------------------

    def bundle(self) -> dict[str, Any]:
        s = self.s
        bundle_id = stable_id(
            "fhir-bundle", s.share_id, s.period_from.isoformat(), s.period_to.isoformat()
        )
        for ms in s.metrics:
            for src in ms.sources:
                if src.key not in self.sources:
                    self.sources[src.key] = src
                    device_id = stable_id("fhir-device", s.patient.id, src.key)
                    self.devices[src.key] = (device_id, _full_url("Device", device_id))

        entries: list[dict[str, Any]] = [_entry(self.patient_url, self.patient())]
        entries += [
            _entry(url, self.device(self.sources[key], device_id))
            for key, (device_id, url) in self.devices.items()
        ]
        observations = self.observations()
        seen: set[str] = set()
        targets: list[str] = []
        for url, obs in observations:
            if url in seen:  # the same metric and day twice: keep the first
                continue
            seen.add(url)
            targets.append(url)
            entries.append(_entry(url, obs))
        for answered in s.questionnaires:
            resp_url = _full_url("QuestionnaireResponse", answered.id)
            targets.append(resp_url)
            entries.append(
                _entry(
                    resp_url,
                    questionnaire_response(
                        answered, patient_reference=self.patient_url, base_url=self.base
                    ),
                )
            )
        if targets:  # Provenance.target is 1..*
            prov_id = stable_id("fhir-provenance", bundle_id)
            entries.append(
                _entry(_full_url("Provenance", prov_id), self.provenance(prov_id, targets))
            )

        return {
            "resourceType": "Bundle",
            "id": bundle_id,
            "identifier": {"system": _RFC3986, "value": f"urn:uuid:{bundle_id}"},
            "type": "collection",
            "timestamp": self.generated,
            "entry": entries,
        }

    # -- Patient, Device, Provenance ------------------------------------------------------

    def patient(self) -> dict[str, Any]:
        p = self.s.patient
        res: dict[str, Any] = {"resourceType": "Patient", "id": self.patient_id}
        cpr = _cpr(p.cpr)
        if cpr:
            res["identifier"] = [{"system": CPR_SYSTEM, "value": cpr}]
        if p.name.strip():
            res["name"] = [{"text": p.name.strip()}]
        return res

    def device(self, src: SourceRef, device_id: str) -> dict[str, Any]:
        res: dict[str, Any] = {
            "resourceType": "Device",
            "id": device_id,
            "identifier": [{"system": f"{self.base}/identifier/device", "value": device_id}],
        }
        names = []
        if src.name.strip():
            names.append({"name": src.name.strip(), "type": "user-friendly-name"})
        if src.device and src.device.strip():
            names.append({"name": src.device.strip(), "type": "model-name"})
        if names:
            res["deviceName"] = names
        if src.kind.strip():
            res["type"] = {"text": src.kind.strip()}
        res["patient"] = {"reference": self.patient_url}
        return res

    def provenance(self, prov_id: str, targets: list[str]) -> dict[str, Any]:
        s = self.s
        # the citizen originates the data and answers for them (author); each device
        # carried out the measurements (performer)
        agents = [_agent("author", "Author", self.patient_url)]
        agents += [_agent("performer", "Performer", url) for _, url in self.devices.values()]
        start, _ = self.day_period(s.period_from)
        _, end = self.day_period(s.period_to)
        return {
            "resourceType": "Provenance",
            "id": prov_id,
            "target": [{"reference": url} for url in targets],
            "occurredPeriod": {"start": start, "end": end},
            "recorded": self.generated,
            "activity": {"text": _ACTIVITY_TEXT},
            "agent": agents,
        }

    # -- Observations ---------------------------------------------------------------------

    def observations(self) -> list[tuple[str, dict[str, Any]]]:
        by_metric: dict[str, MetricSummary] = {}
        for ms in self.s.metrics:
            by_metric.setdefault(ms.metric, ms)
        out: list[tuple[str, dict[str, Any]]] = []
        bp_done = False
        for metric, ms in by_metric.items():
            if metric in (Metric.BLOOD_PRESSURE_SYSTOLIC, Metric.BLOOD_PRESSURE_DIASTOLIC):
                if not bp_done:
                    bp_done = True
                    out += self.bp_panels(
                        by_metric.get(Metric.BLOOD_PRESSURE_SYSTOLIC),
                        by_metric.get(Metric.BLOOD_PRESSURE_DIASTOLIC),
                    )
                continue
            code = CODES.get(metric)
            if code is None:
                continue
            device = self.single_device([ms])
            for day in sorted(ms.days, key=lambda d: d.date):
                if not math.isfinite(day.value):
                    continue
                obs_id = stable_id(
                    "fhir-observation", self.s.patient.id, metric, day.date.isoformat()
                )
                res = self.observation(obs_id, code, ms.label_da, day.date, device)
                res["valueQuantity"] = _quantity(day.value, code)
                note = _note(day, code)
                if note:
                    res["note"] = [{"text": note}]
                out.append((_full_url("Observation", obs_id), res))
        return out

    def bp_panels(
        self, sys_ms: MetricSummary | None, dia_ms: MetricSummary | None
    ) -> list[tuple[str, dict[str, Any]]]:
        """One panel per day with both a systolic and a diastolic value."""
        if sys_ms is None or dia_ms is None:
            return []
        dia_days = {d.date: d for d in dia_ms.days}
        device = self.single_device([sys_ms, dia_ms])
        out: list[tuple[str, dict[str, Any]]] = []
        for sys_day in sorted(sys_ms.days, key=lambda d: d.date):
            dia_day = dia_days.get(sys_day.date)
            if dia_day is None or not (
                math.isfinite(sys_day.value) and math.isfinite(dia_day.value)
            ):
                continue
            obs_id = stable_id(
                "fhir-observation", self.s.patient.id, "blood_pressure", sys_day.date.isoformat()
            )
            res = self.observation(obs_id, BP_PANEL, BP_TEXT, sys_day.date, device)
            res["component"] = [
                {
                    "code": {"coding": [loinc(*BP_SYSTOLIC)], "text": sys_ms.label_da},
                    "valueQuantity": _quantity(sys_day.value, BP_PANEL),
                },
                {
                    "code": {"coding": [loinc(*BP_DIASTOLIC)], "text": dia_ms.label_da},
                    "valueQuantity": _quantity(dia_day.value, BP_PANEL),
                },
            ]
            note = _bp_note(sys_day, dia_day)
            if note:
                res["note"] = [{"text": note}]
            out.append((_full_url("Observation", obs_id), res))
        return out

    def observation(
        self, obs_id: str, code: Code, text: str, day: date, device: str | None
    ) -> dict[str, Any]:
        start, end = self.day_period(day)
        coding = [loinc(code.loinc, code.display)] + [loinc(c, d) for c, d in code.more]
        res: dict[str, Any] = {
            "resourceType": "Observation",
            "id": obs_id,
            "identifier": [{"system": f"{self.base}/identifier/observation", "value": obs_id}],
            "status": "final",
            "category": [
                {
                    "coding": [
                        {
                            "system": _CATEGORY_SYSTEM,
                            "code": code.category,
                            "display": _CATEGORY_DISPLAY[code.category],
                        }
                    ]
                }
            ],
            "code": {"coding": coding},
            "subject": {"reference": self.patient_url},
            "effectivePeriod": {"start": start, "end": end},
            "issued": self.generated,
        }
        if text.strip():
            res["code"]["text"] = text.strip()
        if device is not None:
            res["device"] = {"reference": device}
        return res

    def single_device(self, metrics: list[MetricSummary]) -> str | None:
        """The Device fullUrl when these metrics have exactly one source between them."""
        keys = {src.key for ms in metrics for src in ms.sources}
        if len(keys) != 1:
            return None
        return self.devices[next(iter(keys))][1]

    def day_period(self, day: date) -> tuple[str, str]:
        """A local day as FHIR dateTimes with offsets; the end is inclusive (23:59:59).

        Cached per day: every metric of a day shares it, and the zone arithmetic is a
        large part of building a bundle."""
        cached = self._periods.get(day)
        if cached is None:
            start, end = local_day_bounds(day, self.s.timezone)
            cached = (
                start.astimezone(self.tz).isoformat(),
                (end - timedelta(seconds=1)).astimezone(self.tz).isoformat(),
            )
            self._periods[day] = cached
        return cached


# -- small pieces ---------------------------------------------------------------------------


def _entry(full_url: str, resource: dict[str, Any]) -> dict[str, Any]:
    return {"fullUrl": full_url, "resource": resource}


def _full_url(resource_type: str, resource_id: str) -> str:
    """Our resource ids are already UUIDs (uuid5 of what they describe), so the fullUrl
    is the id itself; anything else gets a uuid5 of type and id."""
    if _UUID.fullmatch(resource_id):
        return f"urn:uuid:{resource_id}"
    return f"urn:uuid:{stable_id('fhir-fullurl', resource_type, resource_id)}"


def _fhir_id(raw: str, kind: str) -> str:
    """`raw` when it is a valid FHIR id, else a UUID5 of it."""
    return raw if _FHIR_ID.fullmatch(raw) else stable_id(f"fhir-{kind}", raw)


def _instant(dt: datetime) -> str:
    return require_aware(dt).isoformat()


def _cpr(raw: str | None) -> str | None:
    """CPR as DK Core writes it: ten digits, no hyphen."""
    if raw is None:
        return None
    return raw.replace("-", "").replace(" ", "").strip() or None


def loinc(code: str, display: str) -> dict[str, str]:
    return {"system": LOINC_SYSTEM, "code": code, "display": display}


def _agent(code: str, display: str, who: str) -> dict[str, Any]:
    return {
        "type": {"coding": [{"system": _PARTICIPANT_SYSTEM, "code": code, "display": display}]},
        "who": {"reference": who},
    }


def _round(value: float, decimals: int) -> float | int:
    return round(value) if decimals == 0 else round(value, decimals)


def _quantity(value: float, code: Code) -> dict[str, Any]:
    return {
        "value": _round(value, code.decimals),
        "unit": code.unit,
        "system": UCUM_SYSTEM,
        "code": code.ucum,
    }


def _range(day: DayPoint, code: Code) -> str | None:
    if day.min is None or day.max is None:
        return None
    if not (math.isfinite(day.min) and math.isfinite(day.max)):
        return None
    return f"{_text(day.min, code.decimals)}–{_text(day.max, code.decimals)}"


def _text(value: float, decimals: int) -> str:
    """A number for a note: rounded, without trailing zeros (55, 36.85, 81.2)."""
    if decimals == 0:
        return str(round(value))
    return f"{value:.{decimals}f}".rstrip("0").rstrip(".")


def _note(day: DayPoint, code: Code) -> str | None:
    """`n=<count>, min–max unit` for a day of several readings."""
    if day.count is None:
        return None
    span = _range(day, code)
    return f"n={day.count}, {span} {code.unit}" if span else f"n={day.count}"


def _bp_note(sys_day: DayPoint, dia_day: DayPoint) -> str | None:
    if sys_day.count is None and dia_day.count is None:
        return None
    n = sys_day.count if sys_day.count is not None else dia_day.count
    parts = [f"n={n}"]
    sys_span = _range(sys_day, BP_PANEL)
    dia_span = _range(dia_day, BP_PANEL)
    if sys_span:
        parts.append(f"systolic {sys_span}")
    if dia_span:
        parts.append(f"diastolic {dia_span}")
    text = ", ".join(parts)
    return f"{text} {BP_PANEL.unit}" if sys_span or dia_span else text
