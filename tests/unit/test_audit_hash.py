"""Known answers for the audit hash (docs/decisions/0015-audit-hash-recipe.md).

The expected hashes are written out here, worked out from the canonical bytes below with
hashlib alone, so any change to the recipe (a field dropped, added or reordered, another
encoding of times, names or detail) fails these tests. Changing the recipe on purpose
means every stored chain stops verifying: see the ADR before touching them.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta, timezone

import msgspec
import pytest

from app.domain.audit import GENESIS_HASH, AuditEntry, AuditEvent, entry_hash, verify_chain

AT_1 = datetime(2026, 1, 1, 9, 0, 0, 123000, tzinfo=UTC)  # 1767258000123 ms
AT_2 = datetime(2026, 1, 1, 10, 0, tzinfo=UTC)  # 1767261600000 ms

EVENT_1 = AuditEvent(
    citizen_id="c-anna",
    actor_role="clinician",
    actor_id="gp-1",
    actor_name="Dr. Søren Ærø",
    clinic_id="k-1",
    action="summary.read",
    resource="summary",
    detail={"shares": "s-1", "from": "2026-01-01"},
)
#: the canonical bytes of EVENT_1 as seq 1 at AT_1 after the genesis hash: a JSON array
#: in a fixed field order, no spaces, UTF-8 as is, times as UTC epoch milliseconds,
#: detail as [key, value] pairs sorted by key, absent values as null
CANON_1 = (
    '["c-anna",1,1767258000123,"clinician","gp-1","Dr. Søren Ærø","k-1",null,'
    '"summary.read","summary",[["from","2026-01-01"],["shares","s-1"]],'
    '"0000000000000000000000000000000000000000000000000000000000000000"]'
).encode()
HASH_1 = "cf446d4996bf575385e3e73f049185d79d53604446ed523b8fcd84f0f08cacb6"

EVENT_2 = AuditEvent(
    citizen_id="c-anna",
    actor_role="citizen",
    actor_id="c-bent",
    actor_name='Bent "Bo" Jensen',
    on_behalf_of="c-anna",
    action="booking.create",
    resource="appointment/a-1",
)
CANON_2 = (
    b'["c-anna",2,1767261600000,"citizen","c-bent","Bent \\"Bo\\" Jensen",null,"c-anna",'
    b'"booking.create","appointment/a-1",[],'
    b'"cf446d4996bf575385e3e73f049185d79d53604446ed523b8fcd84f0f08cacb6"]'
)
HASH_2 = "6bb91b1f7db9fc0ee3544c6867e097652c113be8fc3ccaac9a2a7cf654f2ccca"


def test_the_written_out_hashes_are_sha256_of_the_canonical_bytes() -> None:
    assert hashlib.sha256(CANON_1).hexdigest() == HASH_1
    assert hashlib.sha256(CANON_2).hexdigest() == HASH_2


def test_known_answer_for_a_clinician_read_with_detail() -> None:
    assert entry_hash(EVENT_1, 1, AT_1, GENESIS_HASH) == HASH_1


def test_known_answer_for_a_proxy_acting_with_no_clinic_and_no_detail() -> None:
    assert entry_hash(EVENT_2, 2, AT_2, HASH_1) == HASH_2


def test_an_entry_hashes_as_the_event_it_was_made_from() -> None:
    entry = _entry(EVENT_1, 1, AT_1, GENESIS_HASH, HASH_1)
    assert entry_hash(entry, entry.seq, entry.at, entry.prev_hash) == HASH_1


def test_the_same_instant_in_another_zone_hashes_the_same() -> None:
    copenhagen = AT_1.astimezone(timezone(timedelta(hours=1)))
    assert entry_hash(EVENT_1, 1, copenhagen, GENESIS_HASH) == HASH_1


def test_time_counts_to_the_millisecond() -> None:
    # microseconds below a millisecond are not stored, so they are not hashed either
    assert entry_hash(EVENT_1, 1, AT_1 + timedelta(microseconds=999), GENESIS_HASH) == HASH_1
    assert entry_hash(EVENT_1, 1, AT_1 + timedelta(milliseconds=1), GENESIS_HASH) != HASH_1


def test_detail_order_does_not_matter() -> None:
    reordered = msgspec.structs.replace(EVENT_1, detail={"from": "2026-01-01", "shares": "s-1"})
    assert list(reordered.detail) != list(EVENT_1.detail)
    assert entry_hash(reordered, 1, AT_1, GENESIS_HASH) == HASH_1


def test_a_naive_time_is_refused() -> None:
    with pytest.raises(ValueError, match="must be timezone-aware"):
        entry_hash(EVENT_1, 1, AT_1.replace(tzinfo=None), GENESIS_HASH)


# --- every hashed field: changing it alone is caught by the chain check ---


def _entry(event: AuditEvent, seq: int, at: datetime, prev: str, hash_: str) -> AuditEntry:
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
        hash=hash_,
    )


def _chain() -> list[AuditEntry]:
    return [
        _entry(EVENT_1, 1, AT_1, GENESIS_HASH, HASH_1),
        _entry(EVENT_2, 2, AT_2, HASH_1, HASH_2),
    ]


def test_the_known_chain_verifies() -> None:
    assert verify_chain(_chain()) is None


TAMPERED = {
    "citizen_id": "c-other",
    "at": AT_2 + timedelta(milliseconds=1),
    "actor_role": "clinician",
    "actor_id": "someone",
    "actor_name": "Bent Jensen",
    "clinic_id": "k-1",  # was none
    "on_behalf_of": None,  # was c-anna: as if Bent had acted for himself
    "action": "booking.cancel",
    "resource": "appointment/a-2",
    "detail": {"note": "x"},  # was empty
}


@pytest.mark.parametrize("field", sorted(TAMPERED))
def test_changing_one_hashed_field_is_caught(field: str) -> None:
    chain = _chain()
    chain[1] = msgspec.structs.replace(chain[1], **{field: TAMPERED[field]})
    problem = verify_chain(chain)
    assert problem is not None
    assert (problem.seq, problem.reason) == (2, "entry content does not match its hash")


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("actor_name", "Dr. Soren Aero"),  # the same name without its Danish letters
        ("clinic_id", None),
        ("detail", {"shares": "s-2", "from": "2026-01-01"}),  # a value
        ("detail", {"share": "s-1", "from": "2026-01-01"}),  # a key
        ("detail", {"shares": "s-1"}),  # a pair removed
    ],
)
def test_changing_the_first_entry_is_caught_at_the_first_entry(field: str, value: object) -> None:
    chain = _chain()
    chain[0] = msgspec.structs.replace(chain[0], **{field: value})
    problem = verify_chain(chain)
    assert problem is not None
    assert (problem.seq, problem.reason) == (1, "entry content does not match its hash")


def test_changing_the_previous_hash_is_caught() -> None:
    chain = _chain()
    chain[1] = msgspec.structs.replace(chain[1], prev_hash="f" * 64)
    problem = verify_chain(chain)
    assert problem is not None
    assert (problem.seq, problem.reason) == (2, "previous hash does not match")


def test_changing_the_sequence_number_is_caught() -> None:
    chain = _chain()
    chain[1] = msgspec.structs.replace(chain[1], seq=3)
    problem = verify_chain(chain)
    assert problem is not None
    assert (problem.seq, problem.reason) == (3, "sequence gap: expected 2, found 3")
