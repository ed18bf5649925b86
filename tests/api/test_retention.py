"""Retention (ADR 0023, docs/privacy.md): the worker deletes what is past its period and
nothing else, boundary values worked out by hand, a bounded batch per pass; raw gateway
readings go, the samples and roll-ups made from them stay; trashed blobs are retried."""

from __future__ import annotations

from datetime import timedelta

import msgspec
import pytest

from app.domain.time import to_ms
from app.errors import NotFound
from app.services.retention import RetentionPeriods, empty_trash, enforce_retention
from mobile_api.worker import retention_of, work_once
from tests.api.test_erasure_api import _days
from tests.api.test_gateway_api import BP, _pair, _token, reading
from tests.conftest import Api

# the test clock is 2026-11-20T09:00Z
PERIODS = RetentionPeriods(
    raw_readings_days=90, links_days=7, codes_days=1, notices_days=365, sessions_days=30
)


async def _rows(api: Api, sql: str, *params: object) -> list[str]:
    async with api.runtime.store.read() as uow:
        rows = await uow.connection.fetchall(sql, params)  # type: ignore[attr-defined]
    return sorted(str(r[0]) for r in rows)


async def _seed(api: Api) -> None:
    """Three rows of each kind: 1 ms past its period, just at it, and recent."""
    now = api.clock.now()
    anna = api.demo.citizens[0].id

    def edges(days: int) -> list[tuple[str, int]]:
        cutoff = to_ms(now - timedelta(days=days))
        return [("old", cutoff - 1), ("edge", cutoff), ("new", to_ms(now))]

    async with api.runtime.store.transaction() as uow:
        x = uow.connection.execute  # type: ignore[attr-defined]
        for name, at in edges(90):
            await x(
                "INSERT INTO gateway_readings (citizen_id, gateway_id, reading_id, device_key,"
                " characteristic, sequence, received_at) VALUES (?, 'gw', ?, 'dev', '2A35', NULL, ?)",
                (anna, name, at),
            )
        for name, at in edges(7):
            await x(
                "INSERT INTO summary_links (token_hash, clinician_subject, citizen_id, language,"
                " created_at, expires_at) VALUES (?, 'gp', ?, 'da', ?, ?)",
                (name, anna, at, at),
            )
            await x(
                "INSERT INTO inbox_links (token_hash, clinician_subject, language, status,"
                " created_at, expires_at) VALUES (?, 'gp', 'da', 'open', ?, ?)",
                (name, at, at),
            )
        for name, at in edges(1):
            await x(
                "INSERT INTO gateway_pairings (code_hash, citizen_id, name, expires_at)"
                " VALUES (?, ?, 'Stuen', ?)",
                (name, anna, at),
            )
            await x(
                "INSERT INTO connection_states (state_hash, citizen_id, vendor, expires_at)"
                " VALUES (?, ?, 'withings', ?)",
                (name, anna, at),
            )
        for name, at in edges(365):
            await x(
                "INSERT INTO outbox (citizen_id, id, kind, payload, created_at, next_attempt_at,"
                " delivered_at) VALUES (?, ?, 'notice', '{}', ?, ?, ?)",
                (anna, name, at, at, at),
            )
        for name, at in edges(30):
            await x(
                "INSERT INTO refresh_tokens (token_hash, family_id, role, subject, issued_at,"
                " expires_at) VALUES (?, 'f', 'citizen', 's', ?, ?)",
                (name, at, at),
            )


KINDS = {
    "gateway_readings": "SELECT reading_id FROM gateway_readings WHERE gateway_id = 'gw'",
    "summary_links": "SELECT token_hash FROM summary_links",
    "inbox_links": "SELECT token_hash FROM inbox_links",
    "gateway_pairings": "SELECT code_hash FROM gateway_pairings",
    "connection_states": "SELECT state_hash FROM connection_states",
    "outbox": "SELECT id FROM outbox WHERE id IN ('old', 'edge', 'new')",
    "refresh_tokens": "SELECT token_hash FROM refresh_tokens WHERE family_id = 'f'",
}


