"""The clinic's triage inbox: one list of what needs a look, kept current as data arrive.

Two kinds of item meet here. A *measurement* item is a summary flag (red, yellow, blue)
of a citizen whose share covers the clinic, found by the same rules as the summary
(`app.domain.flags`). A *questionnaire* item is a yellow or red PRO answer.

A finding is identified by its *condition*: the rule family and the metrics it is about
(`blood_pressure`, `data_missing:spo2`), not the exact code, so a raised blood pressure
that becomes very high is the same item turning red, and never a second one. What the
store keeps per condition is decided by `plan`, a pure function, so the rules for
"open, update, clear" are tested without a database.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import Literal

import msgspec

from app.domain.summary import Flag

__all__ = [
    "FAMILY_METRICS",
    "RANK",
    "InboxAction",
    "InboxItem",
    "InboxKind",
    "InboxStatus",
    "ItemChange",
    "condition_of",
    "conditions_checked",
    "families_for",
    "plan",
]

InboxKind = Literal["questionnaire", "measurement"]
InboxStatus = Literal["open", "resolved", "cleared"]
InboxAction = Literal["none", "book", "call"]

#: the severities that make an item, in inbox order
RANK: dict[str, int] = {"red": 0, "yellow": 1, "blue": 2}

#: each flag rule family and the metrics it reads (`app.domain.flags`)
FAMILY_METRICS: dict[str, tuple[str, ...]] = {
    "blood_pressure": ("blood_pressure_systolic", "blood_pressure_diastolic"),
    "spo2": ("spo2",),
    "weight": ("body_mass",),
    "resting_hr": ("resting_heart_rate",),
    "steps": ("steps",),
    #: the `adherence` share scope: doses taken per medication (`app.services.adherence`)
    "adherence": ("adherence",),
}
_FAMILY_OF_CODE: dict[str, str] = {
    "bp_mean_very_high": "blood_pressure",
    "bp_mean_high": "blood_pressure",
    "bp_mean_ok": "blood_pressure",
    "spo2_low": "spo2",
    "spo2_ok": "spo2",
    "weight_change": "weight",
    "weight_stable": "weight",
    "resting_hr_high": "resting_hr",
    "resting_hr_ok": "resting_hr",
    "steps_drop": "steps",
    "steps_steady": "steps",
    "adherence_low": "adherence",
    "adherence_ok": "adherence",
}


class InboxItem(msgspec.Struct, frozen=True, kw_only=True):
    """One item as stored; `condition` makes the same finding the same item."""

    id: str
    clinic_id: str
    citizen_id: str
    kind: InboxKind
    share_id: str | None = None
    condition: str
    code: str
    severity: str
    title_da: str
    title_en: str
    detail_da: str
    detail_en: str
    value: float | None = None
    threshold: float | None = None
    period_from: date | None = None
    period_to: date | None = None
    #: where the GP reads more: the summary or the answers (an API path)
    link: str
    status: InboxStatus = "open"
    created_at: datetime
    updated_at: datetime
    resolved_at: datetime | None = None
    resolved_by: str | None = None
    resolved_by_name: str | None = None
    note: str | None = None
    action: InboxAction | None = None
    cleared_at: datetime | None = None

    @property
    def rank(self) -> int:
        return RANK.get(self.severity, 3)


def condition_of(flag: Flag) -> str:
    """What makes two flags the same finding: the rule family, or "missing" per metric."""
    if flag.code == "data_missing":
        return "data_missing:" + ",".join(flag.metrics)
    return _FAMILY_OF_CODE.get(flag.code, flag.code)


def families_for(metrics: Iterable[str]) -> tuple[set[str], set[str]]:
    """The rule families and the metrics to evaluate when `metrics` changed: a family
    is evaluated whole (blood pressure reads both its metrics)."""
    touched = set(metrics)
    families = {f for f, ms in FAMILY_METRICS.items() if touched & set(ms)}
    wanted = set(touched)
    for family in families:
        wanted.update(FAMILY_METRICS[family])
    return families, wanted


def conditions_checked(families: Iterable[str], metrics: Iterable[str]) -> set[str]:
    """Every condition an evaluation of these families and metrics decides on: those it
    does not find are gone."""
    return set(families) | {f"data_missing:{m}" for m in metrics}


class ItemChange(msgspec.Struct, frozen=True, kw_only=True):
    """What to do to the store for one condition."""

    op: Literal["open", "update", "clear"]
    flag: Flag | None = None
    #: the live item it is about (update, clear)
    item_id: str | None = None


def _same(item: InboxItem, flag: Flag) -> bool:
    return (
        item.code == flag.code
        and item.severity == flag.severity
        and item.detail_da == flag.detail_da
        and item.value == flag.value
        and item.threshold == flag.threshold
    )


def plan(live: Sequence[InboxItem], flags: Sequence[Flag], checked: set[str]) -> list[ItemChange]:
    """Bring the live items of one share in line with a fresh evaluation.

    - A flag (red, yellow or blue) whose condition has no live item opens one.
    - An open item follows its condition: a new severity or new numbers update it.
    - A resolved item stays resolved while its condition holds at the same or a milder
      severity; if it gets worse, the old item is cleared and a new one opens.
    - A checked condition that no longer flags clears its live item.
    Green flags make no item: green means checked and within the limit.
    """
    by_condition = {item.condition: item for item in live}
    found: dict[str, Flag] = {}
    for flag in flags:
        if flag.severity not in RANK:
            continue
        key = condition_of(flag)
        if key not in found or RANK[flag.severity] < RANK[found[key].severity]:
            found[key] = flag
    changes: list[ItemChange] = []
    for key, flag in found.items():
        item = by_condition.get(key)
        if item is None:
            changes.append(ItemChange(op="open", flag=flag))
        elif item.status == "open":
            if not _same(item, flag):
                changes.append(ItemChange(op="update", flag=flag, item_id=item.id))
        elif RANK[flag.severity] < item.rank:
            changes.append(ItemChange(op="clear", item_id=item.id))
            changes.append(ItemChange(op="open", flag=flag))
    for key, item in by_condition.items():
        if key in checked and key not in found:
            changes.append(ItemChange(op="clear", item_id=item.id))
    return changes
