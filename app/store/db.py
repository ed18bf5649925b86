"""The few database calls the repositories make, the same over SQLite and PostgreSQL.

Repositories are written once against `Connection`, with `?` placeholders; each engine's
connection translates what it must. Keeping this seam tiny keeps the SQL honest: it is
the portable subset both engines run.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, Protocol

__all__ = ["Connection", "Row"]

Row = tuple[Any, ...]


class Connection(Protocol):
    """A connection inside an open transaction."""

    dialect: str

    async def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        """Run one statement; the number of rows it changed."""
        ...

    async def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None: ...

    async def insert_ignore(
        self, table: str, columns: Sequence[str], pg_types: Sequence[str], rows: Sequence[Row]
    ) -> int:
        """Insert rows, skipping any that clash with a unique key; how many went in.

        `pg_types` name each column's PostgreSQL type (for its array-based bulk path).
        """
        ...

    async def fetchone(self, sql: str, params: Sequence[Any] = ()) -> Row | None: ...

    async def fetchall(self, sql: str, params: Sequence[Any] = ()) -> list[Row]: ...
