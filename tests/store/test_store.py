"""One store suite, run on SQLite and on PostgreSQL through the same ports."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest

from adapters.clock import FixedClock
from app.domain.audit import AuditEvent, verify_chain
from app.domain.identity import Role
from app.domain.people import Citizen, Clinic, Clinician, Gateway
from app.domain.slots import Slot
from app.ports import RefreshTokenRecord, Store
from app.services import audit
from app.store import open_store

T0 = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)


@pytest.fixture
async def store(db_url: str) -> AsyncIterator[Store]:
    s = await open_store(db_url)
    try:
        yield s
    finally:
        await s.close()


async def _citizen(store: Store, cid: str = "c1", clinic_id: str | None = None) -> Citizen:
    citizen = Citizen(id=cid, subject=f"sub-{cid}", name="Anna", clinic_id=clinic_id, created_at=T0)
    async with store.transaction() as uow:
        await uow.citizens.add(citizen, cpr_hash=f"h-{cid}", cpr_sealed="sealed")
    return citizen


async def test_migrations_apply_once_and_reopen_cleanly(db_url: str) -> None:
    first = await open_store(db_url)
    await first.close()
    second = await open_store(db_url)  # re-running migrations is a no-op
    await second.ping()
    await second.close()


async def test_people_round_trip(store: Store) -> None:
    async with store.transaction() as uow:
        await uow.clinics.add(Clinic(id="k1", name="Klinik", created_at=T0))
        await uow.clinicians.add(
            Clinician(id="d1", subject="dr", clinic_id="k1", name="Dr", created_at=T0)
        )
    citizen = await _citizen(store, clinic_id="k1")
    async with store.read() as uow:
        assert await uow.citizens.get("c1") == Citizen(
            id="c1", subject="sub-c1", name="Anna", clinic_id="k1", has_cpr=True, created_at=T0
        )
        assert (await uow.citizens.by_subject("sub-c1")) == await uow.citizens.get("c1")
        assert (await uow.citizens.by_cpr_hash("h-c1")) is not None
        assert await uow.citizens.in_clinic("k1", "c1") is not None
        assert await uow.citizens.in_clinic("other", "c1") is None
        assert (await uow.clinicians.by_subject("dr")).clinic_id == "k1"  # type: ignore[union-attr]
        assert (await uow.clinics.get("k1")).timezone == "Europe/Copenhagen"  # type: ignore[union-attr]
        assert await uow.citizens.sealed_cpr(citizen.id) == "sealed"


async def test_failed_transaction_writes_nothing(store: Store) -> None:
    with pytest.raises(RuntimeError):
        async with store.transaction() as uow:
            await uow.clinics.add(Clinic(id="k1", name="Klinik", created_at=T0))
            raise RuntimeError("boom")
    async with store.read() as uow:
        assert await uow.clinics.get("k1") is None


def _engine_error(db_url: str, postgres_error: str) -> type[Exception]:
    """The error each engine's driver raises: sqlite3's IntegrityError for every broken
    constraint and trigger, asyncpg's own class per kind on PostgreSQL."""
    if db_url.startswith("sqlite"):
        return sqlite3.IntegrityError
    import asyncpg

    error: type[Exception] = getattr(asyncpg.exceptions, postgres_error)
    return error


async def test_duplicate_subject_is_refused_and_rolled_back(store: Store, db_url: str) -> None:
    await _citizen(store, "c1")
    with pytest.raises(_engine_error(db_url, "UniqueViolationError"), match="subject"):
        async with store.transaction() as uow:
            await uow.clinics.add(Clinic(id="k9", name="Klinik", created_at=T0))
            await uow.citizens.add(
                Citizen(id="c2", subject="sub-c1", created_at=T0), cpr_hash=None, cpr_sealed=None
            )
    async with store.read() as uow:
        assert await uow.clinics.get("k9") is None


async def test_foreign_keys_are_enforced(store: Store, db_url: str) -> None:
    with pytest.raises(_engine_error(db_url, "ForeignKeyViolationError")):
        async with store.transaction() as uow:
            await uow.gateways.add(Gateway(id="g1", citizen_id="nobody", name="x", created_at=T0))