async def test_each_kind_goes_only_past_its_period(api: Api) -> None:
    await _seed(api)
    report = await enforce_retention(api.runtime.store, api.clock, PERIODS)
    # one "old" row of each of the seven tables; links and codes count two tables each
    assert (report.raw_readings, report.links, report.codes) == (1, 2, 2)
    assert (report.notices, report.sessions, report.total) == (1, 1, 7)
    for table, sql in KINDS.items():
        assert await _rows(api, sql) == ["edge", "new"], table
    again = await enforce_retention(api.runtime.store, api.clock, PERIODS)
    assert again.total == 0


async def test_a_bounded_batch_per_pass(api: Api) -> None:
    await _seed(api)
    api.clock.advance(days=400)  # now every seeded row is past its period
    small = msgspec.structs.replace(PERIODS, batch=2)
    first = await enforce_retention(api.runtime.store, api.clock, small)
    assert (first.raw_readings, first.notices, first.sessions) == (2, 2, 2)
    assert await _rows(api, KINDS["gateway_readings"]) == ["new"]  # oldest first
    second = await enforce_retention(api.runtime.store, api.clock, small)
    assert (second.raw_readings, second.notices, second.sessions) == (1, 1, 1)
    for table, sql in KINDS.items():
        assert await _rows(api, sql) == [], table


async def test_raw_readings_go_and_their_samples_stay(api: Api) -> None:
    headers = await _token(api, await _pair(api))
    batch = {"readings": [reading("r1", BP)]}  # received 2024-03-15: long past 90 days
    await api.client.post("/v1/gateway/readings", json=batch, headers=headers)
    assert await _days(api, "heart_rate", "2024-03-15", "2024-03-15") == {"2024-03-15": (1, 60.0)}
    report = await work_once(api.runtime)
    assert report.retention_deleted == 1
    assert await _rows(api, "SELECT reading_id FROM gateway_readings") == []
    assert await _days(api, "heart_rate", "2024-03-15", "2024-03-15") == {"2024-03-15": (1, 60.0)}
    # sent again, the reading is new to the log, but its samples are the same samples
    again = await api.client.post("/v1/gateway/readings", json=batch, headers=headers)
    assert again.json()["results"][0]["outcome"] == "accepted"
    assert await _days(api, "heart_rate", "2024-03-15", "2024-03-15") == {"2024-03-15": (1, 60.0)}


def test_periods_come_from_the_settings(api: Api) -> None:
    assert retention_of(api.runtime) == RetentionPeriods()


class _Flaky:
    """A blob store whose deletes fail until `healthy` is set."""

    def __init__(self, inner: object) -> None:
        self.inner = inner
        self.healthy = False

    async def delete(self, key: str) -> None:
        if not self.healthy:
            raise OSError("the object store is down")
        await self.inner.delete(key)  # type: ignore[attr-defined]


async def test_trashed_blobs_are_retried_until_gone(api: Api) -> None:
    blobs = api.runtime.blobs
    await blobs.put("uploads/a", b"a")
    await blobs.put("uploads/b", b"b")
    async with api.runtime.store.transaction() as uow:
        await uow.erasure.trash_blobs(
            api.demo.citizens[0].id, ["uploads/a", "uploads/b"], api.clock.now()
        )
    flaky = _Flaky(blobs)
    assert await empty_trash(api.runtime.store, flaky) == 0  # type: ignore[arg-type]
    assert await _rows(api, "SELECT blob_key FROM blob_trash") == ["uploads/a", "uploads/b"]
    assert await _rows(api, "SELECT attempts FROM blob_trash") == ["1", "1"]
    flaky.healthy = True
    assert await empty_trash(api.runtime.store, flaky) == 2  # type: ignore[arg-type]
    assert await _rows(api, "SELECT blob_key FROM blob_trash") == []
    for key in ("uploads/a", "uploads/b"):
        with pytest.raises(NotFound):
            await blobs.get(key)
