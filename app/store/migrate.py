"""Ordered SQL migrations, applied on start.

Files are `NNNN_name.sql` (both engines) or `NNNN_name.sqlite.sql` /
`NNNN_name.postgres.sql` (one engine). A version is applied once, in its own
transaction, and recorded in `schema_migrations`.
"""

from __future__ import annotations

import re
from importlib import resources

import msgspec

__all__ = ["Migration", "migrations_for"]

_NAME = re.compile(r"^(\d{4})_([a-z0-9_]+?)(?:\.(sqlite|postgres))?\.sql$")


class Migration(msgspec.Struct, frozen=True):
    """One versioned script for one engine."""

    version: int
    name: str
    sql: str


def migrations_for(dialect: str) -> list[Migration]:
    """The migrations an engine must run, in version order."""
    found: dict[int, Migration] = {}
    root = resources.files("app.store") / "migrations"
    for entry in sorted(root.iterdir(), key=lambda p: p.name):
        m = _NAME.match(entry.name)
        if not m:
            continue
        version, name, only = int(m.group(1)), m.group(2), m.group(3)
        if only is not None and only != dialect:
            continue
        sql = entry.read_text(encoding="utf-8")
        if version in found:
            found[version] = Migration(
                version, found[version].name, found[version].sql + "\n" + sql
            )
        else:
            found[version] = Migration(version, name, sql)
    return [found[v] for v in sorted(found)]
