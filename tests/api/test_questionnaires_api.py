"""PRO questionnaires over HTTP on both engines (contracts §6): a clinic loads and
versions definitions, assigns them, the worker opens them in the citizen's zone, the
citizen (or a proxy with the scope) answers, and triage sends green answers back at once
and yellow and red ones to the clinic's inbox, red first, with the clinic's number.
"""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

import httpx
import pytest

from app.domain.ids import stable_id
from app.domain.push import PushMessage, PushResult
from app.store.repos.inbox import SqlInbox
from app.store.repos.questionnaires import SqlQuestionnaires
from mobile_api.worker import work_once
from tests.conftest import Api

FIXTURES = Path(__file__).parents[2] / "fixtures" / "questionnaires"
PROBLEMS = "https://minlaege.dk/problems/"
DEFS = "/v1/clinician/questionnaires"
MINE = "/v1/me/questionnaires"
INBOX = "/v1/clinician/inbox"
BP = "home-blood-pressure"
COPD = "copd-breathlessness"
BENT_CPR = "121245-1235"
PHONE = "+45 35 12 34 56"

BP_GREEN_DA = (
    "Tak for dine svar. Dit blodtryk ser ud til at være, som det skal. Fortsæt som aftalt"
    " med lægen. Får du smerter i brystet, skal du ringe 112."
)
BP_GREEN_EN = (
    "Thank you for your answers. Your blood pressure looks as it should. Carry on as agreed"
    " with the doctor. If you get chest pain, call 112."
)


# --- building bodies -----------------------------------------------------------------


def definition(name: str = BP) -> dict[str, Any]:
    body: dict[str, Any] = json.loads((FIXTURES / f"{name}.json").read_text())
    return body


def said(link_id: str, key: str, value: Any) -> dict[str, Any]:
    return {"linkId": link_id, "answer": [{key: value}]}


def coded(link_id: str, code: str) -> dict[str, Any]:
    return said(link_id, "valueCoding", {"system": "urn:minlaege:demo", "code": code})


def response(*items: dict[str, Any]) -> dict[str, Any]:
    return {"resourceType": "QuestionnaireResponse", "status": "completed", "item": list(items)}


def bp(
    systolic: int = 128,
    diastolic: int = 80,
    *,
    medicine: str = "every-day",
    chest: bool = False,
    dizziness: bool = False,
) -> dict[str, Any]:
    """A home blood-pressure answer: measured on 5 days, these readings, no symptoms."""
    return response(
        said("measured", "valueBoolean", True),
        {
            "linkId": "readings",
            "item": [
                said("days-measured", "valueInteger", 5),
                said("systolic", "valueInteger", systolic),
                said("diastolic", "valueInteger", diastolic),
            ],
        },
        coded("medicine", medicine),
        {
            "linkId": "symptoms",
            "item": [
                said("headache", "valueBoolean", False),
                said("dizziness", "valueBoolean", dizziness),
                said("chest-pain", "valueBoolean", chest),
            ],
        },
    )


# --- calling the API -----------------------------------------------------------------


def anna_id(api: Api) -> str:
    return api.demo.citizens[0].id


def bent_id(api: Api) -> str:
    return api.demo.citizens[1].id


async def load(
    api: Api, key: str = BP, body: dict[str, Any] | None = None, who: dict[str, str] | None = None
) -> httpx.Response:
    return await api.client.put(
        f"{DEFS}/{key}", json=definition(key) if body is None else body, headers=who or api.gp
    )


async def assign(
    api: Api,
    key: str = BP,
    citizen_id: str | None = None,
    who: dict[str, str] | None = None,
    **extra: Any,
) -> httpx.Response:
    return await api.client.post(
        f"/v1/clinician/citizens/{citizen_id or anna_id(api)}/questionnaires",
        json={"key": key, **extra},
        headers=who or api.gp,
    )


async def given(api: Api, key: str = BP, citizen_id: str | None = None, **extra: Any) -> str:
    """Load `key` if need be, assign it, and return the instance opened at once."""
    if (await api.client.get(f"{DEFS}/{key}", headers=api.gp)).status_code == 404:
        assert (await load(api, key)).status_code == 201
    r = await assign(api, key, citizen_id, **extra)
    assert r.status_code == 201, r.text
    instance_id = r.json()["instance_id"]
    assert isinstance(instance_id, str)
    return instance_id


async def answer(
    api: Api,
    instance_id: str,
    body: dict[str, Any],
    who: dict[str, str] | None = None,
    key: str | None = None,
) -> httpx.Response:
    headers = dict(who or api.anna)
    if key is not None:
        headers["Idempotency-Key"] = key
    return await api.client.post(f"{MINE}/{instance_id}/response", json=body, headers=headers)


async def mine(api: Api, who: dict[str, str] | None = None) -> list[dict[str, Any]]:
    r = await api.client.get(MINE, headers=who or api.anna)
    assert r.status_code == 200, r.text
    return r.json()["items"]  # type: ignore[no-any-return]


async def notices(api: Api, who: dict[str, str] | None = None) -> list[dict[str, Any]]:
    r = await api.client.get("/v1/me/notices", headers=who or api.anna)
    assert r.status_code == 200, r.text
    return r.json()["items"]  # type: ignore[no-any-return]


async def inbox(
    api: Api, who: dict[str, str] | None = None, status: str = "open"
) -> list[dict[str, Any]]:
    r = await api.client.get(f"{INBOX}?status={status}", headers=who or api.gp)
    assert r.status_code == 200, r.text
    return r.json()["items"]  # type: ignore[no-any-return]


async def audit_log(api: Api, who: dict[str, str] | None = None) -> list[dict[str, Any]]:
    """The citizen's log without the entries its own reading adds."""
    r = await api.client.get("/v1/me/audit-log?limit=200", headers=who or api.anna)
    assert r.status_code == 200, r.text
    return [e for e in r.json()["items"] if e["action"] != "audit_log.read"]


