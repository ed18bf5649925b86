"""SQLite through aiosqlite: WAL, foreign keys, one writer, readers beside it.

SQLite allows one writer at a time; instead of letting writers collide and retry on
SQLITE_BUSY, every write transaction queues on one asyncio lock and one connection
(`BEGIN IMMEDIATE`), while read transactions use a small pool of their own connections
and see a consistent WAL snapshot.
"""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aiosqlite

from app.ports import UnitOfWork
from app.store.db import Row
from app.store.migrate import migrations_for
from app.store.uow import SqlUnitOfWork

__all__ = ["SqliteConnection", "SqliteStore"]

_PRAGMAS = (
    "PRAGMA journal_mode=WAL",
    "PRAGMA foreign_keys=ON",
    "PRAGMA synchronous=NORMAL",
    "PRAGMA busy_timeout=10000",
    "PRAGMA temp_store=MEMORY",
    # 16 MiB of page cache per connection. A large import writes every page of a growing
    # file through the writer, so its cache fills to this size: at 64 MiB it was the
    # largest single item of the import's peak RSS, and a quarter of it costs no
    # measurable time (docs/benchmarks.md, Apple Health).
    "PRAGMA cache_size=-16384",
)


class SqliteConnection:
    """`Connection` over one aiosqlite connection."""

    dialect = "sqlite"

    def __init__(self, conn: aiosqlite.Connection) -> None:
        self._conn = conn

    async def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        cursor = await self._conn.execute(sql, params)
        count = cursor.rowcount
        await cursor.close()
        return count

    async def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        await self._conn.executemany(sql, rows)

    async def insert_ignore(
        self, table: str, columns: Sequence[str], pg_types: Sequence[str], rows: Sequence[Row]
    ) -> int:
        if not rows:
            return 0
        marks = ", ".join("?" * len(columns))
        cursor = await self._conn.executemany(
            f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks}) ON CONFLICT DO NOTHING",
            rows,
        )
        count = cursor.rowcount
        await cursor.close()
        return count

    # Each call into aiosqlite is a round trip to the connection's thread: a queue put, a
    # wake-up there and one back here (0.3-0.5 ms each on the 2-core VM of
    # docs/benchmarks.md), and while a write transaction waits for one, every other
    # writer waits too. So one call per query: `execute_fetchall` instead of execute,
    # fetch and close. The `fetchone` queries ask by key or with LIMIT 1, so fetching
    # "all" reads one row.

    async def fetchone(self, sql: str, params: Sequence[Any] = ()) -> Row | None:
        rows = await self._conn.execute_fetchall(sql, params)
        for row in rows:
            return tuple(row)
        return None

    async def fetchall(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        rows = await self._conn.execute_fetchall(sql, params)
        return [tuple(r) for r in rows]


class _Glance:
    """`SqliteStore.glance` as a plain context manager: on every request, so without the
    generator machinery of `asynccontextmanager`."""

    __slots__ = ("_conn", "_store")

    def __init__(self, store: SqliteStore) -> None:
        self._store = store
        self._conn: aiosqlite.Connection | None = None

    async def __aenter__(self) -> UnitOfWork:
        readers = self._store._readers
        self._conn = readers.get_nowait() if not readers.empty() else await readers.get()
        return self._store._uows[id(self._conn)]

    async def __aexit__(self, *_: object) -> None:
        assert self._conn is not None
        self._store._readers.put_nowait(self._conn)
        self._conn = None


async def _roll_back(conn: aiosqlite.Connection) -> None:
    """End whatever transaction the connection is in, even when the caller was cancelled.

    A task cancelled while it awaits BEGIN stops waiting, but aiosqlite's thread still
    runs the BEGIN: without this the connection went back (the writer to the next
    transaction, a reader to the pool) inside a transaction, and the next BEGIN failed.
    The ROLLBACK queues behind the BEGIN on the same thread and is shielded from a
    second cancellation; with no transaction open it is a no-op.
    """

    async def end() -> None:
        try:
            await conn.execute("ROLLBACK")
        except sqlite3.OperationalError as exc:  # no transaction was open
            if "no transaction" not in str(exc):
                raise

    await asyncio.shield(end())


async def _connect(path: str) -> aiosqlite.Connection:
    conn = await aiosqlite.connect(path, isolation_level=None)
    for pragma in _PRAGMAS:
        await conn.execute(pragma)
    return conn


def _statements(script: str) -> list[str]:
    """Split a script into complete statements (trigger bodies hold `;` of their own)."""
    out: list[str] = []
    buf: list[str] = []
    for line in script.splitlines():
        if not buf and (not line.strip() or line.strip().startswith("--")):
            continue
        buf.append(line)
        text = "\n".join(buf)
        if sqlite3.complete_statement(text):
            out.append(text)
            buf = []
    if buf and "\n".join(buf).strip():
        raise ValueError("migration ends inside a statement")
    return out


class SqliteStore:
    """The embedded store: a file, one writer connection and a pool of readers."""

    dialect = "sqlite"

    def __init__(self, writer: aiosqlite.Connection, readers: list[aiosqlite.Connection]) -> None:
        self._writer = writer
        self._write_lock = asyncio.Lock()
        self._all_readers = readers
        self._readers: asyncio.Queue[aiosqlite.Connection] = asyncio.Queue()
        for r in readers:
            self._readers.put_nowait(r)
        # One unit of work per connection, built once: the repositories hold nothing but
        # the connection, and building ~40 of them cost a tenth of a small request.
        self._uows = {id(c): SqlUnitOfWork(SqliteConnection(c)) for c in [writer, *readers]}

    @classmethod
    async def open(cls, path: str | Path, *, readers: int = 2) -> SqliteStore:
        """Open (creating if needed) and migrate the database file."""
        target = str(path)
        if target != ":memory:":
            Path(target).parent.mkdir(parents=True, exist_ok=True)
        writer = await _connect(target)
        try:
            await _migrate(writer)
            pool = [await _connect(target) for _ in range(readers)]
        except BaseException:
            await writer.close()
            raise
        return cls(writer, pool)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[UnitOfWork]:
        async with self._write_lock:
            try:
                await self._writer.execute("BEGIN IMMEDIATE")
                yield self._uows[id(self._writer)]
            except BaseException:
                await _roll_back(self._writer)
                raise
            await self._writer.execute("COMMIT")

    @asynccontextmanager
    async def read(self) -> AsyncIterator[UnitOfWork]:
        conn = await self._readers.get()
        try:
            await conn.execute("BEGIN")
            yield self._uows[id(conn)]
        finally:
            try:
                await _roll_back(conn)
            finally:
                self._readers.put_nowait(conn)

    def glance(self) -> _Glance:
        # the connection is in autocommit (isolation_level=None): each SELECT is its
        # own read, one trip to the connection's thread instead of three
        return _Glance(self)

    async def ping(self) -> None:
        conn = await self._readers.get()
        try:
            async with conn.execute("SELECT 1") as cursor:
                await cursor.fetchone()
        finally:
            self._readers.put_nowait(conn)

    async def close(self) -> None:
        for r in self._all_readers:
            await r.close()
        await self._writer.close()


async def _migrate(conn: aiosqlite.Connection) -> None:
    await conn.execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations ("
        " version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)"
    )
    for migration in migrations_for("sqlite"):
        await conn.execute("BEGIN IMMEDIATE")
        try:
            async with conn.execute(
                "SELECT 1 FROM schema_migrations WHERE version = ?", (migration.version,)
            ) as cursor:
                done = await cursor.fetchone()
            if done is None:
                for statement in _statements(migration.sql):
                    await conn.execute(statement)
                await conn.execute(
                    "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)",
                    (migration.version, migration.name, int(time.time() * 1000)),
                )
        except BaseException:
            await conn.execute("ROLLBACK")
            raise
        await conn.execute("COMMIT")
