"""Uploading an Apple Health export or a FIT file: `POST /v1/me/imports`, then poll.

The body is the file itself, streamed to disk as it arrives (never held in memory) and
counted against the upload limit; what it is gets decided from its first bytes.
"""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Any

import anyio
from litestar import Controller, Request, Response, get, post
from litestar.exceptions import HTTPException
from litestar.params import FromPath

from adapters.ingest.files import BROKEN_FILE, detect_format
from app.domain.ids import new_id
from app.errors import Invalid
from app.services.imports import JobView, create_job, get_job, job_view
from mobile_api.jobs import start_import
from mobile_api.security import principal_of, runtime_of

__all__ = ["UPLOAD_TYPES", "ImportController"]

UPLOAD_TYPES = (
    "application/zip",
    "application/x-zip-compressed",
    "application/xml",
    "text/xml",
    "application/vnd.ant.fit",
    "application/octet-stream",
)


async def _save(request: Request[Any, Any, Any], target: Path, limit: int) -> int:
    size = 0
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise HTTPException(status_code=413, detail=f"the file is larger than {limit} bytes")
    target.parent.mkdir(parents=True, exist_ok=True)
    async with await anyio.open_file(target, "wb") as out:
        async for chunk in request.stream():
            size += len(chunk)
            if size > limit:
                raise HTTPException(
                    status_code=413, detail=f"the file is larger than {limit} bytes"
                )
            await out.write(chunk)
    return size


class ImportController(Controller):
    path = "/imports"
    opt = {"proxy_scope": "wearables"}

    @post(
        operation_id="createImport",
        status_code=202,
        request_max_body_size=None,
        opt={"accept": UPLOAD_TYPES},
    )
    async def create(self, request: Request[Any, Any, Any]) -> Response[JobView]:
        """Upload `export.zip`, `export.xml` or a `.fit` file as the body; 202 with the job."""
        runtime = runtime_of(request)
        me = principal_of(request)
        job_id = new_id()
        blob = runtime.settings.var_dir / "uploads" / f"{job_id}.upload"
        try:
            size = await _save(request, blob, runtime.settings.max_upload_body)
            if size == 0:
                raise Invalid("the body is empty: send the file itself as the request body")
            try:
                fmt = detect_format(blob)
            except BROKEN_FILE as exc:
                raise Invalid(str(getattr(exc, "detail", exc)), kind="unsupported-file") from exc
            async with runtime.store.transaction() as uow:
                job = await create_job(
                    uow,
                    runtime.clock,
                    citizen_id=me.id,
                    fmt=fmt,
                    blob=str(blob),
                    job_id=job_id,
                )
        except BaseException:
            with contextlib.suppress(OSError):
                await anyio.Path(blob).unlink(missing_ok=True)
            raise
        start_import(runtime, job)
        return Response(
            job_view(job, 0.0), status_code=202, headers={"Location": f"/v1/me/imports/{job.id}"}
        )

    @get("/{import_id:str}", operation_id="getImport")
    async def get(self, request: Request[Any, Any, Any], import_id: FromPath[str]) -> JobView:
        """Status, progress (0–1) and, when done, the report of contracts §3."""
        runtime = runtime_of(request)
        async with runtime.store.read() as uow:
            job = await get_job(uow, principal_of(request).id, import_id)
        return job_view(job, runtime.progress.get(job.id))