async def set_phone(api: Api, phone: str = PHONE) -> None:
    r = await api.client.put("/v1/clinician/clinic/rules", json={"phone": phone}, headers=api.gp)
    assert r.status_code == 200, r.text


def kind_of(r: httpx.Response) -> str:
    return str(r.json()["type"]).removeprefix(PROBLEMS)


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


# --- 1. definitions ------------------------------------------------------------------


async def test_each_put_is_a_new_version_and_staff_may_load(api: Api) -> None:
    r = await load(api, BP)
    assert r.status_code == 201, r.text
    assert {k: r.json()[k] for k in ("key", "version", "title_da", "title_en")} == {
        "key": BP,
        "version": 1,
        "title_da": "Blodtryk målt hjemme",
        "title_en": "Blood pressure measured at home",
    }
    r = await load(api, COPD)
    assert (r.status_code, r.json()["version"]) == (201, 1)
    r = await load(api, BP)
    assert (r.status_code, r.json()["key"], r.json()["version"]) == (200, BP, 2)
    # a nurse is clinic staff: she may load a version too
    r = await load(api, BP, who=api.nurse)
    assert (r.status_code, r.json()["version"]) == (200, 3)

    listed = await api.client.get(DEFS, headers=api.gp)
    assert listed.status_code == 200
    assert [(q["key"], q["version"], q["title_en"]) for q in listed.json()] == [
        (COPD, 1, "Breathlessness with COPD – today's check"),
        (BP, 3, "Blood pressure measured at home"),
    ]
    one = await api.client.get(f"{DEFS}/{BP}", headers=api.gp)
    assert one.status_code == 200
    assert one.json() == {"key": BP, "version": 3, **definition(BP)}
    missing = await api.client.get(f"{DEFS}/no-such", headers=api.gp)
    assert (missing.status_code, kind_of(missing)) == (404, "questionnaire-not-found")


@pytest.mark.parametrize("key", ["Bad_Key", "a" * 65, "blodtryk!"])
async def test_a_key_outside_the_pattern_is_refused(api: Api, key: str) -> None:
    r = await api.client.put(f"{DEFS}/{key}", json=definition(BP), headers=api.gp)
    assert (r.status_code, kind_of(r)) == (422, "invalid"), r.text
    assert (await api.client.get(DEFS, headers=api.gp)).json() == []


async def test_a_definition_with_several_mistakes_names_each(api: Api) -> None:
    body = definition(BP)
    items = body["questionnaire"]["item"]
    items[6]["linkId"] = "intro"  # the comment item takes the intro's linkId
    systolic = items[2]["item"][1]
    assert systolic["linkId"] == "systolic"
    systolic["extension"][0]["valueInteger"] = 300  # minValue 300 above maxValue 260
    yellow = body["triage"][1]["any"]
    yellow[0] = {"item": "pulse", "gte": 100}  # no such item
    yellow[2] = {"item": "medicine", "answer": "sometimes"}  # no such code
    r = await load(api, BP, body)
    assert (r.status_code, kind_of(r)) == (422, "invalid-questionnaire"), r.text
    errors = r.json()["errors"]
    assert {(e["pointer"], e.get("linkId")) for e in errors} == {
        ("/questionnaire/item/6/linkId", "intro"),
        ("/questionnaire/item/2/item/1/extension", "systolic"),
        ("/triage/1/any/0/item", "pulse"),
        ("/triage/1/any/2/answer", "medicine"),
    }
    assert all(e["message"] for e in errors)
    assert (await api.client.get(DEFS, headers=api.gp)).json() == []


@pytest.mark.parametrize(
    ("content", "pointer"),
    [
        (b"{not json", ""),
        (b"[]", ""),
        (b"{}", ""),
        (json.dumps({**definition(BP), "triage_rules": []}).encode(), ""),
        (
            json.dumps(
                {**definition(BP), "triage": [{"level": "red", "any": [{"item": "a", "eq": 1}]}]}
            ).encode(),
            "/triage/0/any/0",
        ),
        (json.dumps({**definition(BP), "green_answer_da": 7}).encode(), "/green_answer_da"),
    ],
    ids=["not-json", "array", "empty", "unknown-field", "unknown-rule-field", "wrong-type"],
)
async def test_a_body_of_the_wrong_shape_is_an_invalid_questionnaire(
    api: Api, content: bytes, pointer: str
) -> None:
    """Not JSON, or not the shape of a definition: 422 invalid-questionnaire like any
    other mistake in a definition, with the place in `errors`."""
    r = await api.client.put(
        f"{DEFS}/{BP}",
        content=content,
        headers={**api.gp, "Content-Type": "application/json"},
    )
    assert (r.status_code, kind_of(r)) == (422, "invalid-questionnaire"), r.text
    errors = r.json()["errors"]
    assert [e["pointer"] for e in errors] == [pointer]
    assert errors[0]["message"]
    assert (await api.client.get(DEFS, headers=api.gp)).json() == []


async def test_definitions_are_for_clinic_staff_only(api: Api) -> None:
    for who in (api.anna, api.gateway):
        put = await load(api, BP, who=who)
        assert (put.status_code, kind_of(put)) == (403, "forbidden")
        for path in (DEFS, f"{DEFS}/{BP}"):
            r = await api.client.get(path, headers=who)
            assert r.status_code == 403, r.text
    r = await api.client.put(f"{DEFS}/{BP}", json=definition(BP))
    assert (r.status_code, kind_of(r)) == (401, "unauthenticated")
    assert (await api.client.get(DEFS)).status_code == 401
    assert (await api.client.get(DEFS, headers=api.gp)).json() == []


# --- 2. assignment -------------------------------------------------------------------


