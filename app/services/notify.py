"""Writing notices to the outbox, inside the caller's transaction."""

from __future__ import annotations

from app.domain.ids import new_id
from app.domain.notices import Notice, OutboxItem
from app.ports import Clock, UnitOfWork

__all__ = ["inbox", "tell"]


async def tell(uow: UnitOfWork, clock: Clock, citizen_id: str, notice: Notice) -> None:
    """Queue a notice for the citizen; it commits or rolls back with the change."""
    await uow.outbox.add(citizen_id, new_id(), notice, clock.now())


async def inbox(
    uow: UnitOfWork, citizen_id: str, *, before: int | None, limit: int
) -> tuple[list[OutboxItem], int | None]:
    """A page of the citizen's notices, newest first, and the cursor for the next page."""
    items = await uow.outbox.for_citizen(citizen_id, before_seq=before, limit=limit + 1)
    more = len(items) > limit
    items = items[:limit]
    return items, (items[-1].seq if more and items else None)
