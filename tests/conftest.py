"""Shared fixtures: a database per test on each engine, the app over it, tokens.

PostgreSQL tests run when MINLAEGE_TEST_POSTGRES_DSN is set (each test gets its own
schema); without it they skip with the reason, except in CI, where they fail.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from adapters.clock import FixedClock
from app.domain.identity import Role
from app.domain.ids import stable_id
from app.domain.people import Citizen, Clinic, Clinician
from app.services.accounts import ensure_citizen
from app.services.demo import DemoIds, seed_demo
from app.settings import Settings
from mobile_api.asgi import create_app
from mobile_api.runtime import Runtime

POSTGRES_DSN = os.environ.get("MINLAEGE_TEST_POSTGRES_DSN", "")
PROBLEM_JSON = "application/problem+json"


def _postgres_or_skip() -> str:
    if POSTGRES_DSN:
        return POSTGRES_DSN
    reason = (
        "PostgreSQL tests need MINLAEGE_TEST_POSTGRES_DSN "
        "(e.g. postgresql://minlaege:minlaege@127.0.0.1/minlaege_test); .ci/run sets it"
    )
    if os.environ.get("CI"):
        pytest.fail(reason + " — required in CI")
    pytest.skip(reason)


async def _drop_schema(dsn: str, schema: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
    finally:
        await conn.close()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    """A fresh, empty database URL on each engine."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path}/minlaege.db"
        return
    dsn = _postgres_or_skip()
    schema = f"t_{uuid.uuid4().hex[:16]}"
    sep = "&" if "?" in dsn else "?"
    yield f"{dsn}{sep}schema={schema}"
    await _drop_schema(dsn, schema)


@pytest.fixture
def settings(db_url: str, tmp_path: Path) -> Settings:
    return Settings(
        env="test",
        db_url=db_url,
        var_dir=tmp_path,
        keys_dir=tmp_path / "keys",
        access_token_seconds=600,
    )


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(datetime(2026, 11, 20, 9, 0, tzinfo=UTC))


def assert_problem(response: httpx.Response) -> None:
    """Every error the API sends is RFC 9457 problem+json with a type and a status."""
    if response.status_code >= 400:
        media = response.headers.get("content-type", "").split(";")[0]
        assert media == PROBLEM_JSON, f"{response.status_code} is {media}: {response.text[:200]}"
        body = response.json()
        assert body["status"] == response.status_code
        assert body["type"].startswith("https://minlaege.dk/problems/")
        assert body["title"]


async def _check_problem(response: httpx.Response) -> None:
    await response.aread()
    assert_problem(response)


@dataclass
class Api:
    """The app under test, its runtime and the demo people."""

    client: httpx.AsyncClient
    runtime: Runtime
    demo: DemoIds
    clock: FixedClock

    def token(self, role: Role, subject: str) -> dict[str, str]:
        token, _ = self.runtime.signer.mint(role=role, subject=subject)
        return {"Authorization": f"Bearer {token}"}

    @property
    def anna(self) -> dict[str, str]:
        return self.token(Role.CITIZEN, self.demo.citizens[0].subject)

    @property
    def bent(self) -> dict[str, str]:
        return self.token(Role.CITIZEN, self.demo.citizens[1].subject)

    @property
    def gp(self) -> dict[str, str]:
        return self.token(Role.CLINICIAN, self.demo.clinician.subject)

    @property
    def nurse(self) -> dict[str, str]:
        return self.token(Role.CLINICIAN, self.demo.nurse.subject)

    @property
    def gateway(self) -> dict[str, str]:
        return self.token(Role.GATEWAY, self.demo.gateway_id)

    async def citizen(self, subject: str) -> dict[str, str]:
        """A new citizen with no GP clinic."""
        async with self.runtime.store.transaction() as uow:
            await ensure_citizen(uow, self.clock, self.runtime.vault, subject=subject)
        return self.token(Role.CITIZEN, subject)

    async def patient(self, subject: str, clinic_id: str | None = None) -> dict[str, str]:
        """A new citizen listed at the demo clinic (or at `clinic_id`)."""
        async with self.runtime.store.transaction() as uow:
            await uow.citizens.add(
                Citizen(
                    id=stable_id("citizen", subject),
                    subject=subject,
                    name=subject.title(),
                    clinic_id=clinic_id or self.demo.clinic_id,
                    created_at=self.clock.now(),
                ),
                cpr_hash=None,
                cpr_sealed=None,
            )
        return self.token(Role.CITIZEN, subject)

    async def other_clinic(self) -> tuple[str, dict[str, str]]:
        """A second clinic with its own GP: (clinic id, the GP's headers)."""
        clinic_id = stable_id("clinic", "other")
        async with self.runtime.store.transaction() as uow:
            if await uow.clinics.get(clinic_id) is None:
                await uow.clinics.add(
                    Clinic(id=clinic_id, name="Anden Klinik", created_at=self.clock.now())
                )
                await uow.clinicians.add(
                    Clinician(
                        id=stable_id("clinician", "other-gp"),
                        subject="other-gp",
                        clinic_id=clinic_id,
                        name="Dr. Anden",
                        created_at=self.clock.now(),
                    )
                )
        return clinic_id, self.token(Role.CLINICIAN, "other-gp")


@pytest.fixture
async def api(settings: Settings, clock: FixedClock) -> AsyncIterator[Api]:
    """The app on each engine, with demo data; every error response is checked."""
    runtime = await Runtime.open(settings, clock=clock)
    try:
        app = create_app(runtime=runtime)
        async with runtime.store.transaction() as uow:
            demo = await seed_demo(uow, clock, runtime.vault)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(
            transport=transport,
            base_url="http://testserver.local",
            event_hooks={"response": [_check_problem]},
        ) as client:
            yield Api(client=client, runtime=runtime, demo=demo, clock=clock)
    finally:
        await runtime.close()
