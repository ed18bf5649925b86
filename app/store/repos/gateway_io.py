"""Gateway pairing codes, secrets and the readings log in SQL."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from functools import lru_cache

from app.domain.time import to_ms
from app.ports import ReadingLogKey, ReadingLogRow
from app.store.db import Connection
from app.store.repos.same_reading import day_stats_per_source

__all__ = ["SqlGatewayIO"]

_LOG_COLUMNS = (
    "citizen_id",
    "gateway_id",
    "reading_id",
    "device_key",
    "characteristic",
    "sequence",
    "received_at",
)
_LOG_TYPES = ("text", "text", "text", "text", "text", "bigint", "bigint")
_RETURNING = " RETURNING citizen_id, gateway_id, reading_id, device_key, characteristic, sequence"
#: SQLite statement sizes, in rows: a batch goes in as one statement, padded up to the
#: next size with copies of its last row. A copy clashes with the row it copies (or with
#: whatever that row clashed with), so it is skipped and never returned. A few fixed
#: texts stay prepared in the connection's statement cache, where a text per batch size
#: would cost as much to prepare as to run, and one statement is one round trip to
#: aiosqlite's thread instead of one per chunk. Steps of 1.33x to 1.5x keep the
#: padding (a cheap key lookup per copy) under half the batch.
_PADDED = (16, 32, 64, 96, 128, 192, 256, 384, 512, 768, 1024)
#: first key of the gateway's PostgreSQL advisory locks (the second is the citizen's hash)
_LOCK_SPACE = 5


@lru_cache(maxsize=len(_PADDED))
def _sqlite_log_insert(size: int) -> str:
    row = "(" + ", ".join("?" * len(_LOG_COLUMNS)) + ")"
    return (
        f"INSERT INTO gateway_readings ({', '.join(_LOG_COLUMNS)}) VALUES"
        f" {', '.join([row] * size)} ON CONFLICT DO NOTHING{_RETURNING}"
    )


class SqlGatewayIO:
    def __init__(self, conn: Connection) -> None:
        self._c = conn

    async def add_pairing(
        self, code_hash: str, citizen_id: str, name: str, expires_at: datetime
    ) -> None:
        await self._c.execute(
            "INSERT INTO gateway_pairings (code_hash, citizen_id, name, expires_at)"
            " VALUES (?, ?, ?, ?)",
            (code_hash, citizen_id, name, to_ms(expires_at)),
        )

    async def use_pairing(self, code_hash: str, at: datetime) -> tuple[str, str] | None:
        """Spend a live code once: (citizen_id, name), or None if unknown, used or expired."""
        row = await self._c.fetchone(
            "SELECT citizen_id, name FROM gateway_pairings WHERE code_hash = ?"
            " AND used_at IS NULL AND expires_at > ?",
            (code_hash, to_ms(at)),
        )
        if row is None:
            return None
        changed = await self._c.execute(
            "UPDATE gateway_pairings SET used_at = ? WHERE code_hash = ? AND used_at IS NULL",
            (to_ms(at), code_hash),
        )
        return (str(row[0]), str(row[1])) if changed == 1 else None

    async def set_secret(self, gateway_id: str, secret_hash: str) -> None:
        await self._c.execute(
            "UPDATE gateways SET secret_hash = ? WHERE id = ?", (secret_hash, gateway_id)
        )

    async def secret_hash(self, gateway_id: str) -> str | None:
        row = await self._c.fetchone(
            "SELECT secret_hash FROM gateways WHERE id = ? AND revoked_at IS NULL", (gateway_id,)
        )
        return None if row is None or row[0] is None else str(row[0])

    async def log_new(self, rows: Sequence[ReadingLogRow]) -> set[ReadingLogKey]:
        """Log readings; the keys (all but the receive time) of those that are new.

        The log's keys are the duplicate rules: a reading id this gateway sent before, or
        a (device, characteristic, sequence) already stored, is skipped. One statement
        lets the database decide, in row order (so within a batch the first of two
        clashing readings is the new one), and answer with what went in; a concurrent
        batch holding the same readings cannot make both count as new.
        """
        if not rows:
            return set()
        if self._c.dialect == "postgres":
            unnest = ", ".join(f"?::{t}[]" for t in _LOG_TYPES)
            got = await self._c.fetchall(
                f"INSERT INTO gateway_readings ({', '.join(_LOG_COLUMNS)})"
                f" SELECT * FROM unnest({unnest}) ON CONFLICT DO NOTHING{_RETURNING}",
                [list(column) for column in zip(*rows, strict=True)],
            )
        else:
            got = []
            for at in range(0, len(rows), _PADDED[-1]):
                part = list(rows[at : at + _PADDED[-1]])
                size = next(n for n in _PADDED if n >= len(part))
                part += [part[-1]] * (size - len(part))
                got += await self._c.fetchall(
                    _sqlite_log_insert(size), [v for r in part for v in r]
                )
        return {
            (
                str(r[0]),
                str(r[1]),
                str(r[2]),
                str(r[3]),
                str(r[4]),
                None if r[5] is None else int(r[5]),
            )
            for r in got
        }

    async def lock_citizen(self, citizen_id: str) -> None:
        """Serialise gateway writes for one citizen until the transaction ends.

        Day roll-ups are updated read-modify-write; on PostgreSQL two concurrent batches
        for the same citizen could otherwise both start from the same row. SQLite needs
        nothing: it has one writer at a time.
        """
        if self._c.dialect == "postgres":
            await self._c.execute(
                "SELECT pg_advisory_xact_lock(?, hashtext(?))", (_LOCK_SPACE, citizen_id)
            )

    async def day_stats(
        self,
        citizen_id: str,
        metric: str,
        days: Sequence[tuple[str, int, int]],
        ranks: Mapping[int, int],
    ) -> dict[str, tuple[int, float, float, float, str]]:
        """count, min, max, sum and the sources (comma-separated) of samples starting in
        each (day, start, end) window, with copies of one reading through two sources
        counted once (ADR 0027); days without samples are left out.

        The sum, not the mean, is what lets the next batch extend the day exactly. Per
        source, then added in source order, as `SqlSamples.stats_by_day` does, so the mean
        is the same float that a full re-roll computes.
        """
        found = await day_stats_per_source(self._c, citizen_id, metric, days, ranks)
        return {
            day: (n, low, high, total, ",".join(map(str, numbers)))
            for day, (n, low, high, total, numbers) in found.items()
        }