async def test_assigning_opens_one_at_once_with_a_neutral_notice(api: Api) -> None:
    assert (await load(api, BP)).status_code == 201
    r = await assign(api, BP)
    assert r.status_code == 201, r.text
    body = r.json()
    assert isinstance(body["id"], str) and isinstance(body["instance_id"], str)
    assert {k: body[k] for k in ("citizen_id", "key", "every_days", "next_due")} == {
        "citizen_id": anna_id(api),
        "key": BP,
        "every_days": None,
        "next_due": None,
    }
    instance_id = body["instance_id"]
    [told] = await notices(api)
    assert told["kind"] == "questionnaire.due"
    assert told["ref"] == f"questionnaires/{instance_id}"
    # the title of the questionnaire and nothing about the citizen's health
    assert (told["title_da"], told["body_da"]) == (
        "Nyt spørgeskema",
        "Din læge beder dig svare på et spørgeskema: Blodtryk målt hjemme",
    )
    assert (told["title_en"], told["body_en"]) == (
        "New questionnaire",
        "Your doctor asks you to answer a questionnaire: Blood pressure measured at home",
    )
    assert await mine(api) == [
        {
            "id": instance_id,
            "key": BP,
            "title": "Blodtryk målt hjemme",
            "title_da": "Blodtryk målt hjemme",
            "title_en": "Blood pressure measured at home",
            "status": "due",
            "due": "2026-11-20",
            "submitted_at": None,
            "triage": None,
        }
    ]
    # the clinic's assignment is in Anna's log
    assert [(e["action"], e["actor"]["name"]) for e in await audit_log(api)] == [
        ("questionnaire.assign", "Dr. Karen Hansen")
    ]
    assert await mine(api, api.bent) == []


async def test_assignment_mistakes(api: Api) -> None:
    assert (await load(api, BP)).status_code == 201
    other_clinic, _ = await api.other_clinic()
    await api.patient("elsewhere", clinic_id=other_clinic)
    r = await assign(api, BP, citizen_id=stable_id("citizen", "elsewhere"))
    assert (r.status_code, kind_of(r)) == (404, "not-found"), r.text
    r = await assign(api, BP, citizen_id="no-such-citizen")
    assert (r.status_code, kind_of(r)) == (404, "not-found")
    r = await assign(api, "no-such-questionnaire")
    assert (r.status_code, kind_of(r)) == (404, "questionnaire-not-found")
    for every_days in (0, -7, 3651):
        r = await assign(api, BP, every_days=every_days)
        assert (r.status_code, kind_of(r)) == (422, "invalid"), every_days
    # Anna's today is 2026-11-20 in Copenhagen; yesterday is the past
    r = await assign(api, BP, first_due="2026-11-19")
    assert (r.status_code, kind_of(r)) == (422, "invalid")
    r = await assign(api, BP, who=api.anna)
    assert r.status_code == 403
    assert await mine(api) == []
    assert await notices(api) == []
    assert await audit_log(api) == []


async def test_a_later_first_due_opens_at_nine_in_the_citizens_zone(api: Api) -> None:
    assert (await load(api, BP)).status_code == 201
    r = await assign(api, BP, first_due="2026-11-23", every_days=14)
    assert r.status_code == 201, r.text
    assert (r.json()["instance_id"], r.json()["next_due"]) == (None, "2026-11-23")
    assert await mine(api) == [] and await notices(api) == []
    # 08:59 in Copenhagen (UTC+1 in November): not yet
    api.clock.set(at("2026-11-23T07:59:59+00:00"))
    assert (await work_once(api.runtime)).questionnaires_opened == 0
    assert await mine(api) == []
    api.clock.set(at("2026-11-23T09:00:00+01:00"))
    assert (await work_once(api.runtime)).questionnaires_opened == 1
    assert (await work_once(api.runtime)).questionnaires_opened == 0
    [due] = await mine(api)
    assert (due["status"], due["due"]) == ("due", "2026-11-23")
    assert [(n["kind"], n["ref"]) for n in await notices(api)] == [
        ("questionnaire.due", f"questionnaires/{due['id']}")
    ]


# --- 3. answering --------------------------------------------------------------------


async def test_green_is_answered_at_once_and_the_next_opens_on_its_day(api: Api) -> None:
    instance_id = await given(api, BP, every_days=7)
    r = await api.client.get(f"{MINE}/{instance_id}", headers=api.anna)
    assert r.status_code == 200, r.text
    shown = r.json()
    assert {k: shown[k] for k in ("id", "key", "version", "status", "due", "triage")} == {
        "id": instance_id,
        "key": BP,
        "version": 1,
        "status": "due",
        "due": "2026-11-20",
        "triage": None,
    }
    assert shown["questionnaire"] == definition(BP)["questionnaire"]
    assert shown["response"] is None and shown["clinic_action"] is None

    r = await answer(api, instance_id, bp(128, 80))
    assert r.status_code == 201, r.text
    assert r.json() == {
        "triage": "green",
        "message_da": BP_GREEN_DA,
        "message_en": BP_GREEN_EN,
        "instance_id": instance_id,
        "next_due": "2026-11-27",
    }
    told = await notices(api)
    assert [n["kind"] for n in told] == ["questionnaire.answered", "questionnaire.due"]
    assert (told[0]["body_da"], told[0]["body_en"]) == (BP_GREEN_DA, BP_GREEN_EN)
    assert told[0]["ref"] == f"questionnaires/{instance_id}"
    assert await inbox(api) == []
    [done] = await mine(api)
    assert (done["status"], done["triage"]) == ("submitted", "green")
    assert at(done["submitted_at"]) == at("2026-11-20T09:00:00+00:00")
    shown = (await api.client.get(f"{MINE}/{instance_id}", headers=api.anna)).json()
    assert shown["response"]["item"] == bp(128, 80)["item"]
    assert shown["response"]["resourceType"] == "QuestionnaireResponse"
    assert shown["clinic_action"] is None  # nothing for the clinic to do with green

    # the next one is due a week after the answer, at 09:00 in Copenhagen, not before
    api.clock.set(at("2026-11-27T08:59:00+01:00"))
    assert (await work_once(api.runtime)).questionnaires_opened == 0
    assert len(await mine(api)) == 1
    api.clock.set(at("2026-11-27T09:00:00+01:00"))
    assert (await work_once(api.runtime)).questionnaires_opened == 1
    listed = await mine(api)
    assert [(q["status"], q["due"]) for q in listed] == [
        ("due", "2026-11-27"),
        ("submitted", "2026-11-20"),
    ]
    assert [n["kind"] for n in await notices(api)] == [
        "questionnaire.due",
        "questionnaire.answered",
        "questionnaire.due",
    ]


