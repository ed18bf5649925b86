"""The public ends of cloud connections: the OAuth callback and the vendors' webhooks.

No bearer token here (the paths are in `_PUBLIC`): the callback trusts only the state it
brings, and a Withings notification only names an account to pull, with that
account's own token, so a forged one costs a pull and stores nothing false.
"""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, MediaType, Request, Response, get, head, post
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import FromPath, FromQuery, QueryParameter

from mobile_api.citizen.connections import cloud_of
from mobile_api.security import runtime_of

__all__ = ["WithingsWebhookController", "connection_callback", "polar_webhook"]

_MAX_PARAM = 2048


def _param(value: str | None) -> str | None:
    return value[:_MAX_PARAM] if value else None


@get(
    "/v1/connections/{vendor:str}/callback",
    operation_id="connectionCallback",
    tags=["connections"],
    status_code=303,
    responses={
        303: ResponseSpec(
            data_container=None,
            description="To the app: `{app link}/{vendor}?outcome=…` in `Location`",
        )
    },
)
async def connection_callback(
    request: Request[Any, Any, Any],
    vendor: FromPath[str],
    code: FromQuery[str | None] = None,
    oauth_state: Annotated[str | None, QueryParameter(name="state")] = None,
    error: FromQuery[str | None] = None,
) -> Response[str]:
    """Where the vendor sends the browser back; ends on the app's deep link with
    `?outcome=connected|denied|expired|invalid|taken|failed`."""
    cloud = cloud_of(runtime_of(request))
    outcome = await cloud.finish(
        vendor, code=_param(code), state=_param(oauth_state), error=_param(error)
    )
    return Response(
        "",
        status_code=303,
        headers={
            "Location": cloud.app_url(vendor if vendor in cloud.vendors else "unknown", outcome),
            "Cache-Control": "no-store",
        },
        media_type="text/plain",
    )


class WithingsWebhookController(Controller):
    """`{PUBLIC_URL}/v1/webhooks/withings`, the callback URL subscribed at Withings."""

    path = "/v1/webhooks/withings"
    tags = ["connections"]
    # Litestar builds the OPTIONS answer from the handler it meets first, by name: the
    # POST handler's name sorts first so `Allow` lists both methods

    @post(operation_id="withingsWebhook", status_code=200, media_type=MediaType.TEXT)
    async def accept(self, request: Request[Any, Any, Any]) -> str:
        """A Withings notification (form `userid`, `appli`, `startdate`, `enddate`): a
        pull is queued and 200 goes back at once; the pull itself runs in a worker."""
        cloud = cloud_of(runtime_of(request))
        if "withings" in cloud.vendors:  # off: answered alike, nothing queued
            await cloud.pushed("withings", await request.body(), _headers(request))
        return ""

    @head(operation_id="withingsWebhookCheck")
    async def check(self) -> None:
        """Withings checks the callback URL with HEAD before it subscribes it."""


def _headers(request: Request[Any, Any, Any]) -> dict[str, str]:
    return {k.lower(): v for k, v in request.headers.items()}


@post(
    "/v1/webhooks/polar",
    operation_id="polarWebhook",
    tags=["connections"],
    status_code=200,
    media_type=MediaType.TEXT,
)
async def polar_webhook(request: Request[Any, Any, Any]) -> str:
    """A Polar AccessLink push (JSON `event`, `user_id`, `entity_id` or `date`,
    `timestamp`, `url`), signed with HMAC-SHA256 of the raw body in
    `Polar-Webhook-Signature`: a bad or missing signature is 401 `bad-signature`. A pull
    is queued and 200 goes back at once; a `PING` does nothing. The `url` is never
    followed: the pull asks Polar's own API with the account's token."""
    await cloud_of(runtime_of(request)).pushed("polar", await request.body(), _headers(request))
    return ""
