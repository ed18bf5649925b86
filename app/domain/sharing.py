"""Consent to share wearable data with the GP: what, which period, with whom, how long.

A share names its metrics, the data it opens (from a fixed local date, or the last N
days counted back from today) and when it ends. It is active from creation until it
expires or the citizen revokes it, and revoking takes effect at once: every read
checks the share again.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

import msgspec

__all__ = ["Share"]


class Share(msgspec.Struct, frozen=True, kw_only=True):
    id: str
    citizen_id: str
    clinic_id: str
    #: one named clinician, or None for everyone at the clinic
    clinician_id: str | None = None
    metrics: list[str]
    data_from: date | None = None
    data_days: int | None = None
    expires_at: datetime
    created_at: datetime
    revoked_at: datetime | None = None

    def active(self, now: datetime) -> bool:
        return self.revoked_at is None and self.created_at <= now < self.expires_at

    def for_clinician(self, clinic_id: str, clinician_id: str) -> bool:
        return self.clinic_id == clinic_id and self.clinician_id in (None, clinician_id)

    def first_day(self, today: date) -> date:
        """The earliest local date whose data the share opens."""
        if self.data_from is not None:
            return self.data_from
        days = self.data_days if self.data_days is not None else 90
        return today - timedelta(days=days - 1)