async def test_the_next_one_opens_at_nine_local_time_across_summer_time(api: Api) -> None:
    """130 days after 2026-11-20 is 2027-03-30, after the clocks went forward: 09:00 in
    Copenhagen is then 07:00 UTC, not 08:00."""
    instance_id = await given(api, BP, every_days=130)
    r = await answer(api, instance_id, bp())
    assert r.json()["next_due"] == "2027-03-30"
    api.clock.set(at("2027-03-30T06:59:00+00:00"))
    assert (await work_once(api.runtime)).questionnaires_opened == 0
    api.clock.set(at("2027-03-30T07:00:00+00:00"))
    assert (await work_once(api.runtime)).questionnaires_opened == 1


async def test_yellow_goes_to_the_inbox_with_the_reason(api: Api) -> None:
    instance_id = await given(api, BP)
    r = await answer(api, instance_id, bp(140, 80, dizziness=True))
    assert r.status_code == 201, r.text
    assert r.json() == {
        "triage": "yellow",
        "message_da": "Tak for dine svar. Klinikken ser på dem og kontakter dig, hvis du skal"
        " til en samtale.",
        "message_en": "Thank you for your answers. The clinic will look at them and contact"
        " you if you need a consultation.",
        "instance_id": instance_id,
        "next_due": None,
    }
    [item] = await inbox(api)
    assert {
        k: item[k]
        for k in (
            "citizen_id",
            "citizen_name",
            "kind",
            "severity",
            "code",
            "status",
            "title_da",
            "title_en",
            "value",
            "threshold",
            "period_from",
            "period_to",
            "link",
        )
    } == {
        "citizen_id": anna_id(api),
        "citizen_name": "Anna Jensen",
        "kind": "questionnaire",
        "severity": "yellow",
        "code": "pro_yellow",
        "status": "open",
        "title_da": "Blodtryk målt hjemme: gult svar",
        "title_en": "Blood pressure measured at home: yellow answer",
        "value": 140,
        "threshold": 135,
        "period_from": "2026-11-20",
        "period_to": "2026-11-20",
        "link": f"/v1/clinician/questionnaire-responses/{instance_id}",
    }
    # both conditions that held, in the rule's order
    assert item["detail_da"] == (
        'Det øverste tal (systolisk), som det plejede at være ≥ 135: 140; Svimmelhed: "Ja"'
    )
    assert item["detail_en"].endswith('≥ 135: 140; Dizziness: "Yes"'), item["detail_en"]
    # no automatic answer for yellow: the clinic decides
    assert [n["kind"] for n in await notices(api)] == ["questionnaire.due"]
    [done] = await mine(api)
    assert (done["status"], done["triage"]) == ("submitted", "yellow")


RED_DA = (
    "Dine svar viser, at du bør tale med lægen i dag. Ring til Lægehuset Nørrebro (demo)"
    " på +45 35 12 34 56. Er det akut, eller får du det værre, så ring 112."
)
RED_EN = (
    "Your answers show that you should talk to the doctor today. Call Lægehuset Nørrebro"
    " (demo) on +45 35 12 34 56. In an emergency, or if you get worse, call 112."
)


async def test_red_tells_the_citizen_to_call_and_tops_the_inbox(api: Api) -> None:
    await set_phone(api)
    # blue first: Anna shares blood pressure and nothing has been measured yet
    r = await api.client.post(
        "/v1/me/shares",
        json={"metrics": ["blood_pressure_systolic", "blood_pressure_diastolic"]},
        headers=api.anna,
    )
    assert r.status_code == 201, r.text
    api.clock.advance(minutes=1)
    # then Bent's yellow answer
    bents = await given(api, BP, citizen_id=bent_id(api))
    assert (await answer(api, bents, bp(150, 80), who=api.bent)).json()["triage"] == "yellow"
    api.clock.advance(minutes=1)
    # and last Anna's red one (chest pain with a normal pressure)
    annas = await given(api, BP)
    r = await answer(api, annas, bp(120, 75, chest=True))
    assert r.status_code == 201, r.text
    assert r.json() == {
        "triage": "red",
        "message_da": RED_DA,
        "message_en": RED_EN,
        "instance_id": annas,
        "next_due": None,
    }
    told = await notices(api)
    assert [n["kind"] for n in told] == ["questionnaire.call", "questionnaire.due"]
    assert (told[0]["title_da"], told[0]["body_da"]) == ("Kontakt lægen i dag", RED_DA)
    assert (told[0]["title_en"], told[0]["body_en"]) == ("Contact your doctor today", RED_EN)
    # Bent's yellow answer told him nothing about calling
    assert [n["kind"] for n in await notices(api, api.bent)] == ["questionnaire.due"]

    items = await inbox(api)
    assert [(i["severity"], i["kind"], i["citizen_name"]) for i in items] == [
        ("red", "questionnaire", "Anna Jensen"),
        ("yellow", "questionnaire", "Bent Nielsen"),
        ("blue", "measurement", "Anna Jensen"),
        ("blue", "measurement", "Anna Jensen"),
    ]
    red = items[0]
    assert (red["code"], red["title_en"]) == (
        "pro_red",
        "Blood pressure measured at home: red answer",
    )
    assert red["detail_da"] == 'Smerter eller trykken i brystet: "Ja"'
    assert red["link"] == f"/v1/clinician/questionnaire-responses/{annas}"


