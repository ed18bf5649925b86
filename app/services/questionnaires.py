"""PRO questionnaires for the clinic: load a definition (a new version each time) and
assign it to a patient, once or on a schedule; the worker opens instances as they fall
due, in the citizen's zone, with a notice that names no health detail.
"""

from __future__ import annotations

import re
from datetime import date
from zoneinfo import ZoneInfo

import msgspec

from app.domain.identity import Principal
from app.domain.ids import new_id
from app.domain.notices import notice
from app.domain.people import Citizen
from app.domain.pro import KEY_PATTERN, Assignment, Instance, StoredQuestionnaire, opening
from app.domain.questionnaires import DefinitionBody, QuestionnaireDef, check_definition
from app.errors import Conflict, Invalid, NotFound
from app.ports import Clock, Store, UnitOfWork
from app.services.audit import event_for, record
from app.services.clinic_schedule import clinic_for
from app.services.notify import tell

__all__ = [
    "MAX_EVERY_DAYS",
    "assign",
    "definition_of",
    "load_definition",
    "open_due",
    "open_instance",
    "problems_as_errors",
]

MAX_EVERY_DAYS = 3650
_OPEN_BATCH = 200
#: checked definitions by (clinic, key, version): a version never changes once stored
_CHECKED: dict[tuple[str, str, int], QuestionnaireDef] = {}
_CACHE_LIMIT = 512
_VERSION_TRIES = 5


def problems_as_errors(problems: list[msgspec.Struct]) -> list[dict[str, str]]:
    """The `errors` of a problem document: each problem with its place and linkId."""
    out: list[dict[str, str]] = []
    for p in problems:
        entry = {k: v for k, v in msgspec.structs.asdict(p).items() if v is not None}
        if "link_id" in entry:
            entry["linkId"] = entry.pop("link_id")
        out.append(entry)
    return out


_AT = re.compile(r"^(?P<message>.*?)(?: - at `\$(?P<path>[^`]*)`)?$", re.DOTALL)
_STEP = re.compile(r"\.([^.\[]+)|\[(\d+)\]|\[\"((?:[^\"\\]|\\.)*)\"\]")


def _pointer(path: str) -> str:
    """msgspec's `$.triage[0].any[1]` as the JSON pointer `/triage/0/any/1`."""
    steps = (m.group(1) or m.group(2) or m.group(3) or "" for m in _STEP.finditer(path))
    return "".join("/" + s.replace("~", "~0").replace("/", "~1") for s in steps)


def _shape_problem(what: str, exc: msgspec.DecodeError) -> Invalid:
    """A definition that is not JSON or not of the PUT body's shape is a mistake in the
    definition like any other: 422 invalid-questionnaire with where it is."""
    found = _AT.match(str(exc))
    message = found.group("message") if found else str(exc)
    pointer = _pointer(found.group("path") or "") if found else ""
    return Invalid(
        f"the definition {what}: {exc}",
        kind="invalid-questionnaire",
        errors=[{"pointer": pointer, "message": message}],
    )


def _decode_body(raw: bytes) -> DefinitionBody:
    try:
        return msgspec.json.decode(raw, type=DefinitionBody)
    except msgspec.ValidationError as exc:
        raise _shape_problem("does not have the expected shape", exc) from exc
    except msgspec.DecodeError as exc:
        raise _shape_problem("is not JSON", exc) from exc


def definition_of(stored: StoredQuestionnaire) -> QuestionnaireDef:
    """The checked definition of a stored version (checked once per process)."""
    key = (stored.clinic_id, stored.key, stored.version)
    found = _CHECKED.get(key)
    if found is None:
        checked, _ = check_definition(_decode_body(stored.body))
        if checked is None:  # stored versions passed this check when they were loaded
            raise Invalid(f"stored questionnaire {stored.key} v{stored.version} is not valid")
        if len(_CHECKED) >= _CACHE_LIMIT:
            _CHECKED.clear()
        found = _CHECKED[key] = checked
    return found


