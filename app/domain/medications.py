"""A citizen's current medications and their requests for renewal (receptfornyelse)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

import msgspec

__all__ = ["Medication", "Renewal", "RenewalStatus", "TimelineStep", "timeline"]

#: requested → in_review → approved | rejected
RenewalStatus = Literal["requested", "in_review", "approved", "rejected"]
OPEN_STATUSES: tuple[RenewalStatus, ...] = ("requested", "in_review")


class Medication(msgspec.Struct, frozen=True, kw_only=True):
    """One drug as the clinic keeps it for the citizen."""

    id: str
    citizen_id: str
    name: str
    strength: str
    #: the dosage as the citizen reads it, e.g. "1 tablet morgen og aften"
    dosage: str
    #: WHO ATC code where known (e.g. A10BA02 for metformin)
    atc: str | None = None
    #: false for drugs the GP wants to see the patient about (e.g. dependence-forming)
    renewable: bool = True
    last_renewed_at: datetime | None = None


class Renewal(msgspec.Struct, frozen=True, kw_only=True):
    """One request to renew one medication, and what the clinic decided."""

    id: str
    citizen_id: str
    clinic_id: str
    medication_id: str
    note: str = ""
    status: RenewalStatus = "requested"
    requested_at: datetime
    in_review_at: datetime | None = None
    decided_at: datetime | None = None
    decided_by: str | None = None
    decided_by_name: str | None = None
    #: why it was rejected
    reason: str | None = None

    @property
    def open(self) -> bool:
        return self.status in OPEN_STATUSES


class TimelineStep(msgspec.Struct, frozen=True, kw_only=True):
    status: RenewalStatus
    at: datetime


def timeline(r: Renewal) -> list[TimelineStep]:
    """The steps the request has passed, oldest first, for the app's status view."""
    steps = [TimelineStep(status="requested", at=r.requested_at)]
    if r.in_review_at is not None:
        steps.append(TimelineStep(status="in_review", at=r.in_review_at))
    if r.decided_at is not None and r.status in ("approved", "rejected"):
        steps.append(TimelineStep(status=r.status, at=r.decided_at))
    return steps
