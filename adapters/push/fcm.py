"""Firebase Cloud Messaging (Android) over the HTTP v1 API, with a service account.

Google's v1 API takes an OAuth 2 access token that the server gets for itself with the
JWT bearer grant (RFC 7523): a JWT signed RS256 with the service account's private key,
`scope` the messaging scope, traded at the account's `token_uri`. authlib signs the
assertion (`JWTBearerGrant.sign`); the exchange is one form POST on the app's own
HTTP/2 client, and the token is kept until five minutes before it expires. (authlib's
httpx `AsyncAssertionClient` would do the exchange too, but its httpx integration is
deprecated in favour of a fork we do not otherwise need.)

Answers: 404 `UNREGISTERED` (the app was removed, the token rotated) and 403
`SENDER_ID_MISMATCH` (a token of another Firebase project) forget the device; a 401
gets a new access token and one more try; 429, 5xx, network and token-endpoint
failures and anything else are tried again later, after `Retry-After` if sent.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta

import httpx
import msgspec
from authlib.oauth2.rfc7523 import JWTBearerGrant
from joserfc.jwk import RSAKey

from adapters.push.http import retry_after
from app.domain.push import PushMessage, PushResult
from app.ports import Clock

__all__ = ["FCM_ENDPOINT", "FCM_SCOPE", "FcmSender", "ServiceAccount"]

FCM_ENDPOINT = "https://fcm.googleapis.com"
FCM_SCOPE = "https://www.googleapis.com/auth/firebase.messaging"


class ServiceAccount(msgspec.Struct, frozen=True, kw_only=True):
    """The fields we use of a Google service-account key file (JSON)."""

    project_id: str
    client_email: str
    private_key: str
    token_uri: str = "https://oauth2.googleapis.com/token"


class _Notification(msgspec.Struct, frozen=True):
    title: str
    body: str


class _AndroidNotification(msgspec.Struct, frozen=True):
    #: a notice sent again (a retry) replaces itself in the phone's tray
    tag: str


class _Android(msgspec.Struct, frozen=True):
    ttl: str
    collapse_key: str
    priority: str
    notification: _AndroidNotification


class _Message(msgspec.Struct, frozen=True):
    token: str
    notification: _Notification
    #: the app opens this notice (GET /v1/me/notices) when the push is tapped
    data: dict[str, str]
    android: _Android


class _Send(msgspec.Struct, frozen=True):
    message: _Message


class _Detail(msgspec.Struct):
    errorCode: str = ""


class _Error(msgspec.Struct):
    status: str = ""
    details: list[_Detail] = msgspec.field(default_factory=list)


class _Problem(msgspec.Struct):
    error: _Error = msgspec.field(default_factory=_Error)


class _AccessToken(msgspec.Struct):
    access_token: str
    expires_in: int = 3600


class _TokenRefused(Exception):
    """The token endpoint said no (a wrong key, a disabled account)."""


_encode = msgspec.json.encode
_problem = msgspec.json.Decoder(_Problem)
_GONE = frozenset({"UNREGISTERED", "SENDER_ID_MISMATCH"})


class FcmSender:
    """Sends notification messages for one Firebase project."""

    platform = "fcm"

    def __init__(
        self,
        client: httpx.AsyncClient,
        clock: Clock,
        account: ServiceAccount,
        *,
        base_url: str = FCM_ENDPOINT,
    ) -> None:
        self._client = client
        self._clock = clock
        self._account = account
        self._url = f"{base_url.rstrip('/')}/v1/projects/{account.project_id}/messages:send"
        self._token: tuple[str, datetime] | None = None
        self._key = RSAKey.import_key(account.private_key)

    async def access_token(self, *, fresh: bool = False) -> str:
        """An access token for the messaging scope, asked for anew near its expiry."""
        now = self._clock.now()
        if not fresh and self._token is not None and now < self._token[1]:
            return self._token[0]
        account = self._account
        assertion: str | bytes = JWTBearerGrant.sign(
            self._key,
            issuer=account.client_email,
            audience=account.token_uri,
            issued_at=int(now.timestamp()),
            claims={"scope": FCM_SCOPE},
            header={"alg": "RS256", "typ": "JWT"},
        )
        answer = await self._client.post(
            account.token_uri,
            data={"grant_type": JWTBearerGrant.GRANT_TYPE, "assertion": _text(assertion)},
        )
        if answer.status_code != 200:
            raise _TokenRefused(f"token endpoint {answer.status_code}: {answer.text[:200]}")
        try:
            got = msgspec.json.decode(answer.content, type=_AccessToken)
        except msgspec.DecodeError as exc:
            raise _TokenRefused(f"token endpoint answered no token: {exc}") from exc
        self._token = (got.access_token, now + timedelta(seconds=got.expires_in - 300))
        return got.access_token

    async def send(self, token: str, message: PushMessage) -> PushResult:
        result = await self._post(token, message, fresh=False)
        if result.detail == "HTTP 401":  # the access token was refused: a new one, once
            result = await self._post(token, message, fresh=True)
        return result

    async def _post(self, token: str, message: PushMessage, *, fresh: bool) -> PushResult:
        seconds = max(0, math.floor((message.expires_at - self._clock.now()).total_seconds()))
        body = _encode(
            _Send(
                message=_Message(
                    token=token,
                    notification=_Notification(title=message.title, body=message.body),
                    data={"notice_id": message.notice_id}
                    | ({"for_citizen": message.for_citizen} if message.for_citizen else {}),
                    android=_Android(
                        ttl=f"{seconds}s",
                        collapse_key=message.notice_id,
                        priority="high",
                        notification=_AndroidNotification(tag=message.notice_id),
                    ),
                )
            )
        )
        try:
            bearer = await self.access_token(fresh=fresh)
            answer = await self._client.post(
                self._url,
                content=body,
                headers={"authorization": f"Bearer {bearer}", "content-type": "application/json"},
            )
        except (httpx.TransportError, _TokenRefused) as exc:
            return PushResult(outcome="retry", detail=f"{type(exc).__name__}: {exc}")
        if answer.status_code == 200:
            return PushResult(outcome="sent")
        code = _code(answer.content)
        if code in _GONE:
            return PushResult(outcome="gone", detail=code)
        return PushResult(
            outcome="retry",
            detail=code if code and answer.status_code != 401 else f"HTTP {answer.status_code}",
            retry_after=retry_after(answer.headers.get("retry-after")),
        )


def _text(value: str | bytes) -> str:
    return value.decode() if isinstance(value, bytes) else value


def _code(content: bytes) -> str:
    """Google's error code: the FCM `errorCode` detail if present, else the status."""
    try:
        problem = _problem.decode(content)
    except msgspec.DecodeError:
        return ""
    for detail in problem.error.details:
        if detail.errorCode:
            return detail.errorCode
    return problem.error.status
