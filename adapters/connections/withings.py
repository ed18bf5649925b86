"""Withings Public API (EU cloud): OAuth 2, `measure getmeas`, `v2/measure getactivity`,
`v2/sleep getsummary`, `notify subscribe|revoke`.

Withings answers HTTP 200 almost always and puts its own `status` in the body: 0 is
success, 401 a refused access token, 601 its rate limit, 503 bad parameters (a used or
unknown refresh token or code comes as `invalid_grant` there), 2554/2555 unknown errors.
Tokens go through Withings' own token endpoint (`POST /v2/oauth2`, `action=requesttoken`);
the OAuth parameters are built with authlib's client helpers and sent over the app's
shared httpx client. Withings has no PKCE.

A value is `value × 10^unit`; the measure types read here are 1 weight (kg), 9
diastolic and 10 systolic blood pressure (mmHg), 11 heart pulse (bpm) and 54 SpO2 (%).
Daily steps and nights of sleep: `withings_days` (ADR 0024). A notification's `appli`
says which of the three changed (1, 4: measures; 16: activity; 44: sleep), so its pull
fetches only that.
"""

from __future__ import annotations

import urllib.parse
from collections.abc import Mapping
from typing import Any

import httpx
import msgspec
from authlib.oauth2.rfc6749.parameters import prepare_grant_uri, prepare_token_request

from adapters.connections.shapes import shaped
from adapters.connections.withings_days import (
    ActivityPage,
    SleepPage,
    activity_samples,
    sleep_samples,
    ymd_window,
)
from app.domain.connections import Tokens
from app.domain.metrics import Metric
from app.domain.samples import Sample, Source, SourceKind
from app.ports import Clock
from app.ports.connections import (
    Fetched,
    Permit,
    PushNote,
    VendorError,
    VendorInvalidGrant,
    VendorRateLimited,
    VendorTransient,
    VendorUnauthorized,
)

__all__ = ["MEASURE_TYPES", "NOTIFY_APPLIS", "NOTIFY_TOPICS", "WithingsClient", "samples_of"]

#: Withings measure type -> our metric (contracts §2 units: kg, mmHg, bpm, %)
MEASURE_TYPES: dict[int, Metric] = {
    1: Metric.BODY_MASS,
    9: Metric.BLOOD_PRESSURE_DIASTOLIC,
    10: Metric.BLOOD_PRESSURE_SYSTOLIC,
    11: Metric.HEART_RATE,
    54: Metric.SPO2,
}
#: notification categories subscribed -> what their pull fetches: 1 weight, 4 pressure,
#: heart rate and SpO2, 16 activity (steps), 44 sleep
NOTIFY_TOPICS: dict[int, str] = {1: "measures", 4: "measures", 16: "activity", 44: "sleep"}
NOTIFY_APPLIS = tuple(NOTIFY_TOPICS)
_TOPICS = ("measures", "activity", "sleep")
_MAX_USERID = 64
_SCOPE = "user.metrics,user.activity"
#: measure group attributions: 1 is "ambiguous" (someone else may have stepped on it)
_AMBIGUOUS = 1
_TRANSIENT_STATUS = frozenset({522, 2554, 2555})
#: how the token endpoint says a code or refresh token is no good (OAuth's invalid_grant)
_INVALID_GRANT = ("invalid_grant", "invalid refresh_token", "invalid code")


class _Measure(msgspec.Struct):
    value: int
    type: int
    unit: int


class _Group(msgspec.Struct):
    grpid: int
    date: int
    category: int = 1
    attrib: int = 0
    created: int | None = None
    modified: int | None = None
    hash_deviceid: str | None = None
    deviceid: str | None = None
    model: str | None = None
    measures: list[_Measure] = msgspec.field(default_factory=list)


class _MeasBody(msgspec.Struct):
    measuregrps: list[_Group] = msgspec.field(default_factory=list)
    more: int = 0
    offset: int = 0
    timezone: str | None = None


class _Answer(msgspec.Struct):
    status: int
    body: Any = None
    error: str | None = None


_answer = msgspec.json.Decoder(_Answer).decode


def _scaled(value: int, unit: int) -> float:
    """`value × 10^unit`, exact to the digits Withings sent (72345, -3 → 72.345)."""
    return value / 10**-unit if unit < 0 else float(value * 10**unit)


def samples_of(groups: list[_Group]) -> tuple[list[Sample], list[str]]:
    """Our samples of these measure groups, and the external ids of modified ones."""
    out: list[Sample] = []
    modified: list[str] = []
    for g in groups:
        if g.category != 1 or g.attrib == _AMBIGUOUS:  # 2 is a goal, not a measure
            continue
        device = g.hash_deviceid or g.deviceid
        source = Source(
            key=f"withings:{device}" if device else "withings:app",
            name=f"Withings {g.model}" if g.model else "Withings",
            # a cuff or a scale ranks as a home device (§4); typed in the app: other
            kind=SourceKind.DEVICE if device else SourceKind.OTHER,
            device=f"Withings {g.model}" if g.model else None,
        )
        at_ms = g.date * 1000
        for m in g.measures:
            metric = MEASURE_TYPES.get(m.type)
            if metric is None:
                continue
            ext = f"withings:{g.grpid}:{m.type}"
            if g.modified is not None and g.created is not None and g.modified > g.created:
                modified.append(ext)
            out.append(
                Sample(
                    metric=metric,
                    start_ms=at_ms,
                    end_ms=at_ms,
                    value=_scaled(m.value, m.unit),
                    source=source,
                    external_id=ext,
                )
            )
    return out, modified


