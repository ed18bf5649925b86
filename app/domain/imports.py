"""Import jobs: what the app polls after uploading a file."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

import msgspec

__all__ = ["ImportJob", "ImportStatus"]

ImportStatus = Literal["queued", "running", "done", "failed"]


class ImportJob(msgspec.Struct, frozen=True, kw_only=True):
    id: str
    citizen_id: str
    format: str
    status: ImportStatus
    #: where the uploaded bytes wait: a blob store key (`uploads/<id>`); older rows hold a path
    blob: str
    #: the §3 report as JSON text once done
    report: str | None = None
    error_kind: str | None = None
    error_detail: str | None = None
    created_at: datetime
    updated_at: datetime
    #: 0–1, written by the worker that runs the job (throttled)
    progress: float = 0.0
    #: how many times a worker has claimed the job
    attempts: int = 0
    #: the worker holding the job, and until when (None while queued or ended)
    lease_owner: str | None = None
    lease_until: datetime | None = None
