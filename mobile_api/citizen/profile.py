"""The citizen's own profile."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get, patch
from litestar.params import JSONBody

from app.errors import NotFound
from app.services.accounts import ProfileChange, update_profile
from mobile_api.security import citizen_record_of, principal_of, runtime_of
from mobile_api.views import CitizenView, citizen_view

__all__ = ["ProfileController"]


class ProfileController(Controller):
    path = "/"

    @get(operation_id="getMe")
    async def get_me(self, request: Request[Any, Any, Any]) -> CitizenView:
        """Who the app is logged in as."""
        me = principal_of(request)
        # read a moment ago by the bearer check, unless a relative acts for the citizen
        citizen = citizen_record_of(request)
        if citizen is None or citizen.id != me.id:
            async with runtime_of(request).store.read() as uow:
                citizen = await uow.citizens.get(me.id)
        if citizen is None:
            raise NotFound("no such citizen")
        return citizen_view(citizen)

    @patch(operation_id="updateMe")
    async def update_me(
        self, request: Request[Any, Any, Any], data: JSONBody[ProfileChange]
    ) -> CitizenView:
        """Change name, time zone (IANA) or language (da/en)."""
        me = principal_of(request)
        async with runtime_of(request).store.transaction() as uow:
            return citizen_view(
                await update_profile(uow, me.id, data, clock=runtime_of(request).clock)
            )