async def test_gateway_revoke_is_scoped_to_its_citizen(store: Store) -> None:
    await _citizen(store, "c1")
    await _citizen(store, "c2")
    async with store.transaction() as uow:
        await uow.gateways.add(Gateway(id="g1", citizen_id="c1", name="Stue", created_at=T0))
        assert not await uow.gateways.revoke("c2", "g1", T0)  # not theirs
        assert await uow.gateways.revoke("c1", "g1", T0 + timedelta(minutes=1))
        assert not await uow.gateways.revoke("c1", "g1", T0)  # already revoked
    async with store.read() as uow:
        g = await uow.gateways.get("g1")
        assert g is not None and not g.active and g.revoked_at == T0 + timedelta(minutes=1)
        assert [x.id for x in await uow.gateways.for_citizen("c1")] == ["g1"]
        assert await uow.gateways.for_citizen("c2") == []


async def test_audit_log_is_append_only_in_the_engine(store: Store, db_url: str) -> None:
    await _citizen(store)
    clock = FixedClock(T0)
    async with store.transaction() as uow:
        await audit.record(
            uow,
            clock,
            AuditEvent(
                citizen_id="c1", actor_role="citizen", actor_id="c1", action="x", resource="y"
            ),
        )
    from app.store.uow import SqlUnitOfWork

    for sql in ("UPDATE audit_log SET action = 'z'", "DELETE FROM audit_log"):
        with pytest.raises(_engine_error(db_url, "RaiseError"), match="append-only"):
            async with store.transaction() as uow:
                assert isinstance(uow, SqlUnitOfWork)
                await uow.connection.execute(sql)
    async with store.read() as uow:
        (entry,) = await uow.audit.chain("c1")
        assert entry.action == "x"


async def test_concurrent_audit_appends_make_one_unbroken_chain(store: Store) -> None:
    await _citizen(store)
    clock = FixedClock(T0)

    async def one(i: int) -> None:
        async with store.transaction() as uow:
            await audit.record(
                uow,
                clock,
                AuditEvent(
                    citizen_id="c1",
                    actor_role="clinician",
                    actor_id=f"d{i}",
                    action="profile.read",
                    resource="profile",
                ),
            )

    await asyncio.gather(*(one(i) for i in range(20)))
    async with store.read() as uow:
        chain = await uow.audit.chain("c1")
    assert [e.seq for e in chain] == list(range(1, 21))
    assert verify_chain(chain) is None
    report = await audit.verify_all(store)
    assert report.ok and report.entries_checked == 20


async def test_record_all_gives_the_entries_recording_one_by_one_gives(store: Store) -> None:
    """Batched appends (a clinic's queue read) extend each chain exactly as single ones
    would, also beside concurrent single appends to the same chains."""
    await _citizen(store, "c1")
    await _citizen(store, "c2")
    await _citizen(store, "c3")
    clock = FixedClock(T0)

    def event(citizen: str, actor: str) -> AuditEvent:
        return AuditEvent(
            citizen_id=citizen, actor_role="clinician", actor_id=actor, action="r", resource="q"
        )

    async with store.transaction() as uow:
        await audit.record(uow, clock, event("c1", "first"))

    async def batch(i: int) -> None:
        async with store.transaction() as uow:
            await audit.record_all(uow, clock, [event("c1", f"b{i}"), event("c2", f"b{i}")])

    async def single(i: int) -> None:
        async with store.transaction() as uow:
            await audit.record(uow, clock, event("c2", f"s{i}"))

    await asyncio.gather(*(batch(i) for i in range(5)), *(single(i) for i in range(5)))
    async with store.transaction() as uow:
        assert await audit.record_all(uow, clock, []) == []
    async with store.read() as uow:
        c1, c2 = await uow.audit.chain("c1"), await uow.audit.chain("c2")
        assert await uow.audit.chain("c3") == []
    assert [e.seq for e in c1] == list(range(1, 7))
    assert [e.seq for e in c2] == list(range(1, 11))
    assert {e.actor_id for e in c2} == {f"b{i}" for i in range(5)} | {f"s{i}" for i in range(5)}
    report = await audit.verify_all(store)
    assert report.ok and report.entries_checked == 16


async def test_audit_pages_newest_first(store: Store) -> None:
    await _citizen(store)
    clock = FixedClock(T0)
    async with store.transaction() as uow:
        for i in range(5):
            await audit.record(
                uow,
                clock,
                AuditEvent(
                    citizen_id="c1",
                    actor_role="citizen",
                    actor_id="c1",
                    action=f"a{i}",
                    resource="r",
                ),
            )
    async with store.read() as uow:
        first = await uow.audit.page("c1", before_seq=None, limit=2)
        second = await uow.audit.page("c1", before_seq=first[-1].seq, limit=2)
        other = await uow.audit.page("c2", before_seq=None, limit=10)
    assert [e.seq for e in first] == [5, 4]
    assert [e.seq for e in second] == [3, 2]
    assert other == []


