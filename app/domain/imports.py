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
    #: where the uploaded bytes wait (a path the blob store understands)
    blob: str
    #: the §3 report as JSON text once done
    report: str | None = None
    error_kind: str | None = None
    error_detail: str | None = None
    created_at: datetime
    updated_at: datetime
