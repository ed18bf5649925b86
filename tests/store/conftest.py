"""A store on each engine with one citizen, "c1", for the ingest tests.

Modules that want an empty store define their own `store` fixture, which wins over this.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest

from app.domain.people import Citizen
from app.ports import Store
from app.store import open_store

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


@pytest.fixture
async def store(db_url: str) -> AsyncIterator[Store]:
    s = await open_store(db_url)
    try:
        async with s.transaction() as uow:
            await uow.citizens.add(
                Citizen(id="c1", subject="anna", created_at=NOW), cpr_hash=None, cpr_sealed=None
            )
        yield s
    finally:
        await s.close()