class WithingsClient:
    """`CloudVendor` for Withings over the app's httpx client."""

    name = "withings"
    pkce = False
    history_days: int | None = None

    def __init__(
        self,
        http: httpx.AsyncClient,
        clock: Clock,
        *,
        client_id: str,
        client_secret: str,
        auth_url: str,
        api_url: str,
    ) -> None:
        self._http = http
        self._clock = clock
        self._client_id = client_id
        self._client_secret = client_secret
        self._auth_url = auth_url.rstrip("/")
        self._api_url = api_url.rstrip("/")

    # -- OAuth ----------------------------------------------------------------------------
    def authorize_url(self, *, state: str, redirect_uri: str, code_challenge: str | None) -> str:
        return str(
            prepare_grant_uri(
                f"{self._auth_url}/oauth2_user/authorize2",
                self._client_id,
                "code",
                redirect_uri=redirect_uri,
                scope=_SCOPE,
                state=state,
            )
        )

    async def exchange(
        self, *, code: str, redirect_uri: str, code_verifier: str | None, permit: Permit
    ) -> Tokens:
        body = prepare_token_request(
            "authorization_code",
            code=code,
            redirect_uri=redirect_uri,
            action="requesttoken",
            client_id=self._client_id,
            client_secret=self._client_secret,
        )
        return await self._token(body, permit)

    async def refresh(self, tokens: Tokens, *, permit: Permit) -> Tokens:
        if not tokens.refresh_token:
            raise VendorInvalidGrant("no refresh token")
        body = prepare_token_request(
            "refresh_token",
            refresh_token=tokens.refresh_token,
            action="requesttoken",
            client_id=self._client_id,
            client_secret=self._client_secret,
        )
        return await self._token(body, permit)

    async def _token(self, body: str, permit: Permit) -> Tokens:
        got = await self._call("/v2/oauth2", body, None, permit, token_call=True)
        if not isinstance(got, dict) or "access_token" not in got:
            raise VendorTransient("Withings token answer without an access token")
        try:
            expires_in = int(got.get("expires_in") or 10800)
        except (TypeError, ValueError) as exc:
            raise VendorTransient("Withings token answer with a bad expires_in") from exc
        return Tokens(
            access_token=str(got["access_token"]),
            refresh_token=str(got["refresh_token"]) if got.get("refresh_token") else None,
            expires_at=None if expires_in <= 0 else self._now_plus(expires_in),
            vendor_user=str(got.get("userid") or ""),
        )

    def _now_plus(self, seconds: int) -> int:
        return int(self._clock.now().timestamp()) + seconds

    async def register(self, tokens: Tokens, *, member_id: str, permit: Permit) -> None:
        """Withings has nothing to register: the token exchange is the whole link."""

    # -- notifications --------------------------------------------------------------------
    def read_push(self, body: bytes, headers: Mapping[str, str]) -> list[PushNote]:
        """A notification (form `userid`, `appli`, `startdate`, `enddate`); unsigned, so
        only the account and the kind of data are taken from it (the window is clamped by
        the service). An appli we do not know fetches everything."""
        form = dict(urllib.parse.parse_qsl(body.decode("utf-8", "replace")))
        userid = (form.get("userid") or "").strip()[:_MAX_USERID]
        if not userid:
            return []
        appli = _int(form.get("appli"))
        return [
            PushNote(
                vendor_user=userid,
                topic=NOTIFY_TOPICS.get(appli, "") if appli is not None else "",
                start_s=_int(form.get("startdate")),
                end_s=_int(form.get("enddate")),
            )
        ]

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
        """Measures, activity and sleep of the window (or the one `topic`)."""
        out = Fetched()
        for t in (topic,) if topic in _TOPICS else _TOPICS:
            if t == "measures":
                await self._measures(out, tokens, start_s, end_s, permit)
            elif t == "activity":
                await self._activity(out, tokens, start_s, end_s, permit, zone)
            else:
                await self._sleep(out, tokens, start_s, end_s, permit)
        return out

    async def _activity(
        self, out: Fetched, tokens: Tokens, start_s: int, end_s: int, permit: Permit, zone: str
    ) -> None:
        lo, hi = ymd_window(start_s, end_s)
        now_ms = int(self._clock.now().timestamp() * 1000)
        offset = 0
        while True:
            form: dict[str, str | int] = {
                "action": "getactivity",
                "startdateymd": lo,
                "enddateymd": hi,
                "data_fields": "steps",
            }
            if offset:
                form["offset"] = offset
            got = await self._call("/v2/measure", form, tokens, permit)
            out.requests += 1
            page = shaped(got or {}, ActivityPage, "getactivity")
            samples, replaced = activity_samples(page.activities, fallback_zone=zone, now_ms=now_ms)
            out.samples.extend(samples)
            out.modified.extend(replaced)
            if not page.more or not page.offset or page.offset == offset:
                return
            offset = page.offset

    async def _sleep(
        self, out: Fetched, tokens: Tokens, start_s: int, end_s: int, permit: Permit
    ) -> None:
        lo, hi = ymd_window(start_s, end_s)
        offset = 0
        while True:
            form: dict[str, str | int] = {
                "action": "getsummary",
                "startdateymd": lo,
                "enddateymd": hi,
                "data_fields": "total_sleep_time,lightsleepduration,deepsleepduration,"
                "remsleepduration",
            }
            if offset:
                form["offset"] = offset
            got = await self._call("/v2/sleep", form, tokens, permit)
            out.requests += 1
            page = shaped(got or {}, SleepPage, "sleep getsummary")
            samples, replaced = sleep_samples(page.series)
            out.samples.extend(samples)
            out.modified.extend(replaced)
            if not page.more or not page.offset or page.offset == offset:
                return
            offset = page.offset

    async def _measures(
        self, out: Fetched, tokens: Tokens, start_s: int, end_s: int, permit: Permit
    ) -> None:
        offset = 0
        while True:
            form: dict[str, str | int] = {
                "action": "getmeas",
                "meastypes": ",".join(str(t) for t in MEASURE_TYPES),
                "category": 1,
                "startdate": start_s,
                "enddate": end_s,
            }
            if offset:
                form["offset"] = offset
            got = await self._call("/measure", form, tokens, permit)
            out.requests += 1
            page = shaped(got or {}, _MeasBody, "getmeas")
            samples, modified = samples_of(page.measuregrps)
            out.samples.extend(samples)
            out.modified.extend(modified)
            if not page.more or not page.offset or page.offset == offset:
                return
            offset = page.offset

    async def subscribe(self, tokens: Tokens, callback_url: str, *, permit: Permit) -> None:
        for appli in NOTIFY_APPLIS:
            form: dict[str, str | int] = {
                "action": "subscribe",
                "callbackurl": callback_url,
                "appli": appli,
            }
            await self._call("/notify", form, tokens, permit)

    async def unsubscribe(self, tokens: Tokens, callback_url: str, *, permit: Permit) -> None:
        for appli in NOTIFY_APPLIS:
            form: dict[str, str | int] = {
                "action": "revoke",
                "callbackurl": callback_url,
                "appli": appli,
            }
            await self._call("/notify", form, tokens, permit)

    # -- one request ----------------------------------------------------------------------
    async def _call(
        self,
        path: str,
        form: str | dict[str, str | int],
        tokens: Tokens | None,
        permit: Permit,
        *,
        token_call: bool = False,
    ) -> Any:
        await permit()
        headers = {"Accept": "application/json"}
        if tokens is not None:
            headers["Authorization"] = f"Bearer {tokens.access_token}"
        headers["Content-Type"] = "application/x-www-form-urlencoded"
        content = (
            form
            if isinstance(form, str)
            else urllib.parse.urlencode({k: str(v) for k, v in form.items()})
        )
        try:
            response = await self._http.post(
                f"{self._api_url}{path}", headers=headers, content=content.encode(), timeout=30.0
            )
        except httpx.HTTPError as exc:
            raise VendorTransient(f"Withings unreachable: {type(exc).__name__}") from None
        if response.status_code == 429:
            raise VendorRateLimited("Withings HTTP 429", _retry_after(response, 60.0))
        if response.status_code >= 500:
            raise VendorTransient(f"Withings HTTP {response.status_code}")
        if response.status_code != 200:
            raise VendorError(f"Withings HTTP {response.status_code}")
        try:
            answer = _answer(response.content)
        except msgspec.DecodeError:
            raise VendorTransient("Withings answer is not JSON") from None
        status, error = answer.status, (answer.error or "")
        if status == 0:
            return answer.body
        if status == 601:
            raise VendorRateLimited("Withings status 601 (too many requests)", 60.0)
        if status == 401:
            raise VendorUnauthorized("Withings refused the access token (status 401)")
        if token_call and any(word in error.lower() for word in _INVALID_GRANT):
            raise VendorInvalidGrant(f"Withings status {status}: invalid_grant")
        if status in _TRANSIENT_STATUS or 500 <= status < 600:
            raise VendorTransient(f"Withings status {status}")
        raise VendorError(f"Withings status {status}")


def _int(raw: str | None) -> int | None:
    try:
        return int(raw) if raw else None
    except ValueError:
        return None


def _retry_after(response: httpx.Response, default: float) -> float:
    try:
        return max(1.0, float(response.headers.get("retry-after", default)))
    except ValueError:
        return default
