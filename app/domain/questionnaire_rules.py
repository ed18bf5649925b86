"""PRO questionnaires (contracts §6), part two: checking a citizen's response against a
checked definition, triaging it, and the texts in the citizen's language.

A response is checked as a whole and every problem names its linkId, so the app can
mark each field at once; nothing is stored unless there are none. Triage keeps the
conditions that decided the level, because the clinic's inbox shows why ("rule, value,
threshold"), not only a colour. Pure: no I/O.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import msgspec

from app.domain.questionnaire_model import (
    ANSWERABLE,
    VALUE_SUFFIX,
    Answer,
    Condition,
    EnableWhen,
    FieldProblem,
    ItemDef,
    Level,
    QuestionnaireDef,
    condition_kind,
    read_value,
)

__all__ = ["Answers", "Reason", "Triage", "check_response", "localised", "triage"]


class Answers(msgspec.Struct, frozen=True, kw_only=True):
    """A valid response, reduced to what triage needs. Built here, never decoded."""

    #: only enabled, answered items, in document order
    by_item: dict[str, list[Answer]]
    #: the sum of the ordinal values of the chosen codes
    score: float


class Reason(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    """Why a rule fired: for the clinic's inbox ('rule, value, threshold')."""

    level: str
    #: index into the definition's triage
    rule: int
    #: "answer" | "gte" | "lte" | "score_gte"
    kind: str
    item: str | None = None
    #: the answer/number/score that tripped it, as text
    value: str
    #: the code or number in the rule, as text
    threshold: str
    text_da: str
    text_en: str


class Triage(msgspec.Struct, frozen=True, kw_only=True):
    """The level of a response, its score, and the conditions that held at that level."""

    level: Level
    score: float
    #: empty for green
    reasons: list[Reason]


class _Response:
    """Collects a response's answers by linkId, in one walk over its (nested) items."""

    def __init__(self, defn: QuestionnaireDef) -> None:
        self.defn = defn
        self.problems: list[FieldProblem] = []
        self.values: dict[str, list[Answer]] = {}
        #: linkId -> pointer of the item in the response, for every item given
        self.where: dict[str, str] = {}
        self.answered: set[str] = set()

    def problem(self, pointer: str, message: str, link_id: str | None = None) -> None:
        self.problems.append(FieldProblem(pointer=pointer, message=message, link_id=link_id))

    def items(self, raw: Any, ptr: str, group: str | None) -> None:
        if raw is None:
            return
        if not isinstance(raw, list):
            self.problem(ptr, "item must be a list", group)
            return
        for i, item in enumerate(raw):
            self.item(item, f"{ptr}/{i}", group)

    def item(self, raw: Any, ptr: str, group: str | None) -> None:
        if not isinstance(raw, dict) or not isinstance(raw.get("linkId"), str):
            self.problem(ptr, "an item must be a JSON object with a linkId", group)
            return
        lid: str = raw["linkId"]
        idef = self.defn.items.get(lid)
        if idef is None:
            self.problem(f"{ptr}/linkId", f"{lid!r} is not an item of this questionnaire", lid)
            return
        if lid in self.where:
            self.problem(f"{ptr}/linkId", f"{lid} is given more than once", lid)
            return
        self.where[lid] = ptr
        misplaced = group is not None and group not in self.ancestors(idef)
        if misplaced:
            self.problem(ptr, f"{lid} does not belong to group {group}", lid)
        answers = raw.get("answer")
        if idef.type not in ANSWERABLE:
            if answers is not None:
                self.problem(
                    f"{ptr}/answer", f"{lid} is a {idef.type} item; it takes no answer", lid
                )
            if idef.type == "group" and not misplaced:
                # only along the definition's own nesting: recursion stays within MAX_DEPTH
                self.items(raw.get("item"), f"{ptr}/item", lid)
            elif "item" in raw:
                self.problem(f"{ptr}/item", f"{lid} is a display item; it has no items", lid)
            return
        if "item" in raw:
            self.problem(f"{ptr}/item", f"{lid} is a question; it has no items", lid)
        if answers is None:
            return
        if not isinstance(answers, list):
            self.problem(f"{ptr}/answer", "answer must be a list", lid)
            return
        if answers:
            self.answered.add(lid)
        if len(answers) > 1 and not idef.repeats:
            self.problem(f"{ptr}/answer", f"{lid} takes one answer, not {len(answers)}", lid)
        values: list[Answer] = []
        for j, answer in enumerate(answers):
            value = self.answer(idef, answer, f"{ptr}/answer/{j}")
            if value is None:
                continue
            if value in values and idef.type == "choice":
                self.problem(f"{ptr}/answer/{j}", f"{lid}: code {value!r} is given twice", lid)
            values.append(value)
        if values:
            self.values[lid] = values

    def answer(self, idef: ItemDef, raw: Any, ptr: str) -> Answer | None:
        lid = idef.link_id
        want = "value" + VALUE_SUFFIX[idef.type]
        keys = [k for k in raw if k.startswith("value")] if isinstance(raw, dict) else []
        if not isinstance(raw, dict) or len(keys) != 1:
            self.problem(ptr, f"{lid}: an answer needs exactly one value[x] ({want})", lid)
            return None
        if "item" in raw:
            self.problem(f"{ptr}/item", f"{lid}: items under an answer are not supported", lid)
        if keys[0] != want:
            self.problem(f"{ptr}/{keys[0]}", f"{lid} is a {idef.type} item: {want} is needed", lid)
            return None
        value, why = read_value(idef.type, raw[want], idef.codes)
        if value is None:
            self.problem(f"{ptr}/{want}", f"{lid}: {want} {why}", lid)
            return None
        low, high = _bound(idef.min_value), _bound(idef.max_value)
        if low is not None and _less(value, low):
            self.problem(f"{ptr}/{want}", f"{lid}: {value} is below the minimum {low}", lid)
            return None
        if high is not None and _less(high, value):
            self.problem(f"{ptr}/{want}", f"{lid}: {value} is above the maximum {high}", lid)
            return None
        return value

    def ancestors(self, idef: ItemDef) -> list[str]:
        found: list[str] = []
        parent = idef.parent
        while parent is not None:
            found.append(parent)
            parent = self.defn.items[parent].parent
        return found


