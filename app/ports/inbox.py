"""Ports of the clinic inbox and PRO questionnaires."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Protocol

import msgspec

from app.domain.inbox import InboxItem
from app.domain.inbox_links import InboxLink
from app.domain.pro import Assignment, Instance, StoredQuestionnaire

__all__ = ["InboxLinkRepository", "InboxPageRow", "InboxRepository", "QuestionnaireRepository"]


class InboxPageRow(msgspec.Struct, frozen=True, kw_only=True):
    item: InboxItem
    citizen_name: str


class InboxRepository(Protocol):
    async def live_for_share(self, citizen_id: str, share_id: str) -> list[InboxItem]:
        """Items of one share whose condition has not cleared (open or resolved)."""
        ...

    async def add(self, item: InboxItem) -> bool:
        """Insert; False when a live item of the same condition exists already."""
        ...

    async def update_finding(self, citizen_id: str, item: InboxItem) -> None:
        """Severity, texts, numbers, period and `updated_at` of a live item."""
        ...

    async def clear(self, citizen_id: str, item_id: str, at: datetime) -> None: ...

    async def get(self, clinic_id: str, item_id: str) -> InboxItem | None: ...

    async def page(
        self,
        clinic_id: str,
        clinician_id: str,
        now: datetime,
        *,
        statuses: Sequence[str],
        after: tuple[int, int, str] | None,
        limit: int,
    ) -> list[InboxPageRow]:
        """The caller's items, red → yellow → blue, oldest first; measurement items only
        while a share that covers the caller is active."""
        ...

    async def resolve(
        self,
        citizen_id: str,
        item_id: str,
        *,
        at: datetime,
        by: str,
        by_name: str,
        note: str,
        action: str,
    ) -> bool:
        """Open → resolved; False if it was not open."""
        ...

    async def for_instance(self, citizen_id: str, instance_id: str) -> InboxItem | None: ...


class QuestionnaireRepository(Protocol):
    async def add_version(self, q: StoredQuestionnaire) -> bool:
        """Store a version; False when that version of the key exists already."""
        ...

    async def latest(self, clinic_id: str, key: str) -> StoredQuestionnaire | None: ...
    async def version(
        self, clinic_id: str, key: str, version: int
    ) -> StoredQuestionnaire | None: ...
    async def keys(self, clinic_id: str) -> list[StoredQuestionnaire]:
        """The latest version of each of the clinic's questionnaires."""
        ...

    async def assign(self, a: Assignment) -> None: ...
    async def assignment(self, citizen_id: str, assignment_id: str) -> Assignment | None: ...
    async def plan_next(
        self, citizen_id: str, assignment_id: str, due: date | None, opens_at: datetime | None
    ) -> None: ...
    async def has_due(self, now: datetime) -> bool: ...
    async def claim_due(self, now: datetime, limit: int) -> list[Assignment]:
        """Assignments whose next instance should open now; each is taken by one caller
        (its plan is emptied in the same statement)."""
        ...

    async def add_instance(self, i: Instance) -> None: ...
    async def instance(self, citizen_id: str, instance_id: str) -> Instance | None: ...
    async def instance_in_clinic(self, clinic_id: str, instance_id: str) -> Instance | None: ...
    async def instances(self, citizen_id: str) -> list[Instance]: ...
    async def submitted(self, citizen_id: str) -> list[Instance]: ...
    async def submit(self, i: Instance) -> bool:
        """Due → submitted with the response; False if it was answered already."""
        ...


class InboxLinkRepository(Protocol):
    """One-time links to the inbox page; only the hash of a link's secret is stored."""

    async def add(self, link: InboxLink) -> None: ...
    async def take(self, token_hash: str, now: datetime) -> InboxLink | None:
        """Spend a live, unused link (once); None when unknown, used or expired."""
        ...
