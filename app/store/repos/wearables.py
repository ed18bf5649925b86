"""Sources, samples and daily roll-ups in SQL."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

from app.domain.sources import StoredSource
from app.domain.time import to_ms
from app.ports import DailyRow, SampleRow
from app.store.db import Connection
from app.store.repos.same_reading import DayStats, distinct_readings_by_day

__all__ = ["SqlDaily", "SqlSamples", "SqlSources"]

_SAMPLE_COLUMNS = (
    "citizen_id",
    "metric",
    "start_ms",
    "source_no",
    "end_ms",
    "value",
    "stage",
    "external_id",
)
_SAMPLE_PG_TYPES = ("text", "text", "bigint", "integer", "bigint", "float8", "text", "text")


class SqlSources:
    def __init__(self, conn: Connection) -> None:
        self._c = conn

    async def for_citizen(self, citizen_id: str) -> list[StoredSource]:
        rows = await self._c.fetchall(
            "SELECT source_no, key, name, kind, device, priority FROM sources"
            " WHERE citizen_id = ? ORDER BY source_no",
            (citizen_id,),
        )
        return [
            StoredSource(source_no=r[0], key=r[1], name=r[2], kind=r[3], device=r[4], priority=r[5])
            for r in rows
        ]

    async def add(
        self, citizen_id: str, *, key: str, name: str, kind: str, device: str | None, at: datetime
    ) -> int:
        row = await self._c.fetchone(
            "SELECT COALESCE(MAX(source_no), 0) + 1 FROM sources WHERE citizen_id = ?",
            (citizen_id,),
        )
        number = int(row[0]) if row else 1
        await self._c.execute(
            "INSERT INTO sources (citizen_id, source_no, key, name, kind, device, priority,"
            " created_at) VALUES (?, ?, ?, ?, ?, ?, NULL, ?)",
            (citizen_id, number, key, name, kind, device, to_ms(at)),
        )
        return number

    async def set_priorities(self, citizen_id: str, order: Sequence[str]) -> None:
        await self._c.execute(
            "UPDATE sources SET priority = NULL WHERE citizen_id = ?", (citizen_id,)
        )
        for position, key in enumerate(order):
            await self._c.execute(
                "UPDATE sources SET priority = ? WHERE citizen_id = ? AND key = ?",
                (position, citizen_id, key),
            )


class SqlSamples:
    def __init__(self, conn: Connection) -> None:
        self._c = conn

    async def insert(self, rows: Sequence[SampleRow]) -> int:
        return await self._c.insert_ignore("samples", _SAMPLE_COLUMNS, _SAMPLE_PG_TYPES, rows)

    async def claim_external(self, row: SampleRow) -> bool:
        """Give an already stored identical sample (e.g. from an export) this external id."""
        changed = await self._c.execute(
            "UPDATE samples SET external_id = ? WHERE citizen_id = ? AND metric = ?"
            " AND start_ms = ? AND source_no = ? AND end_ms = ? AND value = ? AND stage = ?"
            " AND external_id IS NULL",
            (row[7], row[0], row[1], row[2], row[3], row[4], row[5], row[6]),
        )
        return changed > 0

    async def delete_external(
        self, citizen_id: str, external_id: str
    ) -> tuple[str, int, int] | None:
        """Delete the citizen's sample with this external id; its (metric, start, end)."""
        row = await self._c.fetchone(
            "SELECT metric, start_ms, end_ms FROM samples WHERE citizen_id = ? AND external_id = ?",
            (citizen_id, external_id),
        )
        if row is None:
            return None
        await self._c.execute(
            "DELETE FROM samples WHERE citizen_id = ? AND external_id = ?",
            (citizen_id, external_id),
        )
        return str(row[0]), int(row[1]), int(row[2])

    async def stats_by_day(
        self,
        citizen_id: str,
        metric: str,
        days: Sequence[tuple[str, int, int]],
        ranks: Mapping[int, int],
    ) -> dict[str, tuple[int, float, float, float, str]]:
        """count, min, max, mean and the sources (comma-separated source numbers) per
        (day, start, end) window; days without samples are left out.

        A day fed by more than one source is aggregated again with copies of one reading
        left out (`same_reading`, ADR 0027); `ranks` (source number → rank, best 0)
        decides whose copy stays."""
        if not days:
            return {}
        if self._c.dialect == "sqlite":
            found = await self._stats_by_day_streamed(citizen_id, metric, days)
        else:
            found = await self._stats_by_day_grouped(citizen_id, metric, days)
        mixed = [(d, lo, hi) for d, lo, hi in days if d in found and len(found[d][4]) > 1]
        found.update(await distinct_readings_by_day(self._c, citizen_id, metric, mixed, ranks))
        return {
            day: (n, low, high, total / n, ",".join(map(str, numbers)))
            for day, (n, low, high, total, numbers) in found.items()
        }

    async def _stats_by_day_grouped(
        self, citizen_id: str, metric: str, days: Sequence[tuple[str, int, int]]
    ) -> dict[str, DayStats]:
        """PostgreSQL hashes the groups: one statement for all the days."""
        values = ", ".join("(CAST(? AS TEXT), CAST(? AS BIGINT), CAST(? AS BIGINT))" for _ in days)
        params: list[object] = [p for d in days for p in d]
        rows = await self._c.fetchall(
            f"WITH d(day, lo, hi) AS (VALUES {values})"
            " SELECT d.day, s.source_no, COUNT(*), MIN(s.value), MAX(s.value), SUM(s.value)"
            " FROM d JOIN samples s ON s.citizen_id = ? AND s.metric = ?"
            " AND s.start_ms >= d.lo AND s.start_ms < d.hi"
            " GROUP BY d.day, s.source_no ORDER BY d.day, s.source_no",
            (*params, citizen_id, metric),
        )
        found: dict[str, DayStats] = {}
        for r in rows:
            day, n, low, high, total = str(r[0]), int(r[2]), float(r[3]), float(r[4]), float(r[5])
            a = found.get(day)
            if a is None:
                found[day] = (n, low, high, total, [int(r[1])])
            else:
                found[day] = (
                    a[0] + n,
                    min(a[1], low),
                    max(a[2], high),
                    a[3] + total,
                    [*a[4], int(r[1])],
                )
        return found

    async def _stats_by_day_streamed(
        self, citizen_id: str, metric: str, days: Sequence[tuple[str, int, int]]
    ) -> dict[str, DayStats]:
        """SQLite sorts every row of a GROUP BY before it aggregates (a temp B-tree as
        large as all the days' samples), so here each day is an aggregate without GROUP BY
        that streams over the primary key: memory does not grow with the samples a day
        holds. The sums of days fed by more than one source are not used: those days are
        aggregated again per source without copies (`stats_by_day`)."""
        where = (
            " FROM samples WHERE citizen_id = ? AND metric = ? AND start_ms >= ? AND start_ms < ?"
        )
        params: list[object] = []
        for day, lo, hi in days:
            params += (day, citizen_id, metric, lo, hi)
        rows = await self._c.fetchall(
            " UNION ALL ".join(
                [
                    "SELECT ?, COUNT(*), MIN(value), MAX(value), SUM(value),"
                    f" group_concat(DISTINCT source_no){where}"
                ]
                * len(days)
            ),
            params,
        )
        found: dict[str, DayStats] = {}
        for day, n, low, high, total, sources in rows:
            if n:
                numbers = sorted(int(x) for x in str(sources).split(","))
                found[str(day)] = (int(n), float(low), float(high), float(total), numbers)
        return found

    async def between(
        self, citizen_id: str, metric: str, start_from: int, start_before: int
    ) -> list[tuple[int, int, float, int, str]]:
        """(start, end, value, source_no, stage) of samples starting in [from, before), by start."""
        rows = await self._c.fetchall(
            "SELECT start_ms, end_ms, value, source_no, stage FROM samples"
            " WHERE citizen_id = ? AND metric = ? AND start_ms >= ? AND start_ms < ?"
            " ORDER BY start_ms",
            (citizen_id, metric, start_from, start_before),
        )
        return [(int(r[0]), int(r[1]), float(r[2]), int(r[3]), str(r[4])) for r in rows]


