"""Audit entries and their hash chain: each entry seals the one before it for that citizen.

Changing, removing or reordering an entry breaks every hash after it, so
`minlaege audit verify` can tell that the log was touched even by someone with write
access to the database.
"""

from __future__ import annotations

import hashlib
from datetime import datetime

import msgspec

from app.domain.time import to_ms

__all__ = [
    "GENESIS_HASH",
    "AuditEntry",
    "AuditEvent",
    "ChainBreak",
    "entry_hash",
    "verify_chain",
]

GENESIS_HASH = "0" * 64


class AuditEvent(msgspec.Struct, frozen=True, kw_only=True):
    """What happened, before it is placed in a chain."""

    citizen_id: str
    actor_role: str
    actor_id: str
    actor_name: str = ""
    clinic_id: str | None = None
    #: set when a proxy acted: the id of the citizen acted for (the actor is the proxy)
    on_behalf_of: str | None = None
    #: a dotted verb, e.g. "profile.read", "audit_log.read", "summary.read"
    action: str
    #: what was touched, e.g. "citizen/…", "audit-log"
    resource: str
    #: small, non-clinical context (never health data)
    detail: dict[str, str] = msgspec.field(default_factory=dict)


class AuditEntry(msgspec.Struct, frozen=True, kw_only=True):
    """A stored audit event: its place in the chain and the hashes that seal it."""

    citizen_id: str
    seq: int
    at: datetime
    actor_role: str
    actor_id: str
    actor_name: str = ""
    clinic_id: str | None = None
    on_behalf_of: str | None = None
    action: str
    resource: str
    detail: dict[str, str] = msgspec.field(default_factory=dict)
    prev_hash: str
    hash: str


class _Sealed(msgspec.Struct, array_like=True):
    """The exact fields a hash covers, in a fixed order."""

    citizen_id: str
    seq: int
    at_ms: int
    actor_role: str
    actor_id: str
    actor_name: str
    clinic_id: str | None
    on_behalf_of: str | None
    action: str
    resource: str
    detail: list[tuple[str, str]]
    prev_hash: str


def entry_hash(event: AuditEvent | AuditEntry, seq: int, at: datetime, prev_hash: str) -> str:
    """SHA-256 over a canonical encoding of the entry and the hash before it."""
    sealed = _Sealed(
        citizen_id=event.citizen_id,
        seq=seq,
        at_ms=to_ms(at),
        actor_role=event.actor_role,
        actor_id=event.actor_id,
        actor_name=event.actor_name,
        clinic_id=event.clinic_id,
        on_behalf_of=event.on_behalf_of,
        action=event.action,
        resource=event.resource,
        detail=sorted(event.detail.items()),
        prev_hash=prev_hash,
    )
    return hashlib.sha256(msgspec.json.encode(sealed)).hexdigest()


class ChainBreak(msgspec.Struct, frozen=True, kw_only=True):
    """Where and why a chain stopped holding."""

    citizen_id: str
    seq: int
    reason: str


def verify_chain(entries: list[AuditEntry]) -> ChainBreak | None:
    """Check one citizen's entries (in seq order); the first break, or None if intact."""
    prev = GENESIS_HASH
    for expected_seq, entry in enumerate(entries, start=1):
        if entry.seq != expected_seq:
            return ChainBreak(
                citizen_id=entry.citizen_id,
                seq=entry.seq,
                reason=f"sequence gap: expected {expected_seq}, found {entry.seq}",
            )
        if entry.prev_hash != prev:
            return ChainBreak(
                citizen_id=entry.citizen_id, seq=entry.seq, reason="previous hash does not match"
            )
        if entry_hash(entry, entry.seq, entry.at, entry.prev_hash) != entry.hash:
            return ChainBreak(
                citizen_id=entry.citizen_id,
                seq=entry.seq,
                reason="entry content does not match its hash",
            )
        prev = entry.hash
    return None
