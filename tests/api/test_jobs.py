"""Import jobs from the database (issue 13, ADR 0019): leases, takeover, progress on the row."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterator
from datetime import timedelta
from pathlib import Path

import msgspec
import pytest

from adapters.ingest.files import BROKEN_FILE, item_source
from app.domain.imports import ImportJob
from app.domain.samples import Rejected, Sample
from app.services.imports import Leasing, claim_next, create_job, release, run_job
from app.settings import Settings
from mobile_api.jobs import drain, job_loop
from mobile_api.runtime import Runtime
from tests.conftest import Api

FIXTURES = Path(__file__).parents[2] / "fixtures"
EXPORT = (FIXTURES / "apple_health" / "export-small.xml").read_bytes()


@pytest.fixture
def settings(db_url: str, tmp_path: Path) -> Settings:
    """Node A serves without a worker, as `serve --no-worker` does."""
    return Settings(
        env="test",
        db_url=db_url,
        var_dir=tmp_path,
        keys_dir=tmp_path / "keys",
        run_worker=False,
        job_progress_seconds=0.05,
    )


@pytest.fixture
async def worker(api: Api, settings: Settings) -> AsyncIterator[Runtime]:
    """A second process on the same database and blob store: the worker."""
    runtime = await Runtime.open(
        msgspec.structs.replace(settings, run_worker=True), clock=api.clock
    )
    try:
        yield runtime
    finally:
        await runtime.close()


def _leasing(owner: str, **kw: float) -> Leasing:
    return Leasing(owner=owner, lease=timedelta(seconds=30), every=kw.get("every", 0.05))


async def _queued(api: Api, name: str = "x") -> ImportJob:
    """A job whose upload is in the shared blob store."""
    key = f"uploads/{name}"
    await api.runtime.blobs.put(key, EXPORT)
    async with api.runtime.store.transaction() as uow:
        return await create_job(
            uow, api.clock, citizen_id=api.demo.citizens[0].id, fmt="apple-health", blob=key
        )


async def _samples(api: Api) -> int:
    async with api.runtime.store.read() as uow:
        conn = uow.connection  # type: ignore[attr-defined]
        row = await conn.fetchone(
            "SELECT COUNT(*) FROM samples WHERE citizen_id = ?", (api.demo.citizens[0].id,)
        )
    return int(row[0])


async def test_a_node_without_a_worker_queues_and_another_node_finishes(
    api: Api, worker: Runtime
) -> None:
    r = await api.client.post(
        "/v1/me/imports", content=EXPORT, headers={**api.anna, "content-type": "application/xml"}
    )
    assert r.status_code == 202
    assert api.runtime.jobs == set()  # nothing runs on the node that took the upload
    await asyncio.sleep(0.05)
    queued = (await api.client.get(r.headers["location"], headers=api.anna)).json()
    assert queued["status"] == "queued" and queued["progress"] == 0.0
    await drain(worker)
    done = (await api.client.get(r.headers["location"], headers=api.anna)).json()
    assert done["status"] == "done" and done["progress"] == 1.0
    assert done["report"]["samples_stored"] == 3
    # the upload's object went with the job
    assert list((api.runtime.settings.blob_root / "uploads").iterdir()) == []


async def test_a_live_lease_is_not_taken_a_lapsed_one_is(api: Api) -> None:
    job = await _queued(api)
    store, clock = api.runtime.store, api.clock
    first = await claim_next(store, clock, _leasing("node-a"))
    assert first is not None and first.id == job.id and first.attempts == 1
    assert first.status == "running" and first.lease_owner == "node-a"
    assert await claim_next(store, clock, _leasing("node-b")) is None
    clock.advance(seconds=31)
    second = await claim_next(store, clock, _leasing("node-b"))
    assert second is not None and second.id == job.id and second.attempts == 2
    assert second.lease_owner == "node-b"
    # node A comes back: its renewals and its finish are refused
    async with store.transaction() as uow:
        assert not await uow.imports.renew(job.id, "node-a", clock.now(), clock.now(), 0.5)
        assert not await uow.imports.release(job.id, "node-a", clock.now())


async def test_a_worker_that_lost_its_lease_stores_nothing(api: Api) -> None:
    """Two workers ran one job: only the one holding the lease at the end commits."""
    job = await _queued(api)
    store, clock = api.runtime.store, api.clock
    stale = await claim_next(store, clock, _leasing("node-a"))
    assert stale is not None
    clock.advance(seconds=31)
    fresh = await claim_next(store, clock, _leasing("node-b"))
    assert fresh is not None
    async with api.runtime.blobs.local_copy(job.blob) as path:
        lost = await run_job(
            store, clock, stale, lambda: item_source(path, "apple-health"), BROKEN_FILE,
            _leasing("node-a"),
        )  # fmt: skip
        assert lost is None and await _samples(api) == 0
        report = await run_job(
            store, clock, fresh, lambda: item_source(path, "apple-health"), BROKEN_FILE,
            _leasing("node-b"),
        )  # fmt: skip
    assert report is not None and report.samples_stored == 3
    async with store.read() as uow:
        row = await uow.imports.by_id(job.id)
    assert row is not None and row.status == "done" and row.lease_owner is None


def _slow(
    items: Callable[[], Iterator[Sample | Rejected]], gate: threading.Event
) -> Callable[[], Iterator[Sample | Rejected]]:
    """The file's items, the last one held back until `gate` opens."""

    def run() -> Iterator[Sample | Rejected]:
        got = list(items())
        yield from got[:-1]
        gate.wait(10)
        yield got[-1]

    return run


