"""The citizen's own deletions in SQL: a source, a period, a whole account (ADR 0023).

Each deletion is a handful of set-based statements in the caller's transaction, so it
is all or nothing and costs the same few round trips for ten samples or a year of them.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from app.domain.time import to_ms
from app.ports.erasure import ClosureCounts, SampleSpan
from app.store.db import Connection

__all__ = ["SqlErasure"]

#: every zone's midnight falls on a quarter of an hour in UTC (Nepal's +05:45 too)
_QUARTER_MS = 900_000
#: the (rounded) span of each sample matching a condition on `samples`
_SPANS = (
    "SELECT DISTINCT metric, start_ms / 900000,"
    " (CASE WHEN end_ms > start_ms THEN end_ms - 1 ELSE end_ms END) / 900000"
    " FROM samples WHERE "
)
#: a sample with any part in [lo, hi): its start from `lo - longest` (the primary key's
#: range), before hi, and its end after lo (an instant: its start at or after lo)
_IN_PERIOD = (
    "citizen_id = ? AND metric = ? AND start_ms >= ? AND start_ms < ?"
    " AND (end_ms > ? OR start_ms >= ?)"
)


def _spans(rows: Sequence[tuple[object, ...]]) -> list[SampleSpan]:
    return [(str(r[0]), int(str(r[1])) * _QUARTER_MS, int(str(r[2])) * _QUARTER_MS) for r in rows]


class SqlErasure:
    def __init__(self, conn: Connection) -> None:
        self._c = conn

    async def source_no(self, citizen_id: str, key: str) -> int | None:
        row = await self._c.fetchone(
            "SELECT source_no FROM sources WHERE citizen_id = ? AND key = ?", (citizen_id, key)
        )
        return None if row is None else int(row[0])

    async def delete_source(
        self, citizen_id: str, source_no: int, key: str
    ) -> tuple[int, list[SampleSpan]]:
        where = "citizen_id = ? AND source_no = ?"
        params = (citizen_id, source_no)
        spans = _spans(await self._c.fetchall(_SPANS + where, params))
        # a Health Connect record yields samples of one source: its version row goes, so
        # the same record sent again is stored again instead of being a duplicate
        await self._c.execute(
            "DELETE FROM healthconnect_records WHERE citizen_id = ? AND record_id IN"
            f" (SELECT record_id FROM healthconnect_samples WHERE {where})",
            (citizen_id, *params),
        )
        await self._c.execute(f"DELETE FROM healthconnect_samples WHERE {where}", params)
        # a gateway reading's source key is its device's key
        await self._c.execute(
            "DELETE FROM gateway_readings WHERE citizen_id = ? AND device_key = ?",
            (citizen_id, key),
        )
        deleted = await self._c.execute(f"DELETE FROM samples WHERE {where}", params)
        await self._c.execute(f"DELETE FROM sources WHERE {where}", params)
        return deleted, spans

    async def delete_between(
        self, citizen_id: str, metrics: Sequence[str], lo_ms: int, hi_ms: int, longest_ms: int
    ) -> tuple[int, list[SampleSpan]]:
        deleted = 0
        spans: list[SampleSpan] = []
        for metric in metrics:
            params = (citizen_id, metric, lo_ms - longest_ms, hi_ms, lo_ms, lo_ms)
            found = _spans(await self._c.fetchall(_SPANS + _IN_PERIOD, params))
            if not found:
                continue
            spans += found
            await self._c.execute(
                "DELETE FROM healthconnect_records WHERE citizen_id = ? AND record_id IN"
                f" (SELECT record_id FROM healthconnect_samples WHERE {_IN_PERIOD})",
                (citizen_id, *params),
            )
            await self._c.execute(f"DELETE FROM healthconnect_samples WHERE {_IN_PERIOD}", params)
            deleted += await self._c.execute(f"DELETE FROM samples WHERE {_IN_PERIOD}", params)
        await self._c.execute(
            "DELETE FROM gateway_readings WHERE citizen_id = ? AND received_at >= ?"
            " AND received_at < ?",
            (citizen_id, lo_ms, hi_ms),
        )
        return deleted, spans

    async def is_closed(self, citizen_id: str) -> bool:
        row = await self._c.fetchone("SELECT closed_at FROM citizens WHERE id = ?", (citizen_id,))
        return row is not None and row[0] is not None

    async def close(self, citizen_id: str, at: datetime) -> tuple[ClosureCounts, list[str]]:
        now = to_ms(at)
        me = (citizen_id,)
        row = await self._c.fetchone("SELECT subject, cpr_hash FROM citizens WHERE id = ?", me)
        assert row is not None, "close() needs an existing citizen"
        subject, cpr_hash = str(row[0]), row[1]
        x = self._c.execute
        n = ClosureCounts()
        # imports first: a job finishing now either finds its row gone (and rolls back,
        # ADR 0019's lost lease) or holds it until it commits, and then its samples are
        # there for the deletes below
        blobs = [
            str(r[0])
            for r in await self._c.fetchall("SELECT blob FROM imports WHERE citizen_id = ?", me)
        ]
        n.imports = await x("DELETE FROM imports WHERE citizen_id = ?", me)
        # the citizen's downloads of their own data (issue 14 part A): a running export
        # finds its row gone when it finishes and deletes its zip itself
        blobs += [
            str(r[0])
            for r in await self._c.fetchall(
                "SELECT blob FROM exports WHERE citizen_id = ? AND blob IS NOT NULL", me
            )
        ]
        n.exports = await x("DELETE FROM exports WHERE citizen_id = ?", me)
        # -- access, revoked at once ------------------------------------------------------
        n.shares = await x(
            "UPDATE shares SET revoked_at = ? WHERE citizen_id = ? AND revoked_at IS NULL",
            (now, citizen_id),
        )
        n.proxies_given = await x(
            "UPDATE proxies SET revoked_at = ? WHERE citizen_id = ? AND revoked_at IS NULL",
            (now, citizen_id),
        )
        if cpr_hash is not None:
            n.proxies_held = await x(
                "UPDATE proxies SET revoked_at = ? WHERE proxy_cpr_hash = ? AND revoked_at IS NULL",
                (now, cpr_hash),
            )
        n.gateways = await x(
            "UPDATE gateways SET revoked_at = ?, secret_hash = NULL"
            " WHERE citizen_id = ? AND revoked_at IS NULL",
            (now, citizen_id),
        )
        await x("DELETE FROM gateway_pairings WHERE citizen_id = ?", me)
        n.push_devices = await x("DELETE FROM push_devices WHERE citizen_id = ?", me)
        n.sessions = await x(
            "UPDATE refresh_tokens SET revoked_at = ? WHERE role = 'citizen' AND subject = ?"
            " AND revoked_at IS NULL",
            (now, subject),
        )
        n.summary_links = await x("DELETE FROM summary_links WHERE citizen_id = ?", me)
        await x("DELETE FROM flag_thresholds WHERE citizen_id = ?", me)
        # open measurement findings were read from shared data the clinic may no longer
        # see; what the clinic resolved is its own record and stays
        await x(
            "DELETE FROM inbox_items WHERE citizen_id = ? AND kind = 'measurement'"
            " AND status <> 'resolved'",
            me,
        )
        # -- wearable data and its raw records ------------------------------------------
        n.samples = await x("DELETE FROM samples WHERE citizen_id = ?", me)
        n.daily_rows = await x("DELETE FROM daily WHERE citizen_id = ?", me)
        n.raw_readings = await x("DELETE FROM gateway_readings WHERE citizen_id = ?", me)
        await x("DELETE FROM healthconnect_samples WHERE citizen_id = ?", me)
        n.healthconnect_records = await x(
            "DELETE FROM healthconnect_records WHERE citizen_id = ?", me
        )
        n.sources = await x("DELETE FROM sources WHERE citizen_id = ?", me)
        await x("DELETE FROM connection_pulls WHERE citizen_id = ?", me)
        await x("DELETE FROM connection_states WHERE citizen_id = ?", me)
        n.connections = await x("DELETE FROM connections WHERE citizen_id = ?", me)
        # -- the citizen's own plans and drafts -----------------------------------------
        n.questionnaire_drafts = await x(
            "DELETE FROM questionnaire_instances WHERE citizen_id = ? AND status <> 'submitted'",
            me,
        )
        await x(
            "UPDATE questionnaire_assignments SET ended_at = ?, next_due = NULL,"
            " opens_at = NULL WHERE citizen_id = ? AND ended_at IS NULL",
            (now, citizen_id),
        )
        n.reminders = await x("DELETE FROM reminders WHERE citizen_id = ?", me)
        n.reminders += await x("DELETE FROM dose_schedules WHERE citizen_id = ?", me)
        n.reminders += await x("DELETE FROM doses WHERE citizen_id = ?", me)
        n.reminders += await x("DELETE FROM medication_supplies WHERE citizen_id = ?", me)
        await x("UPDATE vaccinations SET remind_at = NULL WHERE citizen_id = ?", me)
        await x(
            "UPDATE waitlist SET status = 'cancelled' WHERE citizen_id = ?"
            " AND status IN ('waiting', 'offered')",
            me,
        )
        await x(
            "UPDATE slots SET status = 'free', held_for = NULL, held_until = NULL"
            " WHERE status = 'held' AND held_for = ?",
            me,
        )
        n.notices = await x("DELETE FROM outbox WHERE citizen_id = ?", me)
        # -- the login is released: an old token finds no one, a new login a new account
        await x(
            "UPDATE citizens SET subject = ?, cpr_hash = NULL, closed_at = ? WHERE id = ?",
            (f"closed:{citizen_id}", now, citizen_id),
        )
        return n, [b for b in blobs if b and not b.startswith("/")]

    async def trash_blobs(self, citizen_id: str, keys: Sequence[str], at: datetime) -> None:
        await self._c.insert_ignore(
            "blob_trash",
            ("blob_key", "citizen_id", "queued_at"),
            ("text", "text", "bigint"),
            [(k, citizen_id, to_ms(at)) for k in keys],
        )

    async def trashed(self, limit: int) -> list[str]:
        rows = await self._c.fetchall(
            "SELECT blob_key FROM blob_trash ORDER BY attempts, queued_at, blob_key LIMIT ?",
            (limit,),
        )
        return [str(r[0]) for r in rows]

    async def untrash(self, keys: Sequence[str]) -> None:
        await self._c.executemany("DELETE FROM blob_trash WHERE blob_key = ?", [(k,) for k in keys])

    async def trash_failed(self, key: str) -> None:
        await self._c.execute(
            "UPDATE blob_trash SET attempts = attempts + 1 WHERE blob_key = ?", (key,)
        )