class SqlDaily:
    def __init__(self, conn: Connection) -> None:
        self._c = conn

    async def replace(
        self, citizen_id: str, metric: str, days: Sequence[str], rows: Sequence[DailyRow]
    ) -> None:
        """Drop the roll-ups of `days` and write `rows` (days without data get none)."""
        await self._c.executemany(
            "DELETE FROM daily WHERE citizen_id = ? AND metric = ? AND day = ?",
            [(citizen_id, metric, d) for d in days],
        )
        await self._c.executemany(
            "INSERT INTO daily (citizen_id, metric, day, total, count, min_value, max_value, mean,"
            " sources) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                (citizen_id, metric, r.day, r.total, r.count, r.min, r.max, r.mean, r.sources)
                for r in rows
            ],
        )

    async def days(self, citizen_id: str, metric: str) -> list[str]:
        rows = await self._c.fetchall(
            "SELECT day FROM daily WHERE citizen_id = ? AND metric = ? ORDER BY day",
            (citizen_id, metric),
        )
        return [str(r[0]) for r in rows]

    async def series(self, citizen_id: str, metric: str, first: str, last: str) -> list[DailyRow]:
        rows = await self._c.fetchall(
            "SELECT day, total, count, min_value, max_value, mean, sources FROM daily"
            " WHERE citizen_id = ? AND metric = ? AND day >= ? AND day <= ? ORDER BY day",
            (citizen_id, metric, first, last),
        )
        return [
            DailyRow(day=r[0], total=r[1], count=r[2], min=r[3], max=r[4], mean=r[5], sources=r[6])
            for r in rows
        ]

    async def series_many(
        self, citizen_id: str, metrics: Sequence[str], first: str, last: str
    ) -> dict[str, list[DailyRow]]:
        out: dict[str, list[DailyRow]] = {m: [] for m in metrics}
        if not metrics:
            return out
        marks = ", ".join("?" * len(metrics))
        rows = await self._c.fetchall(
            "SELECT metric, day, total, count, min_value, max_value, mean, sources FROM daily"
            f" WHERE citizen_id = ? AND metric IN ({marks}) AND day >= ? AND day <= ?"
            " ORDER BY metric, day",
            (citizen_id, *metrics, first, last),
        )
        for r in rows:
            out[r[0]].append(
                DailyRow(
                    day=r[1], total=r[2], count=r[3], min=r[4], max=r[5], mean=r[6], sources=r[7]
                )
            )
        return out

    async def last_day(self, citizen_id: str, metric: str) -> str | None:
        row = await self._c.fetchone(
            "SELECT MAX(day) FROM daily WHERE citizen_id = ? AND metric = ?",
            (citizen_id, metric),
        )
        return None if row is None or row[0] is None else str(row[0])