async def test_red_without_a_phone_number_still_says_call_and_112(api: Api) -> None:
    instance_id = await given(api, BP)
    r = await answer(api, instance_id, bp(185, 95))
    assert r.json()["message_da"] == (
        "Dine svar viser, at du bør tale med lægen i dag. Ring til Lægehuset Nørrebro (demo)."
        " Er det akut, eller får du det værre, så ring 112."
    )
    [item] = await inbox(api)
    assert (item["severity"], item["value"], item["threshold"]) == ("red", 185, 180)


def bad_bp() -> dict[str, Any]:
    """Four mistakes: systolic out of bounds, an unknown medicine code, the reason for
    not measuring given although Anna measured, and headache left out."""
    return response(
        said("measured", "valueBoolean", True),
        {
            "linkId": "readings",
            "item": [
                said("days-measured", "valueInteger", 5),
                said("systolic", "valueInteger", 300),
                said("diastolic", "valueInteger", 80),
            ],
        },
        said("not-measured-why", "valueString", "Glemte det"),
        coded("medicine", "sometimes"),
        {
            "linkId": "symptoms",
            "item": [
                said("dizziness", "valueBoolean", False),
                said("chest-pain", "valueBoolean", True),
            ],
        },
    )


async def test_a_bad_response_names_each_link_id_and_stores_nothing(api: Api) -> None:
    instance_id = await given(api, BP)
    log_before = await audit_log(api)
    r = await answer(api, instance_id, bad_bp(), key="first-try")
    assert (r.status_code, kind_of(r)) == (422, "invalid-response"), r.text
    errors = r.json()["errors"]
    assert {(e["linkId"], e["pointer"]) for e in errors} == {
        ("systolic", "/item/1/item/1/answer/0/valueInteger"),
        ("not-measured-why", "/item/2"),
        ("medicine", "/item/3/answer/0/valueCoding"),
        ("headache", "/item"),
    }
    assert all(e["message"] for e in errors)
    # nothing stored: still due, no item, no notice, nothing in the log
    [still] = await mine(api)
    assert (still["status"], still["triage"]) == ("due", None)
    assert await inbox(api) == []
    assert [n["kind"] for n in await notices(api)] == ["questionnaire.due"]
    assert await audit_log(api) == log_before
    # (and chest pain in the bad answer did not make it red anywhere)
    shown = (await api.client.get(f"{MINE}/{instance_id}", headers=api.anna)).json()
    assert shown["response"] is None
    # the key of a refused answer is free for the corrected one
    r = await answer(api, instance_id, bp(), key="first-try")
    assert (r.status_code, r.json()["triage"]) == (201, "green")


@pytest.mark.parametrize(
    ("content", "kind"),
    [
        (b"{not json", "invalid-response"),
        (b"[1]", "invalid-response"),
        (json.dumps({**bp(), "resourceType": "Questionnaire"}).encode(), "invalid-response"),
    ],
    ids=["not-json", "array", "not-a-response"],
)
async def test_a_body_that_is_no_response_is_refused(api: Api, content: bytes, kind: str) -> None:
    instance_id = await given(api, BP)
    r = await api.client.post(
        f"{MINE}/{instance_id}/response",
        content=content,
        headers={**api.anna, "Content-Type": "application/fhir+json"},
    )
    assert (r.status_code, kind_of(r)) == (422, kind), r.text
    assert [q["status"] for q in await mine(api)] == ["due"]


async def test_one_answer_per_instance_and_a_retry_is_safe(api: Api) -> None:
    await set_phone(api)
    instance_id = await given(api, BP)
    first = await answer(api, instance_id, bp(120, 75, chest=True), key="k-1")
    assert first.status_code == 201, first.text
    # a retry with the same key and answers: the first outcome, nothing twice
    again = await answer(api, instance_id, bp(120, 75, chest=True), key="k-1")
    assert again.status_code == 201, again.text
    assert again.json() == first.json()
    assert len(await inbox(api)) == 1
    assert [n["kind"] for n in await notices(api)] == ["questionnaire.call", "questionnaire.due"]
    submits = [e for e in await audit_log(api) if e["action"] == "questionnaire.submit"]
    assert len(submits) == 1
    # the same key with other answers
    r = await answer(api, instance_id, bp(), key="k-1")
    assert (r.status_code, kind_of(r)) == (409, "idempotency-key-reused")
    # no key, or another key: it is answered already
    for key in (None, "k-2"):
        r = await answer(api, instance_id, bp(120, 75, chest=True), key=key)
        assert (r.status_code, kind_of(r)) == (409, "already-submitted"), key
    [done] = await mine(api)
    assert done["triage"] == "red"
    assert len(await inbox(api)) == 1


async def test_a_second_answer_without_a_key_is_a_conflict(api: Api) -> None:
    instance_id = await given(api, BP)
    assert (await answer(api, instance_id, bp())).status_code == 201
    r = await answer(api, instance_id, bp())
    assert (r.status_code, kind_of(r)) == (409, "already-submitted")
    # a key on the retry does not help when the first had none
    r = await answer(api, instance_id, bp(), key="late")
    assert (r.status_code, kind_of(r)) == (409, "already-submitted")


async def test_the_clinic_reads_back_the_phone_it_set(api: Api) -> None:
    await set_phone(api)
    clinic = await api.client.get("/v1/clinician/clinic", headers=api.gp)
    assert clinic.status_code == 200
    assert clinic.json().get("phone") == PHONE, clinic.text


# --- 4. versions ---------------------------------------------------------------------


def stricter_bp() -> dict[str, Any]:
    """Version 2: yellow from a systolic of 125 (not 135), and a new title."""
    body = definition(BP)
    body["questionnaire"]["title"] = "Blodtryk målt hjemme (skærpet)"
    yellow = body["triage"][1]["any"]
    assert yellow[0] == {"item": "systolic", "gte": 135}
    yellow[0] = {"item": "systolic", "gte": 125}
    return body


