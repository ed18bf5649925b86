"""PRO questionnaires (contracts §6): the one import for services and the API.

The rules live in two modules to stay readable: `questionnaire_model` (the shapes and
the check of a clinic's definition) and `questionnaire_rules` (checking a response,
triage, localised texts). Import from here so that split can change freely.
"""

from __future__ import annotations

from app.domain.questionnaire_model import (
    Answer,
    Condition,
    DefinitionBody,
    EnableWhen,
    FieldProblem,
    ItemDef,
    Level,
    QuestionnaireDef,
    TriageRule,
    check_definition,
    condition_kind,
)
from app.domain.questionnaire_rules import (
    Answers,
    Reason,
    Triage,
    check_response,
    localised,
    triage,
)

__all__ = [
    "Answer",
    "Answers",
    "Condition",
    "DefinitionBody",
    "EnableWhen",
    "FieldProblem",
    "ItemDef",
    "Level",
    "QuestionnaireDef",
    "Reason",
    "Triage",
    "TriageRule",
    "check_definition",
    "check_response",
    "condition_kind",
    "localised",
    "triage",
]
