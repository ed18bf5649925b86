"""The citizen's cloud connections (contracts §11): link, list, disconnect.

Only the citizen themselves: a relative under a power of attorney gets 403 (no scope
covers linking an account that sends data in the citizen's name).
"""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Controller, Request, delete, get, post
from litestar.params import FromPath

from app.domain.connections import Vendor
from app.services.connections import CloudConnections, ConnectionView, note
from mobile_api.runtime import Runtime
from mobile_api.security import principal_of, runtime_of

__all__ = ["ConnectionsController", "cloud_of"]


class AuthorizeLink(msgspec.Struct, frozen=True, kw_only=True):
    #: open in a browser; the vendor sends it back to our callback, which ends in the app
    authorize_url: str
    #: to show before the browser opens: what the vendor gives (Polar: only data
    #: uploaded after linking), Danish and English
    note_da: str
    note_en: str


def cloud_of(runtime: Runtime) -> CloudConnections:
    assert runtime.cloud is not None, "Runtime.open wires cloud connections"
    return runtime.cloud


class ConnectionsController(Controller):
    path = "/connections"

    @post("/{vendor:str}", operation_id="startConnection", status_code=201)
    async def start(
        self, request: Request[Any, Any, Any], vendor: FromPath[Vendor]
    ) -> AuthorizeLink:
        """An authorize URL for the vendor; its state works once, for 10 minutes."""
        cloud = cloud_of(runtime_of(request))
        url = await cloud.start(principal_of(request), vendor)
        note_da, note_en = note(vendor)
        return AuthorizeLink(authorize_url=url, note_da=note_da, note_en=note_en)

    @get(operation_id="listConnections")
    async def list_connections(self, request: Request[Any, Any, Any]) -> list[ConnectionView]:
        """Linked accounts with their status, last sync and backfill progress."""
        return await cloud_of(runtime_of(request)).list(principal_of(request).id)

    @delete("/{vendor:str}", operation_id="removeConnection", status_code=204)
    async def remove(self, request: Request[Any, Any, Any], vendor: FromPath[Vendor]) -> None:
        """Revoke the vendor's notifications where possible and delete the tokens."""
        await cloud_of(runtime_of(request)).disconnect(principal_of(request), vendor)