async def test_refresh_token_is_used_once(store: Store) -> None:
    record = RefreshTokenRecord(
        token_hash="h1",
        family_id="f1",
        role=Role.CITIZEN,
        subject="anna",
        issued_at=T0,
        expires_at=T0 + timedelta(days=30),
    )
    async with store.transaction() as uow:
        await uow.refresh_tokens.add(record)
        assert await uow.refresh_tokens.mark_used("h1", T0)
        assert not await uow.refresh_tokens.mark_used("h1", T0)
        await uow.refresh_tokens.revoke_family("f1", T0)
    async with store.read() as uow:
        got = await uow.refresh_tokens.get("h1")
    assert (
        got is not None and got.used_at == T0 and got.revoked_at == T0 and got.role is Role.CITIZEN
    )


async def test_slots_insert_idempotently_and_list_free_ones(store: Store) -> None:
    async with store.transaction() as uow:
        await uow.clinics.add(Clinic(id="k1", name="Klinik", created_at=T0))
    slots = [
        Slot(
            id=f"s{i}",
            clinic_id="k1",
            kind="consultation",
            starts_at=T0 + timedelta(minutes=15 * i),
            ends_at=T0 + timedelta(minutes=15 * (i + 1)),
        )
        for i in range(4)
    ]
    async with store.transaction() as uow:
        assert await uow.slots.add_many(slots) == 4
        assert await uow.slots.add_many(slots) == 0
    async with store.read() as uow:
        free = await uow.slots.free("k1", T0, T0 + timedelta(minutes=30), now=T0)
        later = await uow.slots.free(
            "k1", T0, T0 + timedelta(hours=1), now=T0 + timedelta(minutes=20)
        )
    assert [s.id for s in free] == ["s0", "s1"]
    assert free[0] == slots[0]
    assert [s.id for s in later] == ["s2", "s3"]  # what has started is no longer bookable


async def test_readers_see_committed_data_only(store: Store) -> None:
    started = asyncio.Event()
    release = asyncio.Event()

    async def writer() -> None:
        async with store.transaction() as uow:
            await uow.clinics.add(Clinic(id="k1", name="Klinik", created_at=T0))
            started.set()
            await release.wait()

    task = asyncio.create_task(writer())
    await started.wait()
    async with store.read() as uow:
        assert await uow.clinics.get("k1") is None
    release.set()
    await task
    async with store.read() as uow:
        assert await uow.clinics.get("k1") is not None


@pytest.mark.parametrize("kind", ["transaction", "read"])
async def test_a_task_cancelled_while_it_begins_leaves_the_connection_usable(
    store: Store, kind: str
) -> None:
    """Cancelling a task that awaits BEGIN used to leave SQLite's connection inside the
    transaction the thread still began, and the next BEGIN on it failed."""

    async def hold() -> None:
        opened = store.transaction() if kind == "transaction" else store.read()
        async with opened:
            await asyncio.sleep(10)

    for _ in range(3):  # readers are a pool: cancel on more than one connection
        task = asyncio.create_task(hold())
        await asyncio.sleep(0)  # the task is now awaiting its BEGIN
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
    await _citizen(store)
    for _ in range(3):
        async with store.read() as uow:
            assert await uow.citizens.get("c1") is not None


async def test_signed_in_reads_the_citizen_and_whether_the_session_ended(store: Store) -> None:
    await _citizen(store)
    async with store.transaction() as uow:
        for token, family in (("h1", "fam-live"), ("h2", "fam-gone")):
            await uow.refresh_tokens.add(
                RefreshTokenRecord(
                    token_hash=token,
                    family_id=family,
                    role=Role.CITIZEN,
                    subject="sub-c1",
                    issued_at=T0,
                    expires_at=T0 + timedelta(days=30),
                )
            )
        await uow.refresh_tokens.revoke_family("fam-gone", T0)
    async with store.glance() as uow:
        live = await uow.citizens.signed_in("sub-c1", "fam-live")
        gone = await uow.citizens.signed_in("sub-c1", "fam-gone")
        nobody = await uow.citizens.signed_in("sub-nobody", "fam-gone")
        unknown = await uow.citizens.signed_in("sub-c1", "fam-never-issued")
    assert live[0] is not None and live[0].id == "c1" and live[1] is False
    assert gone[0] is not None and gone[1] is True
    assert nobody == (None, True)
    assert unknown[0] is not None and unknown[1] is False