async def load_definition(
    uow: UnitOfWork, clock: Clock, clinician: Principal, key: str, raw: bytes
) -> tuple[StoredQuestionnaire, bool]:
    """Check and store a definition as the next version; (it, whether it is the first)."""
    clinic = await clinic_for(uow, clinician)
    if not KEY_PATTERN.match(key):
        raise Invalid("a questionnaire key is 1 to 64 of a-z, 0-9 and '-'")
    body = _decode_body(raw)
    checked, problems = check_definition(body)
    if checked is None:
        raise Invalid(
            f"the definition has {len(problems)} problem(s)",
            kind="invalid-questionnaire",
            errors=problems_as_errors(list(problems)),
        )
    # Two loads of one key at once both see the same latest version; the second insert
    # is skipped by the primary key and that load takes the next number instead.
    for _ in range(_VERSION_TRIES):
        latest = await uow.questionnaires.latest(clinic.id, key)
        stored = StoredQuestionnaire(
            clinic_id=clinic.id,
            key=key,
            version=1 if latest is None else latest.version + 1,
            title_da=checked.title_da,
            title_en=checked.title_en,
            body=msgspec.json.encode(body),
            created_by=clinician.id,
            created_at=clock.now(),
        )
        if await uow.questionnaires.add_version(stored):
            return stored, latest is None
    raise Conflict(f"questionnaire '{key}' is being changed by someone else; try again")


async def assign(
    uow: UnitOfWork,
    clock: Clock,
    clinician: Principal,
    citizen_id: str,
    *,
    key: str,
    every_days: int | None,
    first_due: date | None,
) -> tuple[Assignment, Instance | None]:
    """Give a patient a questionnaire; the first instance opens now (or on `first_due`)."""
    clinic = await clinic_for(uow, clinician)
    citizen = await uow.citizens.in_clinic(clinic.id, citizen_id)
    if citizen is None:
        raise NotFound("no such citizen at your clinic")
    if await uow.erasure.is_closed(citizen.id):  # kept for the records, reached by no one
        raise Conflict(
            "this patient closed their account in the app: questionnaires cannot reach them",
            kind="account-closed",
        )
    if await uow.questionnaires.latest(clinic.id, key) is None:
        raise NotFound(f"no questionnaire '{key}' at your clinic", kind="questionnaire-not-found")
    if every_days is not None and not 1 <= every_days <= MAX_EVERY_DAYS:
        raise Invalid(f"every_days is 1 to {MAX_EVERY_DAYS}, or null for once")
    now = clock.now()
    local_today = now.astimezone(ZoneInfo(citizen.timezone)).date()
    if first_due is not None and first_due < local_today:
        raise Invalid("first_due is in the past")
    due = first_due or local_today
    assignment = Assignment(
        id=new_id(),
        citizen_id=citizen.id,
        clinic_id=clinic.id,
        key=key,
        every_days=every_days,
        created_by=clinician.id,
        created_at=now,
    )
    opens = opening(due, citizen.timezone)
    now_due = first_due is None or opens <= now
    if not now_due:
        assignment = msgspec.structs.replace(assignment, next_due=due, opens_at=opens)
    await uow.questionnaires.assign(assignment)
    instance = await open_instance(uow, clock, assignment, citizen, due) if now_due else None
    await record(
        uow,
        clock,
        event_for(
            clinician,
            citizen_id=citizen.id,
            action="questionnaire.assign",
            resource=f"questionnaire-assignments/{assignment.id}",
            detail={"key": key, "every_days": str(every_days or ""), "due": due.isoformat()},
        ),
    )
    return assignment, instance


async def open_instance(
    uow: UnitOfWork, clock: Clock, assignment: Assignment, citizen: Citizen, due: date
) -> Instance | None:
    """Open the next instance on the latest version; the citizen gets a neutral notice."""
    stored = await uow.questionnaires.latest(assignment.clinic_id, assignment.key)
    if stored is None:
        return None
    instance = Instance(
        id=new_id(),
        citizen_id=citizen.id,
        assignment_id=assignment.id,
        clinic_id=assignment.clinic_id,
        key=assignment.key,
        version=stored.version,
        due=due,
        opened_at=clock.now(),
    )
    await uow.questionnaires.add_instance(instance)
    await tell(
        uow,
        clock,
        citizen.id,
        notice(
            "questionnaire.due",
            f"questionnaires/{instance.id}",
            title=stored.title_da,
            title_en=stored.title_en,
        ),
    )
    return instance


async def open_due(store: Store, clock: Clock) -> int:
    """The worker's pass: open every instance whose time has come; how many."""
    now = clock.now()
    async with store.read() as uow:  # most passes find nothing: no write transaction
        if not await uow.questionnaires.has_due(now):
            return 0
    opened = 0
    async with store.transaction() as uow:
        for assignment in await uow.questionnaires.claim_due(now, _OPEN_BATCH):
            citizen = await uow.citizens.get(assignment.citizen_id)
            if citizen is None or assignment.next_due is None:
                continue
            await uow.questionnaires.plan_next(assignment.citizen_id, assignment.id, None, None)
            if await open_instance(uow, clock, assignment, citizen, assignment.next_due):
                opened += 1
    return opened
