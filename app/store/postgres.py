"""PostgreSQL through asyncpg: the engine for scale, running the same repositories.

The repositories write `?` placeholders; this module rewrites them to `$1…$n` once per
statement text (cached). Each unit of work is one pooled connection in one transaction.
"""

from __future__ import annotations

import re
import time
from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import asynccontextmanager
from functools import lru_cache
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import asyncpg
from asyncpg.pool import PoolConnectionProxy

from app.ports import UnitOfWork
from app.store.db import Row
from app.store.migrate import migrations_for
from app.store.uow import SqlUnitOfWork

__all__ = ["PostgresConnection", "PostgresStore", "split_schema"]

_PLACEHOLDER = re.compile(r"\?")
_MIGRATION_LOCK = 7_355_608


@lru_cache(maxsize=1024)
def _numbered(sql: str) -> str:
    counter = iter(range(1, 10_000))
    return _PLACEHOLDER.sub(lambda _: f"${next(counter)}", sql)


def _rowcount(status: str) -> int:
    tail = status.rsplit(" ", 1)[-1]
    return int(tail) if tail.isdigit() else 0


class PostgresConnection:
    """`Connection` over one asyncpg connection."""

    dialect = "postgres"

    def __init__(self, conn: asyncpg.Connection[Any] | PoolConnectionProxy[Any]) -> None:
        self._conn = conn

    async def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        status: str = await self._conn.execute(_numbered(sql), *params)
        return _rowcount(status)

    async def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        await self._conn.executemany(_numbered(sql), rows)

    async def insert_ignore(
        self, table: str, columns: Sequence[str], pg_types: Sequence[str], rows: Sequence[Row]
    ) -> int:
        if not rows:
            return 0
        arrays = [list(col) for col in zip(*rows, strict=True)]
        unnest = ", ".join(f"${i}::{t}[]" for i, t in enumerate(pg_types, start=1))
        status: str = await self._conn.execute(
            f"INSERT INTO {table} ({', '.join(columns)}) SELECT * FROM unnest({unnest})"
            " ON CONFLICT DO NOTHING",
            *arrays,
        )
        return _rowcount(status)

    async def fetchone(self, sql: str, params: Sequence[Any] = ()) -> Row | None:
        row = await self._conn.fetchrow(_numbered(sql), *params)
        return None if row is None else tuple(row)

    async def fetchall(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        rows = await self._conn.fetch(_numbered(sql), *params)
        return [tuple(r) for r in rows]


def split_schema(url: str) -> tuple[str, str | None]:
    """Take our own `schema=` query parameter off a DSN (asyncpg does not know it)."""
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True)
    schema = next((v for k, v in query if k == "schema"), None)
    rest = urlencode([(k, v) for k, v in query if k != "schema"])
    return urlunsplit(parts._replace(query=rest)), schema


class PostgresStore:
    """A pool of asyncpg connections; one per unit of work."""

    dialect = "postgres"

    def __init__(self, pool: asyncpg.Pool[Any]) -> None:
        self._pool = pool

    @classmethod
    async def open(cls, url: str, *, min_size: int = 1, max_size: int = 10) -> PostgresStore:
        dsn, schema = split_schema(url)
        settings = {"search_path": schema} if schema else None
        if schema:
            setup = await asyncpg.connect(dsn)
            try:
                await setup.execute(f'CREATE SCHEMA IF NOT EXISTS "{schema.replace(chr(34), "")}"')
            finally:
                await setup.close()
        pool = await asyncpg.create_pool(
            dsn, min_size=min_size, max_size=max_size, server_settings=settings
        )
        try:
            async with pool.acquire() as conn:
                await _migrate(conn)
        except BaseException:
            await pool.close()
            raise
        return cls(pool)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[UnitOfWork]:
        async with self._pool.acquire() as conn, conn.transaction():
            yield SqlUnitOfWork(PostgresConnection(conn))

    @asynccontextmanager
    async def read(self) -> AsyncIterator[UnitOfWork]:
        async with self._pool.acquire() as conn, conn.transaction(readonly=True):
            yield SqlUnitOfWork(PostgresConnection(conn))

    @asynccontextmanager
    async def glance(self) -> AsyncIterator[UnitOfWork]:
        async with self._pool.acquire() as conn:
            yield SqlUnitOfWork(PostgresConnection(conn))

    async def ping(self) -> None:
        async with self._pool.acquire() as conn:
            await conn.fetchval("SELECT 1")

    async def close(self) -> None:
        await self._pool.close()


async def _migrate(conn: asyncpg.Connection[Any] | PoolConnectionProxy[Any]) -> None:
    async with conn.transaction():
        await conn.execute("SELECT pg_advisory_xact_lock($1)", _MIGRATION_LOCK)
        await conn.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations ("
            " version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)"
        )
        applied = {r[0] for r in await conn.fetch("SELECT version FROM schema_migrations")}
        for migration in migrations_for("postgres"):
            if migration.version in applied:
                continue
            await conn.execute(migration.sql)
            await conn.execute(
                "INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)",
                migration.version,
                migration.name,
                int(time.time() * 1000),
            )
