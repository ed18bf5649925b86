"""Pairing and tokens for gateways: the two gateway routes that need no access token."""

from __future__ import annotations

import base64
from typing import Annotated, Any
from urllib.parse import parse_qs

import msgspec
from litestar import Controller, Request, post
from litestar.exceptions import HTTPException
from litestar.params import JSONBody

from app.domain.identity import Role
from app.services.gateway_pairing import Credentials, check_client, pair
from mobile_api.security import check_content_type, runtime_of

__all__ = ["GatewayPairingController"]

_FORM = "application/x-www-form-urlencoded"


class PairRequest(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    pairing_code: Annotated[str, msgspec.Meta(min_length=1, max_length=32)]


class TokenResponse(msgspec.Struct, frozen=True, kw_only=True):
    access_token: str
    token_type: str = "Bearer"
    expires_in: int


def _client(request: Request[Any, Any, Any], form: dict[str, str]) -> tuple[str, str]:
    """Client id and secret from HTTP Basic (RFC 6749 §2.3.1) or the form body."""
    header = request.headers.get("authorization", "")
    if header.lower().startswith("basic "):
        try:
            raw = base64.b64decode(header[6:].strip(), validate=True).decode()
        except (ValueError, UnicodeDecodeError) as exc:
            raise HTTPException(status_code=400, detail="malformed Basic credentials") from exc
        client_id, sep, secret = raw.partition(":")
        if sep:
            return client_id, secret
    return form.get("client_id", ""), form.get("client_secret", "")


class GatewayPairingController(Controller):
    path = "/v1/gateway"
    guards = [check_content_type]
    tags = ["gateway"]
    opt = {"exclude_from_auth": True}

    @post("/pair", operation_id="pairGateway", status_code=201)
    async def pair(
        self, request: Request[Any, Any, Any], data: JSONBody[PairRequest]
    ) -> Credentials:
        """Trade the code the citizen got in the app for this gateway's id and secret."""
        runtime = runtime_of(request)
        async with runtime.store.transaction() as uow:
            return await pair(uow, runtime.clock, data.pairing_code)

    @post(
        "/token",
        operation_id="gatewayToken",
        status_code=200,
        opt={"accept": (_FORM,)},
        request_max_body_size=4096,
    )
    async def token(self, request: Request[Any, Any, Any]) -> TokenResponse:
        """OAuth 2 client credentials: `grant_type=client_credentials` with the gateway's id
        and secret (HTTP Basic or form fields) gives a short-lived access token."""
        body = (await request.body()).decode("utf-8", errors="replace")
        form = {k: v[0] for k, v in parse_qs(body, keep_blank_values=True).items()}
        if form.get("grant_type") != "client_credentials":
            raise HTTPException(status_code=400, detail="grant_type must be client_credentials")
        client_id, secret = _client(request, form)
        runtime = runtime_of(request)
        async with runtime.store.read() as uow:
            await check_client(uow, client_id, secret)
        token, ttl = runtime.signer.mint(role=Role.GATEWAY, subject=client_id)
        return TokenResponse(access_token=token, expires_in=ttl)
