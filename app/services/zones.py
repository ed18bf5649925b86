"""A citizen's time zone: days are bucketed, and reminders timed, in it (§4)."""

from __future__ import annotations

from app.domain.time import DEFAULT_TIMEZONE
from app.ports import UnitOfWork

__all__ = ["zone_of"]


async def zone_of(uow: UnitOfWork, citizen_id: str) -> str:
    """The citizen's IANA zone, or the default for one no longer there."""
    citizen = await uow.citizens.get(citizen_id)
    return citizen.timezone if citizen else DEFAULT_TIMEZONE