def _bound(raw: float | str | None) -> float | date | None:
    return date.fromisoformat(raw) if isinstance(raw, str) else raw


def _order(value: Answer | float) -> float | None:
    """A number to compare by: numbers as they are, dates by their day number."""
    if isinstance(value, date):
        return float(value.toordinal())
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    return None


def _less(a: Answer | float, b: Answer | float) -> bool:
    x, y = _order(a), _order(b)
    return x is not None and y is not None and x < y


def _holds(cond: EnableWhen, answers: list[Answer]) -> bool:
    """FHIR semantics: exists compares presence; != holds when no answer equals; the rest
    hold when at least one answer satisfies them."""
    op, target = cond.operator, cond.answer
    if op == "exists":
        return bool(answers) == target
    if op == "=":
        return target in answers
    if op == "!=":
        return target not in answers
    for a in answers:
        x, y = _order(a), _order(target)
        if x is None or y is None:
            continue
        if (
            (op == ">" and x > y)
            or (op == "<" and x < y)
            or (op == ">=" and x >= y)
            or (op == "<=" and x <= y)
        ):
            return True
    return False


def check_response(
    defn: QuestionnaireDef, response: dict[str, Any]
) -> tuple[Answers | None, list[FieldProblem]]:
    """Validate a FHIR R4 QuestionnaireResponse (JSON as a dict) against the definition.

    Items may be nested under their groups as in the questionnaire, or given flat.
    enableWhen is evaluated on the response's own answers in document order (only
    earlier questions can be named); a disabled group disables everything in it.
    """
    walk = _Response(defn)
    if not isinstance(response, dict):
        walk.problem("", "a QuestionnaireResponse must be a JSON object")
        return None, walk.problems
    if response.get("resourceType") != "QuestionnaireResponse":
        walk.problem("/resourceType", "resourceType must be 'QuestionnaireResponse'")
    if response.get("status") not in ("completed", "amended"):
        walk.problem("/status", "status must be 'completed' or 'amended'")
    walk.items(response.get("item"), "/item", None)
    enabled: dict[str, bool] = {}
    effective: dict[str, list[Answer]] = {}
    for lid, idef in defn.items.items():
        conds = defn.enable_when.get(lid, ())
        results = [_holds(c, effective.get(c.question, [])) for c in conds]
        own = any(results) if defn.enable_behavior.get(lid) == "any" else all(results)
        on = own and (idef.parent is None or enabled[idef.parent])
        enabled[lid] = on
        if not on and lid in walk.answered:
            why = "its enableWhen does not hold" if not own else f"group {idef.parent} is not"
            walk.problem(walk.where[lid], f"{lid} is answered but not enabled: {why}", lid)
        elif on and idef.required and lid not in walk.answered:
            walk.problem("/item", f"{lid} is required but not answered", lid)
        elif on and lid in walk.values:
            effective[lid] = walk.values[lid]
    if walk.problems:
        return None, walk.problems
    score = 0.0
    for lid, values in effective.items():
        ordinal = defn.items[lid].ordinal
        score += sum(ordinal.get(v, 0.0) for v in values if isinstance(v, str))
    return Answers(by_item=effective, score=score), []


