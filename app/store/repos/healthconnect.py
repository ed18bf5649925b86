"""Health Connect record versions and the sample keys each record holds, in SQL (ADR 0018)."""

from __future__ import annotations

from collections.abc import Sequence, Set

from app.ports.healthconnect import RecordVersion, SampleKey
from app.store.db import Connection

__all__ = ["SqlHealthConnect"]

#: ids per `IN (…)` list: well under SQLite's and asyncpg's parameter limits
_CHUNK = 500

_VERSION_COLUMNS = ("citizen_id", "record_id", "modified_ms", "deleted")
_VERSION_PG_TYPES = ("text", "text", "bigint", "integer")
_LINK_COLUMNS = (
    "citizen_id",
    "record_id",
    "metric",
    "start_ms",
    "source_no",
    "end_ms",
    "value",
    "stage",
)
_LINK_PG_TYPES = ("text", "text", "text", "bigint", "integer", "bigint", "float8", "text")


def _chunks(ids: Sequence[str]) -> list[Sequence[str]]:
    return [ids[i : i + _CHUNK] for i in range(0, len(ids), _CHUNK)]


def _id_lists(dialect: str, ids: Sequence[str]) -> list[tuple[str, tuple[object, ...]]]:
    """`record_id` conditions over all of `ids` and their parameters: on PostgreSQL one
    array (a 500-item IN list gets planned anew on every call), on SQLite IN lists."""
    if not ids:
        return []
    if dialect == "postgres":
        return [("record_id = ANY(?::text[])", (list(ids),))]
    return [(f"record_id IN ({', '.join('?' * len(c))})", tuple(c)) for c in _chunks(ids)]


class SqlHealthConnect:
    def __init__(self, conn: Connection) -> None:
        self._c = conn

    async def versions(
        self, citizen_id: str, record_ids: Sequence[str]
    ) -> dict[str, RecordVersion]:
        out: dict[str, RecordVersion] = {}
        for condition, params in _id_lists(self._c.dialect, record_ids):
            rows = await self._c.fetchall(
                "SELECT record_id, modified_ms, deleted FROM healthconnect_records"
                f" WHERE citizen_id = ? AND {condition}",
                (citizen_id, *params),
            )
            for r in rows:
                out[str(r[0])] = RecordVersion(int(r[1]), bool(r[2]))
        return out

    async def put_versions(
        self, citizen_id: str, rows: Sequence[tuple[str, int, bool]], *, held: Set[str]
    ) -> None:
        # New ids (most of a batch) in one bulk insert, on PostgreSQL one statement over
        # arrays; ids held already (a later version, a deletion) are updated one by one.
        await self._c.insert_ignore(
            "healthconnect_records",
            _VERSION_COLUMNS,
            _VERSION_PG_TYPES,
            [(citizen_id, rid, m, int(d)) for rid, m, d in rows if rid not in held],
        )
        changed = [(m, int(d), citizen_id, rid) for rid, m, d in rows if rid in held]
        if changed:
            await self._c.executemany(
                "UPDATE healthconnect_records SET modified_ms = ?, deleted = ?"
                " WHERE citizen_id = ? AND record_id = ?",
                changed,
            )

    async def take_samples(self, citizen_id: str, record_ids: Sequence[str]) -> list[SampleKey]:
        keys: list[SampleKey] = []
        for condition, params in _id_lists(self._c.dialect, record_ids):
            where = f" WHERE citizen_id = ? AND {condition}"
            rows = await self._c.fetchall(
                "SELECT metric, start_ms, source_no, end_ms, value, stage"
                " FROM healthconnect_samples" + where,
                (citizen_id, *params),
            )
            if not rows:
                continue
            keys += [
                (str(r[0]), int(r[1]), int(r[2]), int(r[3]), float(r[4]), str(r[5])) for r in rows
            ]
            await self._c.execute(
                "DELETE FROM healthconnect_samples" + where, (citizen_id, *params)
            )
        return keys

    async def hold_samples(self, citizen_id: str, links: Sequence[tuple[str, SampleKey]]) -> None:
        await self._c.insert_ignore(
            "healthconnect_samples",
            _LINK_COLUMNS,
            _LINK_PG_TYPES,
            [(citizen_id, rid, *key) for rid, key in links],
        )

    async def drop_unheld(self, citizen_id: str, keys: Sequence[SampleKey]) -> None:
        if not keys:
            return
        await self._c.executemany(
            "DELETE FROM samples WHERE citizen_id = ? AND metric = ? AND start_ms = ?"
            " AND source_no = ? AND end_ms = ? AND value = ? AND stage = ?"
            " AND NOT EXISTS (SELECT 1 FROM healthconnect_samples h"
            " WHERE h.citizen_id = samples.citizen_id AND h.metric = samples.metric"
            " AND h.start_ms = samples.start_ms AND h.source_no = samples.source_no"
            " AND h.end_ms = samples.end_ms AND h.value = samples.value"
            " AND h.stage = samples.stage)",
            [(citizen_id, *key) for key in dict.fromkeys(keys)],
        )
