"""Polar AccessLink v3: OAuth 2, user registration, one signed webhook, exercises as FIT
files, daily activity, continuous heart rate and sleep (ADR 0024).

- *Linking.* Authorization code at Polar Flow (`scope=accesslink.read_all`); the code is
  exchanged at Polar's token endpoint with HTTP Basic client authentication. The answer
  carries the Polar user id (`x_user_id`); the access token lasts years and there is no
  refresh token, so a token Polar refuses (401) means the link is gone: `refresh` says
  `invalid_grant`, and the service marks the link broken and tells the citizen. After
  the exchange the user is registered with our client (`POST /v3/users` with a
  `member-id`); 409 means already registered, which is fine. Polar then serves only data
  uploaded *after* that registration (the app says so).
- *Webhook.* One per client, made once by the operator (docs/connections.md). Polar signs
  each push with HMAC-SHA256 of the raw body under the webhook's secret, hex in
  `Polar-Webhook-Signature`; it is checked in constant time before anything is read. A
  push names an event (`EXERCISE` with `entity_id`; `SLEEP`, `ACTIVITY_SUMMARY`,
  `CONTINUOUS_HEART_RATE` with a `date`), which becomes a pull of that one thing. A
  `PING` (sent when the webhook is made, before the operator can know its secret) does
  nothing and is answered 200 whatever its signature.
- *Data.* Exercises as FIT files through the FIT importer (its sources, its rules); the
  list endpoints serve the last 28-30 days, so a backfill asks for no more.
- *Disconnect* deletes the user's registration at Polar (`DELETE /v3/users/{id}`), which
  also revokes the token.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import re
import tempfile
from collections.abc import Mapping
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import msgspec
from authlib.oauth2.rfc6749.parameters import prepare_grant_uri, prepare_token_request

from adapters.connections.polar_data import (
    Activity,
    Exercise,
    HeartRateDay,
    Nights,
    SleepNight,
    activity_samples,
    exercise_start_s,
    heart_rate_samples,
    sleep_samples,
    zone_of,
)
from adapters.connections.shapes import shaped
from adapters.ingest.fit import FitFormatError, iter_fit
from app.domain.connections import Tokens
from app.domain.samples import Sample
from app.ports import Clock
from app.ports.connections import (
    Fetched,
    Permit,
    PushNote,
    PushRefused,
    VendorError,
    VendorInvalidGrant,
    VendorRateLimited,
    VendorTransient,
    VendorUnauthorized,
)

__all__ = ["EVENT_TOPICS", "SIGNATURE_HEADER", "PolarClient", "sign"]

SIGNATURE_HEADER = "polar-webhook-signature"
#: webhook event -> the pull's topic
EVENT_TOPICS: dict[str, str] = {
    "EXERCISE": "exercise",
    "ACTIVITY_SUMMARY": "activity",
    "SLEEP": "sleep",
    "CONTINUOUS_HEART_RATE": "heart_rate",
}
_TOPICS = ("exercise", "activity", "sleep", "heart_rate")
#: what Polar's list endpoints serve (activities and sleep: 28 days; exercises: 30)
HISTORY_DAYS = 28
_ENTITY = re.compile(r"[A-Za-z0-9_-]{1,64}")
_MAX_PUSH = 64 * 1024


def sign(secret: str, body: bytes) -> str:
    """Polar's signature of a push: HMAC-SHA256 of the raw body, hex."""
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


class _Push(msgspec.Struct):
    event: str = ""
    user_id: int | str | None = None
    entity_id: str | None = None
    date: str | None = None


def _date(text: str | None) -> str | None:
    if not text:
        return None
    try:
        return date.fromisoformat(text).isoformat()
    except ValueError:
        return None


