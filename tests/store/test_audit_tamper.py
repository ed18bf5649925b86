"""`minlaege audit verify` (audit.verify_all) catches a change to any one stored column of
an audit entry, on both engines, even by someone who can switch the append-only
triggers off. One citizen per column, so each break is found where it was made."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator, Sequence
from datetime import UTC, datetime
from pathlib import Path

import pytest

from adapters.clock import FixedClock
from app.domain.audit import AuditEvent
from app.domain.people import Citizen
from app.ports import Store
from app.services import audit
from app.store import open_store

T0 = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)

#: column -> SQL for its new value on the tampered entry (seq 2 of its citizen's chain)
TAMPER: dict[str, str] = {
    "at": "at + 1",
    "actor_role": "'citizen'",
    "actor_id": "'someone-else'",
    "actor_name": "'Nobody'",
    "clinic_id": "NULL",
    "on_behalf_of": "'c-someone'",
    "action": "'nothing.happened'",
    "resource": "'elsewhere'",
    "detail": """'{"shares":"s-2"}'""",
    "prev_hash": "'" + "f" * 64 + "'",
    "hash": "'" + "e" * 64 + "'",
    "seq": "3",
}
REASON = "entry content does not match its hash"
EXPECTED: dict[str, tuple[int, str]] = {
    **{column: (2, REASON) for column in TAMPER},
    "prev_hash": (2, "previous hash does not match"),
    "seq": (3, "sequence gap: expected 2, found 3"),
}


@pytest.fixture
async def store(db_url: str) -> AsyncIterator[Store]:
    s = await open_store(db_url)
    try:
        yield s
    finally:
        await s.close()


def _event(citizen_id: str, n: int) -> AuditEvent:
    return AuditEvent(
        citizen_id=citizen_id,
        actor_role="clinician",
        actor_id="gp-1",
        actor_name="Dr. Karen Hansen",
        clinic_id="k-1",
        action="summary.read",
        resource="summary",
        detail={"shares": "s-1", "n": str(n)},
    )


async def _seed(store: Store, citizen_ids: list[str]) -> None:
    clock = FixedClock(T0)
    async with store.transaction() as uow:
        for cid in citizen_ids:
            await uow.citizens.add(
                Citizen(id=cid, subject=f"sub-{cid}", name=cid, created_at=T0),
                cpr_hash=None,
                cpr_sealed=None,
            )
        for n in (1, 2):
            clock.advance(seconds=60)
            for cid in citizen_ids:
                if cid != "c-moved-to":
                    await audit.record(uow, clock, _event(cid, n))


def _sqlite_path(db_url: str) -> Path:
    return Path(db_url.removeprefix("sqlite:///"))


async def _execute_untriggered(db_url: str, statements: Sequence[tuple[str, tuple[str]]]) -> None:
    """Run UPDATEs on audit_log with its append-only triggers switched off."""
    if db_url.startswith("sqlite"):
        con = sqlite3.connect(_sqlite_path(db_url))
        try:
            con.execute("DROP TRIGGER audit_log_no_update")
            for sql, args in statements:
                con.execute(sql, args)
            con.commit()
        finally:
            con.close()
        return
    import asyncpg

    from app.store.postgres import split_schema

    dsn, schema = split_schema(db_url)
    conn = await asyncpg.connect(dsn, server_settings={"search_path": schema or "public"})
    try:
        await conn.execute("ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_change")
        for sql, args in statements:
            await conn.execute(sql.replace("?", "$1"), *args)
    finally:
        await conn.close()


async def test_a_change_to_any_one_column_is_caught_where_it_was_made(
    store: Store, db_url: str
) -> None:
    citizens = [f"c-{column}" for column in TAMPER] + ["c-untouched", "c-moved", "c-moved-to"]
    await _seed(store, citizens)
    before = await audit.verify_all(store)
    assert (before.ok, before.entries_checked) == (True, 2 * (len(citizens) - 1))

    statements = [
        (f"UPDATE audit_log SET {column} = {value} WHERE citizen_id = ? AND seq = 2", (cid,))
        for column, value, cid in ((c, v, f"c-{c}") for c, v in TAMPER.items())
    ]
    # moved to another citizen's empty chain, where it is seq 1 after the genesis hash
    statements.append(
        (
            "UPDATE audit_log SET citizen_id = 'c-moved-to', seq = 1, prev_hash = '"
            + "0" * 64
            + "' WHERE citizen_id = ? AND seq = 1",
            ("c-moved",),
        )
    )
    await _execute_untriggered(db_url, statements)

    report = await audit.verify_all(store)
    found = {b.citizen_id: (b.seq, b.reason) for b in report.breaks}
    assert report.ok is False
    assert found == {
        **{f"c-{column}": EXPECTED[column] for column in TAMPER},
        # c-moved lost its first entry: its chain now starts at 2
        "c-moved": (2, "sequence gap: expected 1, found 2"),
        "c-moved-to": (1, REASON),
    }


async def test_a_detail_change_of_key_or_pair_is_caught(store: Store, db_url: str) -> None:
    citizens = ["c-key", "c-removed", "c-added", "c-empty"]
    await _seed(store, citizens)
    new = {
        "c-key": '{"share":"s-1","n":"2"}',
        "c-removed": '{"n":"2"}',
        "c-added": '{"shares":"s-1","n":"2","extra":"x"}',
        "c-empty": "{}",
    }
    await _execute_untriggered(
        db_url,
        [
            (f"UPDATE audit_log SET detail = '{detail}' WHERE citizen_id = ? AND seq = 2", (cid,))
            for cid, detail in new.items()
        ],
    )
    report = await audit.verify_all(store)
    assert {b.citizen_id: (b.seq, b.reason) for b in report.breaks} == {
        cid: (2, REASON) for cid in citizens
    }
