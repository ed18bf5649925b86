"""Writing notices to the outbox, inside the caller's transaction."""

from __future__ import annotations

from collections.abc import Callable

from app.domain.ids import new_id
from app.domain.notices import Notice, OutboxItem
from app.ports import Clock, UnitOfWork

__all__ = ["inbox", "tell"]


async def tell(uow: UnitOfWork, clock: Clock, citizen_id: str, notice: Notice) -> None:
    """Queue a notice for the citizen; it commits or rolls back with the change."""
    await uow.outbox.add(citizen_id, new_id(), notice, clock.now())


async def inbox(
    uow: UnitOfWork,
    citizen_id: str,
    *,
    before: int | None,
    limit: int,
    keep: Callable[[OutboxItem], bool] | None = None,
) -> tuple[list[OutboxItem], int | None]:
    """A page of the citizen's notices, newest first, and the cursor for the next page.

    With `keep` (a relative sees only the areas granted) the page is filled with kept
    notices, reading on past the ones left out, so a page is never cut short by the
    filter and the cursor continues after the last notice shown.
    """
    if keep is None:
        items = await uow.outbox.for_citizen(citizen_id, before_seq=before, limit=limit + 1)
        more = len(items) > limit
        items = items[:limit]
        return items, (items[-1].seq if more and items else None)
    chunk = max(2 * limit, 50)
    kept: list[OutboxItem] = []
    cursor = before
    while len(kept) <= limit:
        batch = await uow.outbox.for_citizen(citizen_id, before_seq=cursor, limit=chunk)
        kept.extend(i for i in batch if keep(i))
        if len(batch) < chunk:
            break
        cursor = batch[-1].seq
    more = len(kept) > limit
    kept = kept[:limit]
    return kept, (kept[-1].seq if more and kept else None)