async def test_an_open_instance_keeps_its_version(api: Api) -> None:
    first = await given(api, BP, every_days=1)
    r = await load(api, BP, stricter_bp())
    assert (r.status_code, r.json()["version"]) == (200, 2)
    # answered after v2 was loaded, graded by v1: 128 is under v1's 135
    r = await answer(api, first, bp(128, 80))
    assert (r.status_code, r.json()["triage"]) == (201, "green"), r.text
    assert r.json()["message_da"] == BP_GREEN_DA
    shown = (await api.client.get(f"{MINE}/{first}", headers=api.anna)).json()
    assert shown["version"] == 1
    assert shown["questionnaire"]["title"] == "Blodtryk målt hjemme"
    assert shown["title_da"] == "Blodtryk målt hjemme"
    assert await inbox(api) == []
    # the next one, a day later at 09:00, opens on v2
    api.clock.set(at("2026-11-21T09:00:00+01:00"))
    assert (await work_once(api.runtime)).questionnaires_opened == 1
    second, _ = await mine(api)
    assert second["title"] == "Blodtryk målt hjemme (skærpet)"
    shown = (await api.client.get(f"{MINE}/{second['id']}", headers=api.anna)).json()
    assert (shown["version"], shown["questionnaire"]["title"]) == (
        2,
        "Blodtryk målt hjemme (skærpet)",
    )
    r = await answer(api, second["id"], bp(128, 80))
    assert r.json()["triage"] == "yellow"
    [item] = await inbox(api)
    assert (item["value"], item["threshold"]) == (128, 125)
    read = await api.client.get(item["link"], headers=api.gp)
    assert (read.json()["version"], read.json()["title_da"]) == (
        2,
        "Blodtryk målt hjemme (skærpet)",
    )


# --- 5. who may see and do what ------------------------------------------------------


async def grant(api: Api, scopes: list[str]) -> None:
    r = await api.client.post(
        "/v1/me/proxies",
        json={"cpr": BENT_CPR, "name": "Bent Nielsen", "scopes": scopes},
        headers=api.anna,
    )
    assert r.status_code == 201, r.text


def bent_for_anna(api: Api) -> dict[str, str]:
    return api.bent | {"X-Act-For": anna_id(api)}


async def test_another_clinic_and_another_citizen_see_nothing(api: Api) -> None:
    instance_id = await given(api, BP)
    assert (await answer(api, instance_id, bp(150, 80))).status_code == 201
    _, other_gp = await api.other_clinic()
    r = await api.client.get(
        f"/v1/clinician/questionnaire-responses/{instance_id}", headers=other_gp
    )
    assert (r.status_code, kind_of(r)) == (404, "questionnaire-not-found")
    assert await inbox(api, other_gp) == []
    [item] = await inbox(api)
    r = await api.client.get(f"{INBOX}/{item['id']}", headers=other_gp)
    assert r.status_code == 404
    r = await api.client.post(
        f"{INBOX}/{item['id']}/resolve", json={"note": "x", "action": "none"}, headers=other_gp
    )
    assert r.status_code == 404
    assert [i["status"] for i in await inbox(api)] == ["open"]
    assert (await api.client.get(DEFS, headers=other_gp)).json() == []
    r = await api.client.get(f"{DEFS}/{BP}", headers=other_gp)
    assert r.status_code == 404
    r = await assign(api, BP, who=other_gp)
    assert r.status_code == 404
    # Bent cannot read or answer Anna's
    second = await given(api, BP)
    r = await api.client.get(f"{MINE}/{second}", headers=api.bent)
    assert (r.status_code, kind_of(r)) == (404, "questionnaire-not-found")
    r = await answer(api, second, bp(), who=api.bent)
    assert (r.status_code, kind_of(r)) == (404, "questionnaire-not-found")
    assert await mine(api, api.bent) == []
    assert [q["status"] for q in await mine(api)] == ["due", "submitted"]
    # a gateway or a clinician token is not a citizen
    for who in (api.gateway, api.gp):
        r = await api.client.get(MINE, headers=who)
        assert (r.status_code, kind_of(r)) == (403, "forbidden"), r.text
        r = await answer(api, second, bp(), who=who)
        assert r.status_code == 403
    assert (await api.client.get(MINE)).status_code == 401


async def test_a_relative_with_the_scope_lists_and_answers(api: Api) -> None:
    instance_id = await given(api, BP)
    await grant(api, ["questionnaires"])
    listed = await mine(api, bent_for_anna(api))
    assert [q["id"] for q in listed] == [instance_id]
    r = await api.client.get(f"{MINE}/{instance_id}", headers=bent_for_anna(api))
    assert r.status_code == 200
    r = await answer(api, instance_id, bp(150, 80), who=bent_for_anna(api))
    assert (r.status_code, r.json()["triage"]) == (201, "yellow"), r.text
    # it is Anna's answer, not Bent's
    assert [q["status"] for q in await mine(api)] == ["submitted"]
    assert await mine(api, api.bent) == []
    [item] = await inbox(api)
    assert item["citizen_name"] == "Anna Jensen"
    # and the log names both
    [submit] = [e for e in await audit_log(api) if e["action"] == "questionnaire.submit"]
    assert submit["actor"] == {
        "role": "proxy",
        "id": bent_id(api),
        "name": "Bent Nielsen",
        "clinic_id": None,
        "on_behalf_of": anna_id(api),
    }
    # Bent sees the notices of the area he holds
    kinds = [n["kind"] for n in await notices(api, bent_for_anna(api))]
    assert kinds == ["questionnaire.due"]


