"""One loop for the work any worker on any node takes under a lease (imports, exports).

A loop claims the oldest waiting row, runs it as a tracked task, and otherwise sleeps
until woken (this process queued work) or `job_poll_seconds` pass (another node did).
When `stop` is set the running task is cancelled, so its runner hands the lease back,
and the loop ends. A runner that fails is logged and the loop goes on: the row's lease
lapses and the next claim takes it again (ADR 0019).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, Protocol, TypeVar

from mobile_api.runtime import Runtime

__all__ = ["kick", "leased_loop", "track"]

_log = logging.getLogger("minlaege.jobs")


class _Leased(Protocol):
    @property
    def id(self) -> str: ...


J = TypeVar("J", bound=_Leased)


def track(runtime: Runtime, task: asyncio.Task[None]) -> asyncio.Task[None]:
    """Keep a background task where shutdown and tests can await it."""
    runtime.jobs.add(task)
    task.add_done_callback(runtime.jobs.discard)
    return task


def kick(
    runtime: Runtime,
    wake: asyncio.Event | None,
    drain: Callable[[], Coroutine[Any, Any, None]],
    name: str,
) -> None:
    """Work was queued: wake this process's loop, or drain now (tests, embedding). A node
    serving without a worker does nothing: a worker elsewhere polls the table."""
    if not runtime.settings.run_worker:
        return
    if wake is not None:
        wake.set()
    else:
        track(runtime, asyncio.create_task(drain(), name=name))


async def leased_loop(
    runtime: Runtime,
    stop: asyncio.Event,
    wake: asyncio.Event,
    *,
    what: str,
    claim: Callable[[], Awaitable[J | None]],
    run: Callable[[J], Awaitable[object]],
    before: Callable[[], Awaitable[None]] | None = None,
) -> None:
    """Claim and run `what` until `stop`; `before` runs ahead of every claim."""

    async def guarded(job: J) -> None:
        try:
            await run(job)
        except asyncio.CancelledError:
            raise
        except Exception:
            _log.exception("%s %s: the runner failed", what, job.id)

    stopping = asyncio.create_task(stop.wait())
    try:
        while not stop.is_set():
            if before is not None:
                await before()
            try:
                job = await claim()
            except Exception:
                _log.exception("claiming %s failed; trying again", what)
                job = None
            if job is not None:
                task = track(runtime, asyncio.create_task(guarded(job), name=job.id))
                await asyncio.wait({task, stopping}, return_when=asyncio.FIRST_COMPLETED)
                if not task.done():
                    task.cancel()
                await asyncio.gather(task, return_exceptions=True)
                continue
            waking = asyncio.create_task(wake.wait())
            await asyncio.wait(
                {waking, stopping},
                timeout=runtime.settings.job_poll_seconds,
                return_when=asyncio.FIRST_COMPLETED,
            )
            waking.cancel()
            wake.clear()
    finally:
        stopping.cancel()