@pytest.mark.postgres
async def test_progress_is_on_the_row_and_a_stolen_lease_cancels_the_run(api: Api) -> None:
    if api.runtime.store.dialect != "postgres":
        pytest.skip("on SQLite the import holds the one writer; progress is read in-process")
    job = await _queued(api)
    store, clock = api.runtime.store, api.clock
    claimed = await claim_next(store, clock, _leasing("node-a"))
    assert claimed is not None
    gate = threading.Event()
    async with api.runtime.blobs.local_copy(job.blob) as path:
        run = asyncio.create_task(
            run_job(
                store,
                clock,
                claimed,
                lambda: _slow(item_source(path, "apple-health"), gate),
                BROKEN_FILE,
                _leasing("node-a"),
                progress=lambda: 0.42,
            )
        )
        deadline = time.monotonic() + 5
        while True:  # what any other node polls
            async with store.read() as uow:
                row = await uow.imports.by_id(job.id)
            assert row is not None
            if row.progress == 0.42 or time.monotonic() > deadline:
                break
            await asyncio.sleep(0.02)
        assert row.progress == 0.42 and row.status == "running"
        # another worker takes the job over (its lease lapsed, say): this run gives up
        await _steal(api, job.id)
        assert await asyncio.wait_for(run, 5) is None
        gate.set()
    assert await _samples(api) == 0


async def _steal(api: Api, job_id: str) -> None:
    async with api.runtime.store.transaction() as uow:
        conn = uow.connection  # type: ignore[attr-defined]
        await conn.execute("UPDATE imports SET lease_owner = 'node-b' WHERE id = ?", (job_id,))


async def test_stopping_a_worker_hands_its_job_back(api: Api, worker: Runtime) -> None:
    job = await _queued(api)
    gate = threading.Event()
    original = item_source

    def held(
        path: Path, fmt: str, progress: Callable[[float], None] | None = None
    ) -> Callable[[], Iterator[Sample | Rejected]]:
        return _slow(original(path, fmt, progress), gate)

    import mobile_api.jobs as jobs

    jobs.item_source = held  # type: ignore[assignment]
    try:
        stop = asyncio.Event()
        loop = asyncio.create_task(job_loop(worker, stop))
        deadline = time.monotonic() + 5
        while not worker.jobs and time.monotonic() < deadline:
            await asyncio.sleep(0.02)
        assert worker.jobs, "the worker never took the job"
        await asyncio.sleep(0.1)
        stop.set()
        await asyncio.sleep(0)
        gate.set()  # the parser thread ends; the import was cancelled all the same
        await asyncio.wait_for(loop, 5)
    finally:
        jobs.item_source = original
        gate.set()
    async with api.runtime.store.read() as uow:
        row = await uow.imports.by_id(job.id)
    assert row is not None and row.status == "queued" and row.lease_owner is None
    assert await _samples(api) == 0
    await drain(worker)  # and any worker finishes it
    async with api.runtime.store.read() as uow:
        row = await uow.imports.by_id(job.id)
    assert row is not None and row.status == "done" and await _samples(api) == 3


async def test_a_job_that_keeps_killing_workers_is_given_up(api: Api) -> None:
    job = await _queued(api)
    store, clock = api.runtime.store, api.clock
    for n in range(6):
        claimed = await claim_next(store, clock, _leasing(f"node-{n}"))
        assert claimed is not None and claimed.attempts == n + 1
        clock.advance(seconds=31)
    assert await run_job(store, clock, claimed, lambda: lambda: iter(()), BROKEN_FILE,
                         Leasing(owner="node-5", max_attempts=5)) is None  # fmt: skip
    async with store.read() as uow:
        row = await uow.imports.by_id(job.id)
    assert row is not None and row.status == "failed" and row.error_kind == "import-gave-up"


async def test_released_jobs_start_again_from_nothing(api: Api) -> None:
    job = await _queued(api)
    store, clock = api.runtime.store, api.clock
    claimed = await claim_next(store, clock, _leasing("node-a"))
    assert claimed is not None
    async with store.transaction() as uow:
        assert await uow.imports.renew(job.id, "node-a", clock.now(), clock.now(), 0.7)
    assert await release(store, clock, claimed, _leasing("node-a"))
    again = await claim_next(store, clock, _leasing("node-b"))
    assert again is not None and again.progress == 0.0 and again.lease_owner == "node-b"


async def test_concurrent_claims_never_share_a_job(api: Api) -> None:
    jobs = [await _queued(api, f"j{n}") for n in range(8)]
    store, clock = api.runtime.store, api.clock
    got = await asyncio.gather(*(claim_next(store, clock, _leasing(f"w{n}")) for n in range(10)))
    taken = [j.id for j in got if j is not None]
    assert sorted(taken) == sorted(j.id for j in jobs)