async def test_a_relative_without_the_scope_is_refused(api: Api) -> None:
    instance_id = await given(api, BP)
    await grant(api, ["booking"])
    for r in (
        await api.client.get(MINE, headers=bent_for_anna(api)),
        await api.client.get(f"{MINE}/{instance_id}", headers=bent_for_anna(api)),
        await answer(api, instance_id, bp(), who=bent_for_anna(api)),
    ):
        assert (r.status_code, kind_of(r)) == (403, "proxy-scope"), r.text
    assert [q["status"] for q in await mine(api)] == ["due"]
    assert await notices(api, bent_for_anna(api)) == []


async def test_the_gp_reading_answers_is_in_the_citizens_log(api: Api) -> None:
    instance_id = await given(api, BP)
    link = f"/v1/clinician/questionnaire-responses/{instance_id}"
    # nothing to read before it is answered
    r = await api.client.get(link, headers=api.gp)
    assert (r.status_code, kind_of(r)) == (404, "questionnaire-not-found")
    assert (await answer(api, instance_id, bp(140, 90))).status_code == 201
    r = await api.client.get(link, headers=api.gp)
    assert r.status_code == 200, r.text
    read = r.json()
    assert {k: read[k] for k in ("id", "citizen_id", "key", "version", "triage")} == {
        "id": instance_id,
        "citizen_id": anna_id(api),
        "key": BP,
        "version": 1,
        "triage": "yellow",
    }
    assert [(x["item"], x["kind"], x["value"], x["threshold"]) for x in read["reasons"]] == [
        ("systolic", "gte", "140", "135"),
        ("diastolic", "gte", "90", "85"),
    ]
    assert read["response"]["item"] == bp(140, 90)["item"]
    [entry] = [e for e in await audit_log(api) if e["action"] == "questionnaire_response.read"]
    assert entry["actor"]["name"] == "Dr. Karen Hansen"
    assert entry["actor"]["role"] == "clinician"
    assert entry["resource"] == f"questionnaires/{instance_id}"
    assert entry["text_en"] == (
        "Dr. Karen Hansen (clinician) viewed your answers to a questionnaire"
    )


async def test_the_citizen_sees_what_the_clinic_did(api: Api) -> None:
    instance_id = await given(api, BP)
    assert (await answer(api, instance_id, bp(150, 80))).status_code == 201
    shown = (await api.client.get(f"{MINE}/{instance_id}", headers=api.anna)).json()
    assert shown["clinic_action"] == {
        "status": "open",
        "action": None,
        "resolved_at": None,
        "resolved_by_name": None,
    }
    [item] = await inbox(api)
    api.clock.advance(hours=2)
    r = await api.client.post(
        f"{INBOX}/{item['id']}/resolve",
        json={"note": "Ringer hende i morgen", "action": "call"},
        headers=api.gp,
    )
    assert r.status_code == 200, r.text
    shown = (await api.client.get(f"{MINE}/{instance_id}", headers=api.anna)).json()
    assert shown["clinic_action"]["status"] == "resolved"
    assert shown["clinic_action"]["action"] == "call"
    assert shown["clinic_action"]["resolved_by_name"] == "Dr. Karen Hansen"
    assert at(shown["clinic_action"]["resolved_at"]) == at("2026-11-20T11:00:00+00:00")
    # the clinic's note is for the clinic
    assert "Ringer" not in json.dumps(shown)
    assert await inbox(api) == []


async def test_the_items_period_is_in_the_citizens_local_days(api: Api) -> None:
    """Just after midnight in Copenhagen it is still yesterday in UTC: the item's period
    is the citizen's local dates (it was 2026-11-21 to 2026-11-20, ending before it
    began)."""
    api.clock.set(at("2026-11-21T00:30:00+01:00"))
    instance_id = await given(api, BP)
    assert (await answer(api, instance_id, bp(150, 80))).status_code == 201
    [item] = await inbox(api)
    assert (item["period_from"], item["period_to"]) == ("2026-11-21", "2026-11-21")


async def test_the_copd_score_and_a_decimal_bound_over_http(api: Api) -> None:
    instance_id = await given(api, COPD)
    items = [
        coded("breathing", "much-worse"),  # ordinal 2
        coded("activity", "less"),  # ordinal 1
        {"linkId": "cough", "item": [said("more-phlegm", "valueBoolean", False)]},
        said("extra-puffs", "valueInteger", 2),
        said("temperature", "valueDecimal", 37.2),
        said("blue-lips", "valueBoolean", False),
        said("drowsy", "valueBoolean", False),
    ]
    too_hot = [*items[:4], said("temperature", "valueDecimal", 43.5), *items[5:]]
    r = await answer(api, instance_id, response(*too_hot))
    assert (r.status_code, [e["linkId"] for e in r.json()["errors"]]) == (
        422,
        ["temperature"],
    )
    r = await answer(api, instance_id, response(*items))
    assert (r.status_code, r.json()["triage"]) == (201, "yellow"), r.text
    [item] = await inbox(api)
    assert (item["value"], item["threshold"]) == (3, 3)
    assert item["detail_en"] == "Score ≥ 3: 3"
    read = (await api.client.get(item["link"], headers=api.gp)).json()
    assert read["score"] == 3


# --- 6. a red answer is never lost --------------------------------------------------


