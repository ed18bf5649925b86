"""Apple Push Notification service over HTTP/2, with a token-based (ES256) provider key.

Apple's provider API speaks HTTP/2 only: one long-lived connection, many streams. The
httpx client (HTTP/2 via h2) is passed in, so the same code talks to Apple and, in the
tests, to a local HTTP/2 server standing in for Apple. We do not use the `apns2`
package: it is abandoned, pins PyJWT < 2 and does not import on Python 3.10+.

Apple's rules this follows: the provider token is a JWT signed with the team's .p8
key (ES256, `kid` the key id, `iss` the team id, `iat`), reused for at most an hour and
refreshed no more often than every 20 minutes (we use 40); a 403
`ExpiredProviderToken` gets a fresh one and one more try. A 410, or a 400 saying the
token is bad or for another app, means the phone's token is dead. 429 and 5xx are
tried again later, after `Retry-After` if Apple sent one.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

import httpx
import jwt
import msgspec

from adapters.push.http import retry_after
from app.domain.push import PushMessage, PushResult
from app.ports import Clock

__all__ = ["APNS_PRODUCTION", "APNS_SANDBOX", "ApnsSender"]

APNS_PRODUCTION = "https://api.push.apple.com"
APNS_SANDBOX = "https://api.sandbox.push.apple.com"

#: reasons (in a 400 answer) that mean this device token will never work again
_DEAD_TOKEN = frozenset({"BadDeviceToken", "DeviceTokenNotForTopic", "Unregistered"})
_TOKEN_AGE = timedelta(minutes=40)


class _Alert(msgspec.Struct, frozen=True):
    title: str
    body: str


class _Aps(msgspec.Struct, frozen=True):
    alert: _Alert
    sound: str = "default"


class _Payload(msgspec.Struct, frozen=True, omit_defaults=True):
    aps: _Aps
    #: the app opens this notice (GET /v1/me/notices) when the push is tapped
    notice_id: str
    #: a relative's phone: the citizen whose notice it is (the app acts for them)
    for_citizen: str | None = None


class _Problem(msgspec.Struct):
    reason: str = ""


_encode = msgspec.json.encode
_problem = msgspec.json.Decoder(_Problem)


class ApnsSender:
    """Sends alert pushes for one app (`topic`, its bundle id) with one provider key."""

    platform = "apns"

    def __init__(
        self,
        client: httpx.AsyncClient,
        clock: Clock,
        *,
        key_pem: bytes,
        key_id: str,
        team_id: str,
        topic: str,
        base_url: str = APNS_PRODUCTION,
    ) -> None:
        self._client = client
        self._clock = clock
        self._key = key_pem
        self._key_id = key_id
        self._team_id = team_id
        self._topic = topic
        self._base = base_url.rstrip("/")
        self._token: tuple[str, datetime] | None = None

    def provider_token(self, *, fresh: bool = False) -> str:
        """The JWT for the `authorization` header, made anew when it is 40 minutes old."""
        now = self._clock.now()
        if fresh or self._token is None or now - self._token[1] >= _TOKEN_AGE:
            token = jwt.encode(
                {"iss": self._team_id, "iat": int(now.timestamp())},
                self._key,
                algorithm="ES256",
                headers={"kid": self._key_id},
            )
            self._token = (token, now)
        return self._token[0]

    async def send(self, token: str, message: PushMessage) -> PushResult:
        result = await self._post(token, message, self.provider_token())
        if result.detail == "ExpiredProviderToken":
            result = await self._post(token, message, self.provider_token(fresh=True))
        return result

    async def _post(self, token: str, message: PushMessage, jwt_token: str) -> PushResult:
        expires = max(0, math.floor(message.expires_at.astimezone(UTC).timestamp()))
        headers = {
            "authorization": f"bearer {jwt_token}",
            "apns-topic": self._topic,
            "apns-push-type": "alert",
            "apns-priority": "10",
            "apns-expiration": str(expires),
            # the notice id is a UUID: Apple's id for the push and the collapse id, so a
            # notice sent again (a retry) replaces itself on the phone
            "apns-id": message.notice_id,
            "apns-collapse-id": message.notice_id,
        }
        body = _encode(
            _Payload(
                aps=_Aps(alert=_Alert(title=message.title, body=message.body)),
                notice_id=message.notice_id,
                for_citizen=message.for_citizen,
            )
        )
        try:
            answer = await self._client.post(
                f"{self._base}/3/device/{token}", content=body, headers=headers
            )
        except httpx.TransportError as exc:
            return PushResult(outcome="retry", detail=f"{type(exc).__name__}: {exc}")
        if answer.status_code == 200:
            return PushResult(outcome="sent")
        reason = _reason(answer.content)
        if answer.status_code == 410 or (answer.status_code == 400 and reason in _DEAD_TOKEN):
            return PushResult(outcome="gone", detail=reason or str(answer.status_code))
        return PushResult(
            outcome="retry",
            detail=reason or f"HTTP {answer.status_code}",
            retry_after=retry_after(answer.headers.get("retry-after")),
        )


def _reason(content: bytes) -> str:
    try:
        return _problem.decode(content).reason
    except msgspec.DecodeError:
        return ""
