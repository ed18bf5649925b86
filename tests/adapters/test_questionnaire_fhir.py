"""PRO in FHIR: the demo definitions are valid R4 Questionnaires, and an answer leaves as
a QuestionnaireResponse, alone and inside the summary Bundle (checked against the R4B
models of fhir.resources, which stand in for R4)."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.questionnaire import Questionnaire
from fhir.resources.R4B.questionnaireresponse import QuestionnaireResponse

from adapters.fhir import questionnaire_response, summary_bundle
from app.domain.summary import PatientRef, SharedResponse, Summary

DEMOS = sorted((Path(__file__).parents[2] / "fixtures" / "questionnaires").glob("*.json"))
ANSWERS: dict[str, Any] = {
    "resourceType": "QuestionnaireResponse",
    "status": "completed",
    "item": [
        {"linkId": "chest-pain", "answer": [{"valueBoolean": True}]},
        {"linkId": "puffs", "answer": [{"valueInteger": 9}]},
    ],
}
ANSWERED = SharedResponse(
    id="0b6f3c1e-2a4d-4d7e-9c55-6a9d2d3e4f10",
    key="home-blood-pressure",
    version=3,
    title_da="Blodtryk hjemme",
    title_en="Home blood pressure",
    submitted_at=datetime(2026, 11, 19, 8, 15, tzinfo=UTC),
    triage="red",
    score=4,
    response=ANSWERS,
)


@pytest.mark.parametrize("path", DEMOS, ids=[p.stem for p in DEMOS])
def test_demo_definitions_are_fhir_questionnaires(path: Path) -> None:
    body = json.loads(path.read_text(encoding="utf-8"))
    parsed = Questionnaire.model_validate(body["questionnaire"])
    assert parsed.status in ("active", "draft") and parsed.item


def test_an_answer_is_a_questionnaire_response() -> None:
    resource = questionnaire_response(ANSWERED, patient_reference="urn:uuid:patient-1")
    parsed = QuestionnaireResponse.model_validate(resource)
    assert parsed.status == "completed"
    assert resource["questionnaire"] == (
        "https://minlaege.dk/fhir/Questionnaire/home-blood-pressure|3"
    )
    assert resource["authored"] == "2026-11-19T08:15:00+00:00"
    assert resource["item"] == ANSWERS["item"]
    assert [t["code"] for t in resource["meta"]["tag"]] == ["red"]
    assert resource["subject"] == {"reference": "urn:uuid:patient-1"}


def test_the_summary_bundle_carries_shared_answers() -> None:
    summary = Summary(
        patient=PatientRef(id="8f14e45f-ceea-467a-9575-1a1f8f1b3c2d", name="Anna Jensen"),
        share_id="share-1",
        clinic_id="clinic-1",
        period_from=date(2026, 11, 1),
        period_to=date(2026, 11, 20),
        timezone="Europe/Copenhagen",
        generated_at=datetime(2026, 11, 20, 9, 0, tzinfo=UTC),
        flags=[],
        metrics=[],
        questionnaires=[ANSWERED],
    )
    bundle = summary_bundle(summary)
    Bundle.model_validate(bundle)
    kinds = [e["resource"]["resourceType"] for e in bundle["entry"]]
    assert kinds == ["Patient", "QuestionnaireResponse", "Provenance"]
    patient_url = bundle["entry"][0]["fullUrl"]
    response = bundle["entry"][1]["resource"]
    assert response["subject"] == {"reference": patient_url}
    provenance = bundle["entry"][2]["resource"]
    assert provenance["target"] == [{"reference": bundle["entry"][1]["fullUrl"]}]
