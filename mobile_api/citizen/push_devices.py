"""The citizen's phones for push: register, list, remove.

Only the citizen themselves: a relative acting under a power of attorney gets 403
(no scope covers it), since a phone registered here receives every notice.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, delete, get, post
from litestar.params import FromPath, JSONBody

from app.domain.push import Platform, PushDevice
from app.services.push import forget_device, register_device
from mobile_api.security import principal_of, runtime_of

__all__ = ["PushDeviceController"]


class NewPushDevice(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    platform: Platform
    token: Annotated[str, msgspec.Meta(min_length=1, max_length=4096)]
    #: let the lock screen show the notice's title (default: a neutral text only)
    previews: bool = False


class PushDeviceView(msgspec.Struct, frozen=True, kw_only=True):
    id: str
    platform: str
    #: the last 8 characters, to tell phones apart; the token itself is not shown back
    token_end: str
    previews: bool
    created_at: datetime


def _view(d: PushDevice) -> PushDeviceView:
    return PushDeviceView(
        id=d.id,
        platform=d.platform,
        token_end=d.token[-8:],
        previews=d.previews,
        created_at=d.created_at,
    )


class PushDeviceController(Controller):
    path = "/push-devices"

    @post(operation_id="registerPushDevice", status_code=201)
    async def register(
        self, request: Request[Any, Any, Any], data: JSONBody[NewPushDevice]
    ) -> PushDeviceView:
        """Add this phone (again is harmless: the same token is one device)."""
        runtime = runtime_of(request)
        async with runtime.store.transaction() as uow:
            device = await register_device(
                uow,
                runtime.clock,
                principal_of(request),
                data.platform,
                data.token,
                previews=data.previews,
            )
        return _view(device)

    @get(operation_id="listPushDevices")
    async def list_devices(self, request: Request[Any, Any, Any]) -> list[PushDeviceView]:
        me = principal_of(request)
        async with runtime_of(request).store.read() as uow:
            return [_view(d) for d in await uow.push_devices.for_citizen(me.id)]

    @delete("/{device_id:str}", operation_id="removePushDevice", status_code=204)
    async def remove(self, request: Request[Any, Any, Any], device_id: FromPath[str]) -> None:
        """The phone gets no more pushes (a logout in the app calls this)."""
        runtime = runtime_of(request)
        async with runtime.store.transaction() as uow:
            await forget_device(uow, runtime.clock, principal_of(request), device_id)
