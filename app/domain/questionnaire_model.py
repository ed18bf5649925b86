"""PRO questionnaires (contracts §6), part one: the shapes, and the check of a definition.

A clinic loads a FHIR R4 Questionnaire with triage rules. `check_definition` accepts it
only when every part is one the rules in `questionnaire_rules` can evaluate, and
otherwise lists every problem with a pointer into the body, so a clinic fixes them all in
one round instead of one per upload. Pure: no I/O.
"""

from __future__ import annotations

import math
import re
from datetime import date
from typing import Any, Literal, TypeAlias

import msgspec

__all__ = [
    "ANSWERABLE",
    "EXT_MAX",
    "EXT_MIN",
    "EXT_ORDINAL",
    "EXT_TRANSLATION",
    "ITEM_TYPES",
    "MAX_DEPTH",
    "MAX_STRING",
    "OPERATORS",
    "VALUE_SUFFIX",
    "Answer",
    "Condition",
    "DefinitionBody",
    "EnableWhen",
    "FieldProblem",
    "ItemDef",
    "Level",
    "QuestionnaireDef",
    "TriageRule",
    "check_definition",
    "condition_kind",
    "read_value",
]

#: the outcome of triage; "green" is never written in a rule, it is what is left
Level: TypeAlias = Literal["green", "yellow", "red"]
#: one answer: a choice is its code (str), a date item a `datetime.date`
Answer: TypeAlias = bool | int | float | str | date

EXT_MIN = "http://hl7.org/fhir/StructureDefinition/minValue"
EXT_MAX = "http://hl7.org/fhir/StructureDefinition/maxValue"
EXT_ORDINAL = "http://hl7.org/fhir/StructureDefinition/ordinalValue"
EXT_TRANSLATION = "http://hl7.org/fhir/StructureDefinition/translation"

#: item types that take an answer, and the FHIR suffix of their value[x]/answer[x]
VALUE_SUFFIX: dict[str, str] = {
    "boolean": "Boolean",
    "choice": "Coding",
    "integer": "Integer",
    "decimal": "Decimal",
    "string": "String",
    "date": "Date",
}
ANSWERABLE = tuple(VALUE_SUFFIX)
ITEM_TYPES = ("group", "display", *ANSWERABLE)
OPERATORS = ("exists", "=", "!=", ">", "<", ">=", "<=")
#: a free-text answer longer than this is refused (a GP reads it, not a novel)
MAX_STRING = 2000
#: items nest at most this deep (a group in a group …), which also bounds recursion
MAX_DEPTH = 10

_LINK_ID = re.compile(r"[A-Za-z0-9.\-_]{1,64}")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_ORDERED = ("integer", "decimal", "date")
_NUMERIC = ("integer", "decimal")
_BOUND_KEY = {"integer": "valueInteger", "decimal": "valueDecimal", "date": "valueDate"}


class ItemDef(msgspec.Struct, frozen=True, kw_only=True):
    """One item of a checked definition, with what answering and triage need of it."""

    link_id: str
    #: one of ITEM_TYPES
    type: str
    text_da: str
    #: the English translation, or the Danish text when there is none
    text_en: str
    required: bool = False
    repeats: bool = False
    #: choice: the answer codes in document order
    codes: tuple[str, ...] = ()
    #: choice: code -> ordinalValue, for the codes that have one
    ordinal: dict[str, float] = msgspec.field(default_factory=dict)
    #: choice: code -> display text (falls back to the code / to Danish)
    labels_da: dict[str, str] = msgspec.field(default_factory=dict)
    labels_en: dict[str, str] = msgspec.field(default_factory=dict)
    #: numbers for integer/decimal items, ISO date strings for date items
    min_value: float | str | None = None
    max_value: float | str | None = None
    #: the enclosing group's linkId
    parent: str | None = None


class EnableWhen(msgspec.Struct, frozen=True, kw_only=True):
    """One enableWhen condition: `answer` is typed as the question's answers are."""

    question: str
    operator: str
    answer: Answer


