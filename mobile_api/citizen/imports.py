"""Uploading an Apple Health export or a FIT file: `POST /v1/me/imports`, then poll.

The body is the file itself, streamed to the blob store as it arrives (never held in
memory; multipart to S3) and counted against the upload limit; what it is gets decided
from its first bytes. Any worker on any node then claims the job (ADR 0019).
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.exceptions import HTTPException
from litestar.params import FromPath

from adapters.ingest.files import BROKEN_FILE, HEAD, detect_head
from app.domain.ids import new_id
from app.errors import Invalid
from app.services.imports import JobView, create_job, get_job, job_view
from mobile_api.jobs import kick
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


class _TooLarge(Exception):
    """The body ran past the upload limit."""


class _Body:
    """The request body as it streams to the blob store: counted, capped, head kept."""

    def __init__(self, request: Request[Any, Any, Any], limit: int) -> None:
        self._request = request
        self._limit = limit
        self.size = 0
        self.head = b""
        self.too_large = False

    async def __aiter__(self) -> AsyncIterator[bytes]:
        async for chunk in self._request.stream():
            self.size += len(chunk)
            if self.size > self._limit:
                self.too_large = True
                raise _TooLarge
            if len(self.head) < HEAD:
                self.head += chunk[: HEAD - len(self.head)]
            yield chunk


def _too_large(limit: int) -> HTTPException:
    return HTTPException(status_code=413, detail=f"the file is larger than {limit} bytes")


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
        limit = runtime.settings.max_upload_body
        declared = request.headers.get("content-length")
        if declared and declared.isdigit() and int(declared) > limit:
            raise _too_large(limit)
        job_id = new_id()
        key = f"uploads/{job_id}"
        body = _Body(request, limit)
        try:
            try:
                await runtime.blobs.put_stream(key, body)
            except Exception:
                if body.too_large:
                    raise _too_large(limit) from None
                raise
            if body.size == 0:
                raise Invalid("the body is empty: send the file itself as the request body")
            try:
                fmt = detect_head(body.head)
            except BROKEN_FILE as exc:
                raise Invalid(str(getattr(exc, "detail", exc)), kind="unsupported-file") from exc
            async with runtime.store.transaction() as uow:
                job = await create_job(
                    uow, runtime.clock, citizen_id=me.id, fmt=fmt, blob=key, job_id=job_id
                )
        except BaseException:
            with contextlib.suppress(Exception):
                await runtime.blobs.delete(key)
            raise
        kick(runtime)
        return Response(
            job_view(job), status_code=202, headers={"Location": f"/v1/me/imports/{job.id}"}
        )

    @get("/{import_id:str}", operation_id="getImport")
    async def get(self, request: Request[Any, Any, Any], import_id: FromPath[str]) -> JobView:
        """Status, progress (0–1) and, when done, the report of contracts §3."""
        runtime = runtime_of(request)
        async with runtime.store.read() as uow:
            job = await get_job(uow, principal_of(request).id, import_id)
        # the row's progress (every node sees it); this process's own figure if fresher
        return job_view(job, runtime.progress.get(job.id))
