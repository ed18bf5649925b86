"""Answers in the GP's summary only when the citizen shares "questionnaires"; the
FHIR QuestionnaireResponse export for the clinic's systems is audited."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.questionnaireresponse import QuestionnaireResponse

from tests.conftest import Api

BP_DEF = (
    Path(__file__).parents[2] / "fixtures" / "questionnaires" / "home-blood-pressure.json"
).read_bytes()
PROBLEMS = "https://minlaege.dk/problems/"


def answers(systolic: int, diastolic: int, chest_pain: bool = False) -> dict[str, Any]:
    return {
        "resourceType": "QuestionnaireResponse",
        "status": "completed",
        "item": [
            {"linkId": "measured", "answer": [{"valueBoolean": True}]},
            {
                "linkId": "readings",
                "item": [
                    {"linkId": "days-measured", "answer": [{"valueInteger": 5}]},
                    {"linkId": "systolic", "answer": [{"valueInteger": systolic}]},
                    {"linkId": "diastolic", "answer": [{"valueInteger": diastolic}]},
                ],
            },
            {"linkId": "medicine", "answer": [{"valueCoding": {"code": "every-day"}}]},
            {
                "linkId": "symptoms",
                "item": [
                    {"linkId": "headache", "answer": [{"valueBoolean": False}]},
                    {"linkId": "dizziness", "answer": [{"valueBoolean": False}]},
                    {"linkId": "chest-pain", "answer": [{"valueBoolean": chest_pain}]},
                ],
            },
        ],
    }


async def answered(api: Api, body: dict[str, Any]) -> str:
    r = await api.client.put(
        "/v1/clinician/questionnaires/home-blood-pressure",
        content=BP_DEF,
        headers={**api.gp, "content-type": "application/json"},
    )
    assert r.status_code in (200, 201), r.text
    r = await api.client.post(
        f"/v1/clinician/citizens/{api.demo.citizens[0].id}/questionnaires",
        json={"key": "home-blood-pressure", "every_days": 30},
        headers=api.gp,
    )
    assert r.status_code == 201, r.text
    instance = r.json()["instance_id"]
    r = await api.client.post(
        f"/v1/me/questionnaires/{instance}/response", json=body, headers=api.anna
    )
    assert r.status_code == 201, r.text
    return str(instance)


async def test_answers_join_the_summary_bundle_only_when_shared(api: Api) -> None:
    instance = await answered(api, answers(150, 90))
    summary = f"/v1/clinician/citizens/{api.demo.citizens[0].id}/summary"
    r = await api.client.post("/v1/me/shares", json={"metrics": ["steps"]}, headers=api.anna)
    assert r.status_code == 201
    plain = (await api.client.get(f"{summary}.fhir", headers=api.gp)).json()
    assert "QuestionnaireResponse" not in {e["resource"]["resourceType"] for e in plain["entry"]}
    assert (await api.client.get(summary, headers=api.gp)).json()["questionnaires"] == []
    r = await api.client.post(
        "/v1/me/shares", json={"metrics": ["questionnaires"]}, headers=api.anna
    )
    assert r.status_code == 201, r.text
    bundle = (await api.client.get(f"{summary}.fhir", headers=api.gp)).json()
    Bundle.model_validate(bundle)
    responses = [
        e["resource"]
        for e in bundle["entry"]
        if e["resource"]["resourceType"] == "QuestionnaireResponse"
    ]
    assert [(r["id"], r["meta"]["tag"][0]["code"]) for r in responses] == [(instance, "yellow")]
    as_json = (await api.client.get(summary, headers=api.gp)).json()["questionnaires"]
    assert [(q["id"], q["triage"], q["version"]) for q in as_json] == [(instance, "yellow", 1)]


async def test_fhir_export_of_one_answer_is_audited_and_clinic_bound(api: Api) -> None:
    instance = await answered(api, answers(185, 95))
    url = f"/v1/clinician/questionnaire-responses/{instance}/fhir"
    r = await api.client.get(url, headers=api.gp)
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/fhir+json")
    resource = QuestionnaireResponse.model_validate(r.json())
    assert resource.id == instance and r.json()["meta"]["tag"][0]["code"] == "red"
    log = (await api.client.get("/v1/me/audit-log", headers=api.anna)).json()["items"]
    assert [e["action"] for e in log if e["action"] == "questionnaire_response.read"] == [
        "questionnaire_response.read"
    ]
    _, other = await api.other_clinic()
    r = await api.client.get(url, headers=other)
    assert r.status_code == 404 and r.json()["type"] == PROBLEMS + "questionnaire-not-found"
    r = await api.client.get(url, headers=api.anna)
    assert r.status_code == 403
