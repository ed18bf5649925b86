"""Answering a PRO questionnaire, and what happens at once after the answer.

The response is checked against the version the instance was opened with; a bad one
stores nothing and names each linkId. A good one is triaged by the clinic's rules:
- green: the clinic's own automatic answer arrives as a notice;
- yellow: an item goes to the clinic's inbox for a decision;
- red: an item goes to the top of the inbox, and the citizen is told, in our words, to
  call the clinic (with its number) or 112.
The answer, its inbox item, the notice and the next planned instance are written in
one transaction, so a red answer is never stored without its item; pushing the notice
happens later from the outbox, so a failed push cannot undo anything.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import msgspec

from app.domain.identity import Principal
from app.domain.ids import new_id
from app.domain.inbox import InboxItem
from app.domain.notices import notice
from app.domain.people import Clinic
from app.domain.pro import Instance, StoredQuestionnaire, next_due, opening, red_message
from app.domain.questionnaires import QuestionnaireDef, Reason, Triage, check_response, triage
from app.domain.time import DEFAULT_TIMEZONE
from app.errors import Conflict, Invalid, NotFound
from app.ports import Clock, UnitOfWork
from app.services.audit import event_for, record
from app.services.clinic_schedule import clinic_for
from app.services.notify import tell
from app.services.questionnaires import definition_of, problems_as_errors

__all__ = [
    "ClinicAction",
    "Outcome",
    "citizen_instance",
    "citizen_instances",
    "response_for_clinician",
    "submit",
]

_YELLOW_DA = (
    "Tak for dine svar. Klinikken ser på dem og kontakter dig, hvis du skal til en samtale."
)
_YELLOW_EN = (
    "Thank you for your answers. The clinic will look at them and contact you if you need"
    " a consultation."
)
MAX_RESPONSE_BYTES = 256 * 1024


class Outcome(msgspec.Struct, frozen=True, kw_only=True):
    """What the citizen is told at once (contracts §6)."""

    triage: str
    message_da: str
    message_en: str
    instance_id: str
    next_due: str | None = None


class ClinicAction(msgspec.Struct, frozen=True, kw_only=True):
    """What the clinic did with a yellow or red answer, as the citizen sees it."""

    status: str
    action: str | None = None
    resolved_at: datetime | None = None
    resolved_by_name: str | None = None


async def _stored(uow: UnitOfWork, instance: Instance) -> StoredQuestionnaire:
    stored = await uow.questionnaires.version(instance.clinic_id, instance.key, instance.version)
    if stored is None:
        raise NotFound("no such questionnaire", kind="questionnaire-not-found")
    return stored


async def citizen_instances(
    uow: UnitOfWork, citizen: Principal
) -> list[tuple[Instance, StoredQuestionnaire]]:
    out: list[tuple[Instance, StoredQuestionnaire]] = []
    for instance in await uow.questionnaires.instances(citizen.id):
        out.append((instance, await _stored(uow, instance)))
    return out


async def citizen_instance(
    uow: UnitOfWork, citizen: Principal, instance_id: str
) -> tuple[Instance, StoredQuestionnaire, ClinicAction | None]:
    instance = await uow.questionnaires.instance(citizen.id, instance_id)
    if instance is None:
        raise NotFound("no such questionnaire", kind="questionnaire-not-found")
    item = await uow.inbox.for_instance(citizen.id, instance.id)
    action = (
        None
        if item is None
        else ClinicAction(
            status=item.status,
            action=item.action,
            resolved_at=item.resolved_at,
            resolved_by_name=item.resolved_by_name,
        )
    )
    return instance, await _stored(uow, instance), action


def _decode_response(raw: bytes) -> dict[str, Any]:
    if len(raw) > MAX_RESPONSE_BYTES:
        raise Invalid(f"a response is at most {MAX_RESPONSE_BYTES} bytes")
    try:
        doc = msgspec.json.decode(raw)
    except msgspec.DecodeError as exc:
        raise Invalid(f"the response is not JSON: {exc}", kind="invalid-response") from exc
    if not isinstance(doc, dict):
        raise Invalid("send a FHIR QuestionnaireResponse object", kind="invalid-response")
    return doc


def _same_answers(stored: bytes | None, doc: dict[str, Any]) -> bool:
    if stored is None:
        return False
    earlier = msgspec.json.decode(stored)
    return isinstance(earlier, dict) and earlier.get("item") == doc.get("item")


async def _replay(
    uow: UnitOfWork, instance: Instance, doc: dict[str, Any], key: str | None
) -> Outcome:
    """A second submission: the same answer again under the same Idempotency-Key gets
    the first outcome; anything else is a conflict."""
    if key is None or instance.idempotency_key != key:
        raise Conflict("this questionnaire is already answered", kind="already-submitted")
    if not _same_answers(instance.response, doc):
        raise Conflict(
            "the Idempotency-Key was used for other answers", kind="idempotency-key-reused"
        )
    stored = await _stored(uow, instance)
    defn = definition_of(stored)
    clinic = await uow.clinics.get(instance.clinic_id)
    message = _message(instance.triage or "green", defn, clinic)
    assignment = await uow.questionnaires.assignment(instance.citizen_id, instance.assignment_id)
    # worked out again from the first answer's time, as it was then: the assignment's
    # own next_due is cleared once the worker has opened that next one
    person = await uow.citizens.get(instance.citizen_id)
    planned = (
        None
        if assignment is None or instance.submitted_at is None
        else next_due(
            instance.submitted_at,
            assignment.every_days,
            person.timezone if person else DEFAULT_TIMEZONE,
        )
    )
    return Outcome(
        triage=instance.triage or "green",
        message_da=message[0],
        message_en=message[1],
        instance_id=instance.id,
        next_due=None if planned is None else planned.isoformat(),
    )


def _message(level: str, defn: QuestionnaireDef, clinic: Clinic | None) -> tuple[str, str]:
    if level == "red":
        return red_message(clinic.name if clinic else "", clinic.rules.phone if clinic else "")
    if level == "yellow":
        return _YELLOW_DA, _YELLOW_EN
    return defn.green_answer_da, defn.green_answer_en


def _reason_text(reasons: list[Reason], language: str) -> str:
    parts = [r.text_da if language == "da" else r.text_en for r in reasons]
    return "; ".join(parts)


def _item(
    instance: Instance, stored: StoredQuestionnaire, result: Triage, now: datetime, zone: str
) -> InboxItem:
    red = result.level == "red"
    first = result.reasons[0] if result.reasons else None
    return InboxItem(
        id=new_id(),
        clinic_id=instance.clinic_id,
        citizen_id=instance.citizen_id,
        kind="questionnaire",
        condition=f"questionnaire:{instance.id}",
        code=f"pro_{result.level}",
        severity=result.level,
        title_da=f"{stored.title_da}: {'rødt' if red else 'gult'} svar",
        title_en=f"{stored.title_en}: {'red' if red else 'yellow'} answer",
        detail_da=_reason_text(result.reasons, "da"),
        detail_en=_reason_text(result.reasons, "en"),
        value=_number(first.value) if first else None,
        threshold=_number(first.threshold) if first else None,
        period_from=instance.due,
        # the citizen's local dates, like `due` (UTC can still be yesterday)
        period_to=now.astimezone(ZoneInfo(zone)).date(),
        link=f"/v1/clinician/questionnaire-responses/{instance.id}",
        created_at=now,
        updated_at=now,
    )


def _number(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


async def submit(
    uow: UnitOfWork,
    clock: Clock,
    citizen: Principal,
    instance_id: str,
    raw: bytes,
    *,
    idempotency_key: str | None,
) -> Outcome:
    """Check, store and triage a response in the caller's transaction."""
    doc = _decode_response(raw)
    instance = await uow.questionnaires.instance(citizen.id, instance_id)
    if instance is None:
        raise NotFound("no such questionnaire", kind="questionnaire-not-found")
    if instance.status != "due":
        return await _replay(uow, instance, doc, idempotency_key)
    stored = await _stored(uow, instance)
    defn = definition_of(stored)
    answers, problems = check_response(defn, doc)
    if answers is None:
        raise Invalid(
            f"the answers have {len(problems)} problem(s)",
            kind="invalid-response",
            errors=problems_as_errors(list(problems)),
        )
    result = triage(defn, answers)
    now = clock.now()
    kept = {
        **doc,
        "resourceType": "QuestionnaireResponse",
        "id": instance.id,
        "status": "completed",
        "authored": now.isoformat(),
    }
    submitted = msgspec.structs.replace(
        instance,
        status="submitted",
        submitted_at=now,
        submitted_by=citizen.proxy.id if citizen.proxy else citizen.id,
        triage=result.level,
        score=result.score,
        response=msgspec.json.encode(kept),
        reasons=msgspec.json.encode(result.reasons),
        idempotency_key=idempotency_key,
    )
    if not await uow.questionnaires.submit(submitted):
        # answered since we read it (on PostgreSQL a racing retry waits here for the
        # first one's commit): the same answer under the same key gets the first outcome
        now_stored = await uow.questionnaires.instance(citizen.id, instance_id)
        if now_stored is None:
            raise Conflict("this questionnaire is already answered", kind="already-submitted")
        return await _replay(uow, now_stored, doc, idempotency_key)
    clinic = await uow.clinics.get(instance.clinic_id)
    message = _message(result.level, defn, clinic)
    person = await uow.citizens.get(instance.citizen_id)
    zone = person.timezone if person else DEFAULT_TIMEZONE
    if result.level == "green":
        await tell(
            uow,
            clock,
            citizen.id,
            notice(
                "questionnaire.answered",
                f"questionnaires/{instance.id}",
                message=message[0],
                message_en=message[1],
            ),
        )
    else:
        await uow.inbox.add(_item(instance, stored, result, now, zone))
        if result.level == "red":
            await tell(
                uow,
                clock,
                citizen.id,
                notice(
                    "questionnaire.call",
                    f"questionnaires/{instance.id}",
                    message=message[0],
                    message_en=message[1],
                ),
            )
    planned = await _plan_next(uow, instance, now, zone)
    await record(
        uow,
        clock,
        event_for(
            citizen,
            citizen_id=citizen.id,
            action="questionnaire.submit",
            resource=f"questionnaires/{instance.id}",
            detail={"key": instance.key, "version": str(instance.version), "triage": result.level},
        ),
    )
    return Outcome(
        triage=result.level,
        message_da=message[0],
        message_en=message[1],
        instance_id=instance.id,
        next_due=None if planned is None else planned.isoformat(),
    )


