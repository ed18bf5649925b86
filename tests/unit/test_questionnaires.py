"""PRO questionnaires: checking definitions and responses, enableWhen, triage, texts."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import msgspec
import pytest

from app.domain.questionnaires import (
    Answers,
    DefinitionBody,
    FieldProblem,
    QuestionnaireDef,
    check_definition,
    check_response,
    localised,
    triage,
)

FIXTURES = Path(__file__).parents[2] / "fixtures" / "questionnaires"
SD = "http://hl7.org/fhir/StructureDefinition/"
TRANSLATION = SD + "translation"


# --- building definitions ------------------------------------------------------------


def en(text: str) -> dict[str, Any]:
    return {
        "extension": [
            {
                "url": TRANSLATION,
                "extension": [
                    {"url": "lang", "valueCode": "en"},
                    {"url": "content", "valueString": text},
                ],
            }
        ]
    }


def question(link_id: str, type_: str, **more: Any) -> dict[str, Any]:
    return {"linkId": link_id, "type": type_, "text": f"Tekst {link_id}", **more}


def bounds(key: str, low: Any = None, high: Any = None) -> list[dict[str, Any]]:
    out = []
    if low is not None:
        out.append({"url": SD + "minValue", key: low})
    if high is not None:
        out.append({"url": SD + "maxValue", key: high})
    return out


def choice(
    link_id: str, *codes: str, ordinals: tuple[float, ...] = (), **more: Any
) -> dict[str, Any]:
    options: list[dict[str, Any]] = []
    for i, code in enumerate(codes):
        option: dict[str, Any] = {"valueCoding": {"code": code, "display": f"Svar {code}"}}
        if i < len(ordinals):
            option["extension"] = [{"url": SD + "ordinalValue", "valueDecimal": ordinals[i]}]
        options.append(option)
    return question(link_id, "choice", answerOption=options, **more)


def group(link_id: str, *children: dict[str, Any], **more: Any) -> dict[str, Any]:
    return {
        "linkId": link_id,
        "type": "group",
        "text": f"Gruppe {link_id}",
        "item": list(children),
        **more,
    }


def when(question_id: str, operator: str, **answer: Any) -> dict[str, Any]:
    return {"question": question_id, "operator": operator, **answer}


def body(
    *items: dict[str, Any], rules: list[dict[str, Any]] | None = None, **q: Any
) -> DefinitionBody:
    raw = {
        "questionnaire": {
            "resourceType": "Questionnaire",
            "status": "active",
            "title": "Titel",
            "item": list(items),
            **q,
        },
        "triage": rules or [],
        "green_answer_da": "Fint",
        "green_answer_en": "Fine",
    }
    return msgspec.convert(raw, DefinitionBody)


def define(*items: dict[str, Any], rules: list[dict[str, Any]] | None = None) -> QuestionnaireDef:
    defn, problems = check_definition(body(*items, rules=rules))
    assert problems == []
    assert defn is not None
    return defn


def pointers(problems: list[FieldProblem]) -> set[tuple[str, str | None]]:
    return {(p.pointer, p.link_id) for p in problems}


# --- building responses --------------------------------------------------------------


def response(*items: dict[str, Any], **more: Any) -> dict[str, Any]:
    return {
        "resourceType": "QuestionnaireResponse",
        "status": "completed",
        "item": list(items),
        **more,
    }


def said(link_id: str, key: str, *values: Any) -> dict[str, Any]:
    return {"linkId": link_id, "answer": [{key: v} for v in values]}


def coded(link_id: str, *codes: str) -> dict[str, Any]:
    return said(link_id, "valueCoding", *({"system": "urn:x", "code": c} for c in codes))


def accepted(defn: QuestionnaireDef, *items: dict[str, Any]) -> Answers:
    answers, problems = check_response(defn, response(*items))
    assert problems == []
    assert answers is not None
    return answers


def refused(defn: QuestionnaireDef, *items: dict[str, Any]) -> list[FieldProblem]:
    answers, problems = check_response(defn, response(*items))
    assert answers is None
    assert problems
    return problems


# --- the demo fixtures ---------------------------------------------------------------


def load(name: str) -> QuestionnaireDef:
    raw = (FIXTURES / f"{name}.json").read_bytes()
    defn, problems = check_definition(msgspec.json.decode(raw, type=DefinitionBody))
    assert problems == []
    assert defn is not None
    return defn


@pytest.mark.parametrize("name", ["home-blood-pressure", "copd-breathlessness"])
def test_demo_questionnaires_load_with_enable_when_and_translations(name: str) -> None:
    defn = load(name)
    assert defn.enable_when
    assert any(item.type == "group" for item in defn.items.values())
    assert defn.title_en != defn.title_da
    assert all(item.text_en != item.text_da for item in defn.items.values() if item.type != "group")
    assert defn.green_answer_da and defn.green_answer_en


def bp_answers(systolic: int, diastolic: int, *, chest: bool = False) -> list[dict[str, Any]]:
    return [
        said("measured", "valueBoolean", True),
        {
            "linkId": "readings",
            "item": [
                said("days-measured", "valueInteger", 5),
                said("systolic", "valueInteger", systolic),
                said("diastolic", "valueInteger", diastolic),
            ],
        },
        coded("medicine", "every-day"),
        {
            "linkId": "symptoms",
            "item": [
                said("headache", "valueBoolean", False),
                said("dizziness", "valueBoolean", False),
                said("chest-pain", "valueBoolean", chest),
            ],
        },
    ]


@pytest.mark.parametrize(
    ("systolic", "diastolic", "chest", "level"),
    [
        (128, 80, False, "green"),
        (135, 80, False, "yellow"),
        (182, 95, False, "red"),
        (120, 75, True, "red"),
    ],
)
def test_blood_pressure_demo_triage(systolic: int, diastolic: int, chest: bool, level: str) -> None:
    defn = load("home-blood-pressure")
    answers = accepted(defn, *bp_answers(systolic, diastolic, chest=chest))
    assert triage(defn, answers).level == level


def test_blood_pressure_demo_not_measured_skips_the_readings() -> None:
    defn = load("home-blood-pressure")
    items = [
        said("measured", "valueBoolean", False),
        coded("medicine", "missed-some"),
        said("headache", "valueBoolean", False),
        said("dizziness", "valueBoolean", False),
        said("chest-pain", "valueBoolean", False),
    ]
    result = triage(defn, accepted(defn, *items))
    assert result.level == "yellow"
    assert [(r.item, r.value) for r in result.reasons] == [("medicine", "missed-some")]
    assert (
        result.reasons[0].text_da
        == 'Har du taget din blodtryksmedicin, som lægen har sagt: "Jeg har glemt den nogle dage"'
    )
    # the readings are disabled when not measured, so answering them is refused
    problems = refused(defn, *items, said("systolic", "valueInteger", 130))
    assert [p.link_id for p in problems] == ["systolic"]


def test_copd_demo_score_and_fever() -> None:
    defn = load("copd-breathlessness")
    items = [
        coded("breathing", "much-worse"),
        coded("activity", "less"),
        {
            "linkId": "cough",
            "item": [said("more-phlegm", "valueBoolean", True), coded("phlegm-colour", "clear")],
        },
        said("extra-puffs", "valueInteger", 4),
        said("temperature", "valueDecimal", 38.5),
        said("blue-lips", "valueBoolean", False),
        said("drowsy", "valueBoolean", False),
    ]
    result = triage(defn, accepted(defn, *items))
    assert result.level == "yellow"
    assert result.score == 3
    assert {(r.kind, r.value, r.threshold) for r in result.reasons} == {
        ("score_gte", "3", "3"),
        ("gte", "38.5", "38"),
    }
    fever = next(r for r in result.reasons if r.kind == "gte")
    assert fever.text_da.endswith("≥ 38: 38,5")
    assert fever.text_en.endswith("≥ 38: 38.5")
    # phlegm colour is required only when there is more phlegm
    missing = refused(
        defn,
        *items[:2],
        {"linkId": "cough", "item": [said("more-phlegm", "valueBoolean", True)]},
        *items[3:],
    )
    assert [p.link_id for p in missing] == ["phlegm-colour"]
    fine = [*items[:2], said("more-phlegm", "valueBoolean", False), *items[3:]]
    assert accepted(defn, *fine).score == 3


# --- definition checks ---------------------------------------------------------------


def test_a_definition_with_many_mistakes_reports_each() -> None:
    bad = body(
        {
            "linkId": "intro",
            "type": "display",
            "text": "Hej",
            "required": True,
            "answerOption": [{"valueCoding": {"code": "x"}}],
        },
        question("dup", "boolean"),
        question("dup", "integer"),
        {"linkId": "no text", "type": "boolean"},
        question("free", "quantity"),
        choice("empty"),
        {
            "linkId": "opts",
            "type": "choice",
            "text": "Valg",
            "answerOption": [
                {"valueCoding": {"code": "a"}},
                {"valueCoding": {"code": "a"}},
                {"valueString": "b"},
                {
                    "valueCoding": {"code": "c"},
                    "extension": [{"url": SD + "ordinalValue", "valueDecimal": "high"}],
                },
            ],
        },
        question(
            "num",
            "integer",
            answerOption=[{"valueCoding": {"code": "1"}}],
            extension=bounds("valueInteger", 10, 5),
        ),
        question("dec", "decimal", extension=bounds("valueInteger", 1)),
        question("text", "string", extension=bounds("valueInteger", 1)),
        group("lonely"),
        question("nest", "boolean", item=[question("inner", "boolean")]),
        question("e1", "boolean", enableWhen=[when("later", "=", answerBoolean=True)]),
        question("e2", "boolean", enableWhen=[when("ghost", "=", answerBoolean=True)]),
        question("e3", "boolean", enableWhen=[when("intro", "exists", answerBoolean=True)]),
        question("e4", "boolean", enableWhen=[when("dup", ">", answerBoolean=True)]),
        question("e5", "boolean", enableWhen=[when("num", "=", answerString="3")]),
        question("e6", "boolean", enableWhen=[when("opts", "=", answerCoding={"code": "zz"})]),
        question(
            "e7",
            "boolean",
            enableWhen=[
                when("dup", "exists", answerBoolean=True),
                when("dup", "=", answerBoolean=False),
            ],
        ),
        question("e8", "boolean", enableWhen=[when("dup", "exists", answerInteger=1)]),
        question("e9", "boolean", enableWhen=[when("dup", "~", answerBoolean=True)]),
        question("later", "boolean"),
    )
    defn, problems = check_definition(bad)
    assert defn is None
    assert pointers(problems) == {
        ("/questionnaire/item/0/required", "intro"),
        ("/questionnaire/item/0/answerOption", "intro"),
        ("/questionnaire/item/2/linkId", "dup"),
        ("/questionnaire/item/3/linkId", "no text"),
        ("/questionnaire/item/3/text", "no text"),
        ("/questionnaire/item/4/type", "free"),
        ("/questionnaire/item/5/answerOption", "empty"),
        ("/questionnaire/item/6/answerOption/1/valueCoding/code", "opts"),
        ("/questionnaire/item/6/answerOption/2", "opts"),
        ("/questionnaire/item/6/answerOption/3/extension/0", "opts"),
        ("/questionnaire/item/7/answerOption", "num"),
        ("/questionnaire/item/7/extension", "num"),
        ("/questionnaire/item/8/extension/0", "dec"),
        ("/questionnaire/item/9/extension/0", "text"),
        ("/questionnaire/item/10/item", "lonely"),
        ("/questionnaire/item/11/item", "nest"),
        ("/questionnaire/item/12/enableWhen/0/question", "e1"),
        ("/questionnaire/item/13/enableWhen/0/question", "e2"),
        ("/questionnaire/item/14/enableWhen/0/question", "e3"),
        ("/questionnaire/item/15/enableWhen/0/operator", "e4"),
        ("/questionnaire/item/16/enableWhen/0/answerString", "e5"),
        ("/questionnaire/item/17/enableWhen/0/answerCoding", "e6"),
        ("/questionnaire/item/18/enableBehavior", "e7"),
        ("/questionnaire/item/19/enableWhen/0/answerInteger", "e8"),
        ("/questionnaire/item/20/enableWhen/0/operator", "e9"),
    }
    text = {p.link_id: p.message for p in problems if p.link_id in {"e1", "e2", "e3", "dup", "num"}}
    assert "before" in text["e1"]
    assert "names no item" in text["e2"]
    assert "display" in text["e3"]
    assert "already used" in text["dup"]
    assert "minValue is greater than maxValue" in text["num"]


def test_triage_and_body_mistakes_are_each_reported() -> None:
    raw = {
        "questionnaire": {
            "resourceType": "Observation",
            "status": "retired",
            "item": [
                question("yes", "boolean"),
                choice("pick", "a", "b"),
                question("n", "integer"),
                question("t", "string"),
                {"linkId": "d", "type": "display", "text": "Info"},
            ],
        },
        "triage": [
            {"level": "orange", "any": []},
            {
                "level": "red",
                "any": [
                    {"item": "yes", "answer": "maybe"},
                    {"item": "pick", "answer": "c"},
                    {"item": "n", "answer": "1"},
                    {"item": "pick", "gte": 2},
                    {"item": "t", "lte": 2},
                    {"item": "ghost", "gte": 1},
                    {"item": "d", "answer": "true"},
                    {"score_gte": 1},
                    {"item": "n", "gte": 1, "lte": 3},
                    {"gte": 1},
                ],
            },
        ],
        "green_answer_da": " ",
        "green_answer_en": "",
    }
    defn, problems = check_definition(msgspec.convert(raw, DefinitionBody))
    assert defn is None
    assert {p.pointer for p in problems} == {
        "/questionnaire/resourceType",
        "/questionnaire/status",
        "/triage/0/level",
        "/triage/0/any",
        "/triage/1/any/0/answer",
        "/triage/1/any/1/answer",
        "/triage/1/any/2/answer",
        "/triage/1/any/3/gte",
        "/triage/1/any/4/lte",
        "/triage/1/any/5/item",
        "/triage/1/any/6/item",
        "/triage/1/any/7/score_gte",
        "/triage/1/any/8",
        "/triage/1/any/9",
        "/green_answer_da",
        "/green_answer_en",
    }


def test_a_questionnaire_without_questions_is_refused() -> None:
    defn, problems = check_definition(body({"linkId": "d", "type": "display", "text": "x"}))
    assert defn is None
    assert pointers(problems) == {("/questionnaire/item", None)}


def test_unknown_fhir_fields_are_ignored_and_draft_is_accepted() -> None:
    defn, problems = check_definition(
        body(
            question("a", "boolean", prefix="1.", code=[{"code": "x"}], _text=en("A")),
            status="draft",
            id="q1",
            url="urn:x",
            meta={"versionId": "3"},
            publisher="Klinik",
            language="da",
        )
    )
    assert problems == []
    assert defn is not None and defn.items["a"].text_en == "A"


def test_unknown_fields_in_triage_are_refused_when_decoding() -> None:
    raw = b'{"questionnaire": {}, "triage": [{"level": "red", "any": [{"item": "a", "eq": 1}]}]}'
    with pytest.raises(msgspec.ValidationError):
        msgspec.json.decode(raw, type=DefinitionBody)


# --- triage --------------------------------------------------------------------------


def triage_defn() -> QuestionnaireDef:
    return define(
        choice("mood", "good", "bad", "worse", ordinals=(0, 1, 2)),
        choice("sleep", "good", "bad", ordinals=(0, 2)),
        question("pain", "boolean"),
        question("puffs", "integer"),
        question("spo2", "decimal"),
        rules=[
            {
                "level": "yellow",
                "any": [{"item": "puffs", "gte": 8}, {"item": "spo2", "lte": 94}, {"score_gte": 3}],
            },
            {
                "level": "red",
                "any": [{"item": "pain", "answer": "true"}, {"item": "mood", "answer": "worse"}],
            },
        ],
    )


@pytest.mark.parametrize(
    ("items", "reason"),
    [
        ([said("puffs", "valueInteger", 8)], ("gte", "puffs", "8", "8")),
        ([said("puffs", "valueInteger", 12)], ("gte", "puffs", "12", "8")),
        ([said("puffs", "valueInteger", 7)], None),
        ([said("spo2", "valueDecimal", 94)], ("lte", "spo2", "94", "94")),
        ([said("spo2", "valueDecimal", 93.5)], ("lte", "spo2", "93.5", "94")),
        ([said("spo2", "valueDecimal", 94.1)], None),
        ([coded("mood", "bad"), coded("sleep", "bad")], ("score_gte", None, "3", "3")),
        ([coded("mood", "good"), coded("sleep", "bad")], None),
    ],
)
def test_each_yellow_condition_fires_at_its_threshold_and_not_below(
    items: list[dict[str, Any]], reason: tuple[str, str | None, str, str] | None
) -> None:
    defn = triage_defn()
    result = triage(defn, accepted(defn, *items))
    if reason is None:
        assert (result.level, result.reasons) == ("green", [])
    else:
        assert result.level == "yellow"
        assert [(r.kind, r.item, r.value, r.threshold) for r in result.reasons] == [reason]
        assert result.reasons[0].rule == 0


@pytest.mark.parametrize(
    ("items", "level"),
    [
        ([said("pain", "valueBoolean", True)], "red"),
        ([said("pain", "valueBoolean", False)], "green"),
        ([coded("mood", "worse")], "red"),
        ([coded("mood", "bad")], "green"),
    ],
)
def test_answer_conditions_on_boolean_and_choice(items: list[dict[str, Any]], level: str) -> None:
    defn = triage_defn()
    assert triage(defn, accepted(defn, *items)).level == level


def test_red_beats_yellow_and_only_red_reasons_are_given() -> None:
    defn = triage_defn()
    answers = accepted(
        defn,
        coded("mood", "worse"),
        coded("sleep", "bad"),
        said("pain", "valueBoolean", True),
        said("puffs", "valueInteger", 10),
    )
    result = triage(defn, answers)
    assert result.level == "red"
    assert result.score == 4
    assert [(r.level, r.rule, r.item) for r in result.reasons] == [
        ("red", 1, "pain"),
        ("red", 1, "mood"),
    ]
    assert result.reasons[0].text_da == 'Tekst pain: "Ja"'
    assert result.reasons[0].text_en == 'Tekst pain: "Yes"'
    assert result.reasons[1].text_da == 'Tekst mood: "Svar worse"'


def test_a_disabled_item_does_not_count_towards_triage_or_score() -> None:
    defn = define(
        question("asked", "boolean"),
        choice(
            "how", "a", "b", ordinals=(0, 5), enableWhen=[when("asked", "=", answerBoolean=True)]
        ),
        rules=[{"level": "yellow", "any": [{"score_gte": 5}]}],
    )
    assert (
        triage(defn, accepted(defn, said("asked", "valueBoolean", True), coded("how", "b"))).level
        == "yellow"
    )
    answers = accepted(defn, said("asked", "valueBoolean", False))
    assert (answers.score, triage(defn, answers).level) == (0, "green")


# --- enableWhen ----------------------------------------------------------------------


def gated(condition: dict[str, Any], source: dict[str, Any]) -> QuestionnaireDef:
    return define(source, question("follow", "boolean", required=True, enableWhen=[condition]))


def is_enabled(defn: QuestionnaireDef, *given: dict[str, Any]) -> bool:
    """Enabled when answering 'follow' is accepted; disabled when leaving it out is."""
    with_follow, _ = check_response(defn, response(*given, said("follow", "valueBoolean", True)))
    without, _ = check_response(defn, response(*given))
    assert (with_follow is None) != (without is None)
    return with_follow is not None


NUM = question("n", "integer")
DAY = question("d", "date")
PICK = choice("c", "x", "y")


@pytest.mark.parametrize(
    ("condition", "source", "given", "enabled"),
    [
        (when("n", "exists", answerBoolean=True), NUM, [said("n", "valueInteger", 0)], True),
        (when("n", "exists", answerBoolean=True), NUM, [], False),
        (when("n", "exists", answerBoolean=False), NUM, [], True),
        (when("c", "=", answerCoding={"code": "x"}), PICK, [coded("c", "x")], True),
        (when("c", "=", answerCoding={"code": "x"}), PICK, [coded("c", "y")], False),
        (when("c", "!=", answerCoding={"code": "x"}), PICK, [coded("c", "y")], True),
        (when("c", "!=", answerCoding={"code": "x"}), PICK, [coded("c", "x")], False),
        (when("c", "!=", answerCoding={"code": "x"}), PICK, [], True),
        (when("n", ">", answerInteger=5), NUM, [said("n", "valueInteger", 6)], True),
        (when("n", ">", answerInteger=5), NUM, [said("n", "valueInteger", 5)], False),
        (when("n", "<", answerInteger=5), NUM, [said("n", "valueInteger", 4)], True),
        (when("n", "<", answerInteger=5), NUM, [said("n", "valueInteger", 5)], False),
        (when("n", ">=", answerInteger=5), NUM, [said("n", "valueInteger", 5)], True),
        (when("n", ">=", answerInteger=5), NUM, [said("n", "valueInteger", 4)], False),
        (when("n", "<=", answerInteger=5), NUM, [said("n", "valueInteger", 5)], True),
        (when("n", "<=", answerInteger=5), NUM, [said("n", "valueInteger", 6)], False),
        (when("n", ">", answerInteger=5), NUM, [], False),
        (
            when("d", ">=", answerDate="2024-03-01"),
            DAY,
            [said("d", "valueDate", "2024-03-01")],
            True,
        ),
        (
            when("d", ">=", answerDate="2024-03-01"),
            DAY,
            [said("d", "valueDate", "2024-02-29")],
            False,
        ),
        (
            when("x", "<", answerDecimal=37.5),
            question("x", "decimal"),
            [said("x", "valueDecimal", 37.4)],
            True,
        ),
        (
            when("s", "=", answerString="ja"),
            question("s", "string"),
            [said("s", "valueString", "nej")],
            False,
        ),
    ],
)
def test_enable_when_operators(
    condition: dict[str, Any], source: dict[str, Any], given: list[dict[str, Any]], enabled: bool
) -> None:
    assert is_enabled(gated(condition, source), *given) is enabled


@pytest.mark.parametrize(
    ("behavior", "a", "b", "enabled"),
    [
        ("all", True, True, True),
        ("all", True, False, False),
        ("any", True, False, True),
        ("any", False, False, False),
    ],
)
def test_enable_behavior_all_and_any(behavior: str, a: bool, b: bool, enabled: bool) -> None:
    defn = define(
        question("a", "boolean"),
        question("b", "boolean"),
        question(
            "follow",
            "boolean",
            required=True,
            enableBehavior=behavior,
            enableWhen=[when("a", "=", answerBoolean=True), when("b", "=", answerBoolean=True)],
        ),
    )
    assert is_enabled(defn, said("a", "valueBoolean", a), said("b", "valueBoolean", b)) is enabled


def test_answering_a_disabled_item_names_it() -> None:
    defn = gated(when("n", ">", answerInteger=5), NUM)
    problems = refused(defn, said("n", "valueInteger", 1), said("follow", "valueBoolean", True))
    assert pointers(problems) == {("/item/1", "follow")}


def test_a_disabled_required_item_may_be_left_out() -> None:
    defn = gated(when("n", ">", answerInteger=5), NUM)
    assert accepted(defn, said("n", "valueInteger", 1)).by_item == {"n": [1]}


# --- response checks -----------------------------------------------------------------


def test_bounds_are_inclusive() -> None:
    defn = define(
        question("n", "integer", extension=bounds("valueInteger", 1, 7)),
        question("x", "decimal", extension=bounds("valueDecimal", 35.0, 42.5)),
        question("d", "date", extension=bounds("valueDate", "2024-01-01", "2024-12-31")),
    )
    assert accepted(
        defn,
        said("n", "valueInteger", 1),
        said("x", "valueDecimal", 42.5),
        said("d", "valueDate", "2024-01-01"),
    ).by_item == {"n": [1], "x": [42.5], "d": [date(2024, 1, 1)]}
    problems = refused(
        defn,
        said("n", "valueInteger", 0),
        said("x", "valueDecimal", 42.6),
        said("d", "valueDate", "2023-12-31"),
    )
    assert pointers(problems) == {
        ("/item/0/answer/0/valueInteger", "n"),
        ("/item/1/answer/0/valueDecimal", "x"),
        ("/item/2/answer/0/valueDate", "d"),
    }
    assert "below the minimum" in problems[0].message


def test_value_types_codes_and_unknown_items() -> None:
    defn = define(
        question("b", "boolean"),
        question("n", "integer"),
        question("x", "decimal"),
        question("d", "date"),
        question("s", "string"),
        choice("c", "x", "y"),
    )
    assert accepted(defn, said("x", "valueDecimal", 37)).by_item == {"x": [37]}
    problems = refused(
        defn,
        said("b", "valueString", "yes"),
        said("n", "valueInteger", 1.5),
        said("x", "valueDecimal", True),
        said("d", "valueDate", "2024-02-30"),
        said("s", "valueString", "a" * 2001),
        coded("c", "z"),
        said("ghost", "valueBoolean", True),
    )
    assert pointers(problems) == {
        ("/item/0/answer/0/valueString", "b"),
        ("/item/1/answer/0/valueInteger", "n"),
        ("/item/2/answer/0/valueDecimal", "x"),
        ("/item/3/answer/0/valueDate", "d"),
        ("/item/4/answer/0/valueString", "s"),
        ("/item/5/answer/0/valueCoding", "c"),
        ("/item/6/linkId", "ghost"),
    }
    unknown_code = next(p for p in problems if p.link_id == "c")
    assert "'z'" in unknown_code.message


def test_repeats() -> None:
    defn = define(choice("many", "a", "b", "c", repeats=True), question("one", "integer"))
    assert accepted(defn, coded("many", "a", "c")).by_item == {"many": ["a", "c"]}
    problems = refused(defn, coded("many", "a", "a"), said("one", "valueInteger", 1, 2))
    assert pointers(problems) == {("/item/0/answer/1", "many"), ("/item/1/answer", "one")}


def test_missing_required_answers_are_each_named() -> None:
    defn = define(
        question("a", "boolean", required=True),
        question("b", "string", required=True),
        question("c", "string"),
    )
    problems = refused(defn, said("c", "valueString", "hej"), {"linkId": "b", "answer": []})
    assert {p.link_id for p in problems} == {"a", "b"}
    assert all("required" in p.message for p in problems)


def test_the_response_itself_is_checked() -> None:
    defn = define(
        {"linkId": "info", "type": "display", "text": "Info"},
        group("g", question("q", "boolean")),
    )
    answers, problems = check_response(
        defn,
        {
            "resourceType": "Questionnaire",
            "status": "in-progress",
            "item": [
                said("info", "valueBoolean", True),
                said("g", "valueBoolean", True),
                said("q", "valueBoolean", True),
                said("q", "valueBoolean", False),
                {"linkId": "q2"},
                {"answer": []},
                said("info", "valueBoolean", True) | {"linkId": "x", "answer": [{}]},
            ],
        },
    )
    assert answers is None
    assert pointers(problems) == {
        ("/resourceType", None),
        ("/status", None),
        ("/item/0/answer", "info"),
        ("/item/1/answer", "g"),
        ("/item/3/linkId", "q"),
        ("/item/4/linkId", "q2"),
        ("/item/5", None),
        ("/item/6/linkId", "x"),
    }


def test_nested_groups_nested_or_flat() -> None:
    defn = define(
        question("go", "boolean"),
        group(
            "outer",
            question("a", "integer"),
            group("inner", question("b", "boolean", required=True)),
            enableWhen=[when("go", "=", answerBoolean=True)],
        ),
        question("other", "boolean"),
    )
    assert [defn.items[x].parent for x in ("outer", "a", "inner", "b")] == [
        None,
        "outer",
        "outer",
        "inner",
    ]
    nested = {
        "linkId": "outer",
        "item": [
            said("a", "valueInteger", 1),
            {"linkId": "inner", "item": [said("b", "valueBoolean", True)]},
        ],
    }
    go = said("go", "valueBoolean", True)
    assert accepted(defn, go, nested).by_item == {"go": [True], "a": [1], "b": [True]}
    assert accepted(defn, go, said("b", "valueBoolean", True)).by_item == {
        "go": [True],
        "b": [True],
    }
    # b is required inside an enabled group
    assert pointers(refused(defn, go)) == {("/item", "b")}
    # a disabled group disables everything in it, however deep
    stop = said("go", "valueBoolean", False)
    assert accepted(defn, stop).by_item == {"go": [False]}
    assert {p.link_id for p in refused(defn, stop, nested)} == {"a", "b"}


def test_an_item_under_the_wrong_group_is_refused() -> None:
    defn = define(
        group("g1", question("a", "boolean")),
        group("g2", question("b", "boolean")),
    )
    problems = refused(defn, {"linkId": "g2", "item": [said("a", "valueBoolean", True)]})
    assert pointers(problems) == {("/item/0/item/0", "a")}


# --- texts ---------------------------------------------------------------------------


def test_localised_texts_fall_back_to_danish() -> None:
    raw = body(
        {
            "linkId": "g",
            "type": "group",
            "item": [question("a", "boolean", _text=en("Question A"))],
        },
        question("b", "boolean"),
        _title=en("Title"),
    )
    defn, _ = check_definition(raw)
    assert defn is not None
    assert localised(defn, "en") == {"": "Title", "g": "", "a": "Question A", "b": "Tekst b"}
    assert localised(defn, "da") == {"": "Titel", "g": "", "a": "Tekst a", "b": "Tekst b"}
    assert localised(defn, "de") == localised(defn, "da")
    assert localised(defn, "en-GB")["a"] == "Question A"


def test_choice_labels_take_the_english_display() -> None:
    option = {"valueCoding": {"code": "y", "display": "Ja", "_display": en("Yes")}}
    defn = define(
        {
            "linkId": "c",
            "type": "choice",
            "text": "Svar",
            "_text": en("Answer"),
            "answerOption": [option],
        },
        rules=[{"level": "yellow", "any": [{"item": "c", "answer": "y"}]}],
    )
    reason = triage(defn, accepted(defn, coded("c", "y"))).reasons[0]
    assert (reason.text_da, reason.text_en) == ('Svar: "Ja"', 'Answer: "Yes"')


# --- robustness ----------------------------------------------------------------------


def test_malformed_json_shapes_are_problems_not_crashes() -> None:
    bad = body(
        "not an item",
        {"linkId": ["a"], "type": {"x": 1}, "text": 3},
        question("b", "integer", extension=[{"url": ["x"]}, "junk"], enableWhen="b"),
        question(
            "c", "boolean", _text={"extension": [{"url": TRANSLATION, "extension": [{"url": []}]}]}
        ),
        question("d", "boolean", enableWhen=[{"question": ["c"], "operator": 1}]),
    )
    defn, problems = check_definition(bad)
    assert defn is None
    assert {p.pointer for p in problems} == {
        "/questionnaire/item/0",
        "/questionnaire/item/1/linkId",
        "/questionnaire/item/1/type",
        "/questionnaire/item/1/text",
        "/questionnaire/item/2/enableWhen",
        "/questionnaire/item/4/enableWhen/0/question",
        "/questionnaire/item/4/enableWhen/0/operator",
        "/questionnaire/item/4/enableWhen/0",
    }
    ok = define(question("a", "boolean"))
    answers, problems = check_response(
        ok, {"resourceType": "QuestionnaireResponse", "status": "completed", "item": {"x": 1}}
    )
    assert answers is None and pointers(problems) == {("/item", None)}


def test_groups_nest_at_most_ten_deep() -> None:
    deep: dict[str, Any] = question("leaf", "boolean")
    for level in range(10):
        deep = group(f"g{level}", deep)
    defn, problems = check_definition(body(question("top", "boolean"), deep))
    assert defn is None
    assert [(p.link_id, "at most 10" in p.message) for p in problems] == [("g0", True)]
    shallow = group("g1", group("g2", question("leaf", "boolean")))
    assert "leaf" in define(shallow).items
