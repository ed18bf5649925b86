"""Login, refresh and logout: `/v1/auth/...`."""

from __future__ import annotations

from typing import Any, Literal

import msgspec
from litestar import Controller, Request, post
from litestar.params import JSONBody

from app.domain.identity import Role
from app.services import auth
from mobile_api.security import check_content_type, runtime_of

__all__ = ["SessionController"]


class LoginRequest(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """The ID token the app got from the national login, and the nonce it sent there."""

    id_token: str = msgspec.field()
    nonce: str
    role: Literal["citizen", "clinician"] = "citizen"


class RefreshRequest(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    refresh_token: str


class SessionController(Controller):
    path = "/v1/auth"
    guards = [check_content_type]
    tags = ["session"]
    opt = {"exclude_from_auth": True}

    @post("/login", operation_id="login", status_code=200)
    async def login(
        self, request: Request[Any, Any, Any], data: JSONBody[LoginRequest]
    ) -> auth.TokenPair:
        """Exchange a national-login ID token (NSIS substantial or higher) for our tokens."""
        return await auth.login(
            runtime_of(request).auth, role=Role(data.role), id_token=data.id_token, nonce=data.nonce
        )

    @post("/refresh", operation_id="refresh", status_code=200)
    async def refresh(
        self, request: Request[Any, Any, Any], data: JSONBody[RefreshRequest]
    ) -> auth.TokenPair:
        """Rotate the refresh token; a reused one ends the whole session."""
        return await auth.refresh(runtime_of(request).auth, data.refresh_token)

    @post("/logout", operation_id="logout", status_code=204)
    async def logout(self, request: Request[Any, Any, Any], data: JSONBody[RefreshRequest]) -> None:
        """Revoke the refresh token and every token rotated from it."""
        await auth.logout(runtime_of(request).auth, data.refresh_token)
