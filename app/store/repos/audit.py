"""The append-only audit log in SQL."""

from __future__ import annotations

from collections.abc import Sequence

import msgspec

from app.domain.audit import AuditEntry
from app.domain.time import from_ms, to_ms
from app.store.db import Connection, Row

__all__ = ["SqlAudit"]

_COLS = (
    "citizen_id, seq, at, actor_role, actor_id, actor_name, clinic_id, on_behalf_of,"
    " action, resource, detail, prev_hash, hash"
)
_A_COLS = ", ".join(f"a.{c.strip()}" for c in _COLS.split(","))
_detail = msgspec.json.Decoder(dict[str, str])


def _entry(row: Row) -> AuditEntry:
    return AuditEntry(
        citizen_id=row[0],
        seq=row[1],
        at=from_ms(row[2]),
        actor_role=row[3],
        actor_id=row[4],
        actor_name=row[5],
        clinic_id=row[6],
        on_behalf_of=row[7],
        action=row[8],
        resource=row[9],
        detail=_detail.decode(row[10]),
        prev_hash=row[11],
        hash=row[12],
    )


class SqlAudit:
    def __init__(self, conn: Connection) -> None:
        self._c = conn

    async def last(self, citizen_id: str) -> AuditEntry | None:
        if self._c.dialect == "postgres":
            # Serialise appends per citizen: two transactions must not both take seq n+1.
            await self._c.execute(
                "SELECT pg_advisory_xact_lock(hashtextextended(?, 0))", (citizen_id,)
            )
        row = await self._c.fetchone(
            f"SELECT {_COLS} FROM audit_log WHERE citizen_id = ? ORDER BY seq DESC LIMIT 1",
            (citizen_id,),
        )
        return None if row is None else _entry(row)

    async def last_of_each(self, citizen_ids: Sequence[str]) -> dict[str, AuditEntry]:
        """`last` for several citizens in one query (PostgreSQL: locked in the given
        order, which callers keep sorted so two transactions cannot deadlock)."""
        if not citizen_ids:
            return {}
        if self._c.dialect == "postgres":
            await self._c.execute(
                "SELECT pg_advisory_xact_lock(hashtextextended(c, 0))"
                " FROM unnest(?::text[]) WITH ORDINALITY AS t(c, n) ORDER BY n",
                (list(citizen_ids),),
            )
            # From the ids to each chain's head by the (citizen_id, seq) key: one index
            # probe per citizen, however long their logs (an IN list with a correlated
            # MAX scanned every entry of each citizen: slower with every listing).
            rows = await self._c.fetchall(
                f"SELECT {_COLS} FROM unnest(?::text[]) AS ids(c) CROSS JOIN LATERAL"
                f" (SELECT {_COLS} FROM audit_log a WHERE a.citizen_id = ids.c"
                " ORDER BY a.seq DESC LIMIT 1) AS head",
                (list(citizen_ids),),
            )
        else:
            values = ", ".join(["(?)"] * len(citizen_ids))
            rows = await self._c.fetchall(
                f"WITH ids(c) AS (VALUES {values}) SELECT {_A_COLS} FROM ids"
                " JOIN audit_log a ON a.citizen_id = ids.c AND a.seq ="
                " (SELECT MAX(b.seq) FROM audit_log b WHERE b.citizen_id = ids.c)",
                list(citizen_ids),
            )
        return {r[0]: _entry(r) for r in rows}

    async def append(self, entry: AuditEntry) -> None:
        await self.append_all([entry])

    async def append_all(self, entries: Sequence[AuditEntry]) -> None:
        await self._c.executemany(
            f"INSERT INTO audit_log ({_COLS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                (
                    entry.citizen_id,
                    entry.seq,
                    to_ms(entry.at),
                    entry.actor_role,
                    entry.actor_id,
                    entry.actor_name,
                    entry.clinic_id,
                    entry.on_behalf_of,
                    entry.action,
                    entry.resource,
                    msgspec.json.encode(entry.detail).decode(),
                    entry.prev_hash,
                    entry.hash,
                )
                for entry in entries
            ],
        )

    async def page(
        self,
        citizen_id: str,
        *,
        before_seq: int | None,
        limit: int,
        actor_id: str | None = None,
        actor_role: str | None = None,
        action: str | None = None,
    ) -> list[AuditEntry]:
        """Newest first; `action` matches an exact action or a prefix ("summary")."""
        sql = f"SELECT {_COLS} FROM audit_log WHERE citizen_id = ? AND seq < ?"
        params: list[object] = [citizen_id, before_seq if before_seq is not None else 2**62]
        if actor_id is not None:
            sql += " AND actor_id = ?"
            params.append(actor_id)
        if actor_role is not None:
            sql += " AND actor_role = ?"
            params.append(actor_role)
        if action is not None:
            sql += " AND (action = ? OR action LIKE ?)"
            params += [action, action + ".%"]
        sql += " ORDER BY seq DESC LIMIT ?"
        params.append(limit)
        return [_entry(r) for r in await self._c.fetchall(sql, params)]

    async def actors(self, citizen_id: str) -> list[tuple[str, str, str, int]]:
        """Everyone in the log: (role, id, latest name, number of entries)."""
        rows = await self._c.fetchall(
            "SELECT actor_role, actor_id, MAX(actor_name), COUNT(*) FROM audit_log"
            " WHERE citizen_id = ? GROUP BY actor_role, actor_id ORDER BY MAX(seq) DESC",
            (citizen_id,),
        )
        return [(str(r[0]), str(r[1]), str(r[2]), int(r[3])) for r in rows]

    async def chain(self, citizen_id: str) -> list[AuditEntry]:
        rows = await self._c.fetchall(
            f"SELECT {_COLS} FROM audit_log WHERE citizen_id = ? ORDER BY seq", (citizen_id,)
        )
        return [_entry(r) for r in rows]

    async def citizens_with_entries(self) -> list[str]:
        rows = await self._c.fetchall("SELECT DISTINCT citizen_id FROM audit_log ORDER BY 1")
        return [r[0] for r in rows]
