"""The citizen's own data export ("download my data", issue 14): the job a worker runs."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

import msgspec

__all__ = ["ExportJob", "ExportStatus"]

#: `expired`: the link ran out and the zip was deleted; the row stays as a record
ExportStatus = Literal["queued", "running", "done", "failed", "expired"]


class ExportJob(msgspec.Struct, frozen=True, kw_only=True):
    id: str
    citizen_id: str
    status: ExportStatus
    #: 0–1, written by the worker running the export (throttled)
    progress: float = 0.0
    #: the zip's key in the blob store once done
    blob: str | None = None
    size: int | None = None
    error_detail: str | None = None
    attempts: int = 0
    lease_owner: str | None = None
    lease_until: datetime | None = None
    created_at: datetime
    updated_at: datetime
    #: when the download link stops working (set when the export is done)
    expires_at: datetime | None = None
