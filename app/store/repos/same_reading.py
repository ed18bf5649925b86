"""One discrete reading seen through two roads counts once (ADR 0027).

§4 keys a sample by metric, source, start, end and value, so the same weighing synced
through Apple Health (source "Health Mate") and fetched from Withings' cloud (source
"Withings Body+") is stored twice. A day's discrete roll-up leaves out every sample for
which a source that outranks its own holds the same reading: within
`SAME_READING_MS` of its start and `SAME_READING_RELATIVE` of its value. Only days fed
by more than one source can hold such copies, so only they pay for the check (one
probe of the samples key per sample).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from app.domain.sources import SAME_READING_MS, SAME_READING_RELATIVE
from app.store.db import Connection

__all__ = ["DayStats", "day_stats_per_source", "distinct_readings_by_day", "not_a_copy"]

#: (count, min, max, sum added per source in source order, the source numbers)
DayStats = tuple[int, float, float, float, list[int]]


def _rank(alias: str, ranks: Mapping[int, int]) -> str:
    if not ranks:
        return "0"
    cases = " ".join(f"WHEN {int(n)} THEN {int(r)}" for n, r in ranks.items())
    return f"(CASE {alias}.source_no {cases} ELSE {len(ranks)} END)"


def not_a_copy(ranks: Mapping[int, int]) -> str:
    """SQL true for a sample `a` unless a better-ranked source holds the same reading
    (ties in rank go to the lower source number, so exactly one copy stays)."""
    ra, rb = _rank("a", ranks), _rank("b", ranks)
    return (
        "NOT EXISTS (SELECT 1 FROM samples b WHERE b.citizen_id = a.citizen_id"
        " AND b.metric = a.metric"
        f" AND b.start_ms >= a.start_ms - {SAME_READING_MS}"
        f" AND b.start_ms <= a.start_ms + {SAME_READING_MS}"
        " AND b.source_no <> a.source_no"
        f" AND ABS(b.value - a.value) <= {SAME_READING_RELATIVE!r} * ABS(a.value)"
        f" AND ({rb} < {ra} OR ({rb} = {ra} AND b.source_no < a.source_no)))"
    )


async def day_stats_per_source(
    conn: Connection,
    citizen_id: str,
    metric: str,
    days: Sequence[tuple[str, int, int]],
    ranks: Mapping[int, int],
) -> dict[str, DayStats]:
    """`distinct_readings_by_day`, paying for the copy check only on the days more than
    one source feeds: a plain per-source aggregate first, then those days again."""
    found = await distinct_readings_by_day(conn, citizen_id, metric, days, None)
    mixed = [(d, lo, hi) for d, lo, hi in days if d in found and len(found[d][4]) > 1]
    found.update(await distinct_readings_by_day(conn, citizen_id, metric, mixed, ranks))
    return found


async def distinct_readings_by_day(
    conn: Connection,
    citizen_id: str,
    metric: str,
    days: Sequence[tuple[str, int, int]],
    ranks: Mapping[int, int] | None,
) -> dict[str, DayStats]:
    """Per (day, start, end) window: the day's statistics with copies left out (none
    when `ranks` is None); days with no sample are left out. Sums are added per source,
    then in source order, as the one-source paths do, so a day's mean does not depend on
    which path computed it."""
    if not days:
        return {}
    copies = "" if ranks is None else f" AND {not_a_copy(ranks)}"
    select = (
        "SELECT CAST(? AS TEXT), a.source_no, COUNT(*), MIN(a.value), MAX(a.value),"
        " SUM(a.value) FROM samples a WHERE a.citizen_id = ? AND a.metric = ?"
        f" AND a.start_ms >= ? AND a.start_ms < ?{copies}"
        " GROUP BY a.source_no"
    )
    params: list[object] = []
    for day, lo, hi in days:
        params += (day, citizen_id, metric, lo, hi)
    rows = await conn.fetchall(" UNION ALL ".join([select] * len(days)), params)
    per_day: dict[str, list[tuple[int, int, float, float, float]]] = {}
    for day, source, n, low, high, total in rows:
        per_day.setdefault(str(day), []).append(
            (int(source), int(n), float(low), float(high), float(total))
        )
    out: dict[str, DayStats] = {}
    for day, parts in per_day.items():
        parts.sort()
        count, low, high, total = 0, parts[0][2], parts[0][3], 0.0
        for _, n, lo_v, hi_v, part in parts:
            count += n
            low, high = min(low, lo_v), max(high, hi_v)
            total += part
        out[day] = (count, low, high, total, [p[0] for p in parts])
    return out
