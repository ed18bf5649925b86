"""The one way into the audit log, its reading and its verification.

Every service that touches a citizen's data on someone else's behalf calls `record`
inside its own transaction, so the entry and the act commit or fail together.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import msgspec

from app.domain.audit import (
    GENESIS_HASH,
    AuditEntry,
    AuditEvent,
    ChainBreak,
    entry_hash,
    verify_chain,
)
from app.domain.identity import Principal
from app.ports import Clock, Store, UnitOfWork

__all__ = [
    "AuditPage",
    "VerifyReport",
    "event_for",
    "page",
    "record",
    "record_all",
    "verify_all",
]


async def record(uow: UnitOfWork, clock: Clock, event: AuditEvent) -> AuditEntry:
    """Append an event to the citizen's chain and return the sealed entry."""
    entry = _sealed(event, await uow.audit.last(event.citizen_id), clock.now())
    await uow.audit.append(entry)
    return entry


async def record_all(
    uow: UnitOfWork, clock: Clock, events: Sequence[AuditEvent]
) -> list[AuditEntry]:
    """`record` for many events in two statements (a clinic's queue touches a hundred
    citizens' chains at once); the entries are those recording them in turn gives."""
    if not events:
        return []
    lasts: dict[str, AuditEntry | None] = dict(
        await uow.audit.last_of_each(sorted({e.citizen_id for e in events}))
    )
    now = clock.now()
    entries: list[AuditEntry] = []
    for event in events:
        entry = _sealed(event, lasts.get(event.citizen_id), now)
        lasts[event.citizen_id] = entry
        entries.append(entry)
    await uow.audit.append_all(entries)
    return entries


def _sealed(event: AuditEvent, last: AuditEntry | None, now: datetime) -> AuditEntry:
    """The event as the next link of its citizen's chain after `last`."""
    seq = 1 if last is None else last.seq + 1
    prev = GENESIS_HASH if last is None else last.hash
    at = now
    if last is not None and at < last.at:
        at = last.at  # a clock step backwards must not reorder the chain
    return AuditEntry(
        citizen_id=event.citizen_id,
        seq=seq,
        at=at,
        actor_role=event.actor_role,
        actor_id=event.actor_id,
        actor_name=event.actor_name,
        clinic_id=event.clinic_id,
        on_behalf_of=event.on_behalf_of,
        action=event.action,
        resource=event.resource,
        detail=event.detail,
        prev_hash=prev,
        hash=entry_hash(event, seq, at, prev),
    )


def event_for(
    principal: Principal,
    *,
    citizen_id: str,
    action: str,
    resource: str,
    detail: dict[str, str] | None = None,
) -> AuditEvent:
    """An audit event with the actor taken from the caller.

    Under a power of attorney the actor is the relative (role `proxy`) and
    `on_behalf_of` names the citizen acted for: both identities are kept.
    """
    if principal.proxy is not None:
        return AuditEvent(
            citizen_id=citizen_id,
            actor_role="proxy",
            actor_id=principal.proxy.id,
            actor_name=principal.proxy.name,
            on_behalf_of=principal.id,
            action=action,
            resource=resource,
            detail={**(detail or {}), "grant": principal.proxy.grant_id},
        )
    return AuditEvent(
        citizen_id=citizen_id,
        actor_role=principal.role.value,
        actor_id=principal.id,
        actor_name=principal.name,
        clinic_id=principal.clinic_id if principal.role.value == "clinician" else None,
        action=action,
        resource=resource,
        detail=detail or {},
    )


class AuditPage(msgspec.Struct, frozen=True, kw_only=True):
    """Newest first; `next_before` continues the list, None at the end."""

    entries: list[AuditEntry]
    next_before: int | None


async def page(
    uow: UnitOfWork,
    clock: Clock,
    principal: Principal,
    *,
    citizen_id: str,
    before: int | None,
    limit: int,
    actor_id: str | None = None,
    actor_role: str | None = None,
    action: str | None = None,
) -> AuditPage:
    """A page of a citizen's log, optionally one person's or one kind of entry; the
    read itself is logged after the page is taken."""
    entries = await uow.audit.page(
        citizen_id,
        before_seq=before,
        limit=limit + 1,
        actor_id=actor_id,
        actor_role=actor_role,
        action=action,
    )
    more = len(entries) > limit
    entries = entries[:limit]
    await record(
        uow,
        clock,
        event_for(principal, citizen_id=citizen_id, action="audit_log.read", resource="audit-log"),
    )
    return AuditPage(entries=entries, next_before=entries[-1].seq if more and entries else None)


class VerifyReport(msgspec.Struct, frozen=True, kw_only=True):
    """The outcome of checking every chain."""

    ok: bool
    citizens_checked: int
    entries_checked: int
    breaks: list[ChainBreak]


async def verify_all(store: Store, *, citizen_id: str | None = None) -> VerifyReport:
    """Recompute every hash of every chain (or one citizen's)."""
    async with store.read() as uow:
        ids = [citizen_id] if citizen_id else await uow.audit.citizens_with_entries()
        breaks: list[ChainBreak] = []
        count = 0
        for cid in ids:
            chain = await uow.audit.chain(cid)
            count += len(chain)
            problem = verify_chain(chain)
            if problem is not None:
                breaks.append(problem)
    return VerifyReport(
        ok=not breaks, citizens_checked=len(ids), entries_checked=count, breaks=breaks
    )