def _num(value: float, danish: bool = False) -> str:
    text = str(int(value)) if float(value).is_integer() else repr(float(value))
    return text.replace(".", ",") if danish else text


def _label(text: str) -> str:
    return text.strip().rstrip("?:").rstrip()


def _fires(
    defn: QuestionnaireDef, index: int, level: str, cond: Condition, answers: Answers
) -> Reason | None:
    """The reason `cond` holds for these answers, or None."""
    kind = condition_kind(cond) or ""

    def reason(value: str, threshold: str, text_da: str, text_en: str) -> Reason:
        return Reason(
            level=level,
            rule=index,
            kind=kind,
            item=cond.item,
            value=value,
            threshold=threshold,
            text_da=text_da,
            text_en=text_en,
        )

    if kind == "score_gte" and cond.score_gte is not None:
        if answers.score < cond.score_gte:
            return None
        value, limit = answers.score, cond.score_gte
        return reason(
            _num(value),
            _num(limit),
            f"Score ≥ {_num(limit, True)}: {_num(value, True)}",
            f"Score ≥ {_num(limit)}: {_num(value)}",
        )
    idef = defn.items.get(cond.item or "")
    if idef is None:
        return None
    values = answers.by_item.get(idef.link_id, [])
    da, en = _label(idef.text_da), _label(idef.text_en)
    if kind == "answer" and cond.answer is not None:
        code = cond.answer
        if idef.type == "boolean":
            hit = (code == "true") in values
            said_da, said_en = ("Ja", "Yes") if code == "true" else ("Nej", "No")
        else:
            hit = code in values
            said_da, said_en = idef.labels_da.get(code, code), idef.labels_en.get(code, code)
        if not hit:
            return None
        return reason(code, code, f'{da}: "{said_da}"', f'{en}: "{said_en}"')
    numbers = [x for x in (_order(v) for v in values if not isinstance(v, date)) if x is not None]
    if kind == "gte" and cond.gte is not None:
        limit, sign = cond.gte, "≥"
        found = max((x for x in numbers if x >= limit), default=None)
    elif kind == "lte" and cond.lte is not None:
        limit, sign = cond.lte, "≤"
        found = min((x for x in numbers if x <= limit), default=None)
    else:
        return None
    if found is None:
        return None
    return reason(
        _num(found),
        _num(limit),
        f"{da} {sign} {_num(limit, True)}: {_num(found, True)}",
        f"{en} {sign} {_num(limit)}: {_num(found)}",
    )


def triage(defn: QuestionnaireDef, answers: Answers) -> Triage:
    """Red if any red rule holds, else yellow if any yellow rule holds, else green; the
    reasons are every condition that held at the deciding level."""
    fired: dict[str, list[Reason]] = {"red": [], "yellow": []}
    for index, rule in enumerate(defn.triage):
        for cond in rule.any:
            reason = _fires(defn, index, rule.level, cond, answers)
            if reason is not None:
                fired[rule.level].append(reason)
    level: Level = "red" if fired["red"] else "yellow" if fired["yellow"] else "green"
    return Triage(level=level, score=answers.score, reasons=fired.get(level, []))


def localised(defn: QuestionnaireDef, language: str) -> dict[str, str]:
    """linkId -> text in 'da' or 'en' (any other language gets Danish); key '' is the
    title. English texts already fall back to Danish where no translation is given."""
    english = language.lower().split("-")[0] == "en"
    texts = {"": defn.title_en if english else defn.title_da}
    for lid, item in defn.items.items():
        texts[lid] = item.text_en if english else item.text_da
    return texts