class PolarClient:
    """`CloudVendor` for Polar AccessLink v3 over the app's httpx client."""

    name = "polar"
    pkce = False
    history_days: int | None = HISTORY_DAYS

    def __init__(
        self,
        http: httpx.AsyncClient,
        clock: Clock,
        *,
        client_id: str,
        client_secret: str,
        webhook_secret: str | None,
        auth_url: str,
        token_url: str,
        api_url: str,
    ) -> None:
        self._http = http
        self._clock = clock
        self._client_id = client_id
        self._client_secret = client_secret
        self._webhook_secret = webhook_secret or ""
        self._auth_url = auth_url
        self._token_url = token_url
        self._api_url = api_url.rstrip("/")

    # -- OAuth ----------------------------------------------------------------------------
    def authorize_url(self, *, state: str, redirect_uri: str, code_challenge: str | None) -> str:
        return str(
            prepare_grant_uri(
                self._auth_url,
                self._client_id,
                "code",
                redirect_uri=redirect_uri,
                scope="accesslink.read_all",
                state=state,
            )
        )

    async def exchange(
        self, *, code: str, redirect_uri: str, code_verifier: str | None, permit: Permit
    ) -> Tokens:
        body = prepare_token_request("authorization_code", code=code, redirect_uri=redirect_uri)
        basic = base64.b64encode(f"{self._client_id}:{self._client_secret}".encode()).decode()
        await permit()
        try:
            r = await self._http.post(
                self._token_url,
                content=body.encode(),
                headers={
                    "Authorization": f"Basic {basic}",
                    "Content-Type": "application/x-www-form-urlencoded",
                    "Accept": "application/json;charset=UTF-8",
                },
                timeout=30.0,
            )
        except httpx.HTTPError as exc:
            raise VendorTransient(f"Polar unreachable: {type(exc).__name__}") from None
        if r.status_code in (400, 401):
            raise VendorInvalidGrant(f"Polar token endpoint: HTTP {r.status_code}")
        got = self._json(r, "token")
        if not isinstance(got, dict) or not got.get("access_token") or not got.get("x_user_id"):
            raise VendorTransient("Polar token answer without a token or user id")
        return Tokens(
            access_token=str(got["access_token"]),
            refresh_token=None,
            expires_at=None,  # years; Polar has no refresh: a refused token is a relink
            vendor_user=str(got["x_user_id"]),
        )

    async def refresh(self, tokens: Tokens, *, permit: Permit) -> Tokens:
        raise VendorInvalidGrant("Polar tokens are not refreshed: the citizen links again")

    async def register(self, tokens: Tokens, *, member_id: str, permit: Permit) -> None:
        r = await self._request(
            "POST", "/v3/users", tokens, permit, json_body={"member-id": member_id}
        )
        if r.status_code == 409:  # registered before (a re-link): fine
            return
        self._json(r, "register")

    # -- the webhook ----------------------------------------------------------------------
    def read_push(self, body: bytes, headers: Mapping[str, str]) -> list[PushNote]:
        try:
            push = msgspec.json.decode(body[:_MAX_PUSH], type=_Push)
        except msgspec.DecodeError:
            push = None
        if push is not None and push.event == "PING":
            return []  # does nothing; sent before the operator can hold the secret
        given = headers.get(SIGNATURE_HEADER, "").strip().lower()
        expected = sign(self._webhook_secret, body) if self._webhook_secret else ""
        if not given or not expected or not hmac.compare_digest(given, expected):
            raise PushRefused("the Polar-Webhook-Signature is missing or wrong")
        if push is None or push.user_id is None:
            return []
        topic = EVENT_TOPICS.get(push.event)
        if topic is None:
            return []
        entity = push.entity_id if topic == "exercise" else _date(push.date)
        if entity and not _ENTITY.fullmatch(entity):
            entity = None
        return [PushNote(vendor_user=str(push.user_id), topic=topic, entity=entity or "")]

    async def subscribe(self, tokens: Tokens, callback_url: str, *, permit: Permit) -> None:
        """Nothing per user: Polar's one webhook covers every registered user."""

    async def unsubscribe(self, tokens: Tokens, callback_url: str, *, permit: Permit) -> None:
        """Delete the user's registration with our client (it revokes the token too)."""
        r = await self._request("DELETE", f"/v3/users/{tokens.vendor_user}", tokens, permit)
        if r.status_code not in (200, 204, 404):
            self._json(r, "deregister")

    # -- data -----------------------------------------------------------------------------
    async def fetch(
        self,
        tokens: Tokens,
        start_s: int,
        end_s: int,
        *,
        permit: Permit,
        zone: str,
        topic: str = "",
        entity: str = "",
        purpose: str = "",
    ) -> Fetched:
        out = Fetched()
        tz = zone_of(zone)
        days = self._days(start_s, end_s, tz)
        for t in (topic,) if topic in _TOPICS else _TOPICS:
            one = entity if topic in _TOPICS else ""
            if t == "exercise":
                await self._exercises(out, tokens, permit, start_s, end_s, one)
            elif t == "activity":
                await self._activity(out, tokens, permit, [one] if one else days, tz)
            elif t == "sleep":
                await self._sleep(out, tokens, permit, [one] if one else days)
            else:
                await self._heart_rate(out, tokens, permit, [one] if one else days, tz)
        return out

    def _days(self, start_s: int, end_s: int, zone: Any) -> list[str]:
        """The citizen's local dates of a window, within what Polar still serves."""
        today = self._clock.now().astimezone(zone).date()
        first = max(
            datetime.fromtimestamp(start_s, UTC).astimezone(zone).date(),
            today - timedelta(days=HISTORY_DAYS - 1),
        )
        last = min(datetime.fromtimestamp(end_s, UTC).astimezone(zone).date(), today)
        return [(first + timedelta(days=i)).isoformat() for i in range((last - first).days + 1)]

    async def _exercises(
        self, out: Fetched, tokens: Tokens, permit: Permit, start_s: int, end_s: int, one: str
    ) -> None:
        if one:
            ids = [one]
        else:
            r = await self._request("GET", "/v3/exercises", tokens, permit)
            out.requests += 1
            listed = shaped(
                self._json(r, "exercises") or [], list[Exercise], "exercises", strict=True
            )
            ids = [
                e.id
                for e in listed
                if (at := exercise_start_s(e)) is not None and start_s <= at < end_s
            ]
        for exercise_id in ids:
            r = await self._request("GET", f"/v3/exercises/{exercise_id}/fit", tokens, permit)
            out.requests += 1
            if r.status_code in (204, 404):
                continue
            self._check(r, "exercise FIT")
            samples = await asyncio.to_thread(_fit_samples, r.content)
            # keyed by Polar's exercise id: the same exercise again stores nothing
            out.samples.extend(
                msgspec.structs.replace(s, external_id=f"polar:exercise:{exercise_id}:{i}")
                for i, s in enumerate(samples)
            )

    async def _activity(
        self, out: Fetched, tokens: Tokens, permit: Permit, days: list[str], zone: Any
    ) -> None:
        if not days:
            return
        if len(days) == 1:
            r = await self._request("GET", f"/v3/users/activities/{days[0]}", tokens, permit)
            got = self._json(r, "activity")
            items = [got] if isinstance(got, dict) else []
        else:
            query = {"from": days[0], "to": days[-1]}
            r = await self._request("GET", "/v3/users/activities", tokens, permit, query=query)
            got = self._json(r, "activities")
            items = got if isinstance(got, list) else []
        out.requests += 1
        now_ms = int(self._clock.now().timestamp() * 1000)
        samples, replaced = activity_samples(
            shaped(items, list[Activity], "activities"), zone=zone, now_ms=now_ms
        )
        out.samples.extend(samples)
        out.modified.extend(replaced)

    async def _sleep(self, out: Fetched, tokens: Tokens, permit: Permit, days: list[str]) -> None:
        if not days:
            return
        if len(days) == 1:
            r = await self._request("GET", f"/v3/users/sleep/{days[0]}", tokens, permit)
            got = self._json(r, "sleep")
            nights = [shaped(got, SleepNight, "sleep")] if got else []
        else:
            r = await self._request("GET", "/v3/users/sleep", tokens, permit)
            got = self._json(r, "nights")
            wanted = set(days)
            nights = [n for n in shaped(got or {}, Nights, "sleep").nights if n.date in wanted]
        out.requests += 1
        samples, replaced = sleep_samples(nights)
        out.samples.extend(samples)
        out.modified.extend(replaced)

    async def _heart_rate(
        self, out: Fetched, tokens: Tokens, permit: Permit, days: list[str], zone: Any
    ) -> None:
        for day in days:
            path = f"/v3/users/continuous-heart-rate/{day}"
            r = await self._request("GET", path, tokens, permit)
            out.requests += 1
            got = self._json(r, "continuous heart rate")
            if got:
                hr = shaped(got, HeartRateDay, "continuous heart rate")
                out.samples.extend(heart_rate_samples(hr, zone=zone))

    # -- one request ----------------------------------------------------------------------
    async def _request(
        self,
        method: str,
        path: str,
        tokens: Tokens,
        permit: Permit,
        *,
        query: dict[str, str] | None = None,
        json_body: Any = None,
    ) -> httpx.Response:
        await permit()
        headers = {"Authorization": f"Bearer {tokens.access_token}", "Accept": "*/*"}
        try:
            return await self._http.request(
                method,
                f"{self._api_url}{path}",
                params=query,
                json=json_body,
                headers=headers,
                timeout=60.0,
            )
        except httpx.HTTPError as exc:
            raise VendorTransient(f"Polar unreachable: {type(exc).__name__}") from None

    def _check(self, r: httpx.Response, what: str) -> None:
        status = r.status_code
        if status == 401:
            raise VendorUnauthorized(f"Polar refused the access token ({what})")
        if status == 429:
            raise VendorRateLimited(f"Polar HTTP 429 ({what})", _retry_after(r))
        if status >= 500:
            raise VendorTransient(f"Polar HTTP {status} ({what})")
        if status >= 400:  # 403: the user has not accepted Polar's consents; 400, 404 …
            raise VendorError(f"Polar HTTP {status} ({what})")

    def _json(self, r: httpx.Response, what: str) -> Any:
        """The JSON of a successful answer; None for 204 and 404 (no data there)."""
        if r.status_code in (204, 404):
            return None
        self._check(r, what)
        try:
            return json.loads(r.content) if r.content else None
        except ValueError:
            raise VendorTransient(f"Polar answer is not JSON ({what})") from None


def _fit_samples(data: bytes) -> list[Sample]:
    """The samples of an exercise's FIT file, through the FIT importer (on a thread: the
    decoder is CPU-bound). A damaged file stores nothing (and is not fetched again)."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "exercise.fit"
        path.write_bytes(data)
        try:
            return [s for s in iter_fit(path) if isinstance(s, Sample)]
        except FitFormatError:
            return []


def _retry_after(r: httpx.Response) -> float:
    try:
        return max(1.0, float(r.headers.get("retry-after", "60")))
    except ValueError:
        return 60.0