async def _plan_next(uow: UnitOfWork, instance: Instance, now: datetime, zone: str) -> date | None:
    assignment = await uow.questionnaires.assignment(instance.citizen_id, instance.assignment_id)
    if assignment is None or assignment.ended_at is not None:
        return None
    due = next_due(now, assignment.every_days, zone)
    await uow.questionnaires.plan_next(
        assignment.citizen_id, assignment.id, due, None if due is None else opening(due, zone)
    )
    return due


async def response_for_clinician(
    uow: UnitOfWork, clock: Clock, clinician: Principal, instance_id: str
) -> tuple[Instance, StoredQuestionnaire, list[Reason]]:
    """A submitted response for the clinic that assigned it; the look is audited."""
    clinic = await clinic_for(uow, clinician)
    instance = await uow.questionnaires.instance_in_clinic(clinic.id, instance_id)
    if instance is None or instance.status != "submitted":
        raise NotFound("no such questionnaire response", kind="questionnaire-not-found")
    await record(
        uow,
        clock,
        event_for(
            clinician,
            citizen_id=instance.citizen_id,
            action="questionnaire_response.read",
            resource=f"questionnaires/{instance.id}",
            detail={"key": instance.key, "triage": instance.triage or ""},
        ),
    )
    reasons = msgspec.json.decode(instance.reasons, type=list[Reason]) if instance.reasons else []
    return instance, await _stored(uow, instance), reasons