class Condition(
    msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True, forbid_unknown_fields=True
):
    """One triage condition; exactly one shape of `condition_kind` is allowed."""

    item: str | None = None
    answer: str | None = None
    gte: float | None = None
    lte: float | None = None
    score_gte: float | None = None


class TriageRule(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """A rule holds when any of its conditions holds; `level` is "red" or "yellow"."""

    level: str
    any: list[Condition]


class DefinitionBody(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """The PUT body, decoded with msgspec.json.decode(raw, type=DefinitionBody)."""

    questionnaire: dict[str, Any]
    triage: list[TriageRule] = msgspec.field(default_factory=list)
    green_answer_da: str = ""
    green_answer_en: str = ""


class QuestionnaireDef(msgspec.Struct, frozen=True, kw_only=True):
    """A checked definition, ready to validate responses and triage them."""

    title_da: str
    title_en: str
    #: every item by linkId, in document order (a group before its children)
    items: dict[str, ItemDef]
    #: linkId -> its enableWhen conditions (items without any are absent)
    enable_when: dict[str, tuple[EnableWhen, ...]]
    triage: list[TriageRule]
    green_answer_da: str
    green_answer_en: str
    #: the FHIR resource as loaded (returned to citizens)
    questionnaire: dict[str, Any]
    #: linkId -> "any" for items whose enableWhen need only one condition (default all)
    enable_behavior: dict[str, str] = msgspec.field(default_factory=dict)


class FieldProblem(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    """One problem: `pointer` a JSON-pointer-ish path into the body, `link_id` where one
    applies, `message` in English for developers."""

    pointer: str
    message: str
    link_id: str | None = None


_SHAPES = {
    frozenset({"item", "answer"}): "answer",
    frozenset({"item", "gte"}): "gte",
    frozenset({"item", "lte"}): "lte",
    frozenset({"score_gte"}): "score_gte",
}


def condition_kind(condition: Condition) -> str | None:
    """ "answer", "gte", "lte" or "score_gte"; None when the fields given fit no shape."""
    given = frozenset(f for f in condition.__struct_fields__ if getattr(condition, f) is not None)
    return _SHAPES.get(given)


def read_value(kind: str, raw: Any, codes: tuple[str, ...] = ()) -> tuple[Answer | None, str]:
    """A FHIR value[x]/answer[x] of an item of type `kind`, or None and why it is wrong.

    Shared by enableWhen answers and response answers so both read values alike.
    """
    if kind == "boolean":
        return (raw, "") if isinstance(raw, bool) else (None, "must be true or false")
    if kind == "integer":
        if isinstance(raw, int) and not isinstance(raw, bool):
            return raw, ""
        return None, "must be a whole number"
    if kind == "decimal":
        if isinstance(raw, int | float) and not isinstance(raw, bool) and math.isfinite(raw):
            return raw, ""
        return None, "must be a number"
    if kind == "string":
        if not isinstance(raw, str) or not raw.strip():
            return None, "must be a non-empty string"
        if len(raw) > MAX_STRING:
            return None, f"is {len(raw)} characters; at most {MAX_STRING} are allowed"
        return raw, ""
    if kind == "date":
        return _date(raw)
    if kind == "choice":
        code = raw.get("code") if isinstance(raw, dict) else None
        if not isinstance(code, str):
            return None, "must be a Coding with a code"
        if code not in codes:
            return None, f"code {code!r} is not one of the item's codes ({', '.join(codes)})"
        return code, ""
    return None, f"items of type {kind!r} take no answer"


def _date(raw: Any) -> tuple[date | None, str]:
    if isinstance(raw, str) and _DATE.fullmatch(raw):
        try:
            return date.fromisoformat(raw), ""
        except ValueError:
            pass
    return None, "must be a date as YYYY-MM-DD"


def _translation(sibling: Any) -> str | None:
    """The English text in a primitive's `_x` sibling (the FHIR translation extension)."""
    for ext in _objects(sibling.get("extension") if isinstance(sibling, dict) else None):
        if ext.get("url") != EXT_TRANSLATION:
            continue
        parts = {
            p["url"]: p for p in _objects(ext.get("extension")) if isinstance(p.get("url"), str)
        }
        lang = parts.get("lang", {}).get("valueCode")
        content = parts.get("content", {}).get("valueString")
        english = isinstance(lang, str) and lang.lower().split("-")[0] == "en"
        if english and isinstance(content, str) and content.strip():
            return content
    return None


def _objects(raw: Any) -> list[dict[str, Any]]:
    return [x for x in raw if isinstance(x, dict)] if isinstance(raw, list) else []


def _link_ids(items: Any, into: set[str], depth: int = 1) -> set[str]:
    for raw in _objects(items):
        if isinstance(raw.get("linkId"), str):
            into.add(raw["linkId"])
        if depth < MAX_DEPTH:
            _link_ids(raw.get("item"), into, depth + 1)
    return into


class _Checker:
    """Walks a definition once, in document order, collecting items and problems."""

    def __init__(self, questionnaire: dict[str, Any]) -> None:
        self.problems: list[FieldProblem] = []
        self.items: dict[str, ItemDef] = {}
        self.enable_when: dict[str, tuple[EnableWhen, ...]] = {}
        self.behavior: dict[str, str] = {}
        self.all_ids = _link_ids(questionnaire.get("item"), set())
        self.seen: set[str] = set()

    def problem(self, pointer: str, message: str, link_id: str | None = None) -> None:
        self.problems.append(FieldProblem(pointer=pointer, message=message, link_id=link_id))

    def item(self, raw: Any, ptr: str, parent: str | None, depth: int = 1) -> None:
        if not isinstance(raw, dict):
            self.problem(ptr, "an item must be a JSON object")
            return
        link_id = raw.get("linkId")
        lid = link_id if isinstance(link_id, str) else None
        fresh = False
        if lid is None or not _LINK_ID.fullmatch(lid):
            self.problem(f"{ptr}/linkId", "linkId must be 1-64 of A-Z a-z 0-9 . - _", lid)
        elif lid in self.seen:
            self.problem(f"{ptr}/linkId", f"linkId {lid!r} is already used by an earlier item", lid)
        else:
            fresh = True
            self.seen.add(lid)
        kind = raw.get("type")
        if kind not in ITEM_TYPES:
            self.problem(f"{ptr}/type", f"type must be one of {', '.join(ITEM_TYPES)}", lid)
            kind = None
        text_da = raw.get("text")
        if text_da is not None and not isinstance(text_da, str):
            self.problem(f"{ptr}/text", "text must be a string", lid)
            text_da = None
        if kind not in (None, "group") and not (text_da or "").strip():
            self.problem(f"{ptr}/text", f"a {kind} item needs a text (in Danish)", lid)
        text_da = text_da or ""
        flags = {}
        for name in ("required", "repeats"):
            flags[name] = raw.get(name, False)
            if not isinstance(flags[name], bool):
                self.problem(f"{ptr}/{name}", f"{name} must be true or false", lid)
                flags[name] = False
            elif flags[name] and kind in ("group", "display"):
                self.problem(f"{ptr}/{name}", f"a {kind} item cannot be {name}", lid)
        choice = self.options(raw, ptr, lid, kind)
        bounds = self.bounds(raw, ptr, lid, kind)
        self.conditions(raw, ptr, lid)
        children = raw.get("item")
        if kind == "group" and (not isinstance(children, list) or not children):
            self.problem(f"{ptr}/item", "a group needs at least one item", lid)
        elif kind != "group" and "item" in raw:
            self.problem(f"{ptr}/item", "only group items may contain items", lid)
        if fresh and lid is not None and kind is not None:
            codes, ordinal, labels_da, labels_en = choice
            self.items[lid] = ItemDef(
                link_id=lid,
                type=kind,
                text_da=text_da,
                text_en=_translation(raw.get("_text")) or text_da,
                required=flags["required"] and kind in ANSWERABLE,
                repeats=flags["repeats"] and kind in ANSWERABLE,
                codes=codes,
                ordinal=ordinal,
                labels_da=labels_da,
                labels_en=labels_en,
                min_value=bounds[0],
                max_value=bounds[1],
                parent=parent,
            )
        if kind == "group" and isinstance(children, list) and depth >= MAX_DEPTH:
            self.problem(f"{ptr}/item", f"groups nest at most {MAX_DEPTH} deep", lid)
        elif kind == "group" and isinstance(children, list):
            for i, child in enumerate(children):
                self.item(child, f"{ptr}/item/{i}", lid, depth + 1)

    def options(
        self, raw: dict[str, Any], ptr: str, lid: str | None, kind: str | None
    ) -> tuple[tuple[str, ...], dict[str, float], dict[str, str], dict[str, str]]:
        """A choice item's codes, ordinal values and labels; problems for misplaced ones."""
        codes: list[str] = []
        ordinal: dict[str, float] = {}
        labels_da: dict[str, str] = {}
        labels_en: dict[str, str] = {}
        if "answerValueSet" in raw:
            self.problem(f"{ptr}/answerValueSet", "answerValueSet is not supported", lid)
        for j, ext in enumerate(_objects(raw.get("extension"))):
            if ext.get("url") == EXT_ORDINAL:
                self.problem(f"{ptr}/extension/{j}", "ordinalValue belongs on an answerOption", lid)
        options = raw.get("answerOption")
        if kind != "choice":
            if options is not None:
                self.problem(f"{ptr}/answerOption", "only choice items have answerOption", lid)
            return (), {}, {}, {}
        if not isinstance(options, list) or not options:
            self.problem(f"{ptr}/answerOption", "a choice item needs answerOption", lid)
            return (), {}, {}, {}
        for j, option in enumerate(options):
            optr = f"{ptr}/answerOption/{j}"
            coding = option.get("valueCoding") if isinstance(option, dict) else None
            code = coding.get("code") if isinstance(coding, dict) else None
            if not isinstance(coding, dict) or not isinstance(code, str) or not code:
                self.problem(optr, "an answerOption needs valueCoding with a code", lid)
                continue
            if code in codes:
                self.problem(f"{optr}/valueCoding/code", f"code {code!r} is repeated", lid)
                continue
            codes.append(code)
            display = coding.get("display")
            labels_da[code] = display if isinstance(display, str) and display else code
            labels_en[code] = _translation(coding.get("_display")) or labels_da[code]
            found = [
                (f"{optr}/extension/{k}", ext)
                for k, ext in enumerate(_objects(option.get("extension")))
                if ext.get("url") == EXT_ORDINAL
            ] + [
                (f"{optr}/valueCoding/extension/{k}", ext)
                for k, ext in enumerate(_objects(coding.get("extension")))
                if ext.get("url") == EXT_ORDINAL
            ]
            for n, (eptr, ext) in enumerate(found):
                value, _ = read_value("decimal", ext.get("valueDecimal"))
                if n:
                    self.problem(eptr, "an answerOption has at most one ordinalValue", lid)
                elif not isinstance(value, int | float):
                    self.problem(eptr, "ordinalValue needs a numeric valueDecimal", lid)
                else:
                    ordinal[code] = float(value)
        return tuple(codes), ordinal, labels_da, labels_en

    def bounds(
        self, raw: dict[str, Any], ptr: str, lid: str | None, kind: str | None
    ) -> tuple[float | str | None, float | str | None]:
        """minValue/maxValue: only on integer/decimal/date items, of the item's own type."""
        found: dict[str, tuple[float | str, int | float | date]] = {}
        for j, ext in enumerate(_objects(raw.get("extension"))):
            url = ext.get("url")
            names = {EXT_MIN: "minValue", EXT_MAX: "maxValue"}
            name = names.get(url) if isinstance(url, str) else None
            if name is None:
                continue
            eptr = f"{ptr}/extension/{j}"
            if kind not in _BOUND_KEY:
                self.problem(eptr, f"{name} applies only to integer, decimal and date items", lid)
                continue
            key = _BOUND_KEY[kind]
            value, why = read_value(kind, ext.get(key))
            if value is None:
                self.problem(eptr, f"{name} of this {kind} item needs {key}, which {why}", lid)
            elif name in found:
                self.problem(eptr, f"{name} is given twice", lid)
            elif isinstance(value, date):
                found[name] = (value.isoformat(), value)
            elif isinstance(value, int | float) and not isinstance(value, bool):
                found[name] = (value, value)
        low, high = found.get("minValue"), found.get("maxValue")
        if low is not None and high is not None and _gt(low[1], high[1]):
            self.problem(f"{ptr}/extension", "minValue is greater than maxValue", lid)
        return (low[0] if low else None), (high[0] if high else None)

    def conditions(self, raw: dict[str, Any], ptr: str, lid: str | None) -> None:
        """enableWhen: each names an earlier question, with an operator and answer[x]
        that fit that question's type."""
        conds = raw.get("enableWhen")
        behavior = raw.get("enableBehavior")
        if conds is None:
            if behavior is not None:
                self.problem(f"{ptr}/enableBehavior", "enableBehavior without enableWhen", lid)
            return
        if not isinstance(conds, list) or not conds:
            self.problem(f"{ptr}/enableWhen", "enableWhen must be a non-empty list", lid)
            return
        if behavior is not None and behavior not in ("all", "any"):
            self.problem(f"{ptr}/enableBehavior", "enableBehavior must be 'all' or 'any'", lid)
        elif behavior is None and len(conds) > 1:
            self.problem(
                f"{ptr}/enableBehavior",
                "enableBehavior ('all' or 'any') is required with more than one enableWhen",
                lid,
            )
        parsed = [self.condition(c, f"{ptr}/enableWhen/{k}", lid) for k, c in enumerate(conds)]
        if lid is not None and all(p is not None for p in parsed):
            self.enable_when[lid] = tuple(p for p in parsed if p is not None)
            if behavior == "any":
                self.behavior[lid] = "any"

    def condition(self, cond: Any, ptr: str, lid: str | None) -> EnableWhen | None:
        if not isinstance(cond, dict):
            self.problem(ptr, "an enableWhen must be a JSON object", lid)
            return None
        question, operator = cond.get("question"), cond.get("operator")
        keys = [k for k in cond if k.startswith("answer")]
        ok = True
        target = self.items.get(question) if isinstance(question, str) else None
        if target is None or target.type not in ANSWERABLE:
            ok = False
            if target is not None:
                why = f"names a {target.type} item; it must name a question"
            elif isinstance(question, str) and question in self.all_ids:
                why = f"{question!r} does not come before this item; name an earlier question"
            else:
                why = f"{question!r} names no item"
            self.problem(f"{ptr}/question", f"enableWhen question {why}", lid)
        if not isinstance(operator, str) or operator not in OPERATORS:
            self.problem(f"{ptr}/operator", f"operator must be one of {' '.join(OPERATORS)}", lid)
            ok = False
        if len(keys) != 1:
            self.problem(ptr, "an enableWhen needs exactly one answer[x]", lid)
            ok = False
        if not ok or target is None or not isinstance(operator, str):
            return None
        key = keys[0]
        if operator == "exists":
            kind, want = "boolean", "answerBoolean"
        elif operator in OPERATORS[3:] and target.type not in _ORDERED:
            self.problem(
                f"{ptr}/operator",
                f"operator {operator} needs an integer, decimal or date question,"
                f" not {target.type}",
                lid,
            )
            return None
        else:
            kind, want = target.type, "answer" + VALUE_SUFFIX[target.type]
        if key != want:
            self.problem(f"{ptr}/{key}", f"{want} is needed here (question is {kind})", lid)
            return None
        value, why = read_value(kind, cond[key], target.codes)
        if value is None:
            self.problem(f"{ptr}/{key}", f"{key} {why}", lid)
            return None
        return EnableWhen(question=target.link_id, operator=operator, answer=value)

    def rule(self, i: int, rule: TriageRule) -> None:
        ptr = f"/triage/{i}"
        if rule.level not in ("red", "yellow"):
            self.problem(f"{ptr}/level", "level must be 'red' or 'yellow'")
        if not rule.any:
            self.problem(f"{ptr}/any", "a rule needs at least one condition")
        for j, cond in enumerate(rule.any):
            self.triage_condition(cond, f"{ptr}/any/{j}")

    def triage_condition(self, cond: Condition, ptr: str) -> None:
        kind = condition_kind(cond)
        if kind is None:
            self.problem(
                ptr,
                "a condition is exactly one of {item, answer}, {item, gte}, {item, lte}"
                " or {score_gte}",
                cond.item,
            )
            return
        if kind == "score_gte":
            if not any(item.ordinal for item in self.items.values()):
                self.problem(f"{ptr}/score_gte", "score_gte needs answers with ordinalValue")
            return
        target = self.items.get(cond.item or "")
        if target is None or target.type not in ANSWERABLE:
            what = f"a {target.type} item" if target else "no item"
            self.problem(f"{ptr}/item", f"item {cond.item!r} names {what}", cond.item)
        elif kind == "answer" and target.type == "choice":
            if cond.answer not in target.codes:
                self.problem(
                    f"{ptr}/answer",
                    f"{cond.answer!r} is not one of {target.link_id}'s codes"
                    f" ({', '.join(target.codes)})",
                    cond.item,
                )
        elif kind == "answer" and target.type == "boolean":
            if cond.answer not in ("true", "false"):
                self.problem(
                    f"{ptr}/answer", "a boolean item's answer is 'true' or 'false'", cond.item
                )
        elif kind == "answer":
            self.problem(
                f"{ptr}/answer",
                f"answer needs a choice or boolean item; {target.link_id} is {target.type}",
                cond.item,
            )
        elif target.type not in _NUMERIC:
            self.problem(
                f"{ptr}/{kind}",
                f"{kind} needs an integer or decimal item; {target.link_id} is {target.type}",
                cond.item,
            )


def _gt(a: int | float | date, b: int | float | date) -> bool:
    if isinstance(a, date) and isinstance(b, date):
        return a > b
    if not isinstance(a, date) and not isinstance(b, date):
        return a > b
    return False


def check_definition(
    body: DefinitionBody,
) -> tuple[QuestionnaireDef | None, list[FieldProblem]]:
    """Every problem found (not just the first); the definition only when there are none."""
    q = body.questionnaire
    checker = _Checker(q)
    if q.get("resourceType") != "Questionnaire":
        checker.problem("/questionnaire/resourceType", "resourceType must be 'Questionnaire'")
    if q.get("status") not in ("draft", "active"):
        checker.problem("/questionnaire/status", "status must be 'active' or 'draft'")
    title = q.get("title")
    if title is not None and not isinstance(title, str):
        checker.problem("/questionnaire/title", "title must be a string")
        title = None
    items = q.get("item")
    if items is not None and not isinstance(items, list):
        checker.problem("/questionnaire/item", "item must be a list")
    for i, raw in enumerate(items if isinstance(items, list) else []):
        checker.item(raw, f"/questionnaire/item/{i}", None)
    if not any(item.type in ANSWERABLE for item in checker.items.values()):
        checker.problem("/questionnaire/item", "the questionnaire needs at least one question")
    for i, rule in enumerate(body.triage):
        checker.rule(i, rule)
    for name in ("green_answer_da", "green_answer_en"):
        if not getattr(body, name).strip():
            checker.problem(f"/{name}", f"{name} must not be empty")
    if checker.problems:
        return None, checker.problems
    title_da = title or ""
    return QuestionnaireDef(
        title_da=title_da,
        title_en=_translation(q.get("_title")) or title_da,
        items=checker.items,
        enable_when=checker.enable_when,
        enable_behavior=checker.behavior,
        triage=list(body.triage),
        green_answer_da=body.green_answer_da,
        green_answer_en=body.green_answer_en,
        questionnaire=q,
    ), []