async def test_red_is_stored_with_its_item_or_not_at_all(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    instance_id = await given(api, BP)

    async def broken(self: SqlInbox, item: Any) -> bool:
        raise RuntimeError("the disk is full")

    with monkeypatch.context() as patched:
        patched.setattr(SqlInbox, "add", broken)
        r = await answer(api, instance_id, bp(120, 75, chest=True), key="red-1")
        assert (r.status_code, kind_of(r)) == (500, "internal")
    # the answer went with its item: nothing half-done, so the app can send it again
    [still] = await mine(api)
    assert (still["status"], still["triage"]) == ("due", None)
    assert [n["kind"] for n in await notices(api)] == ["questionnaire.due"]
    r = await answer(api, instance_id, bp(120, 75, chest=True), key="red-1")
    assert (r.status_code, r.json()["triage"]) == (201, "red")
    [item] = await inbox(api)
    assert item["severity"] == "red"
    [done] = await mine(api)
    assert (done["status"], done["triage"]) == ("submitted", "red")


async def test_a_retry_racing_the_first_gets_the_same_outcome(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The app times out and sends again while the first is still being stored: both
    get 201 with one outcome, one answer and one item. (Both read the instance as due
    before either writes; on PostgreSQL the second then waits for the first's commit.)"""
    await set_phone(api)
    instance_id = await given(api, BP)
    reading = SqlQuestionnaires.instance

    async def slow(self: SqlQuestionnaires, citizen_id: str, iid: str) -> Any:
        found = await reading(self, citizen_id, iid)
        await asyncio.sleep(0.2)
        return found

    monkeypatch.setattr(SqlQuestionnaires, "instance", slow)
    body = bp(120, 75, chest=True)
    first, second = await asyncio.gather(
        answer(api, instance_id, body, key="race"), answer(api, instance_id, body, key="race")
    )
    assert (first.status_code, second.status_code) == (201, 201), (first.text, second.text)
    assert first.json() == second.json()
    assert len(await inbox(api)) == 1
    assert [n["kind"] for n in await notices(api)] == ["questionnaire.call", "questionnaire.due"]


async def test_a_late_retry_gets_the_first_outcome_after_the_next_one_opened(api: Api) -> None:
    """The outcome a retry gets is the first one, even when the retry comes after the
    next instance opened (its next_due was null then)."""
    instance_id = await given(api, BP, every_days=7)
    first = await answer(api, instance_id, bp(), key="weekly")
    assert (first.status_code, first.json()["next_due"]) == (201, "2026-11-27")
    api.clock.set(at("2026-11-27T09:00:00+01:00"))
    assert (await work_once(api.runtime)).questionnaires_opened == 1
    again = await answer(api, instance_id, bp(), key="weekly")
    assert again.status_code == 201, again.text
    assert again.json() == first.json()
    assert len(await mine(api)) == 2


async def test_two_staff_loading_the_same_key_at_once_get_two_versions(
    api: Api, monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest
) -> None:
    """Both read "no version yet" before either writes."""
    reading = SqlQuestionnaires.latest

    async def slow(self: SqlQuestionnaires, clinic_id: str, key: str) -> Any:
        found = await reading(self, clinic_id, key)
        await asyncio.sleep(0.2)
        return found

    monkeypatch.setattr(SqlQuestionnaires, "latest", slow)
    one, two = await asyncio.gather(load(api, BP), load(api, BP, who=api.nurse))
    assert sorted((one.status_code, two.status_code)) == [200, 201], (one.text, two.text)
    assert sorted((one.json()["version"], two.json()["version"])) == [1, 2]


class Phone:
    """A push service in the test: records what it is given, answers `outcome`."""

    platform = "apns"

    def __init__(self) -> None:
        self.outcome: Literal["sent", "gone", "retry"] = "retry"
        self.seen: list[PushMessage] = []

    async def send(self, token: str, message: PushMessage) -> PushResult:
        self.seen.append(message)
        return PushResult(outcome=self.outcome)


async def test_a_failed_push_does_not_undo_a_red_answer_and_says_nothing(api: Api) -> None:
    phone = Phone()
    api.runtime.senders["apns"] = phone
    r = await api.client.post(
        "/v1/me/push-devices", json={"platform": "apns", "token": "ab" * 32}, headers=api.anna
    )
    assert r.status_code == 201, r.text
    instance_id = await given(api, BP)
    r = await answer(api, instance_id, bp(120, 75, chest=True))
    assert (r.status_code, r.json()["triage"]) == (201, "red")
    # Apple is away: the pushes wait, the answer and its item stay
    assert (await work_once(api.runtime)).push.retrying == 2
    [item] = await inbox(api)
    assert item["severity"] == "red"
    assert [(q["status"], q["triage"]) for q in await mine(api)] == [("submitted", "red")]
    # back again: both go out, and the lock screen says nothing of chest pain or the BP
    phone.outcome = "sent"
    api.clock.advance(minutes=5)
    assert (await work_once(api.runtime)).push.sent == 2
    delivered = phone.seen[-2:]
    assert {(m.title, m.body) for m in delivered} == {
        ("Ny besked fra Min Læge", "Åbn appen for at læse den.")
    }
    assert len(await inbox(api)) == 1


async def test_days_and_texts_follow_the_citizens_zone_and_language(api: Api) -> None:
    r = await api.client.patch(
        "/v1/me", json={"timezone": "Asia/Tokyo", "language": "en"}, headers=api.anna
    )
    assert r.status_code == 200, r.text
    assert (await load(api, BP)).status_code == 201
    # 20:00 UTC on the 20th is 05:00 on the 21st in Tokyo: the 20th is past for Anna
    api.clock.set(at("2026-11-20T20:00:00+00:00"))
    r = await assign(api, BP, first_due="2026-11-20")
    assert (r.status_code, kind_of(r)) == (422, "invalid")
    r = await assign(api, BP, first_due="2026-11-22")
    assert r.status_code == 201, r.text
    # 09:00 in Tokyo on the 22nd is midnight UTC
    api.clock.set(at("2026-11-21T23:59:00+00:00"))
    assert (await work_once(api.runtime)).questionnaires_opened == 0
    api.clock.set(at("2026-11-22T00:00:00+00:00"))
    assert (await work_once(api.runtime)).questionnaires_opened == 1
    [due] = await mine(api)
    assert (due["due"], due["title"]) == ("2026-11-22", "Blood pressure measured at home")
    [told] = await notices(api)
    assert (told["title"], told["body"]) == (
        "New questionnaire",
        "Your doctor asks you to answer a questionnaire: Blood pressure measured at home",
    )
