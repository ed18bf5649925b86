"""The clinic staff's side of the inbox: read it in triage order, resolve an item.

Every item a clinician is shown is a look at a citizen's data, so each listing writes
one audit entry per item into that citizen's log (in two statements for the page, like
the renewal queue). Resolving records who, when, the note and the action; "book"
offers the citizen a consultation through the booking waitlist: the earliest free
consultation slot in the next two weeks is held for them, with the usual offer notice,
or they wait for the next freed slot.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Literal

import msgspec

from app.domain.identity import Principal
from app.domain.ids import new_id
from app.domain.inbox import InboxAction, InboxItem
from app.domain.notices import notice
from app.domain.people import Clinic
from app.domain.waitlist import WaitlistEntry
from app.errors import Conflict, Invalid, NotFound
from app.ports import Clock, InboxPageRow, UnitOfWork
from app.services.audit import event_for, record, record_all
from app.services.booking import offer_slot_to
from app.services.clinic_schedule import clinic_for
from app.services.notify import tell

__all__ = [
    "BOOK_WITHIN",
    "InboxPage",
    "item_for_clinician",
    "list_inbox",
    "read_item",
    "resolve_item",
]

#: "book" looks for a free consultation slot this far ahead
BOOK_WITHIN = timedelta(days=14)
MAX_NOTE = 2000


class InboxPage(msgspec.Struct, frozen=True, kw_only=True):
    rows: list[InboxPageRow]
    next_after: tuple[int, int, str] | None


async def list_inbox(
    uow: UnitOfWork,
    clock: Clock,
    clinician: Principal,
    *,
    status: Literal["open", "all"],
    after: tuple[int, int, str] | None,
    limit: int,
) -> InboxPage:
    """A page of the caller's inbox; every item shown is audited in its citizen's log."""
    clinic = await clinic_for(uow, clinician)
    statuses = ["open"] if status == "open" else ["open", "resolved", "cleared"]
    rows = await uow.inbox.page(
        clinic.id, clinician.id, clock.now(), statuses=statuses, after=after, limit=limit + 1
    )
    more = len(rows) > limit
    rows = rows[:limit]
    # one item per finding: a citizen with two shares covering the caller shows once
    seen: set[tuple[str, str]] = set()
    shown: list[InboxPageRow] = []
    for row in rows:
        key = (row.item.citizen_id, row.item.condition)
        if key in seen:
            continue
        seen.add(key)
        shown.append(row)
    await record_all(
        uow,
        clock,
        [
            event_for(
                clinician,
                citizen_id=r.item.citizen_id,
                action="inbox.read",
                resource=f"inbox/{r.item.id}",
                detail={"code": r.item.code, "severity": r.item.severity},
            )
            for r in shown
        ],
    )
    last = rows[-1].item if rows else None
    next_after = (
        (last.rank, int(last.created_at.timestamp() * 1000), last.id) if more and last else None
    )
    return InboxPage(rows=shown, next_after=next_after)


async def item_for_clinician(
    uow: UnitOfWork, clock: Clock, clinician: Principal, item_id: str
) -> InboxItem:
    """The item if the caller may see it now; 404 for another clinic's, or for a
    measurement item whose share has ended or does not cover the caller."""
    clinic = await clinic_for(uow, clinician)
    item = await uow.inbox.get(clinic.id, item_id)
    if item is None:
        raise NotFound("no such inbox item")
    if item.share_id is not None:
        share = await uow.shares.get(item.citizen_id, item.share_id)
        if (
            share is None
            or not share.active(clock.now())
            or not share.for_clinician(clinic.id, clinician.id)
        ):
            raise NotFound("no such inbox item")
    return item


async def read_item(
    uow: UnitOfWork, clock: Clock, clinician: Principal, item_id: str
) -> tuple[InboxItem, str]:
    """One item and the patient's name; the look is audited."""
    item = await item_for_clinician(uow, clock, clinician, item_id)
    citizen = await uow.citizens.get(item.citizen_id)
    await record(
        uow,
        clock,
        event_for(
            clinician,
            citizen_id=item.citizen_id,
            action="inbox.read",
            resource=f"inbox/{item.id}",
            detail={"code": item.code, "severity": item.severity},
        ),
    )
    return item, citizen.name if citizen else ""


async def resolve_item(
    uow: UnitOfWork,
    clock: Clock,
    clinician: Principal,
    item_id: str,
    *,
    note: str,
    action: InboxAction,
) -> InboxItem:
    """Close an open item with a note and what was done; "book" offers a consultation."""
    if len(note) > MAX_NOTE:
        raise Invalid(f"the note is at most {MAX_NOTE} characters")
    item = await item_for_clinician(uow, clock, clinician, item_id)
    now = clock.now()
    if not await uow.inbox.resolve(
        item.citizen_id,
        item.id,
        at=now,
        by=clinician.id,
        by_name=clinician.name,
        note=note.strip(),
        action=action,
    ):
        raise Conflict(f"the item is {item.status}, not open", kind="not-open")
    if action == "book":
        await _offer_consultation(uow, clock, item)
    await record(
        uow,
        clock,
        event_for(
            clinician,
            citizen_id=item.citizen_id,
            action="inbox.resolve",
            resource=f"inbox/{item.id}",
            detail={"action": action, "code": item.code},
        ),
    )
    resolved = await uow.inbox.get(item.clinic_id, item.id)
    assert resolved is not None
    return resolved


async def _offer_consultation(uow: UnitOfWork, clock: Clock, item: InboxItem) -> None:
    """Put the citizen on the waitlist for a consultation within two weeks and hold the
    earliest free slot for them; if none is free, they are told to expect an offer."""
    clinic = await clinic_for_item(uow, item)
    now = clock.now()
    entry = next(
        (
            e
            for e in await uow.waitlist.for_citizen(item.citizen_id)
            if e.kind == "consultation" and e.status in ("waiting", "offered")
        ),
        None,
    )
    if entry is None:
        entry = WaitlistEntry(
            id=new_id(),
            citizen_id=item.citizen_id,
            clinic_id=clinic.id,
            kind="consultation",
            before=now + BOOK_WITHIN,
            created_at=now,
        )
        await uow.waitlist.add(entry)
    if entry.status == "offered":
        return
    for slot in await uow.slots.free(
        clinic.id, now, now + BOOK_WITHIN, now=now, kind="consultation", limit=5
    ):
        if await offer_slot_to(uow, clock, clinic, slot, entry):
            return
    await tell(uow, clock, item.citizen_id, notice("inbox.book", f"waitlist/{entry.id}"))


async def clinic_for_item(uow: UnitOfWork, item: InboxItem) -> Clinic:
    clinic = await uow.clinics.get(item.clinic_id)
    if clinic is None:
        raise NotFound("no such clinic")
    return clinic
