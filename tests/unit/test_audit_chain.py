"""The audit hash chain notices any change, gap or reordering."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import msgspec

from app.domain.audit import GENESIS_HASH, AuditEntry, AuditEvent, entry_hash, verify_chain


def _chain(n: int) -> list[AuditEntry]:
    out: list[AuditEntry] = []
    prev = GENESIS_HASH
    t0 = datetime(2026, 1, 1, tzinfo=UTC)
    for i in range(1, n + 1):
        event = AuditEvent(
            citizen_id="c1",
            actor_role="clinician",
            actor_id="gp1",
            actor_name="Dr. K",
            clinic_id="k1",
            action="profile.read",
            resource="profile",
            detail={"n": str(i)},
        )
        at = t0 + timedelta(minutes=i)
        h = entry_hash(event, i, at, prev)
        out.append(
            AuditEntry(
                citizen_id="c1",
                seq=i,
                at=at,
                actor_role=event.actor_role,
                actor_id=event.actor_id,
                actor_name=event.actor_name,
                clinic_id=event.clinic_id,
                action=event.action,
                resource=event.resource,
                detail=event.detail,
                prev_hash=prev,
                hash=h,
            )
        )
        prev = h
    return out


def test_intact_chain_verifies() -> None:
    assert verify_chain(_chain(5)) is None
    assert verify_chain([]) is None


def test_changed_field_is_found_at_its_entry() -> None:
    chain = _chain(5)
    chain[2] = msgspec.structs.replace(chain[2], actor_name="Someone else")
    problem = verify_chain(chain)
    assert problem is not None and problem.seq == 3 and "content" in problem.reason


def test_changed_time_is_found() -> None:
    chain = _chain(3)
    chain[1] = msgspec.structs.replace(chain[1], at=chain[1].at + timedelta(seconds=1))
    problem = verify_chain(chain)
    assert problem is not None and problem.seq == 2


def test_removed_entry_is_a_gap() -> None:
    chain = _chain(5)
    del chain[1]
    problem = verify_chain(chain)
    assert problem is not None and problem.seq == 3 and "gap" in problem.reason


def test_rehashed_entry_breaks_the_next_link() -> None:
    chain = _chain(4)
    forged = msgspec.structs.replace(chain[1], action="nothing.happened")
    forged = msgspec.structs.replace(
        forged, hash=entry_hash(forged, forged.seq, forged.at, forged.prev_hash)
    )
    chain[1] = forged
    problem = verify_chain(chain)
    assert problem is not None and problem.seq == 3 and "previous" in problem.reason
