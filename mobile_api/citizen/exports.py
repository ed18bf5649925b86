"""Download my data (contracts §10, ADR 0022): ask for an export, poll it, download the zip.

The routes carry no `proxy_scope`: a relative under a power of attorney is refused
(403 `proxy-scope`), because the export holds everything, their own dealings with the
citizen included, and a download leaves our control. Only the citizen's own token
downloads, and only until the link expires (410 `export-expired`).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.params import FromPath
from litestar.response import Stream

from app.errors import Gone, NotFound
from app.services.exports import ExportView, create_export, export_view, get_export, open_download
from mobile_api.exports import kick_exports
from mobile_api.runtime import Runtime
from mobile_api.security import principal_of, runtime_of

__all__ = ["ExportController"]

_CHUNK = 256 * 1024


async def _zip_chunks(runtime: Runtime, key: str) -> AsyncIterator[bytes]:
    """The zip from the blob store, a chunk at a time (S3: via a local temporary copy)."""
    async with runtime.blobs.local_copy(key) as path:
        f = await asyncio.to_thread(path.open, "rb")
        try:
            while chunk := await asyncio.to_thread(f.read, _CHUNK):
                yield chunk
        finally:
            f.close()


async def _then(first: bytes, rest: AsyncIterator[bytes]) -> AsyncIterator[bytes]:
    yield first
    async for chunk in rest:
        yield chunk


class ExportController(Controller):
    path = "/exports"

    @post(operation_id="createExport", status_code=202)
    async def create(self, request: Request[Any, Any, Any]) -> Response[ExportView]:
        """Ask for a zip of everything we hold about you; 202 with the export to poll."""
        runtime = runtime_of(request)
        async with runtime.store.transaction() as uow:
            job = await create_export(uow, runtime.clock, principal_of(request))
        kick_exports(runtime)
        return Response(
            export_view(job, runtime.clock.now()),
            status_code=202,
            headers={"Location": f"/v1/me/exports/{job.id}"},
        )

    @get("/{export_id:str}", operation_id="getExport")
    async def status(self, request: Request[Any, Any, Any], export_id: FromPath[str]) -> ExportView:
        """Status and progress (0–1); `href` to download once `status` is done."""
        runtime = runtime_of(request)
        async with runtime.store.read() as uow:
            job = await get_export(uow, principal_of(request).id, export_id)
        return export_view(job, runtime.clock.now())

    @get("/{export_id:str}/download", operation_id="downloadExport")
    async def download(self, request: Request[Any, Any, Any], export_id: FromPath[str]) -> Stream:
        """The zip (`application/zip`), with your own token, until the link expires."""
        runtime = runtime_of(request)
        async with runtime.store.transaction() as uow:
            job = await open_download(uow, runtime.clock, principal_of(request), export_id)
        assert job.blob is not None
        chunks = _zip_chunks(runtime, job.blob)
        try:  # open the file before answering: a missing one is a problem, not a cut body
            first = await anext(chunks)
        except (NotFound, StopAsyncIteration):
            raise Gone(
                "the export's file is gone; ask for a new export", kind="export-expired"
            ) from None
        headers = {
            "Cache-Control": "private, no-store",
            "X-Content-Type-Options": "nosniff",
            "Content-Disposition": f'attachment; filename="minlaege-{job.id}.zip"',
        }
        if job.size is not None:
            headers["Content-Length"] = str(job.size)
        return Stream(_then(first, chunks), media_type="application/zip", headers=headers)
