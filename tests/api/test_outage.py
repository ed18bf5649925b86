"""A database that cannot be reached: 503 problem+json with Retry-After and one warning
line per request, no traceback; the app answers normally once it is back."""

from __future__ import annotations

import logging
import socket

import asyncpg
import pytest

from app.store.postgres import PostgresStore
from tests.conftest import Api, assert_problem


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])  # nothing listens once the socket closes


async def test_an_unreachable_database_is_503_with_retry_after(
    api: Api, caplog: pytest.LogCaptureFixture
) -> None:
    pool = await asyncpg.create_pool(
        f"postgresql://minlaege:x@127.0.0.1:{_closed_port()}/gone", min_size=0, max_size=1
    )
    working = api.runtime.store
    api.runtime.store = PostgresStore(pool)
    try:
        with caplog.at_level(logging.WARNING, logger="minlaege.problems"):
            me = await api.client.get("/v1/me", headers=api.anna)
            book = await api.client.post(
                "/v1/me/appointments", json={"slot_id": "x"}, headers=api.anna
            )
            ready = await api.client.get("/health/ready")
    finally:
        api.runtime.store = working
        await pool.close()
    for r in (me, book):
        assert r.status_code == 503, r.text
        assert_problem(r)
        assert r.json()["type"].endswith("/unavailable")
        assert r.headers["retry-after"] == "5"
    assert ready.status_code == 503
    records = [r for r in caplog.records if r.name == "minlaege.problems"]
    assert len(records) == 2, [r.getMessage() for r in records]
    assert all(r.levelno == logging.WARNING and r.exc_info is None for r in records)
    assert "database unreachable" in records[0].getMessage()
    # back again: the next request is answered as usual
    assert (await api.client.get("/v1/me", headers=api.anna)).status_code == 200
