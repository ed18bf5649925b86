"""Pick the engine from a database URL."""

from __future__ import annotations

from app.ports import Store

__all__ = ["open_store", "sqlite_path"]


def sqlite_path(url: str) -> str:
    """`sqlite:///./var/x.db` → `./var/x.db`; `sqlite:////abs/x.db` → `/abs/x.db`."""
    return url.removeprefix("sqlite://").removeprefix("/") or ":memory:"


async def open_store(url: str) -> Store:
    """Open and migrate the database behind a URL (sqlite:///… or postgresql://…)."""
    if url.startswith("sqlite:"):
        from app.store.sqlite import SqliteStore

        return await SqliteStore.open(sqlite_path(url))
    if url.startswith(("postgresql:", "postgres:")):
        from app.store.postgres import PostgresStore

        return await PostgresStore.open(url)
    raise ValueError(f"unsupported database URL (use sqlite:/// or postgresql://): {url!r}")
