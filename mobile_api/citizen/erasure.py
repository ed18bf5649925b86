"""The citizen deletes what they brought, or closes the account (contracts §10, ADR 0023).

No proxy scope is named on these routes, so a relative acting under a power of attorney
is refused (403 `proxy-scope`): deleting data and leaving are the citizen's own acts.
"""

from __future__ import annotations

from datetime import date
from pathlib import PurePosixPath
from typing import Annotated, Any
from urllib.parse import unquote

from litestar import Controller, Request, delete
from litestar.params import Parameter, QueryParameter

from app.services.closure import ClosureReport, close_account
from app.services.erasure import DeletionResult, delete_period, delete_source
from app.services.retention import delete_blobs
from mobile_api.security import principal_of, runtime_of

__all__ = ["AccountController", "SourceDeletionController", "WearablesController"]

_PREFIX = "/v1/me/sources/"


class SourceDeletionController(Controller):
    path = "/sources"

    @delete("/{key:path}", operation_id="deleteSource", status_code=200)
    async def delete_source(
        self,
        request: Request[Any, Any, Any],
        key: Annotated[
            PurePosixPath,
            Parameter(
                description="a source's key from `GET /v1/me/sources`, percent-encoded",
                schema_extra={"type": "string", "minLength": 1},
            ),
        ],
    ) -> DeletionResult:
        """Delete a source (its `key` from `GET /v1/me/sources`, percent-encoded: a key
        may hold `/`, `?` or `#`), its samples and raw readings; the touched days are
        re-rolled. The same data sent again is stored again. A source already deleted
        answers 404."""
        runtime = runtime_of(request)
        async with runtime.store.transaction() as uow:
            return await delete_source(
                uow, runtime.clock, principal_of(request), _key(request, key)
            )


def _key(request: Request[Any, Any, Any], parsed: PurePosixPath) -> str:
    """The source key exactly as sent: from the raw path, where an encoded `/` is still
    `%2F` (the parsed path parameter has collapsed `//` and lost the difference)."""
    raw = request.scope.get("raw_path")
    if isinstance(raw, bytes):
        _, found, rest = raw.decode("latin-1").partition(_PREFIX)
        if found:
            return unquote(rest)
    return str(parsed).lstrip("/")


class WearablesController(Controller):
    path = "/wearables"

    @delete(operation_id="deleteWearables", status_code=200)
    async def delete_period(
        self,
        request: Request[Any, Any, Any],
        from_: Annotated[date, QueryParameter(name="from", description="first local date")],
        to: Annotated[date, QueryParameter(description="last local date, inclusive")],
    ) -> DeletionResult:
        """Delete every measurement with any part in these local days (the citizen's
        zone), and the gateway readings received then; the touched days are re-rolled.
        Repeating it answers 200 with zeros."""
        runtime = runtime_of(request)
        async with runtime.store.transaction() as uow:
            return await delete_period(uow, runtime.clock, principal_of(request), from_, to)


class AccountController(Controller):
    path = "/"

    @delete(operation_id="closeAccount", status_code=200)
    async def close(self, request: Request[Any, Any, Any]) -> ClosureReport:
        """Close the account at once: what was deleted and what the clinic keeps, and
        why, in Danish and English. Afterwards every token of the account is refused
        (401 `unknown-subject`), a retry included."""
        runtime = runtime_of(request)
        cloud = runtime.cloud
        report, blobs = await close_account(
            runtime.store,
            runtime.clock,
            principal_of(request),
            unsubscribe=cloud.unsubscribe_all if cloud is not None and cloud.vendors else None,
        )
        if blobs:
            await delete_blobs(runtime.store, runtime.blobs, blobs)
        return report
